"""Granting access beyond involvement: sharing a request with a user, and opening and reviewing
break-glass access."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from guardian.shortcuts import assign_perm

from apps.accounts.models import User
from apps.approvals.exceptions import InvalidInput, NotAllowed
from apps.approvals.grants import (
    BREAK_GLASS_MINUTES,
    BREAK_GLASS_ROLE,
    PRIVACY_OFFICER_ROLE,
    SHARE_PERMISSION,
    has_role,
)
from apps.approvals.models import ApprovalRequest, BreakGlassGrant
from apps.audit.models import AuditCategory
from apps.audit.services import audit_append
from apps.core.actions import action_service

# --- services --------------------------------------------------------------------------------


def _share_permission() -> Permission:
    """The guardian permission a share grants. Looked up by natural key in the current schema
    (a tenant cloned from the template may lack the row, so it is made on first use)."""
    content_type, _ = ContentType.objects.get_or_create(
        app_label="approvals", model="approvalrequest"
    )
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type,
        codename=SHARE_PERMISSION,
        defaults={"name": "Can view approval request"},
    )
    return permission


@action_service
def request_share(*, actor: User, approval: ApprovalRequest, user: User) -> None:
    """Let `user` see `request`. Only its requester and tenant admins may share it."""
    if not (actor.is_tenant_admin or approval.requester_id == actor.pk):
        raise NotAllowed("Only the requester or a tenant admin may share this request.")
    if not user.is_active:
        raise InvalidInput("Choose an active colleague to share with.")
    assign_perm(_share_permission(), user, approval)
    audit_append(
        category=AuditCategory.CHANGE,
        action="request.share",
        obj=approval,
        request_reference=approval.reference,
        actor_id=actor.pk,
        actor_email=actor.email,
        detail={"shared_with": user.pk, "shared_with_email": user.email},
    )


@action_service
def break_glass_open(*, actor: User, approval: ApprovalRequest, reason: str) -> BreakGlassGrant:
    """Emergency access for a member of the break-glass role: time-boxed, audited, and the
    tenant's privacy officers are told and get a review to do."""
    from apps.notifications.services import notify

    reason = reason.strip()
    if not has_role(actor, BREAK_GLASS_ROLE):
        raise NotAllowed("Only members of the break-glass role may open a request this way.")
    if len(reason) < 10:
        raise InvalidInput(
            "Say why you need this request (at least 10 characters).",
            fields={"reason": ["Give the reason for emergency access."]},
        )
    now = timezone.now()
    grant = BreakGlassGrant.objects.create(
        request=approval,
        user=actor,
        reason=reason[:2000],
        opened_at=now,
        expires_at=now + timedelta(minutes=BREAK_GLASS_MINUTES),
    )
    audit_append(
        category=AuditCategory.PHI_ACCESS,
        action="break_glass.open",
        obj=approval,
        request_reference=approval.reference,
        actor_id=actor.pk,
        actor_email=actor.email,
        detail={
            "grant": grant.pk,
            "reason": grant.reason,
            "expires_at": grant.expires_at.isoformat(),
        },
    )
    officers = User.objects.filter(roles__key=PRIVACY_OFFICER_ROLE, is_active=True).distinct()
    notify(kind="break_glass", recipients=list(officers), approval=approval, mandatory=True)
    return grant


@action_service
def break_glass_review(*, actor: User, grant: BreakGlassGrant) -> BreakGlassGrant:
    """A privacy officer marks an emergency access as reviewed."""
    if not has_role(actor, PRIVACY_OFFICER_ROLE):
        raise NotAllowed("Only privacy officers review break-glass access.")
    grant = BreakGlassGrant.objects.select_for_update().get(pk=grant.pk)
    if grant.reviewed_at is not None:
        return grant
    grant.reviewed_at = timezone.now()
    grant.reviewed_by = actor
    grant.save(update_fields=["reviewed_at", "reviewed_by"])
    audit_append(
        category=AuditCategory.SECURITY,
        action="break_glass.review",
        obj=grant.request,
        request_reference=grant.request.reference,
        actor_id=actor.pk,
        actor_email=actor.email,
        detail={"grant": grant.pk, "user": grant.user_id},
    )
    return grant


def break_glass_unreviewed() -> list[BreakGlassGrant]:
    return list(
        BreakGlassGrant.objects.filter(reviewed_at__isnull=True)
        .select_related("request", "user")
        .order_by("opened_at")
    )
