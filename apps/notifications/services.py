"""Writes of the notifications app: `notify` (the public entry point other apps call),
preferences, tenant settings, email delivery with its log, the daily digest and action links.

Emails are sent after commit by a Celery task; every message has an EmailLog row from the
moment it is queued, so a failure is visible to tenant admins and never silently dropped.
"""

from __future__ import annotations

import logging
import smtplib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import User
from apps.core.actions import action
from apps.core.errors import NotAllowed
from apps.core.text import header_clean
from apps.core.worker_share import worker_later
from apps.notifications import emails, selectors, tokens
from apps.notifications.choices import (
    DIGEST_KIND,
    PREFERENCE_KEYS,
    Delivery,
    EmailStatus,
    is_mandatory,
    preference_of,
)
from apps.notifications.models import (
    ActionToken,
    EmailLog,
    Notification,
    NotificationPreference,
    NotificationSettings,
)

if TYPE_CHECKING:
    from apps.approvals.models import ApprovalRequest, Task

logger = logging.getLogger(__name__)
TRANSIENT_ERRORS = (smtplib.SMTPException, OSError)
# Extras another app may pass that are safe to show (never PHI); anything else is ignored.
SAFE_EXTRAS = ("due_at", "new_due_at", "level")


# --- notify: the public entry point -----------


def notify(
    *,
    kind: str,
    recipients: Iterable[User],
    approval: ApprovalRequest,
    task: Task | None = None,
    mandatory: bool = False,
    extra: Mapping[str, str] | None = None,
) -> None:
    """Tell each recipient in the app and, per their preference for `kind`, by email now or
    in the daily digest. Mandatory kinds (and mandatory=True) cannot be turned off. Runs inside
    the caller's transaction; emails are queued to send after it commits."""
    people = {user.pk: user for user in recipients if user is not None and user.is_active}
    if not people:
        return
    preference = preference_of(kind)
    forced = mandatory or is_mandatory(kind)
    chosen = dict(
        NotificationPreference.objects.filter(user_id__in=people, key=preference).values_list(
            "user_id", "delivery"
        )
    )
    title = emails.title_for(kind, approval, task)
    url = (
        reverse("approvals:exceptions")
        if kind == "request_exception"
        else reverse("approvals:detail", args=[approval.reference])
    )
    safe_extra = {key: str(value) for key, value in (extra or {}).items() if key in SAFE_EXTRAS}
    rows = []
    for user in people.values():
        delivery = chosen.get(user.pk, Delivery.IMMEDIATE)
        if delivery == Delivery.OFF and forced:
            delivery = Delivery.IMMEDIATE
        rows.append(
            Notification(
                recipient=user,
                kind=kind,
                request=approval,
                task=task,
                title=title,
                url=url,
                delivery=delivery,
            )
        )
    Notification.objects.bulk_create(rows)
    subject = emails.subject_for(kind, approval, task)
    for row in rows:
        if row.delivery == Delivery.IMMEDIATE:
            _queue_email(
                to=row.recipient.email,
                recipient=row.recipient,
                kind=kind,
                subject=subject,
                approval=approval,
                task=task,
                extra=safe_extra,
            )


def _queue_email(
    *,
    to: str,
    recipient: User | None,
    kind: str,
    subject: str,
    approval: ApprovalRequest | None = None,
    task: Task | None = None,
    extra: Mapping[str, object] | None = None,
) -> EmailLog:
    log = EmailLog.objects.create(
        to=to,
        recipient=recipient,
        kind=kind,
        subject=subject,
        request=approval,
        task=task,
        extra=dict(extra or {}),
    )
    worker_later("email", [log.pk])
    return log


def emails_deliver(email_log_ids: list[int]) -> None:
    """In the worker's share of a transaction: send its emails, stopping at the first transient
    SMTP error (raised: the share hands the rest to `emails_retry_later`)."""
    for email_log_id in email_log_ids:
        email_deliver(email_log_id=email_log_id, final_attempt=False)


