"""Writes of ERP sync and inbound callbacks.

Postings are created inside a request's state change (see handlers.py) and delivered by a Celery
task after commit. Delivery locks the posting row for the whole call, so two runs of the task
never send at once, and a posting that already succeeded (or gave up) is never sent again. The
ERP dedupes by the posting's idempotency key, so a send interrupted by a crash is safe to repeat.
"""

from __future__ import annotations

import json
import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from apps.accounts.models import User
from apps.approvals.exceptions import NotAllowed
from apps.approvals.models import ApprovalRequest, TimelineEntry
from apps.core.actions import action
from apps.integrations.erp import signing
from apps.integrations.erp.base import (
    BudgetResult,
    ConnectorError,
    NotFoundInErp,
    PermanentError,
    RetryableError,
)
from apps.integrations.erp.choices import (
    CallbackSourceKind,
    PostingKind,
    PostingStatus,
    Reconciliation,
)
from apps.integrations.erp.connectors import connector_for
from apps.integrations.erp.exceptions import (
    IntegrationError,
    MalformedCallback,
    UnknownReference,
    UnknownSource,
)
from apps.integrations.erp.mapping import build_payload, mapping_problems
from apps.integrations.erp.models import (
    DEFAULT_MAPPING,
    CallbackSource,
    ErpConnection,
    ErpPosting,
    InboundCallback,
)
from apps.integrations.fhir.pas_answer import PayerAnswer
from apps.integrations.payers.services import payer_answer_receive
from apps.workflows.selectors import spec_of

logger = logging.getLogger(__name__)

BACKOFF_BASE_SECONDS = 5.0
BACKOFF_CAP_SECONDS = 600.0


def _timeline(
    approval: ApprovalRequest, kind: str, summary: str, actor: User | None = None
) -> None:
    TimelineEntry.objects.create(request=approval, actor=actor, kind=kind, summary=summary[:300])


def _require_admin(actor: User | None) -> None:
    if actor is not None and not actor.is_tenant_admin:
        raise NotAllowed("Only tenant administrators can change ERP settings.")


# --- configuration ------------------------------------------------------------------------------


def erp_connection_save(
    *,
    actor: User | None,
    name: str,
    base_url: str,
    auth_token: str = "",
    auth_header: str = "Authorization",
    field_mapping: dict[str, dict[str, str]] | None = None,
    timeout_seconds: int = 10,
    max_attempts: int = 6,
) -> ErpConnection:
    """Create or replace the tenant's active connection (the token is stored encrypted)."""
    _require_admin(actor)
    mapping = field_mapping or {}
    problems = [p for kind in mapping for p in mapping_problems(mapping[kind])]
    unknown = set(mapping) - set(DEFAULT_MAPPING)
    if unknown or problems:
        raise IntegrationError(
            "The field mapping is not usable: "
            + " ".join([*problems, *(f"unknown kind {k!r}." for k in sorted(unknown))])
        )
    with action(actor=actor):
        connection_ = ErpConnection.objects.filter(is_active=True).first() or ErpConnection()
        connection_.name = name
        connection_.base_url = base_url
        connection_.auth_header = auth_header
        connection_.auth_token = auth_token
        connection_.field_mapping = mapping
        connection_.timeout_seconds = timeout_seconds
        connection_.max_attempts = max_attempts
        connection_.is_active = True
        connection_.save()
    return connection_


def callback_source_save(
    *, actor: User | None, slug: str, name: str, kind: str, secret: str
) -> CallbackSource:
    _require_admin(actor)
    if kind not in CallbackSourceKind.values:
        raise IntegrationError(f"Unknown callback source kind {kind!r}.")
    if len(secret) < 16:
        raise IntegrationError("A callback secret needs at least 16 characters.")
    source = CallbackSource.objects.filter(slug=slug).first() or CallbackSource(slug=slug)
    source.name = name
    source.kind = kind
    source.secret = secret
    source.is_active = True
    source.save()
    return source


def active_connection() -> ErpConnection | None:
    return ErpConnection.objects.filter(is_active=True).order_by("pk").first()


# --- postings -------------------------------------------------------------------------------------


def idempotency_key_for(approval: ApprovalRequest, kind: str) -> str:
    """Stable per request and kind, and unique across tenants sharing one ERP."""
    return f"countersign:{connection.schema_name}:{approval.reference}:{kind}"  # type: ignore[attr-defined]  # django-tenants' connection


