"""Single sign-on of partner staff to the partner console (public schema), through the
partner's own OpenID Connect IdP: the same relying party, claims mapping, subject links,
refusals and audit as a tenant's, on an `IdentityProvider` row in the public schema owned by
the partner (`partner_id`). Only the partner's own staff can sign in with it; groups, roles,
departments and just-in-time creation do not apply (partner staff are invited by the partner's
admin). "Require SSO" refuses password sign-in to the partner's staff except its break-glass
admins."""

from __future__ import annotations

from typing import Any

from django.db import connection

from apps.accounts.models import User
from apps.audit.models import AuditCategory
from apps.audit.services import audit_append
from apps.core.actions import Channel, action
from apps.identity.claims import claims_map
from apps.identity.exceptions import IdentityErrorCode, InvalidInput, SsoRefused
from apps.identity.models import IdentityProvider, Protocol, SsoLink
from apps.tenants.choices import PartnerRole
from apps.tenants.models import Partner, PartnerMembership

# What the partner admin sets (OpenID Connect only on the partner console).
PARTNER_FIELDS = (
    "name", "is_enabled", "issuer_url", "client_id", "scopes", "claim_email", "claim_name",
    "require_sso",
)  # fmt: skip


def _on_public() -> bool:
    return str(getattr(connection, "schema_name", "public")) == "public"


def partner_by_slug(slug: str) -> Partner | None:
    return Partner.objects.filter(slug=slug).first()


def partner_identity_provider_get(partner_id: int) -> IdentityProvider | None:
    if not _on_public():
        return None
    return IdentityProvider.objects.filter(partner_id=partner_id).first()


def partner_identity_provider_active(partner_id: int) -> IdentityProvider | None:
    provider = partner_identity_provider_get(partner_id)
    return provider if provider is not None and provider.is_enabled else None


def partner_admins(partner_id: int) -> list[User]:
    return list(
        User.objects.filter(
            is_active=True,
            partner_membership__partner_id=partner_id,
            partner_membership__role=PartnerRole.ADMIN,
        ).order_by("full_name")
    )


def _membership(user: User) -> PartnerMembership | None:
    return PartnerMembership.objects.filter(user_id=user.pk).select_related("partner").first()


def is_partner_admin(user: User, partner_id: int) -> bool:
    membership = _membership(user)
    return bool(
        membership and membership.partner_id == partner_id and membership.role == PartnerRole.ADMIN
    )


def partner_identity_provider_update(
    *,
    actor: User,
    partner_id: int,
    values: dict[str, Any],
    client_secret: str = "",
    break_glass_admins: list[User],
) -> IdentityProvider:
    """The partner admin saves the partner's IdP. A blank `client_secret` keeps the stored
    one; "Require SSO" needs SSO on and at least one break-glass admin of this partner."""
    from apps.identity.services import enabled_check

    if not is_partner_admin(actor, partner_id):
        raise InvalidInput(
            "Only the partner's administrators can configure single sign-on.",
            code=IdentityErrorCode.INVALID,
        )
    admins = {user.pk for user in partner_admins(partner_id)}
    break_glass = [user for user in break_glass_admins if user.pk in admins]
    if values.get("require_sso"):
        if not values.get("is_enabled"):
            raise InvalidInput(
                "Turn single sign-on on before requiring it.",
                code=IdentityErrorCode.INVALID,
                field="require_sso",
            )
        if not break_glass:
            raise InvalidInput(
                "Name at least one break-glass admin, who keeps password and two-step sign-in "
                "for when the IdP is down.",
                code=IdentityErrorCode.INVALID,
                field="break_glass_admins",
            )
    with action(actor=actor, channel=Channel.PARTNER_CONSOLE):
        provider = IdentityProvider.objects.select_for_update().filter(partner_id=partner_id)
        row = provider.first() or IdentityProvider(partner_id=partner_id)
        for name in PARTNER_FIELDS:
            setattr(row, name, values[name])
        row.protocol = Protocol.OIDC
        row.group_roles = {}
        row.jit_enabled = False
        if client_secret:
            row.client_secret = client_secret
        enabled_check(row)
        row.save()
        row.break_glass_admins.set(break_glass)
        audit_append(
            category=AuditCategory.SECURITY,
            action="sso.settings_update",
            obj=row,
            detail={
                **{name: values[name] for name in PARTNER_FIELDS},
                "partner_id": partner_id,
                "client_secret_changed": bool(client_secret),
                "break_glass_admins": sorted(user.email for user in break_glass),
            },
        )
    return row


def partner_sso_sign_in(*, provider: IdentityProvider, claims: dict[str, Any]) -> User:
    """The partner staff member the IdP's validated claims name: only a member of the
    partner that owns the IdP (anyone else is unknown here), active, and linked to the IdP
    subject. Audited with channel `sso`; refuses with `SsoRefused`."""
    from apps.identity.services import SSO, subject_check

    mapped = claims_map(mapping=provider, claims=claims)
    if not mapped.email:
        raise SsoRefused(
            "Your organisation's sign-in service did not send your email address. Ask your "
            "administrator to release the email claim to Countersign.",
            code=IdentityErrorCode.EMAIL_MISSING,
            http_status=400,
        )
    user = User.objects.filter(
        email=mapped.email, partner_membership__partner_id=provider.partner_id or 0
    ).first()
    if user is None:
        raise SsoRefused(
            "You do not have a partner console account at this partner. Ask your partner "
            "administrator to invite you.",
            code=IdentityErrorCode.UNKNOWN_USER,
            http_status=403,
            email=mapped.email,
        )
    if not user.is_active:
        raise SsoRefused(
            "Your partner console account is deactivated.",
            code=IdentityErrorCode.USER_INACTIVE,
            http_status=403,
            email=mapped.email,
        )
    subject = str(claims.get("sub", ""))[:255]
    subject_check(issuer=provider.sso_issuer, subject=subject, user=user, email=mapped.email)
    with action(actor=SSO, channel=Channel.SSO):
        link, _ = SsoLink.objects.get_or_create(
            issuer=provider.sso_issuer, user=user, defaults={"subject": subject}
        )
        link.save(update_fields=["last_used_at"])
        if mapped.full_name and mapped.full_name != user.full_name:
            user.full_name = mapped.full_name
            user.save(update_fields=["full_name"])
        with action(actor=user, channel=Channel.SSO):
            audit_append(
                category=AuditCategory.SECURITY,
                action="sso.login",
                obj=user,
                detail={
                    "idp": provider.name,
                    "issuer": provider.sso_issuer,
                    "protocol": provider.protocol,
                    "subject": subject,
                    "partner_id": provider.partner_id,
                    "jit_created": False,
                },
            )
    return user


def partner_require_sso_provider(user: User) -> IdentityProvider | None:
    """The partner IdP that refuses this partner staff member's password, if any (public
    schema only): "Require SSO" is on and they are not one of its break-glass admins."""
    if not _on_public():
        return None
    membership = _membership(user)
    if membership is None:
        return None
    provider = partner_identity_provider_active(membership.partner_id)
    if provider is None or not provider.require_sso:
        return None
    if (
        membership.role == PartnerRole.ADMIN
        and provider.break_glass_admins.filter(pk=user.pk).exists()
    ):
        return None
    return provider