def emails_retry_later(email_log_ids: list[int]) -> None:
    """Each email still queued goes to its own task, which retries with backoff (one already
    sent is left alone by that task)."""
    from apps.notifications.tasks import send_email

    for email_log_id in email_log_ids:
        send_email.apply_async((email_log_id,), countdown=30)


def _enqueue(email_log_id: int) -> None:
    from apps.notifications.tasks import send_email

    try:
        send_email.delay(email_log_id)
    except Exception:  # the broker is down: the row stays queued and the sweep sends it later
        logger.exception(
            "Could not queue email %s; the stale-email sweep will retry.", email_log_id
        )


# --- sending -----------


def _describe(error: BaseException) -> str:
    """Error class and SMTP code: enough to act on, and never any message content."""
    code = getattr(error, "smtp_code", None) or getattr(error, "errno", None)
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = {str(value[0]) for value in error.recipients.values()}
        code = "/".join(sorted(codes))
    return f"{type(error).__name__}{f' ({code})' if code else ''}"[:300]


def _mint_action_link(log: EmailLog, now: datetime) -> str:
    """The one-time link for the assignee of a pending task; empty when none is due."""
    task = log.task
    if (
        log.kind != "task_assigned"
        or task is None
        or log.recipient is None
        or task.status != "pending"
        or task.assignee_id != log.recipient_id
    ):
        return ""
    raw = tokens.new_token()
    hours = selectors.notification_settings().link_expiry_hours
    ActionToken.objects.create(
        token_hash=tokens.token_hash(raw),
        task=task,
        approver=log.recipient,
        email_log=log,
        expires_at=now + timedelta(hours=hours),
    )
    return emails.site_url(emails.current_tenant(), reverse("approvals:email-link", args=[raw]))


def email_deliver(*, email_log_id: int, final_attempt: bool = True) -> EmailLog | None:
    """Send one logged email. Safe to run twice: a sent or failed message is left alone. On a
    transient SMTP error the error is logged and re-raised (the task retries) unless this is the
    final attempt, which marks the message failed for the admins' page."""
    error: BaseException | None = None
    with action(actor=None):
        log = (
            EmailLog.objects.select_for_update(of=("self",))
            .select_related(
                "recipient", "task__queue_role", "request__workflow_version__definition"
            )
            .filter(pk=email_log_id)
            .first()
        )
        if log is None or log.status != EmailStatus.QUEUED:
            return log
        log.attempts += 1
        now = timezone.now()
        try:
            with action(actor=None):  # the link's token exists only if the email left
                digest = None
                if log.kind == DIGEST_KIND:
                    digest = list(
                        Notification.objects.filter(pk__in=log.extra.get("notification_ids", []))
                    )
                action_url = _mint_action_link(log, now)
                emails.build_message(log, action_url=action_url, digest=digest).send()
        except Exception as exc:
            transient = isinstance(exc, TRANSIENT_ERRORS)
            log.last_error = _describe(exc)
            if final_attempt or not transient:
                log.status = EmailStatus.FAILED
                logger.warning("Email %s failed for good: %s", log.pk, log.last_error)
            else:
                error = exc
        else:
            log.status = EmailStatus.SENT
            log.sent_at = now
            log.last_error = ""
        log.save(update_fields=["attempts", "status", "last_error", "sent_at"])
    if error is not None:
        raise error
    return log


def email_retry(*, actor: User, email_log: EmailLog) -> EmailLog:
    """An administrator sends a failed email again."""
    if not actor.is_tenant_admin:
        raise NotAllowed("Only tenant administrators can resend emails.")
    with action(actor=actor):
        log = EmailLog.objects.select_for_update().get(pk=email_log.pk)
        if log.status == EmailStatus.FAILED:
            log.status = EmailStatus.QUEUED
            log.save(update_fields=["status"])
            transaction.on_commit(partial(_enqueue, log.pk))
    return log