def posting_schedule(
    *, approval: ApprovalRequest, kind: str, erp: ErpConnection
) -> ErpPosting | None:
    """Inside a state change's transaction: write the posting row, send after commit. A posting
    that already exists for the request and kind is left alone (the key is stable)."""
    posting, created = ErpPosting.objects.get_or_create(
        request=approval,
        kind=kind,
        defaults={"connection": erp, "idempotency_key": idempotency_key_for(approval, kind)},
    )
    if not created:
        return None
    words = "Budget check" if kind == PostingKind.BUDGET_CHECK else "Purchase requisition"
    _timeline(approval, f"erp_{kind}", f"{words}: queued for the ERP.")
    transaction.on_commit(lambda: enqueue_delivery(posting.pk))
    return posting


def enqueue_delivery(posting_id: int, *, countdown: float | None = None) -> None:
    """Send the delivery task; if the broker is down the row stays pending for the sweep."""
    from apps.integrations.erp.tasks import deliver_posting

    try:
        deliver_posting.apply_async((posting_id,), countdown=countdown)
    except Exception:  # broker down: nothing is lost, `resume_postings` sends it later
        logger.warning("ERP posting %s could not be queued; the sweep will retry", posting_id)


def backoff_seconds(attempts: int) -> float:
    delay: float = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, attempts - 1))
    return delay * random.uniform(0.8, 1.2)  # noqa: S311 (jitter, not security)


@dataclass(frozen=True)
class Delivery:
    status: str
    retry_in: float | None = None
    sent: bool = False


def posting_deliver(*, posting_id: int, now: datetime | None = None) -> Delivery:
    """Send one posting to the ERP, once. Safe to run twice, concurrently or after a crash."""
    now = now or timezone.now()
    with action(actor=None):
        posting = (
            ErpPosting.objects.select_for_update(of=("self",))
            .select_related("connection", "request__workflow_version")
            .filter(pk=posting_id)
            .first()
        )
        if posting is None:
            return Delivery("missing")
        if posting.status in (PostingStatus.SUCCEEDED, PostingStatus.FAILED):
            return Delivery(posting.status)  # already done: never re-sent
        approval = posting.request
        previous = posting.status
        posting.attempts += 1
        posting.last_attempt_at = now
        retry_in: float | None = None
        try:
            connector = connector_for(posting.connection)
            spec = spec_of(approval.workflow_version)
            mapping = posting.connection.mapping_for(posting.kind)
            payload = build_payload(approval, spec, mapping)
            if posting.kind == PostingKind.BUDGET_CHECK:
                budget = connector.check_budget(
                    payload=payload, idempotency_key=posting.idempotency_key
                )
                posting.response = budget.to_json()
            else:
                requisition = connector.post_requisition(
                    payload=payload, idempotency_key=posting.idempotency_key
                )
                posting.response = requisition.to_json()
                posting.external_id = requisition.external_id
                posting.external_status = requisition.status
        except RetryableError as error:
            posting.last_error = error.message
            if posting.attempts >= posting.connection.max_attempts:
                posting.status = PostingStatus.FAILED
                posting.next_attempt_at = None
            else:
                posting.status = PostingStatus.RETRYING
                retry_in = backoff_seconds(posting.attempts)
                posting.next_attempt_at = now + timedelta(seconds=retry_in)
        except PermanentError as error:
            posting.last_error = error.message
            posting.status = PostingStatus.FAILED
            posting.next_attempt_at = None
        else:
            posting.status = PostingStatus.SUCCEEDED
            posting.succeeded_at = now
            posting.next_attempt_at = None
            posting.last_error = ""
        posting.save()
        if posting.status != previous:
            _timeline(approval, f"erp_{posting.kind}", posting_summary(posting))
    logger.info(
        "ERP posting %s (%s) attempt %s: %s",
        posting.pk,
        posting.kind,
        posting.attempts,
        posting.status,
    )
    return Delivery(posting.status, retry_in=retry_in, sent=True)


def posting_summary(posting: ErpPosting) -> str:
    """One line for the timeline and the panel; never the ERP's own words."""
    if posting.kind == PostingKind.BUDGET_CHECK:
        if posting.status == PostingStatus.SUCCEEDED:
            budget = budget_result(posting)
            if budget and budget.available:
                left = (
                    f" ({budget.remaining} {budget.currency or ''} left)"
                    if budget.remaining
                    else ""
                )
                return f"Budget check: funds available{left.rstrip()}."
            return "Budget check: insufficient funds in the cost centre."
        if posting.status == PostingStatus.FAILED:
            return "Budget check failed: the ERP could not confirm funds. Check it manually."
        if posting.status == PostingStatus.RETRYING:
            return "Budget check unavailable, will retry."
        return "Budget check: waiting for the ERP."
    if posting.status == PostingStatus.SUCCEEDED:
        return f"Purchase requisition {posting.external_id} posted to the ERP."
    if posting.status == PostingStatus.FAILED:
        return "Purchase requisition could not be posted to the ERP (gave up)."
    if posting.status == PostingStatus.RETRYING:
        return "Purchase requisition: the ERP is unavailable, will retry."
    return "Purchase requisition: waiting to be posted."


