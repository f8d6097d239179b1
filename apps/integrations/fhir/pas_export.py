"""Export a prior-authorization request's outcome as a PAS-style ClaimResponse bundle.

Each item carries an X12 306 review action (A1 approved, A2 partial, A3 denied, A4 pended,
A6 modified, C cancelled) in the PAS reviewAction extension: a request decided line by line
gives each item its own line's action (A1, A6 with the approved quantity as the
adjudication's value, A3 with the line's reason), any other request its one action.
`preAuthRef` is the request's reference and `preAuthPeriod` the validity of an approval.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection
from datetime import timedelta
from typing import Any

from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle

from apps.accounts.models import User
from apps.approvals.choices import DecisionOutcome
from apps.approvals.line_decisions import request_lines
from apps.approvals.masking import hidden_fields, record_read
from apps.approvals.models import ApprovalRequest, Decision, LineDecision, ReasonCode
from apps.core.actions import action
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
    lines = request_lines(approval)
    if lines:
        return [{"sequence": line.number, "code": line.code, "system": codes.CPT} for line in lines]
    return [{"sequence": 1, "code": approval.data.get("cpt_code", ""), "system": codes.CPT}]


RESTRICTIVE = {"approved": 0, "reduced": 1, "denied": 2}


def _line_outcomes(approval: ApprovalRequest) -> dict[int, LineDecision]:
    """Each line's outcome over the decisions that still count (a re-route voids earlier
    ones): the most restrictive wins (denied, then the smallest reduced quantity)."""
    if approval.status not in FINAL:
        return {}
    tasks = approval.engine_state.get("tasks") or []
    counting = [t.get("key") for t in tasks if isinstance(t, dict) and t.get("counts", True)]
    rows = LineDecision.objects.filter(
        decision__request=approval, decision__task__key__in=counting
    ).select_related("reason_code")
    merged: dict[int, LineDecision] = {}
    for row in rows:
        held = merged.get(row.line)
        if (
            held is None
            or RESTRICTIVE[row.outcome] > RESTRICTIVE[held.outcome]
            or (row.outcome == held.outcome and row.approved_quantity < held.approved_quantity)
        ):
            merged[row.line] = row
    return merged


def _reason_of(code: ReasonCode) -> dict[str, Any]:
    return {
        "coding": [
            {"system": codes.DENIAL_REASON_SYSTEM, "code": code.code, "display": code.label}
        ],
        "text": code.label,
    }


def _adjudication(
    approval: ApprovalRequest,
    item: dict[str, Any],
    first: bool,
    line: LineDecision | None,
    reason: dict[str, Any] | None,
) -> dict[str, Any]:
    """The item's adjudication: its own line's outcome (A1 approved, A6 modified to the
    approved quantity, A3 denied with the line's reason) when the request was decided line by
    line, else the request's one review action."""
    adjudication: dict[str, Any] = {
        "category": {"coding": [{"system": codes.ADJUDICATION, "code": "submitted"}]},
    }
    if line is None:
        action_code = review_action_for(approval, item, first)
        line_reason = reason
    else:
        action_code = codes.LINE_OUTCOME_TO_ACTION[line.outcome]
        line_reason = _reason_of(line.reason_code) if line.reason_code else None
        if line.outcome == "reduced":
            adjudication["value"] = line.approved_quantity
    adjudication["extension"] = [_review_action(action_code, approval.reference)]
    if line_reason:
        adjudication["reason"] = line_reason
    return adjudication


def review_action_for(approval: ApprovalRequest, item: dict[str, Any], first: bool) -> str:
    action = codes.STATUS_TO_ACTION.get(approval.status, "A4")
    # The primary service was changed during review (the request now holds another code).
    if action in ("A1", "A2") and first and item.get("code") != approval.data.get("cpt_code"):
        return "A6"
    return action


# Patient fields of the prior-authorization form, and where they go in the Patient resource.
PATIENT_FIELDS = ("patient_name", "member_id", "date_of_birth")
REDACTED = {
    "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
    "code": "REDACTED",
    "display": "redacted",
}


def _patient(approval: ApprovalRequest, hidden: Collection[str]) -> dict[str, Any]:
    """The Patient as the reader may see it: fields minimum necessary hides are left out and
    the resource is labelled REDACTED."""
    patient: dict[str, Any] = {"resourceType": "Patient"}
    if "patient_name" not in hidden:
        name = str(approval.data.get("patient_name") or "")
        given, _, family = name.rpartition(" ")
        patient["name"] = [
            {"text": name, "family": family or name, **({"given": given.split()} if given else {})}
        ]
    if "member_id" not in hidden:
        patient["identifier"] = [{"value": str(approval.data.get("member_id") or "")}]
    if "date_of_birth" not in hidden and approval.data.get("date_of_birth"):
        patient["birthDate"] = str(approval.data["date_of_birth"])
    if set(PATIENT_FIELDS) & set(hidden):
        patient["meta"] = {"security": [REDACTED]}
    return patient


def _denial(approval: ApprovalRequest) -> Decision | None:
    if approval.status != "denied":
        return None
    return (
        approval.decisions.filter(outcome=DecisionOutcome.REJECT)
        .select_related("reason_code")
        .order_by("-decided_at", "-pk")
        .first()
    )


def _denial_reason(denial: Decision | None) -> dict[str, Any] | None:
    """The specific reason of a denial (CMS-0057-F): the tenant's reason code and label."""
    if denial is None or denial.reason_code is None:
        return None
    return _reason_of(denial.reason_code)


def claim_response_bundle(
    approval: ApprovalRequest, *, hidden: Collection[str] = ()
) -> dict[str, Any]:
    """The ClaimResponse bundle of `approval`; `hidden` are the form fields the reader may not
    see (minimum necessary, `apps.approvals.masking.hidden_fields`)."""
    claim = ImportedClaim.objects.filter(request=approval).first()
    now = timezone.now()
    patient_url = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'patient:' + approval.reference)}"
    insurer_url = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'insurer:' + approval.reference)}"
    response_url = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'response:' + approval.reference)}"
    patient = _patient(approval, hidden)
    denial = _denial(approval)
    reason = _denial_reason(denial)
    payer = (claim.insurer_name if claim else "") or str(approval.data.get("payer") or "")
    outcomes = _line_outcomes(approval)
    items = [
        {
            "itemSequence": int(item["sequence"]),
            "adjudication": [
                _adjudication(
                    approval, item, position == 0, outcomes.get(int(item["sequence"])), reason
                )
            ],
        }
        for position, item in enumerate(_items(approval, claim))
    ]
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
        "disposition": (
            f"{approval.get_status_display()}: {reason['text']}"
            if reason
            else approval.get_status_display()
        ),
        "preAuthRef": approval.reference,
        "item": items,
    }
    if denial is not None and denial.comment and not hidden:
        response["processNote"] = [{"number": 1, "type": "display", "text": denial.comment}]
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


def claim_response_read(*, user: User, approval: ApprovalRequest) -> dict[str, Any]:
    """The ClaimResponse bundle as `user` may see it: minimum necessary, as on every other read
    path; a read that shows the patient is recorded as a PHI access."""
    hidden = hidden_fields(user=user, approval=approval)
    bundle = claim_response_bundle(approval, hidden=hidden)
    with action(actor=user):
        record_read(actor=user, approval=approval, action="fhir.claim_response.view", hidden=hidden)
    return bundle
