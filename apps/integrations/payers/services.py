"""Writes of prior-authorization submission: payer configuration, delivery of the PAS Claim to
the payer, the follow-up of pended ones and the payer's answer deciding the payer step.

A submission row is written in the state change that reaches the payer step and sent by a
Celery task after commit (`handlers.py`, `tasks.py`). Delivery locks the row for the call, so
two runs never send at once; the payer dedupes by the `Idempotency-Key`, so a send interrupted
by a crash is safe to repeat. The answer is stored first (status `answered`) and applied to the
request in a second transaction, as the payer (a system actor, channel "payer"): lock order is
always the request, then the submission, as everywhere else.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from apps.accounts.models import User
from apps.approvals.models import ApprovalRequest, TimelineEntry
from apps.approvals.services import request_apply_system_event, request_lock
from apps.core.actions import PAYER, Channel, action
from apps.core.errors import CountersignError
from apps.integrations.fhir.pas_answer import PayerAnswer, read_answer
from apps.integrations.fhir.pas_submit import claim_bundle, claim_items
from apps.integrations.http import PermanentError, RetryableError
from apps.integrations.payers.choices import OPEN_STATUSES, PayerOutcome, SubmissionStatus
from apps.integrations.payers.client import PasClient
from apps.integrations.payers.exceptions import (
    AnswerInvalid,
    ClaimInvalid,
    NotAllowed,
    PayerErrorCode,
    PayerInvalid,
)
from apps.integrations.payers.models import Payer, PayerSubmission
from apps.notifications.services import notify
from apps.workflows import engine
from apps.workflows.selectors import spec_of

logger = logging.getLogger(__name__)

BACKOFF_BASE_SECONDS = 5.0
BACKOFF_CAP_SECONDS = 600.0
STALE_AFTER = timedelta(minutes=2)
NO_REASON_CODE = "payer-no-reason"
NO_REASON_TEXT = "The payer gave no reason for the denial."


def _timeline(approval: ApprovalRequest, kind: str, summary: str) -> None:
    TimelineEntry.objects.create(request=approval, actor=None, kind=kind, summary=summary[:300])


def _require_admin(actor: User) -> None:
    if not actor.is_tenant_admin:
        raise NotAllowed("Only tenant administrators can change payers.")


# --- configuration ------------------------------------------------------------------------------


def payer_save(
    *,
    actor: User,
    name: str,
    base_url: str,
    credential: str = "",
    auth_header: str = "Authorization",
    timeout_seconds: int = 15,
    max_attempts: int = 6,
    inquiry_interval_minutes: int = 60,
    payer: Payer | None = None,
) -> Payer:
    """Add a payer, or change `payer`. A blank `credential` keeps the stored one; it is
    stored encrypted and never shown again."""
    _require_admin(actor)
    name = name.strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["Name the payer as the request form names it."]
    if not base_url.startswith(("https://", "http://")):
        errors["base_url"] = ["Give the payer's PAS FHIR base URL (https://…)."]
    if not 1 <= timeout_seconds <= 120:
        errors["timeout_seconds"] = ["Between 1 and 120 seconds."]
    if not 1 <= max_attempts <= 20:
        errors["max_attempts"] = ["Between 1 and 20 attempts."]
    if not 5 <= inquiry_interval_minutes <= 7 * 24 * 60:
        errors["inquiry_interval_minutes"] = ["Between 5 minutes and 7 days."]
    header = auth_header.strip() or "Authorization"
    if any(c in header for c in "\r\n:") or len(header) > 100:
        errors["auth_header"] = ["A header name, such as Authorization."]
    if any(c in credential for c in "\r\n"):
        errors["credential"] = ["The credential cannot contain line breaks."]
    if errors:
        raise PayerInvalid("Some payer settings need attention.", fields=errors)
    clash = Payer.objects.filter(name__iexact=name)
    if payer is not None:
        clash = clash.exclude(pk=payer.pk)
    if clash.exists():
        raise PayerInvalid(
            f"A payer named “{name}” already exists.",
            code=PayerErrorCode.PAYER_NAME_TAKEN,
            field="name",
        )
    with action(actor=actor):
        row = Payer.objects.select_for_update().get(pk=payer.pk) if payer else Payer()
        row.name = name
        row.base_url = base_url.strip()
        row.auth_header = header
        if credential:
            row.credential = credential
        row.timeout_seconds = timeout_seconds
        row.max_attempts = max_attempts
        row.inquiry_interval_minutes = inquiry_interval_minutes
        row.save()
    return row


def payer_set_active(*, actor: User, payer: Payer, is_active: bool) -> Payer:
    _require_admin(actor)
    with action(actor=actor):
        payer = Payer.objects.select_for_update().get(pk=payer.pk)
        payer.is_active = is_active
        payer.save(update_fields=["is_active", "updated_at"])
    return payer


# --- submissions: scheduling (inside a state change) ----------------------------------------------


def idempotency_key_for(approval: ApprovalRequest, task_key: str) -> str:
    """Stable per request and payer task, and unique across tenants sharing one payer."""
    schema = connection.schema_name  # type: ignore[attr-defined]  # django-tenants' connection
    return f"countersign:{schema}:{approval.reference}:{task_key}"


def submission_schedule(
    *, approval: ApprovalRequest, task_key: str, step_key: str, payer_name: str | None
) -> PayerSubmission:
    """Inside the state change that reached a payer step: write the submission, send after
    commit. The payer is resolved when sending, so a payer added afterwards still works."""
    submission, created = PayerSubmission.objects.get_or_create(
        request=approval,
        task_key=task_key,
        defaults={
            "step_key": step_key,
            "payer_name": (payer_name or "")[:120],
            "idempotency_key": idempotency_key_for(approval, task_key),
            "claim_identifier": f"{approval.reference}-{task_key}",
        },
    )
    if created:
        _timeline(approval, "payer_submission", "Prior authorization queued for the payer.")
        transaction.on_commit(lambda: enqueue_delivery(submission.pk))
    return submission


def submissions_cancel(*, approval: ApprovalRequest, task_keys: set[str]) -> int:
    """The payer's task was skipped (withdrawn, cancelled, re-routed): stop sending and asking."""
    return PayerSubmission.objects.filter(
        request=approval, task_key__in=task_keys, status__in=OPEN_STATUSES
    ).update(status=SubmissionStatus.CANCELLED, next_attempt_at=None)