def budget_result(posting: ErpPosting) -> BudgetResult | None:
    data = posting.response or {}
    if posting.status != PostingStatus.SUCCEEDED or not isinstance(data.get("available"), bool):
        return None
    return BudgetResult(
        available=data["available"],
        remaining=data.get("remaining"),
        currency=data.get("currency"),
    )


def posting_retry(*, actor: User, posting: ErpPosting) -> ErpPosting:
    """An administrator sends a failed posting again (same idempotency key)."""
    if not actor.is_tenant_admin:
        raise NotAllowed("Only tenant administrators can retry ERP postings.")
    with action(actor=actor):
        posting = ErpPosting.objects.select_for_update().get(pk=posting.pk)
        if posting.status == PostingStatus.SUCCEEDED:
            return posting
        posting.status = PostingStatus.PENDING
        posting.next_attempt_at = None
        posting.attempts = min(posting.attempts, max(0, posting.connection.max_attempts - 1))
        posting.save(update_fields=["status", "next_attempt_at", "attempts"])
        _timeline(posting.request, f"erp_{posting.kind}", "ERP posting sent again.", actor)
        transaction.on_commit(lambda: enqueue_delivery(posting.pk))
    return posting


def posting_reconcile(
    *, actor: User, posting: ErpPosting, now: datetime | None = None
) -> ErpPosting:
    """Ask the ERP for the requisition by idempotency key and record what it says."""
    if not actor.is_tenant_admin:
        raise NotAllowed("Only tenant administrators can reconcile ERP postings.")
    now = now or timezone.now()
    with action(actor=actor):
        posting = (
            ErpPosting.objects.select_for_update(of=("self",))
            .select_related("connection", "request")
            .get(pk=posting.pk)
        )
        if posting.kind != PostingKind.REQUISITION:
            raise IntegrationError("Only requisitions are reconciled.")
        try:
            found = connector_for(posting.connection).find_requisition(
                idempotency_key=posting.idempotency_key
            )
        except NotFoundInErp:
            posting.reconciliation = Reconciliation.MISSING
            posting.reconciliation_note = "The ERP has no requisition with this key."
        except RetryableError as error:
            posting.reconciliation = Reconciliation.UNAVAILABLE
            posting.reconciliation_note = error.message
        except ConnectorError as error:
            posting.reconciliation = Reconciliation.UNAVAILABLE
            posting.reconciliation_note = error.message
        else:
            if posting.status == PostingStatus.SUCCEEDED:
                if found.external_id == posting.external_id:
                    posting.reconciliation = Reconciliation.MATCHED
                    posting.reconciliation_note = f"ERP status: {found.status or 'unknown'}."
                else:
                    posting.reconciliation = Reconciliation.MISMATCH
                    posting.reconciliation_note = (
                        f"ERP holds {found.external_id}, we recorded {posting.external_id}."
                    )
            else:  # the ERP got it although we never saw the answer (e.g. a crash mid-send)
                posting.reconciliation = Reconciliation.RECOVERED
                posting.reconciliation_note = "Found in the ERP; recorded as succeeded."
                posting.status = PostingStatus.SUCCEEDED
                posting.succeeded_at = now
                posting.last_error = ""
                posting.next_attempt_at = None
            posting.external_id = found.external_id
            posting.external_status = found.status
            posting.response = found.to_json()
        posting.reconciled_at = now
        posting.save()
        _timeline(
            posting.request,
            "erp_reconcile",
            f"ERP reconciliation: {posting.get_reconciliation_display()}.",
            actor,
        )
    return posting


def postings_resume(
    *, now: datetime | None = None, stale_after: timedelta = timedelta(minutes=2)
) -> list[int]:
    """Re-send postings whose task was lost (broker down, worker killed): pending ones older
    than `stale_after` and retrying ones past their next attempt. Returns the ids sent."""
    now = now or timezone.now()
    stale = Q(status=PostingStatus.PENDING, created_at__lte=now - stale_after)
    due_retry = Q(status=PostingStatus.RETRYING) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    due = ErpPosting.objects.filter(stale | due_retry).order_by("pk")
    ids = list(due.values_list("pk", flat=True)[:500])
    for posting_id in ids:
        enqueue_delivery(posting_id)
    return ids


# --- inbound callbacks ----------------------------------------------------------------------------

