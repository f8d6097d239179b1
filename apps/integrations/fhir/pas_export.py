"""Export a prior-authorization request's outcome as a PAS-style ClaimResponse bundle.

Each item carries an X12 306 review action (A1 approved, A2 partial, A3 denied, A4 pended,
A6 modified, C cancelled) in the PAS reviewAction extension; `preAuthRef` is the request's
reference and `preAuthPeriod` the validity of an approval.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle

from apps.approvals.models import ApprovalRequest
from apps.integrations.erp.models import ImportedClaim
from apps.integrations.fhir import codes

APPROVAL_VALID_DAYS = 90
FINAL = {"approved", "partially_approved", "denied", "withdrawn", "cancelled"}


def _review_action(code: str, reference: str) -> dict[str, Any]:
    return {
        "url": codes.REVIEW_ACTION_URL,
        "extension": [
            {"url": "number", "valueString": reference},
            {
                "url": "code",
                "valueCodeableConcept": {
                    "coding": [
                        {
                            "system": codes.X12_306,
                            "code": code,
                            "display": codes.REVIEW_ACTIONS[code],
                        }
                    ]
                },
            },
        ],
    }


def _items(approval: ApprovalRequest, claim: ImportedClaim | None) -> list[dict[str, Any]]:
    if claim is not None and claim.items:
        return list(claim.items)
    return [{"sequence": 1, "code": approval.data.get("cpt_code", ""), "system": codes.CPT}]


def review_action_for(approval: ApprovalRequest, item: dict[str, Any], first: bool) -> str:
    action = codes.STATUS_TO_ACTION.get(approval.status, "A4")
    # The primary service was changed during review (the request now holds another code).
    if action in ("A1", "A2") and first and item.get("code") != approval.data.get("cpt_code"):
        return "A6"
    return action


def claim_response_bundle(approval: ApprovalRequest) -> dict[str, Any]:
    claim = ImportedClaim.objects.filter(request=approval).first()
    now = timezone.now()
    patient_url = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'patient:' + approval.reference)}"
    insurer_url = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'insurer:' + approval.reference)}"
    response_url = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'response:' + approval.reference)}"
    name = str(approval.data.get("patient_name") or "")
    given, _, family = name.rpartition(" ")
    patient: dict[str, Any] = {
        "resourceType": "Patient",
        "name": [
            {"text": name, "family": family or name, **({"given": given.split()} if given else {})}
        ],
        "identifier": [{"value": str(approval.data.get("member_id") or "")}],
    }
    if approval.data.get("date_of_birth"):
        patient["birthDate"] = str(approval.data["date_of_birth"])
    payer = (claim.insurer_name if claim else "") or str(approval.data.get("payer") or "")
    items = []
    for position, item in enumerate(_items(approval, claim)):
        items.append(
            {
                "itemSequence": int(item["sequence"]),
                "adjudication": [
                    {
                        "category": {
                            "coding": [{"system": codes.ADJUDICATION, "code": "submitted"}]
                        },
                        "extension": [
                            _review_action(
                                review_action_for(approval, item, position == 0), approval.reference
                            )
                        ],
                    }
                ],
            }
        )
    final = approval.status in FINAL
    response: dict[str, Any] = {
        "resourceType": "ClaimResponse",
        "identifier": [{"system": codes.CLAIM_IDENTIFIER_SYSTEM, "value": approval.reference}],
        "status": "active",
        "type": {"coding": [{"system": codes.CLAIM_TYPE, "code": "professional"}]},
        "use": "preauthorization",
        "patient": {"reference": patient_url},
        "created": (approval.completed_at or now).isoformat(),
        "insurer": {"reference": insurer_url, "display": payer},
        "outcome": ("partial" if approval.status == "partially_approved" else "complete")
        if final
        else "queued",
        "disposition": approval.get_status_display(),
        "preAuthRef": approval.reference,
        "item": items,
    }
    if claim is not None:
        response["request"] = {
            "identifier": {"system": claim.claim_system or None, "value": claim.claim_identifier}
        }
        if not claim.claim_system:
            del response["request"]["identifier"]["system"]
    if approval.status in ("approved", "partially_approved"):
        start = (approval.completed_at or now).date()
        response["preAuthPeriod"] = {
            "start": start.isoformat(),
            "end": (start + timedelta(days=APPROVAL_VALID_DAYS)).isoformat(),
        }
    bundle = Bundle.model_validate(
        {
            "resourceType": "Bundle",
            "type": "collection",
            "timestamp": now.isoformat(),
            "entry": [
                {"fullUrl": response_url, "resource": response},
                {"fullUrl": patient_url, "resource": patient},
                {
                    "fullUrl": insurer_url,
                    "resource": {"resourceType": "Organization", "name": payer},
                },
            ],
        }
    )
    body: dict[str, Any] = json.loads(bundle.model_dump_json())
    return body
