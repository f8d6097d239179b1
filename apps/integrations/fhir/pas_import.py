"""Import a PAS Claim bundle (`use = preauthorization`) as a request on `prior-auth-imaging`.

The bundle is parsed with `fhir.resources.R4B` (structure), then checked against the value
sets PAS needs (use, ICD-10-CM, CPT/HCPCS, NPI, place of service) and mapped to the workflow's
form. The request is created through `request_create`, so the engine validates it again and
routes it as if it had been typed in. A Claim identifier imported before returns its request.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pydantic
from django.db import IntegrityError
from fhir.resources.R4B.bundle import Bundle

from apps.accounts.models import User
from apps.approvals.exceptions import ApprovalError
from apps.approvals.models import ApprovalRequest
from apps.approvals.selectors import can_view_request
from apps.approvals.services import request_create
from apps.core.actions import action
from apps.integrations.erp.models import ImportedClaim
from apps.integrations.fhir import codes
from apps.integrations.fhir.outcome import FhirProblem, Issue, fhir_path
from apps.workflows.engine.codes import check_cpt, check_icd10, check_npi
from apps.workflows.engine.lines import lines_field
from apps.workflows.models import WorkflowDefinition
from apps.workflows.selectors import spec_of

WORKFLOW_KEY = "prior-auth-imaging"
MAX_BUNDLE_BYTES = 1024 * 1024

# Form field -> where it came from, so the engine's field errors name a FHIR path.
FIELD_PATHS = {
    "patient_name": "Patient.name",
    "date_of_birth": "Patient.birthDate",
    "member_id": "Coverage.subscriberId",
    "payer": "Coverage.payor",
    "cpt_code": "Claim.item[0].productOrService",
    "diagnosis": "Claim.diagnosis[0].diagnosisCodeableConcept",
    "ordering_provider_npi": "Practitioner.identifier",
    "site_of_care": "Claim.item[0].locationCodeableConcept",
    "conservative_therapy_weeks": "Claim.extension",
    "clinical_notes": "Claim.supportingInfo",
}


@dataclass(frozen=True)
class Imported:
    request: ApprovalRequest
    created: bool


def _parse(raw: bytes) -> Bundle:
    if len(raw) > MAX_BUNDLE_BYTES:
        raise FhirProblem([Issue("too-costly", "The bundle is larger than 1 MB.", "Bundle")], 413)
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise FhirProblem(
            [Issue("structure", f"The body is not JSON ({error}).", "Bundle")]
        ) from None
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        raise FhirProblem([Issue("structure", "The body must be a FHIR Bundle.", "Bundle")])
    if data.get("type") != "collection":
        # Da Vinci PAS: the $submit request is a Bundle of type collection.
        raise FhirProblem(
            [Issue("code-invalid", f'Bundle.type must be "collection", not "{data.get("type")}".',
                   "Bundle.type")]
        )  # fmt: skip
    try:
        return Bundle.model_validate(data)
    except pydantic.ValidationError as error:
        issues = [
            Issue("structure", str(e.get("msg", "invalid"))[:200], fhir_path(tuple(e["loc"])))
            for e in error.errors()[:20]
        ]
        raise FhirProblem(issues) from None


class _Index:
    """Resolves references inside the bundle by fullUrl or by Type/id."""

    def __init__(self, bundle: Bundle) -> None:
        self.by_key: dict[str, Any] = {}
        self.claims: list[tuple[int, Any]] = []
        for index, entry in enumerate(bundle.entry or []):
            resource = entry.resource
            if resource is None:
                continue
            kind = resource.get_resource_type()
            if entry.fullUrl:
                self.by_key[entry.fullUrl] = resource
            if resource.id:
                self.by_key[f"{kind}/{resource.id}"] = resource
            if kind == "Claim":
                self.claims.append((index, resource))

    def get(self, reference: Any, *types: str) -> Any:
        ref = getattr(reference, "reference", None) if reference is not None else None
        if not ref:
            return None
        resource = self.by_key.get(ref) or self.by_key.get("/".join(ref.split("/")[-2:]))
        if resource is None or (types and resource.get_resource_type() not in types):
            return None
        return resource


def _coding(concept: Any, systems: set[str]) -> Any:
    for coding in getattr(concept, "coding", None) or []:
        if coding.system in systems and coding.code:
            return coding
    return None


def _npi_of(resource: Any) -> str | None:
    for identifier in getattr(resource, "identifier", None) or []:
        if identifier.system == codes.NPI and identifier.value:
            value: str = identifier.value
            return value
    return None


def _map(bundle: Bundle) -> tuple[dict[str, Any], str, dict[str, Any]]:
    """Form answers, urgency and the claim's identity/items, or FhirProblem with every issue."""
    issues: list[Issue] = []
    index = _Index(bundle)
    if not index.claims:
        raise FhirProblem(
            [Issue("required", "The bundle holds no Claim resource.", "Bundle.entry")]
        )
    if len(index.claims) > 1:
        raise FhirProblem([Issue("structure", "Send one Claim per bundle.", "Bundle.entry")])
    entry_index, claim = index.claims[0]
    at = f"Bundle.entry[{entry_index}].resource"
    if claim.use != "preauthorization":
        raise FhirProblem(
            [
                Issue(
                    "code-invalid",
                    f'Claim.use must be "preauthorization", not "{claim.use}".',
                    f"{at}.use",
                )
            ]
        )
    data: dict[str, Any] = {}

    patient = index.get(claim.patient, "Patient")
    if patient is None:
        issues.append(
            Issue("not-found", "Claim.patient does not resolve in the bundle.", f"{at}.patient")
        )
    else:
        name = (patient.name or [None])[0]
        text = ""
        if name is not None:
            text = name.text or " ".join([*(name.given or []), name.family or ""]).strip()
        if not text:
            issues.append(Issue("required", "The patient has no name.", "Patient.name"))
        data["patient_name"] = text
        data["date_of_birth"] = patient.birthDate.isoformat() if patient.birthDate else ""

    insurance = (
        next((i for i in claim.insurance or [] if i.focal), None) or (claim.insurance or [None])[0]
    )
    coverage = index.get(insurance.coverage, "Coverage") if insurance is not None else None
    if coverage is None:
        issues.append(Issue("not-found", "Claim.insurance.coverage does not resolve in the bundle.",
                            f"{at}.insurance[0].coverage"))  # fmt: skip
        payer_name = ""
    else:
        member = coverage.subscriberId or next(
            (i.value for i in coverage.identifier or [] if i.value), ""
        )
        data["member_id"] = member
        payor = index.get((coverage.payor or [None])[0], "Organization")
        payer_name = (payor.name if payor is not None else "") or ""
    insurer = index.get(claim.insurer, "Organization")
    payer_name = payer_name or (insurer.name if insurer is not None else "") or ""
    if not payer_name:
        issues.append(Issue("required", "The payer organization has no name.", "Coverage.payor"))
    choices = {
        "Acme Health",
        "Blue Valley Health Plan",
        "Medicare Advantage - Summit",
        "State Medicaid",
    }
    data["payer"] = payer_name if payer_name in choices else "Commercial - other"

    # Diagnoses: every ICD-10-CM code must be a billable code; the first is the primary.
    diagnoses = list(claim.diagnosis or [])
    if not diagnoses:
        issues.append(Issue("required", "The claim has no diagnosis.", f"{at}.diagnosis"))
    for position, diagnosis in enumerate(diagnoses):
        path = f"{at}.diagnosis[{position}].diagnosisCodeableConcept"
        coding = _coding(diagnosis.diagnosisCodeableConcept, {codes.ICD10_CM})
        if coding is None:
            issues.append(Issue("code-invalid", f"Use an ICD-10-CM code ({codes.ICD10_CM}).", path))
            continue
        code, problem = check_icd10(coding.code)
        if problem:
            issues.append(Issue("code-invalid", problem, f"{path}.coding.code"))
        elif position == 0:
            data["diagnosis"] = code

    # Items: CPT or HCPCS, each checked; the first drives routing and the site of care.
    items: list[dict[str, Any]] = []
    if not claim.item:
        issues.append(Issue("required", "The claim has no item.", f"{at}.item"))
    for position, item in enumerate(claim.item or []):
        path = f"{at}.item[{position}]"
        coding = _coding(item.productOrService, codes.PROCEDURE_SYSTEMS)
        if coding is None:
            issues.append(
                Issue("code-invalid", "Use a CPT or HCPCS code.", f"{path}.productOrService")
            )
            continue
        code, problem = check_cpt(coding.code)
        if problem:
            issues.append(Issue("code-invalid", problem, f"{path}.productOrService.coding.code"))
            continue
        items.append(
            {
                "sequence": item.sequence,
                "code": code,
                "system": coding.system,
                "quantity": _units(item.quantity),
            }
        )
        if position == 0:
            data["cpt_code"] = code
            pos = _coding(item.locationCodeableConcept, {codes.POS})
            if pos is None:
                issues.append(Issue("required", "Give the place of service (CMS POS code).",
                                    f"{path}.locationCodeableConcept"))  # fmt: skip
            elif pos.code not in codes.SITE_OF_CARE:
                issues.append(Issue("code-invalid", f"Place of service {pos.code} is not one we "
                                    "accept for imaging (11, 19, 21, 22, 49).",
                                    f"{path}.locationCodeableConcept"))  # fmt: skip
            else:
                data["site_of_care"] = codes.SITE_OF_CARE[pos.code]

    if len(items) > 1:  # several services: the reviewer decides each line (the same sequence)
        data["service_lines"] = [
            {"line": i["sequence"], "code": i["code"], "quantity": i["quantity"]} for i in items
        ]

    # Ordering provider: the care team's provider, else the claim's provider; NPI required.
    candidates = [member.provider for member in claim.careTeam or []] + [claim.provider]
    npi = None
    for reference in candidates:
        npi = _npi_of(index.get(reference, "Practitioner", "PractitionerRole", "Organization"))
        if npi:
            break
    if npi is None:
        issues.append(Issue("required", "No ordering provider with an NPI in the bundle.",
                            f"{at}.careTeam"))  # fmt: skip
    else:
        _, problem = check_npi(npi)
        if problem:
            issues.append(Issue("value", problem, "Practitioner.identifier"))
        data["ordering_provider_npi"] = npi

    weeks = next(
        (
            e.valueInteger
            for e in claim.extension or []
            if e.url == codes.THERAPY_WEEKS_URL and e.valueInteger is not None
        ),
        0,
    )
    data["conservative_therapy_weeks"] = str(weeks)
    notes = [
        info.valueString
        for info in claim.supportingInfo or []
        if info.valueString
        and _coding(info.category, _ANY) is not None
        and _coding(info.category, _ANY).code in codes.NOTE_CATEGORIES
    ]
    identifier = (claim.identifier or [None])[0]
    claim_id = identifier.value if identifier is not None and identifier.value else ""
    system = (identifier.system or "") if identifier is not None else ""
    if not claim_id:
        issues.append(Issue("required", "The claim needs an identifier.", f"{at}.identifier"))
    data["clinical_notes"] = "\n\n".join(notes) or f"Imported from PAS claim {claim_id}."
    if issues:
        raise FhirProblem(issues)
    priority = _coding(claim.priority, _ANY)
    urgency = "expedited" if priority is not None and priority.code == "stat" else "standard"
    claim_info = {"system": system, "identifier": claim_id, "items": items, "insurer": payer_name}
    return data, urgency, claim_info