EVENT_TYPES = {
    CallbackSourceKind.PAYER: {"prior_auth.decision"},
    CallbackSourceKind.ERP: {"requisition.status"},
}
STATUSES = {
    "prior_auth.decision": {"approved", "partially_approved", "denied", "pended", "cancelled"},
    "requisition.status": {"submitted", "approved", "rejected", "ordered", "received", "cancelled"},
}


@dataclass(frozen=True)
class CallbackOutcome:
    callback: InboundCallback
    duplicate: bool


def _field(body: dict[str, Any], name: str, *, required: bool = True, max_length: int = 120) -> str:
    value = body.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip() or len(value) > max_length:
        raise MalformedCallback(f"'{name}' must be a non-empty string of at most {max_length}.")
    return value.strip()


def callback_receive(
    *, source_slug: str, body: bytes, signature: str, now: float | None = None
) -> CallbackOutcome:
    """Verify, then record a callback once per sender event id, on the request's timeline."""
    source = CallbackSource.objects.filter(slug=source_slug, is_active=True).first()
    if source is None:
        raise UnknownSource("No callback source with that name here.")
    signing.verify(
        source.secret, body, signature, now=now if now is not None else timezone.now().timestamp()
    )
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise MalformedCallback("The body is not JSON.") from None
    if not isinstance(data, dict):
        raise MalformedCallback("The body must be a JSON object.")
    event_id = _field(data, "id")
    event_type = _field(data, "type", max_length=60)
    if event_type not in EVENT_TYPES[CallbackSourceKind(source.kind)]:
        allowed = ", ".join(sorted(EVENT_TYPES[CallbackSourceKind(source.kind)]))
        raise MalformedCallback(f"'type' must be one of: {allowed}.")
    status = _field(data, "status", max_length=40)
    if status not in STATUSES[event_type]:
        raise MalformedCallback(
            f"'status' must be one of: {', '.join(sorted(STATUSES[event_type]))}."
        )
    reference = _field(data, "reference", max_length=30)
    external = _field(data, "external_reference", required=False)
    reason_code = _field(data, "reason_code", required=False, max_length=60)
    reason = _field(data, "reason", required=False, max_length=1000)

    existing = InboundCallback.objects.filter(source=source, event_id=event_id).first()
    if existing is not None:
        InboundCallback.objects.filter(pk=existing.pk).update(replays=existing.replays + 1)
        return CallbackOutcome(existing, duplicate=True)
    approval = ApprovalRequest.objects.filter(reference=reference).first()
    if approval is None:
        raise UnknownReference("No request with that reference here.")
    try:
        with action(actor=None):
            callback = InboundCallback.objects.create(
                source=source,
                event_id=event_id,
                event_type=event_type,
                request=approval,
                status=status,
                external_reference=external,
            )
            _apply_callback(source, callback, approval, reason_code=reason_code, reason=reason)
    except IntegrityError:  # the same event arrived twice at once: the first one won
        existing = InboundCallback.objects.get(source=source, event_id=event_id)
        return CallbackOutcome(existing, duplicate=True)
    return CallbackOutcome(callback, duplicate=False)


# A payer callback's status -> the payer's answer, decided like an answer to `$submit`.
PAYER_CALLBACK_OUTCOMES = {
    "approved": "approved",
    "partially_approved": "partial",
    "denied": "denied",
    "pended": "pended",
    "cancelled": "cancelled",
}


def _apply_callback(
    source: CallbackSource,
    callback: InboundCallback,
    approval: ApprovalRequest,
    *,
    reason_code: str = "",
    reason: str = "",
) -> None:
    words = callback.status.replace("_", " ")
    ref = f" (ref {callback.external_reference})" if callback.external_reference else ""
    if callback.event_type == "prior_auth.decision":
        _timeline(approval, "payer_decision", f"Payer decision from {source.name}: {words}{ref}.")
        # One service decides the payer step, whichever way the payer's answer arrived.
        payer_answer_receive(
            approval=approval,
            answer=PayerAnswer(
                outcome=PAYER_CALLBACK_OUTCOMES[callback.status],
                tracking_number=callback.external_reference,
                reason_code=reason_code,
                reason_text=reason,
            ),
            payer_name=source.name,
        )
        return
    posting = ErpPosting.objects.filter(request=approval, kind=PostingKind.REQUISITION).first()
    if posting is not None:
        posting.external_status = callback.status
        if callback.external_reference and not posting.external_id:
            posting.external_id = callback.external_reference
        posting.save(update_fields=["external_status", "external_id"])
    _timeline(approval, "erp_status", f"ERP ({source.name}) reports the requisition {words}{ref}.")
