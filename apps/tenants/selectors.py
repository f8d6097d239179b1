"""Reads for partners and tenants, always scoped to what the acting user may see."""

from django.db.models import QuerySet

from apps.accounts.models import User
from apps.tenants.models import Partner, Tenant
from apps.tenants.services import PUBLIC_SCHEMA


def partner_for_user(user: User) -> Partner | None:
    membership = getattr(user, "partner_membership", None) if user.is_authenticated else None
    return membership.partner if membership else None


def tenants_visible_to(user: User) -> QuerySet[Tenant]:
    """The tenants a partner user may see: only their own partner's."""
    partner = partner_for_user(user)
    if partner is None:
        return Tenant.objects.none()
    return (
        Tenant.objects.filter(partner=partner)
        .exclude(schema_name=PUBLIC_SCHEMA)
        .select_related("branding")
        .prefetch_related("domains")
        .order_by("name")
    )


def tenant_primary_host(tenant: Tenant) -> str:
    for domain in tenant.domains.all():
        if domain.is_primary:
            host: str = domain.domain
            return host
    return ""
