"""Partner support access: a time-boxed grant with a reason, optionally approved by a tenant
admin, used through a one-time signed link that signs the partner user in on the tenant host as a
visible support identity. Sessions are listed to the tenant's admins; expiry is immediate."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from django.core import signing
from django.db.models import F, QuerySet
from django.utils import timezone

from apps.accounts.models import SUPPORT_EMAIL_DOMAIN
from apps.core.actions import action_service
from apps.core.context import SUPPORT_SESSION_KEY
from apps.tenants.exceptions import InvalidInput, NotAllowed, TenantErrorCode, invalid_fields
from apps.tenants.models import SupportGrant, SupportSession, Tenant
from apps.tenants.services import require_partner_member

ENTRY_SALT = "countersign.tenants.support-entry"
ENTRY_LINK_MAX_AGE = 120  # seconds: the link is used by a redirect straight away
DEFAULT_MINUTES, MIN_MINUTES, MAX_MINUTES = 60, 5, 8 * 60
SESSION_KEY = SUPPORT_SESSION_KEY


class SupportAccessError(Exception):
    """A support link or session that cannot be used, with a message for the person."""


def support_email_for(grant: SupportGrant) -> str:
    return f"support+{grant.partner.slug}@{SUPPORT_EMAIL_DOMAIN}"


@action_service
def support_grant_request(
    *, actor: Any, tenant: Tenant, reason: str, duration_minutes: int = DEFAULT_MINUTES
) -> SupportGrant:
    require_partner_member(actor, tenant, admin=True)
    reason = reason.strip()
    errors: dict[str, list[str]] = {}
    if len(reason) < 10:
        errors["reason"] = ["Say why you need access (at least 10 characters)."]
    if not MIN_MINUTES <= duration_minutes <= MAX_MINUTES:
        errors["duration_minutes"] = [f"Choose between {MIN_MINUTES} and {MAX_MINUTES} minutes."]
    if errors:
        raise invalid_fields(errors, code=TenantErrorCode.INVALID_INPUT)
    now = timezone.now()
    needs_approval = tenant.support_requires_approval
    return SupportGrant.objects.create(  # type: ignore[misc]  # a partner member asked: the tenant has a partner
        tenant=tenant,
        partner=tenant.partner,
        requested_by=actor,
        requested_by_name=actor.full_name or actor.email,
        reason=reason,
        duration_minutes=duration_minutes,
        requires_approval=needs_approval,
        starts_at=None if needs_approval else now,
        expires_at=None if needs_approval else now + timedelta(minutes=duration_minutes),
    )


@action_service
def support_grant_approve(*, actor: Any, grant: SupportGrant) -> SupportGrant:
    """A tenant admin (on the tenant host) lets a pending grant start now."""
    if not _is_tenant_admin(actor):
        raise NotAllowed(
            "Only tenant administrators can approve support access.",
            code=TenantErrorCode.ADMIN_ONLY,
        )
    grant = SupportGrant.objects.select_for_update().get(pk=grant.pk)
    if grant.approved_at or grant.revoked_at or not grant.requires_approval:
        raise InvalidInput(
            "This request is not waiting for approval.", code=TenantErrorCode.INVALID_INPUT
        )
    now = timezone.now()
    grant.approved_at = grant.starts_at = now
    grant.approved_by_email = actor.email
    grant.expires_at = now + timedelta(minutes=grant.duration_minutes)
    grant.save(update_fields=["approved_at", "starts_at", "approved_by_email", "expires_at"])
    return grant


def _is_tenant_admin(actor: Any) -> bool:
    email = getattr(actor, "email", "")
    return bool(getattr(actor, "is_tenant_admin", False)) and not email.endswith(
        f"@{SUPPORT_EMAIL_DOMAIN}"
    )


@action_service
def support_grant_revoke(*, actor: Any, grant: SupportGrant, side: str) -> SupportGrant:
    """Either side may end a grant: ``side="partner"`` for the partner user who holds it (on the
    console), ``side="tenant"`` for a tenant admin (on the tenant host). User ids repeat across
    schemas, so the caller says which kind of user ``actor`` is."""
    if side == "partner":
        require_partner_member(actor, grant.tenant)
        if actor.pk != grant.requested_by_id:
            raise NotAllowed(
                "Only the holder can end this grant from the console.",
                code=TenantErrorCode.ADMIN_ONLY,
            )
    elif not _is_tenant_admin(actor):
        raise NotAllowed(
            "Only tenant administrators can revoke support access.", code=TenantErrorCode.ADMIN_ONLY
        )
    now = timezone.now()
    SupportGrant.objects.filter(pk=grant.pk, revoked_at__isnull=True).update(revoked_at=now)
    SupportSession.objects.filter(grant=grant, ended_at__isnull=True).update(
        ended_at=now, end_reason="revoked"
    )
    grant.refresh_from_db()
    return grant


def support_entry_token(*, actor: Any, grant: SupportGrant) -> str:
    """A one-time link token for the grant's holder while the grant is active."""
    if actor is None or actor.pk != grant.requested_by_id:
        raise NotAllowed(
            "Only the person who requested this access can use it.", code=TenantErrorCode.ADMIN_ONLY
        )
    if not grant.is_active(timezone.now()):
        raise InvalidInput("This support grant is not active.", code=TenantErrorCode.INVALID_INPUT)
    nonce = secrets.token_urlsafe(24)
    SupportGrant.objects.filter(pk=grant.pk).update(entry_nonce=nonce)
    return signing.TimestampSigner(salt=ENTRY_SALT).sign_object({"g": grant.pk, "n": nonce})


