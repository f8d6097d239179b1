"""Reading a payer's PAS ClaimResponse (the answer to `$submit` or `$inquire`).

Each item carries an X12 306 review action in the PAS reviewAction extension: A1 certified,
A2 partial, A3 not certified, A4 pended, A6 modified, C cancelled. The items together give the
answer for the step: all certified -> approved; none certified -> denied (with the payer's
reason); any pended -> pended (with the payer's tracking number, followed up by `$inquire`);
a mix, A2 or A6 -> partially approved, recorded item by item. Without review actions,
`ClaimResponse.outcome` decides (`queued` is pended). Messages never quote the payer's text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fhir.resources.R4B.claimresponse import ClaimResponse
from pydantic import ValidationError

from apps.integrations.fhir import codes
from apps.integrations.payers.choices import PayerOutcome
from apps.integrations.payers.exceptions import AnswerInvalid

ITEM_OUTCOMES = {
    "A1": PayerOutcome.APPROVED,
    "A2": PayerOutcome.PARTIAL,
    "A3": PayerOutcome.DENIED,
    "A4": PayerOutcome.PENDED,
    "A6": PayerOutcome.PARTIAL,
    "C": PayerOutcome.CANCELLED,
}


@dataclass(frozen=True)
class ItemAnswer:
    sequence: int
    outcome: str
    action: str
    reason_code: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "sequence": self.sequence,
            "outcome": self.outcome,
            "action": self.action,
            "reason_code": self.reason_code,
        }


@dataclass(frozen=True)
class PayerAnswer:
    """What the payer said, reduced to what the step needs."""

    outcome: str  # a PayerOutcome
    tracking_number: str = ""
    reason_code: str = ""
    reason_text: str = ""
    items: tuple[ItemAnswer, ...] = field(default_factory=tuple)


def _coding(concept: dict[str, Any] | None) -> dict[str, Any]:
    for coding in (concept or {}).get("coding") or []:
        if isinstance(coding, dict):
            return coding
    return {}


def _review_action(adjudication: dict[str, Any]) -> str:
    for extension in adjudication.get("extension") or []:
        if extension.get("url") != codes.REVIEW_ACTION_URL:
            continue
        for part in extension.get("extension") or []:
            if part.get("url") == "code":
                return str(_coding(part.get("valueCodeableConcept")).get("code") or "")
    return ""


def _claim_response(body: dict[str, Any]) -> dict[str, Any]:
    if body.get("resourceType") == "ClaimResponse":
        return body
    if body.get("resourceType") == "Bundle":
        for entry in body.get("entry") or []:
            resource = (entry or {}).get("resource") or {}
            if resource.get("resourceType") == "ClaimResponse":
                return dict(resource)
    raise AnswerInvalid("The payer's answer holds no ClaimResponse.")


def overall(items: tuple[ItemAnswer, ...], fallback: str) -> str:
    outcomes = {item.outcome for item in items}
    if not outcomes:
        return fallback
    if PayerOutcome.PENDED in outcomes:
        return PayerOutcome.PENDED
    if outcomes == {PayerOutcome.APPROVED}:
        return PayerOutcome.APPROVED
    if outcomes <= {PayerOutcome.DENIED}:
        return PayerOutcome.DENIED
    if outcomes <= {PayerOutcome.CANCELLED}:
        return PayerOutcome.CANCELLED
    if outcomes & {PayerOutcome.APPROVED, PayerOutcome.PARTIAL}:
        return PayerOutcome.PARTIAL
    return PayerOutcome.DENIED


def read_answer(body: object) -> PayerAnswer:
    """The payer's answer in `body` (a ClaimResponse or a Bundle holding one)."""
    if not isinstance(body, dict):
        raise AnswerInvalid("The payer's answer is not a FHIR resource.")
    raw = _claim_response(body)
    try:
        ClaimResponse.model_validate(raw)
    except ValidationError:
        raise AnswerInvalid("The payer's ClaimResponse is not valid FHIR R4.") from None
    if raw.get("use") not in (None, "preauthorization"):
        raise AnswerInvalid("The payer's ClaimResponse is not a preauthorization answer.")
    items: list[ItemAnswer] = []
    reason_code, reason_text = "", ""
    for position, item in enumerate(raw.get("item") or [], start=1):
        action, item_reason = "", ""
        for adjudication in item.get("adjudication") or []:
            action = action or _review_action(adjudication)
            reason = adjudication.get("reason")
            if reason:
                coding = _coding(reason)
                item_reason = item_reason or str(coding.get("code") or "")
                reason_code = reason_code or item_reason
                reason_text = reason_text or str(reason.get("text") or coding.get("display") or "")
        if action and action not in ITEM_OUTCOMES:
            raise AnswerInvalid("The payer answered with an unknown X12 306 review action.")
        if action:
            sequence = item.get("itemSequence")
            items.append(
                ItemAnswer(
                    sequence if isinstance(sequence, int) else position,
                    ITEM_OUTCOMES[action],
                    action,
                    item_reason,
                )
            )
    fallback = {
        "queued": PayerOutcome.PENDED,
        "complete": PayerOutcome.APPROVED,
        "partial": PayerOutcome.PARTIAL,
        "error": PayerOutcome.DENIED,
    }.get(str(raw.get("outcome") or ""), PayerOutcome.PENDED)
    outcome = overall(tuple(items), fallback)
    notes = [n.get("text") for n in raw.get("processNote") or [] if n.get("text")]
    if not reason_text and outcome in (PayerOutcome.DENIED, PayerOutcome.PARTIAL):
        reason_text = str(notes[0] if notes else raw.get("disposition") or "")
    tracking = str(raw.get("preAuthRef") or "")
    if not tracking:
        identifiers = raw.get("identifier") or []
        tracking = str(identifiers[0].get("value") or "") if identifiers else ""
    return PayerAnswer(
        outcome=outcome,
        tracking_number=tracking[:120],
        reason_code=reason_code[:60],
        reason_text=reason_text[:1000],
        items=tuple(items),
    )
