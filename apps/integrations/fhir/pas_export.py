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


def _items(request: ApprovalRequest, claim: ImportedClaim | None) -> list[dict[str, Any]]:
    if claim is not None and claim.items:
        return list(claim.items)
    return [{"sequence": 1, "code": request.data.get("cpt_code", ""), "system": codes.CPT}]


def review_action_for(request: ApprovalRequest, item: dict[str, Any], first: bool) -> str:
    action = codes.STATUS_TO_ACTION.get(request.status, "A4")
    # The primary service was changed during review (the request now holds another code).
    if action in ("A1", "A2") and first and item.get("code") != request.data.get("cpt_code"):
        return "A6"
    return action


def claim_response_bundle(request: ApprovalRequest) -> dict[str, Any]:
    claim = ImportedClaim.objects.filter(request=request).first()
    now = timezone.now()
    patient_url = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'patient:' + request.reference)}"
    insurer_url = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'insurer:' + request.reference)}"
    response_url = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'response:' + request.reference)}"
    name = str(request.data.get("patient_name") or "")
    given, _, family = name.rpartition(" ")
    patient: dict[str, Any] = {
        "resourceType": "Patient",
        "name": [
            {"text": name, "family": family or name, **({"given": given.split()} if given else {})}
        ],
        "identifier": [{"value": str(request.data.get("member_id") or "")}],
    }
    if request.data.get("date_of_birth"):
        patient["birthDate"] = str(request.data["date_of_birth"])
    payer = (claim.insurer_name if claim else "") or str(request.data.get("payer") or "")
    items = []
    for position, item in enumerate(_items(request, claim)):
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
                                review_action_for(request, item, position == 0), request.reference
                            )
                        ],
                    }
                ],
            }
        )
    final = request.status in FINAL
    response: dict[str, Any] = {
        "resourceType": "ClaimResponse",
        "identifier": [{"system": codes.CLAIM_IDENTIFIER_SYSTEM, "value": request.reference}],
        "status": "active",
        "type": {"coding": [{"system": codes.CLAIM_TYPE, "code": "professional"}]},
        "use": "preauthorization",
        "patient": {"reference": patient_url},
        "created": (request.completed_at or now).isoformat(),
        "insurer": {"reference": insurer_url, "display": payer},
        "outcome": ("partial" if request.status == "partially_approved" else "complete")
        if final
        else "queued",
        "disposition": request.get_status_display(),
        "preAuthRef": request.reference,
        "item": items,
    }
    if claim is not None:
        response["request"] = {
            "identifier": {"system": claim.claim_system or None, "value": claim.claim_identifier}
        }
        if not claim.claim_system:
            del response["request"]["identifier"]["system"]
    if request.status in ("approved", "partially_approved"):
        start = (request.completed_at or now).date()
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