def enqueue_delivery(submission_id: int, *, countdown: float | None = None) -> None:
    """Send the delivery task; if the broker is down the row waits for the sweep."""
    from apps.integrations.payers.tasks import deliver_submission

    try:
        deliver_submission.apply_async((submission_id,), countdown=countdown)
    except Exception:  # broker down: nothing is lost, `submissions_resume` sends it later
        logger.warning("Payer submission %s not queued; the sweep will retry", submission_id)


def backoff_seconds(attempts: int) -> float:
    delay: float = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, attempts - 1))
    return delay * random.uniform(0.8, 1.2)  # noqa: S311 (jitter, not security)


# --- submissions: delivery and follow-up (a Celery task) ------------------------------------------


@dataclass(frozen=True)
class Delivery:
    status: str
    retry_in: float | None = None
    sent: bool = False


def _resolve_payer(submission: PayerSubmission) -> Payer | None:
    if submission.payer is not None and submission.payer.is_active:
        return submission.payer
    if not submission.payer_name:
        return None
    return Payer.objects.filter(name__iexact=submission.payer_name, is_active=True).first()


def _provider_name() -> str:
    tenant = getattr(connection, "tenant", None)
    return str(getattr(tenant, "name", "") or "Provider")


def _give_up(submission: PayerSubmission, message: str) -> None:
    submission.status = SubmissionStatus.FAILED
    submission.last_error = message[:300]
    submission.next_attempt_at = None


