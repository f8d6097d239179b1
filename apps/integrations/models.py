"""Outbox, webhooks, ERP and FHIR."""