@action_service
def support_session_start(*, token: str, tenant: Tenant) -> tuple[Any, SupportSession]:
    """Check the one-time link on the tenant host; returns the support user and session.
    Must run in the tenant's schema (the support user lives there)."""
    from apps.accounts.models import User

    try:
        data = signing.TimestampSigner(salt=ENTRY_SALT).unsign_object(
            token, max_age=ENTRY_LINK_MAX_AGE
        )
    except signing.SignatureExpired:
        raise SupportAccessError(
            "This support link has expired; start again from the console."
        ) from None
    except signing.BadSignature:
        raise SupportAccessError("This support link is not valid.") from None
    grant = (
        SupportGrant.objects.select_for_update()
        .select_related("partner")
        .filter(pk=data.get("g"), tenant=tenant)
        .first()
    )
    if grant is None or not grant.entry_nonce or grant.entry_nonce != data.get("n"):
        raise SupportAccessError("This support link is not valid or was already used.")
    now = timezone.now()
    if not grant.is_active(now):
        raise SupportAccessError("This support grant is not active.")
    grant.entry_nonce = ""
    grant.save(update_fields=["entry_nonce"])
    email = support_email_for(grant)
    user = User.objects.filter(email=email).first()
    name = f"Support: {grant.requested_by_name} ({grant.partner.name})"
    if user is None:
        user = User.objects.create_user(email, None, full_name=name, is_tenant_admin=True)
    else:
        user.full_name, user.is_active = name, True
        user.set_unusable_password()
        user.save(update_fields=["full_name", "is_active", "password"])
    session = SupportSession.objects.create(
        grant=grant, tenant=tenant, support_user_email=email, started_at=now
    )
    from apps.audit.models import AuditCategory
    from apps.audit.services import audit_append

    # In the tenant's own trail: who entered, for which grant, why and until when.
    audit_append(
        category=AuditCategory.SUPPORT,
        action="support.session_start",
        object_type="tenants.supportsession",
        object_id=str(session.pk),
        object_repr=name[:200],
        actor_id=user.pk,
        actor_email=email,
        detail={
            "grant": grant.pk,
            "partner": grant.partner.slug,
            "reason": grant.reason[:300],
            "expires_at": grant.expires_at.isoformat() if grant.expires_at else None,
        },
    )
    return user, session


def support_session_live(session_id: int, *, tenant: Tenant) -> SupportSession | None:
    """The session if its grant is still active; an expired one is closed on the spot."""
    session = (
        SupportSession.objects.select_related("grant__partner")
        .filter(pk=session_id, tenant=tenant)
        .first()
    )
    if session is None:
        return None
    now = timezone.now()
    if session.ended_at is None and session.grant.is_active(now):
        return session
    if session.ended_at is None:
        reason = "revoked" if session.grant.revoked_at else "expired"
        SupportSession.objects.filter(pk=session.pk, ended_at__isnull=True).update(
            ended_at=now, end_reason=reason
        )
    return None


def support_session_count_action(session_id: int) -> None:
    SupportSession.objects.filter(pk=session_id).update(actions=F("actions") + 1)


def support_session_end(*, session_id: int, reason: str = "signed out") -> None:
    SupportSession.objects.filter(pk=session_id, ended_at__isnull=True).update(
        ended_at=timezone.now(), end_reason=reason
    )


def support_sessions_for_tenant(actor: Any, tenant: Tenant) -> QuerySet[SupportSession]:
    if not _is_tenant_admin(actor):
        raise NotAllowed(
            "Only tenant administrators can see support sessions.", code=TenantErrorCode.ADMIN_ONLY
        )
    return SupportSession.objects.filter(tenant=tenant).select_related("grant")


def support_grants_for_tenant(actor: Any, tenant: Tenant) -> QuerySet[SupportGrant]:
    if not _is_tenant_admin(actor):
        raise NotAllowed(
            "Only tenant administrators can see support grants.", code=TenantErrorCode.ADMIN_ONLY
        )
    return SupportGrant.objects.filter(tenant=tenant)