def submission_deliver(*, submission_id: int, now: datetime | None = None) -> Delivery:
    """Send the claim to the payer (`$submit`), or ask about a pended one (`$inquire`), and
    store the answer. Safe to run twice, concurrently or after a crash."""
    now = now or timezone.now()
    with action(actor=None):
        submission = (
            PayerSubmission.objects.select_for_update(of=("self",))
            .select_related("payer", "request__workflow_version")
            .filter(pk=submission_id)
            .first()
        )
        if submission is None:
            return Delivery("missing")
        if submission.status not in (
            SubmissionStatus.QUEUED,
            SubmissionStatus.RETRYING,
            SubmissionStatus.PENDED,
        ):
            return Delivery(submission.status)  # answered, decided, failed, cancelled
        if (
            submission.status == SubmissionStatus.PENDED
            and submission.next_attempt_at is not None
            and submission.next_attempt_at > now
        ):
            return Delivery(submission.status)  # the next inquiry is not due yet
        approval = submission.request
        previous = submission.status
        inquiry = bool(submission.tracking_number) or previous == SubmissionStatus.PENDED
        retry_in: float | None = None
        payer = _resolve_payer(submission)
        submission.last_attempt_at = now
        if payer is None:
            _give_up(
                submission,
                f"No active payer named “{submission.payer_name or '(blank)'}” is set up: add "
                "it under Administration > Payers, then send again.",
            )
        else:
            submission.payer = payer
            if inquiry:
                submission.inquiries += 1
            else:
                submission.attempts += 1
            try:
                bundle = claim_bundle(
                    approval,
                    spec_of(approval.workflow_version),
                    payer_name=payer.name,
                    claim_identifier=submission.claim_identifier,
                    provider_name=_provider_name(),
                )
                client = PasClient(payer)
                key = submission.idempotency_key
                body = (
                    client.inquire(bundle, idempotency_key=f"{key}:inquiry:{submission.inquiries}")
                    if inquiry
                    else client.submit(bundle, idempotency_key=key)
                )
                answer = read_answer(body)
            except RetryableError as error:
                submission.last_error = error.message
                if inquiry:  # a pended request keeps waiting; ask again at the next interval
                    submission.next_attempt_at = now + timedelta(
                        minutes=payer.inquiry_interval_minutes
                    )
                elif submission.attempts >= payer.max_attempts:
                    attempts = submission.attempts
                    _give_up(submission, f"{error.message} Gave up after {attempts} attempts.")
                else:
                    submission.status = SubmissionStatus.RETRYING
                    retry_in = backoff_seconds(submission.attempts)
                    submission.next_attempt_at = now + timedelta(seconds=retry_in)
            except (PermanentError, ClaimInvalid, AnswerInvalid) as error:
                _give_up(submission, error.message)
            else:
                _store_answer(submission, answer, now)
        submission.save()
        # An answer is told when it is applied (the next step); other changes are told here.
        if submission.status not in (previous, SubmissionStatus.ANSWERED):
            _timeline(approval, "payer_submission", submission_summary(submission))
    logger.info(
        "Payer submission %s (%s) attempt %s: %s",
        submission.pk,
        "inquiry" if inquiry else "submit",
        submission.inquiries if inquiry else submission.attempts,
        submission.status,
    )
    return Delivery(submission.status, retry_in=retry_in, sent=payer is not None)


def _item_rows(submission: PayerSubmission, answer: PayerAnswer) -> list[dict[str, object]]:
    approval = submission.request
    sent = {
        item.sequence: item for item in claim_items(approval, spec_of(approval.workflow_version))
    }
    rows: list[dict[str, object]] = []
    for item in answer.items:
        row: dict[str, object] = item.to_json()
        if item.sequence in sent:
            row["code"] = sent[item.sequence].code
            row["field"] = sent[item.sequence].field
        rows.append(row)
    return rows


def _store_answer(submission: PayerSubmission, answer: PayerAnswer, now: datetime) -> None:
    submission.status = SubmissionStatus.ANSWERED
    submission.outcome = answer.outcome
    submission.tracking_number = answer.tracking_number or submission.tracking_number
    submission.reason_code = answer.reason_code
    submission.reason_text = answer.reason_text
    submission.items = _item_rows(submission, answer)
    submission.answered_at = now
    submission.last_error = ""
    submission.next_attempt_at = None


# --- the payer's answer decides the step ----------------------------------------------------------


