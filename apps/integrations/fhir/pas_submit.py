"""The provider side of Da Vinci PAS: a prior-authorization request written as the Claim bundle
we POST to a payer's `Claim/$submit` (and `Claim/$inquire` for a pended one).

What goes in comes from the request's form, by field type, so any prior-authorization workflow
works: the patient (`patient_name`, `date_of_birth`), the coverage (`member_id`, the payer),
the provider (the first NPI field), one Claim item per CPT/HCPCS field answered, and every
ICD-10-CM field as a diagnosis. The bundle is validated with `fhir.resources.R4B` plus the
value-set checks that library does not make (`use`, `Bundle.type`).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

from apps.approvals.models import ApprovalRequest
from apps.integrations.fhir import codes
from apps.integrations.payers.exceptions import ClaimInvalid
from apps.workflows import engine

PAS_CLAIM_PROFILE = "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/profile-claim"
PRIORITY = "http://terminology.hl7.org/CodeSystem/processpriority"
ORGANIZATION_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"
CARE_TEAM_ROLE = "http://terminology.hl7.org/CodeSystem/claimcareteamrole"
SUBSCRIBER_RELATIONSHIP = "http://terminology.hl7.org/CodeSystem/subscriber-relationship"


@dataclass(frozen=True)
class ClaimItem:
    sequence: int
    code: str
    field: str

    def to_json(self) -> dict[str, Any]:
        return {"sequence": self.sequence, "code": self.code, "field": self.field}


def claim_items(approval: ApprovalRequest, spec: engine.WorkflowSpec) -> list[ClaimItem]:
    """One item per CPT/HCPCS field answered, in form order (sequence from 1)."""
    items: list[ClaimItem] = []
    for field in spec.fields:
        value = approval.data.get(field.name)
        if field.type == "cpt" and isinstance(value, str) and value.strip():
            items.append(ClaimItem(len(items) + 1, value.strip(), field.name))
    return items


def _urn(kind: str, claim_identifier: str) -> str:
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{kind}:{claim_identifier}')}"


def _patient(data: dict[str, Any]) -> dict[str, Any]:
    name = str(data.get("patient_name") or "").strip()
    given, _, family = name.rpartition(" ")
    patient: dict[str, Any] = {"resourceType": "Patient"}
    if name:
        patient["name"] = [
            {"text": name, "family": family or name, **({"given": given.split()} if given else {})}
        ]
    if data.get("member_id"):
        patient["identifier"] = [{"value": str(data["member_id"])}]
    if data.get("date_of_birth"):
        patient["birthDate"] = str(data["date_of_birth"])
    return patient


def claim_bundle(
    approval: ApprovalRequest,
    spec: engine.WorkflowSpec,
    *,
    payer_name: str,
    claim_identifier: str,
    provider_name: str,
) -> dict[str, Any]:
    """The PAS Claim bundle (JSON-ready) for `approval`, validated; `ClaimInvalid` says what is
    missing or wrong (field names only, never the values)."""
    data = dict(approval.data)
    items = claim_items(approval, spec)
    if not items:
        raise ClaimInvalid("The request has no CPT/HCPCS code to submit as a claim item.")
    npi = next((str(data[f.name]) for f in spec.fields if f.type == "npi" and data.get(f.name)), "")
    diagnoses = [str(data[f.name]) for f in spec.fields if f.type == "icd10" and data.get(f.name)]
    if not data.get("member_id"):
        raise ClaimInvalid("The request has no member ID for the coverage.")
    kinds = ("claim", "patient", "coverage", "insurer", "provider", "practitioner")
    urls = {kind: _urn(kind, claim_identifier) for kind in kinds}
    claim: dict[str, Any] = {
        "resourceType": "Claim",
        "meta": {"profile": [PAS_CLAIM_PROFILE]},
        "identifier": [{"system": codes.CLAIM_IDENTIFIER_SYSTEM, "value": claim_identifier}],
        "status": "active",
        "type": {"coding": [{"system": codes.CLAIM_TYPE, "code": "professional"}]},
        "use": "preauthorization",
        "patient": {"reference": urls["patient"]},
        "created": (approval.submitted_at or timezone.now()).isoformat(),
        "insurer": {"reference": urls["insurer"], "display": payer_name},
        "provider": {"reference": urls["provider"]},
        "priority": {
            "coding": [
                {
                    "system": PRIORITY,
                    "code": "stat" if approval.urgency == "expedited" else "normal",
                }
            ]
        },
        "insurance": [{"sequence": 1, "focal": True, "coverage": {"reference": urls["coverage"]}}],
        "item": [
            {
                "sequence": item.sequence,
                "productOrService": {"coding": [{"system": codes.CPT, "code": item.code}]},
                **({"diagnosisSequence": [1]} if diagnoses else {}),
                **(
                    {"servicedDate": str(data["requested_service_date"])}
                    if data.get("requested_service_date")
                    else {}
                ),
            }
            for item in items
        ],
    }
    if diagnoses:
        claim["diagnosis"] = [
            {
                "sequence": position,
                "diagnosisCodeableConcept": {"coding": [{"system": codes.ICD10_CM, "code": code}]},
            }
            for position, code in enumerate(diagnoses, start=1)
        ]
    if npi:
        claim["careTeam"] = [
            {
                "sequence": 1,
                "provider": {"reference": urls["practitioner"]},
                "role": {"coding": [{"system": CARE_TEAM_ROLE, "code": "primary"}]},
            }
        ]
    entries: list[dict[str, Any]] = [
        {"fullUrl": urls["claim"], "resource": claim},
        {"fullUrl": urls["patient"], "resource": _patient(data)},
        {
            "fullUrl": urls["coverage"],
            "resource": {
                "resourceType": "Coverage",
                "status": "active",
                "subscriberId": str(data["member_id"]),
                "beneficiary": {"reference": urls["patient"]},
                "relationship": {"coding": [{"system": SUBSCRIBER_RELATIONSHIP, "code": "self"}]},
                "payor": [{"reference": urls["insurer"]}],
            },
        },
        {
            "fullUrl": urls["insurer"],
            "resource": {
                "resourceType": "Organization",
                "type": [{"coding": [{"system": ORGANIZATION_TYPE, "code": "pay"}]}],
                "name": payer_name,
            },
        },
        {
            "fullUrl": urls["provider"],
            "resource": {
                "resourceType": "Organization",
                "type": [{"coding": [{"system": ORGANIZATION_TYPE, "code": "prov"}]}],
                "name": provider_name,
            },
        },
    ]
    if npi:
        entries.append(
            {
                "fullUrl": urls["practitioner"],
                "resource": {
                    "resourceType": "Practitioner",
                    "identifier": [{"system": codes.NPI, "value": npi}],
                },
            }
        )
    raw = {
        "resourceType": "Bundle",
        "identifier": {"system": codes.CLAIM_IDENTIFIER_SYSTEM, "value": claim_identifier},
        "type": "collection",
        "timestamp": timezone.now().isoformat(),
        "entry": entries,
    }
    try:
        bundle = Bundle.model_validate(raw)
    except ValidationError as error:
        where = sorted({".".join(str(p) for p in e["loc"][:3]) for e in error.errors()})[:3]
        raise ClaimInvalid(f"The claim bundle is not valid FHIR R4 ({', '.join(where)}).") from None
    body: dict[str, Any] = json.loads(bundle.model_dump_json())
    if body.get("type") != "collection" or body["entry"][0]["resource"].get("use") != (
        "preauthorization"
    ):
        raise ClaimInvalid("A PAS claim is a collection Bundle with Claim.use preauthorization.")
    return body
