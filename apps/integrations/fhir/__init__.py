"""FHIR R4 prior authorization (Da Vinci PAS style): import a Claim bundle as a request, export
the request's outcome as a ClaimResponse bundle. Parsing and building use `fhir.resources.R4B`;
the value-set checks it does not do live here."""