def submission_answer_apply(*, submission_id: int, now: datetime | None = None) -> PayerSubmission:
    """Apply a stored answer to its request (the second half of delivery; safe to run twice)."""
    now = now or timezone.now()
    submission = PayerSubmission.objects.select_related("request").get(pk=submission_id)
    with action(actor=PAYER, channel=Channel.PAYER):
        approval = request_lock(submission.request)
        submission = (
            PayerSubmission.objects.select_for_update(of=("self",))
            .select_related("payer")
            .get(pk=submission_id)
        )
        if submission.status != SubmissionStatus.ANSWERED:
            return submission
        _apply(approval, submission, now)
    return submission


def payer_answer_receive(
    *,
    approval: ApprovalRequest,
    answer: PayerAnswer,
    payer_name: str,
    now: datetime | None = None,
) -> PayerSubmission | None:
    """A payer's answer that came by another route (a signed `prior_auth.decision` callback):
    decided exactly as an answer to `$submit` or `$inquire`. None when no payer step of the
    request is waiting (the caller keeps its timeline note)."""
    now = now or timezone.now()
    with action(actor=PAYER, channel=Channel.PAYER):
        approval = request_lock(approval)
        submission = (
            PayerSubmission.objects.select_for_update(of=("self",))
            .filter(request=approval, status__in=OPEN_STATUSES)
            .order_by("-created_at", "-pk")
            .first()
        )
        if submission is None:
            task_key = _waiting_payer_task(approval)
            if task_key is None:
                return None
            submission = PayerSubmission.objects.create(
                request=approval,
                task_key=task_key,
                step_key=_task_step(approval, task_key),
                payer_name=payer_name[:120],
                payer=Payer.objects.filter(name__iexact=payer_name).first(),
                idempotency_key=idempotency_key_for(approval, task_key),
                claim_identifier=f"{approval.reference}-{task_key}",
            )
        submission.status = SubmissionStatus.ANSWERED
        submission.outcome = answer.outcome
        submission.tracking_number = answer.tracking_number or submission.tracking_number
        submission.reason_code = answer.reason_code
        submission.reason_text = answer.reason_text
        submission.items = [item.to_json() for item in answer.items] or submission.items
        submission.answered_at = now
        _apply(approval, submission, now)
    return submission


def _waiting_payer_task(approval: ApprovalRequest) -> str | None:
    for task in (approval.engine_state or {}).get("tasks", []):
        if task.get("external") == "payer" and task.get("status") == "pending":
            return str(task["key"])
    return None


def _task_step(approval: ApprovalRequest, task_key: str) -> str:
    for task in (approval.engine_state or {}).get("tasks", []):
        if task.get("key") == task_key:
            return str(task.get("step_key") or "")
    return ""


def _items_sentence(items: list[dict[str, object]]) -> str:
    """Which items the payer approved and which it did not, by sequence (never the codes)."""
    groups: dict[str, list[str]] = {}
    for item in items:
        groups.setdefault(str(item.get("outcome")), []).append(str(item.get("sequence")))
    words = {"partial": "approved in part"}
    parts = [
        f"{words.get(outcome, outcome)}: item {', '.join(seqs)}" for outcome, seqs in groups.items()
    ]
    return "; ".join(parts)


def _apply(approval: ApprovalRequest, submission: PayerSubmission, now: datetime) -> None:
    """Inside the payer's action, with the request and the submission locked."""
    outcome = submission.outcome
    if outcome == PayerOutcome.PENDED:
        submission.status = SubmissionStatus.PENDED
        minutes = submission.payer.inquiry_interval_minutes if submission.payer else 60
        submission.next_attempt_at = now + timedelta(minutes=minutes)
        submission.save()
        if submission.inquiries == 0:  # the first pend; later inquiries that pend say nothing
            tracking = (
                f" (tracking number {submission.tracking_number})"
                if submission.tracking_number
                else ""
            )
            _timeline(
                approval,
                "payer_pended",
                f"The payer pended the request{tracking}; Countersign asks again every "
                f"{minutes} minutes.",
            )
            notify(kind="payer_pended", recipients=[approval.requester], approval=approval)
        return
    if outcome == PayerOutcome.CANCELLED:
        _give_up(submission, "The payer cancelled its review; send the request again.")
        submission.save()
        _timeline(approval, "payer_submission", submission_summary(submission))
        return
    decision = "reject" if outcome == PayerOutcome.DENIED else "approve"
    event = engine.PayerDecide(
        task_key=submission.task_key,
        decision=decision,
        reason_code=(submission.reason_code or NO_REASON_CODE) if decision == "reject" else None,
        comment=(submission.reason_text or NO_REASON_TEXT) if decision == "reject" else "",
        partial=outcome == PayerOutcome.PARTIAL,
    )
    try:
        request_apply_system_event(
            approval=approval, event=event, now=now, actor=PAYER, channel=Channel.PAYER
        )
    except CountersignError as error:
        submission.last_error = f"The answer changed nothing: {error.message}"[:300]
        logger.info("Payer answer for submission %s not applied: %s", submission.pk, error.code)
    submission.status = SubmissionStatus.DECIDED
    submission.decided_at = now
    submission.next_attempt_at = None
    submission.save()
    if outcome == PayerOutcome.PARTIAL and submission.items:
        _timeline(
            approval, "payer_items", f"Payer, item by item: {_items_sentence(submission.items)}."
        )


