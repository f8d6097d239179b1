"""Reads of the notifications app. Per-user reads take the user; admin reads check the role."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from apps.accounts.models import User
from apps.notifications import tokens
from apps.notifications.choices import PREFERENCES, Delivery, EmailStatus, Kind
from apps.notifications.exceptions import (
    LinkExpired,
    LinkRevoked,
    LinkTampered,
    LinkUnknown,
    LinkUsed,
)
from apps.notifications.models import (
    ActionToken,
    EmailLog,
    Notification,
    NotificationPreference,
    NotificationSettings,
)


def notification_settings() -> NotificationSettings:
    current, _ = NotificationSettings.objects.get_or_create(pk=1)
    return current


def unread_count(user: User) -> int:
    """One indexed COUNT for the bell."""
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notifications_for(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user).select_related("request")


def preferences_for(user: User) -> list[tuple[Kind, str]]:
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("key", "delivery"))
    return [(kind, chosen.get(kind.key, Delivery.IMMEDIATE)) for kind in PREFERENCES]


def failed_emails(user: User) -> QuerySet[EmailLog]:
    if not user.is_tenant_admin:
        return EmailLog.objects.none()
    return EmailLog.objects.filter(status=EmailStatus.FAILED).select_related("request")


def action_link_lookup(token: str, *, for_update: bool = False) -> ActionToken:
    """The live action link for `token`, or the problem that stops it (each has its page).
    Reading changes nothing: mail scanners fetch links."""
    if not tokens.is_well_formed(token):
        raise LinkTampered()
    queryset = ActionToken.objects.select_related(
        "approver", "task__request__workflow_version__definition", "task__assignee"
    )
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    action = queryset.filter(token_hash=tokens.token_hash(token)).first()
    if action is None:
        raise LinkUnknown()
    if action.used_at is not None:
        raise LinkUsed()
    task = action.task
    if (
        action.revoked_at is not None
        or task.status != "pending"
        or task.assignee_id != action.approver_id
        or not action.approver.is_active
    ):
        raise LinkRevoked()
    if action.expires_at <= timezone.now():
        raise LinkExpired()
    return action


def sign_in_needed(action: ActionToken, user: User | None) -> bool:
    """True when the tenant asks for sign-in on this task and the link's approver is not the
    signed-in user."""
    if user is not None and user.is_authenticated and user.pk == action.approver_id:
        return False
    settings = notification_settings()
    approval = action.task.request
    if (
        settings.signin_above_amount is not None
        and approval.amount is not None
        and approval.amount > settings.signin_above_amount
    ):
        return True
    return approval.workflow_version.definition.key in (settings.signin_workflows or [])