def _units(quantity: Any) -> int:
    """A claim item's quantity as whole units (1 when absent or not a positive whole number)."""
    value = getattr(quantity, "value", None)
    if value is None or value != int(value) or int(value) < 1:
        return 1
    return int(value)


class _AnySystem(set[str]):  # matches every coding system (categories come from several)
    def __contains__(self, item: object) -> bool:
        return True


_ANY = _AnySystem()


def claim_import(*, actor: User, raw: bytes) -> Imported:
    """Create (and submit) a prior-authorization request from a PAS Claim bundle."""
    bundle = _parse(raw)
    data, urgency, claim = _map(bundle)
    existing = (
        ImportedClaim.objects.select_related("request")
        .filter(claim_system=claim["system"], claim_identifier=claim["identifier"])
        .first()
    )
    if existing is not None:
        if not can_view_request(actor, existing.request):
            raise FhirProblem(
                [Issue("not-found", "This claim identifier belongs to a request you cannot see.",
                       "Claim.identifier")], 404)  # fmt: skip
        return Imported(existing.request, created=False)
    workflow = WorkflowDefinition.objects.filter(key=WORKFLOW_KEY).first()
    if workflow is None:
        raise FhirProblem(
            [Issue("not-supported", "Prior authorization is not set up here.", "Claim")], 422
        )
    version = workflow.current_version
    if version is not None and not lines_field(spec_of(version)):
        data.pop("service_lines", None)  # a workflow version from before line items
    try:
        with action(actor=actor):
            approval = request_create(actor=actor, workflow=workflow, data=data, urgency=urgency)
            ImportedClaim.objects.create(
                request=approval,
                claim_system=claim["system"],
                claim_identifier=claim["identifier"],
                items=claim["items"],
                insurer_name=claim["insurer"],
            )
    except ApprovalError as error:
        issues = [
            Issue("invalid", " ".join(messages), FIELD_PATHS.get(name, name))
            for name, messages in error.fields.items()
        ] or [Issue("invalid", error.message, "Claim")]
        raise FhirProblem(issues, 400 if error.http_status < 500 else 500) from None
    except IntegrityError:  # the same claim imported concurrently: the first one won
        existing = ImportedClaim.objects.select_related("request").get(
            claim_system=claim["system"], claim_identifier=claim["identifier"]
        )
        return Imported(existing.request, created=False)
    return Imported(approval, created=True)
