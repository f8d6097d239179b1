"""Reads of the tenant's identity provider."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import QuerySet

from apps.accounts.models import User
from apps.identity.claims import MappedIdentity
from apps.identity.models import IdentityProvider
from apps.people.models import Role


def _on_tenant() -> bool:
    schema: str = connection.schema_name  # type: ignore[attr-defined]  # django-tenants' connection
    return schema != "public"


def identity_provider_get() -> IdentityProvider | None:
    """The tenant's provider row, configured or not (None on the partner console)."""
    if not _on_tenant():
        return None
    return IdentityProvider.objects.order_by("pk").first()


def identity_provider_active() -> IdentityProvider | None:
    """The provider people may sign in with now, if there is one."""
    provider = identity_provider_get()
    if provider is None or not provider.is_enabled:
        return None
    return provider


def user_get(user_id: int) -> User | None:
    return User.objects.filter(pk=user_id).first()


def break_glass_candidates() -> QuerySet[User]:
    """Who may keep a password when SSO is required: the tenant's active admins."""
    return User.objects.filter(is_active=True, is_tenant_admin=True).order_by("full_name")


def is_break_glass(provider: IdentityProvider, user: User) -> bool:
    return user.is_tenant_admin and provider.break_glass_admins.filter(pk=user.pk).exists()


@dataclass(frozen=True)
class SignInPreview:
    """What a sign-in with these claims would do, for the settings page's preview."""

    mapped: MappedIdentity
    outcome: str  # "existing", "jit", "unknown_user", "inactive" or "no_email"
    account_name: str = ""
    role_names: tuple[str, ...] = ()
    roles_removed: tuple[str, ...] = ()
    unknown_roles: tuple[str, ...] = ()


def sign_in_preview(*, mapped: MappedIdentity, jit_enabled: bool) -> SignInPreview:
    names = dict(Role.objects.filter(key__in=mapped.managed_roles).values_list("key", "name"))
    unknown = tuple(key for key in mapped.managed_roles if key not in names)
    role_names = tuple(names[key] for key in mapped.roles if key in names)
    if not mapped.email:
        return SignInPreview(mapped=mapped, outcome="no_email", unknown_roles=unknown)
    user = User.objects.filter(email=mapped.email).first()
    if user is None:
        outcome = "jit" if jit_enabled else "unknown_user"
        return SignInPreview(
            mapped=mapped, outcome=outcome, role_names=role_names, unknown_roles=unknown
        )
    held = set(user.roles.filter(key__in=mapped.managed_roles).values_list("key", flat=True))
    removed = tuple(names[key] for key in sorted(held - set(mapped.roles)) if key in names)
    return SignInPreview(
        mapped=mapped,
        outcome="existing" if user.is_active else "inactive",
        account_name=user.full_name,
        role_names=role_names,
        roles_removed=removed,
        unknown_roles=unknown,
    )