def submission_summary(submission: PayerSubmission) -> str:
    """One line for the timeline and the panel; never the payer's own words."""
    status = submission.status
    if status == SubmissionStatus.QUEUED:
        return "Prior authorization: waiting to be sent to the payer."
    if status == SubmissionStatus.RETRYING:
        return "Prior authorization: the payer is unavailable, will retry."
    if status == SubmissionStatus.FAILED:
        return f"Prior authorization could not be sent to the payer: {submission.last_error}"
    if status == SubmissionStatus.CANCELLED:
        return "Prior authorization submission stopped (the payer step ended)."
    if status == SubmissionStatus.PENDED:
        return "Prior authorization pended by the payer; following up."
    words = dict(PayerOutcome.choices).get(submission.outcome, submission.outcome).lower()
    if status == SubmissionStatus.ANSWERED:
        return f"The payer answered: {words}."
    return f"Prior authorization {words} by the payer."


# --- admin actions and the sweep ------------------------------------------------------------------


def submission_retry(*, actor: User, submission: PayerSubmission) -> PayerSubmission:
    """An administrator sends a failed submission again (same idempotency key)."""
    if not actor.is_tenant_admin:
        raise NotAllowed("Only tenant administrators can send submissions again.")
    with action(actor=actor):
        submission = PayerSubmission.objects.select_for_update().get(pk=submission.pk)
        if submission.status != SubmissionStatus.FAILED:
            raise PayerInvalid(
                "Only a submission that could not be sent can be sent again.",
                code=PayerErrorCode.SUBMISSION_NOT_RETRYABLE,
            )
        submission.status = (
            SubmissionStatus.PENDED if submission.tracking_number else SubmissionStatus.QUEUED
        )
        submission.attempts = 0
        submission.next_attempt_at = None
        submission.save(update_fields=["status", "attempts", "next_attempt_at"])
        sentence = f"{actor.full_name} sent the prior authorization to the payer again."
        _timeline(submission.request, "payer_submission", sentence)
        transaction.on_commit(lambda: enqueue_delivery(submission.pk))
    return submission


def submissions_resume(
    *, now: datetime | None = None, stale_after: timedelta = STALE_AFTER
) -> list[int]:
    """Beat, per tenant: send what the after-commit path lost (broker down, worker killed),
    retries that are due, answers stored but not applied, and the inquiries of pended ones.
    Returns the ids sent."""
    now = now or timezone.now()
    due = (
        Q(status=SubmissionStatus.QUEUED, created_at__lte=now - stale_after)
        | Q(status__in=(SubmissionStatus.RETRYING, SubmissionStatus.PENDED))
        & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        | Q(status=SubmissionStatus.ANSWERED, answered_at__lte=now - stale_after)
    )
    ids = list(
        PayerSubmission.objects.filter(due).order_by("pk").values_list("pk", flat=True)[:500]
    )
    for submission_id in ids:
        enqueue_delivery(submission_id)
    return ids


__all__ = [
    "payer_answer_receive",
    "payer_save",
    "payer_set_active",
    "submission_answer_apply",
    "submission_deliver",
    "submission_retry",
    "submission_schedule",
    "submissions_cancel",
    "submissions_resume",
]
