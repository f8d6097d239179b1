"""Reads of the SCIM app: tokens by their text, people and groups as SCIM sees them, and the
settings page's lists (tenant administrators only)."""

from __future__ import annotations

import hmac

from django.db.models import CharField, QuerySet
from django.db.models.functions import Cast, Coalesce

from apps.accounts.models import SUPPORT_EMAIL_DOMAIN, User
from apps.people.models import Role
from apps.scim.models import GroupRoleMapping, ScimGroup, ScimToken
from apps.scim.services import TOKEN_PREFIX, secret_hash


def token_prefix_of(text: str) -> str:
    """The public part of what was sent as a SCIM token (for the refusal's audit entry): the
    prefix of a `scim_<prefix>_<secret>` text, else nothing (never the secret)."""
    if not text.startswith(TOKEN_PREFIX):
        return ""
    prefix, _, _ = text[len(TOKEN_PREFIX) :].partition("_")
    return prefix[:16] if prefix.isalnum() else ""


def scim_token_from_text(text: str) -> ScimToken | None:
    """The active SCIM token `text` names in the current tenant's schema, or None (an API key,
    a revoked token and another tenant's token all end here)."""
    if not text.startswith(TOKEN_PREFIX):
        return None
    prefix, _, secret = text[len(TOKEN_PREFIX) :].partition("_")
    if not prefix or not secret or len(prefix) > 16:
        return None
    token = ScimToken.objects.filter(prefix=prefix, revoked_at__isnull=True).first()
    if token is None or not hmac.compare_digest(token.secret_hash, secret_hash(secret)):
        return None
    return token


def scim_users() -> QuerySet[User]:
    """The people a directory may see and manage: everyone but partner support staff and
    those the directory deleted."""
    return (
        User.objects.exclude(email__endswith=f"@{SUPPORT_EMAIL_DOMAIN}")
        .exclude(scim_identities__deleted_at__isnull=False)
        .select_related("manager")
        .prefetch_related("scim_groups", "scim_identities")
        .annotate(
            scim_user_name=Coalesce(
                "scim_identities__user_name", "email", output_field=CharField()
            ),
            scim_id=Cast("pk", CharField()),
        )
        .order_by("pk")
    )


def scim_user(scim_id: str) -> User | None:
    if not scim_id.isdigit() or len(scim_id) > 18:
        return None
    return scim_users().filter(pk=int(scim_id)).first()


def scim_groups() -> QuerySet[ScimGroup]:
    return (
        ScimGroup.objects.prefetch_related("members")
        .annotate(scim_id=Cast("pk", CharField()))
        .order_by("pk")
    )


def scim_group(scim_id: str) -> ScimGroup | None:
    if not scim_id.isdigit() or len(scim_id) > 18:
        return None
    return scim_groups().filter(pk=int(scim_id)).first()


def scim_tokens_for(actor: User) -> QuerySet[ScimToken]:
    if not actor.is_tenant_admin:
        return ScimToken.objects.none()
    return ScimToken.objects.select_related("created_by")


def group_mappings_for(actor: User) -> QuerySet[GroupRoleMapping]:
    if not actor.is_tenant_admin:
        return GroupRoleMapping.objects.none()
    return GroupRoleMapping.objects.select_related("role")


def roles_for_mapping(actor: User) -> QuerySet[Role]:
    if not actor.is_tenant_admin:
        return Role.objects.none()
    return Role.objects.order_by("name")