def email_requeue_stale(*, now: datetime | None = None) -> int:
    """Queue again the emails whose task never reached a worker (broker down, worker lost)."""
    now = now or timezone.now()
    stale = EmailLog.objects.filter(status=EmailStatus.QUEUED).filter(
        created_at__lt=now - timedelta(minutes=15), attempts=0
    ) | EmailLog.objects.filter(status=EmailStatus.QUEUED, created_at__lt=now - timedelta(hours=6))
    ids = list(stale.values_list("pk", flat=True)[:500])
    for pk in ids:
        _enqueue(pk)
    return len(ids)


# --- the daily digest -----------


def digest_send(*, now: datetime | None = None) -> int:
    """One email per person with notifications waiting for the digest. Safe to run twice: the
    notifications are marked in the same transaction that queues the email."""
    now = now or timezone.now()
    tenant = emails.current_tenant()
    brand = emails.brand_of(tenant)
    with action(actor=None):
        waiting = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(delivery=Delivery.DIGEST, digested_at__isnull=True)
            .select_related("recipient")
            .order_by("recipient_id", "created_at")
        )
        by_person: dict[int, list[Notification]] = defaultdict(list)
        for row in waiting:
            by_person[row.recipient_id].append(row)
        for rows in by_person.values():
            person = rows[0].recipient
            _queue_email(
                to=person.email,
                recipient=person,
                kind=DIGEST_KIND,
                subject=header_clean(
                    emails.DIGEST_SUBJECT.format(tenant=brand["display_name"], count=len(rows))
                ),
                extra={"notification_ids": [row.pk for row in rows]},
            )
        Notification.objects.filter(pk__in=[row.pk for row in waiting]).update(digested_at=now)
    return len(by_person)


# --- in-app notifications and preferences ---------------------------------------


def notification_mark_read(*, actor: User, notification_id: int) -> bool:
    """Mark one of the actor's own notifications read; False when it is not theirs."""
    updated = Notification.objects.filter(
        pk=notification_id, recipient=actor, read_at__isnull=True
    ).update(read_at=timezone.now())
    return (
        bool(updated) or Notification.objects.filter(pk=notification_id, recipient=actor).exists()
    )


def notification_mark_all_read(*, actor: User) -> int:
    return Notification.objects.filter(recipient=actor, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def preferences_set(*, actor: User, choices: Mapping[str, str]) -> dict[str, list[str]]:
    """Save the actor's preferences; returns field errors (nothing is saved when any)."""
    errors: dict[str, list[str]] = {}
    for key, delivery in choices.items():
        kind = PREFERENCE_KEYS.get(key)
        if kind is None:
            errors[key] = ["Unknown kind of notification."]
        elif delivery not in Delivery.values:
            errors[key] = ["Choose email right away, daily digest or app only."]
        elif delivery == Delivery.OFF and kind.mandatory:
            errors[key] = ["This notification cannot be turned off."]
    if errors:
        return errors
    with action(actor=actor):
        for key, delivery in choices.items():
            NotificationPreference.objects.update_or_create(
                user=actor, key=key, defaults={"delivery": delivery}
            )
    return {}


def notification_settings_update(
    *,
    actor: User,
    link_expiry_hours: int,
    signin_above_amount: Decimal | None,
    signin_workflows: list[str],
) -> NotificationSettings:
    if not actor.is_tenant_admin:
        raise NotAllowed("Only tenant administrators can change notification settings.")
    with action(actor=actor):
        current = selectors.notification_settings()
        current.link_expiry_hours = link_expiry_hours
        current.signin_above_amount = signin_above_amount
        current.signin_workflows = sorted(set(signin_workflows))
        current.save()
    return current


# --- action links -----------


def action_tokens_revoke(*, task: Task, reason: str, now: datetime | None = None) -> int:
    return ActionToken.objects.filter(
        task=task, used_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now or timezone.now(), revoked_reason=reason[:100])
