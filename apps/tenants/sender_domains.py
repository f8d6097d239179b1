"""A tenant's sender domain: the domain its email comes From. A partner admin names it, the
tenant publishes the same TXT challenge as for a custom domain, and only once it is verified
does ``apps.tenants.senders.email_from`` use it."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from apps.core.actions import action, action_service
from apps.tenants.domains import (
    TOKEN_PREFIX,
    TxtResolver,
    challenge_name,
    challenge_token,
    default_resolver,
    hostname_clean,
    txt_challenge_problem,
)
from apps.tenants.models import Branding, Tenant
from apps.tenants.services import require_partner_member

SENDER_DOMAIN_FIELDS = [
    "sender_domain",
    "sender_domain_token",
    "sender_domain_verified_at",
    "sender_domain_checked_at",
    "sender_domain_problem",
]


def sender_domain_challenge(brand: Branding) -> tuple[str, str]:
    """The TXT record the tenant publishes: (name, value)."""
    return challenge_name(brand.sender_domain), f"{TOKEN_PREFIX}{brand.sender_domain_token}"


@action_service
def sender_domain_set(*, actor: Any, tenant: Tenant, domain: str) -> Branding:
    """Name the tenant's sender domain (unverified until its TXT record is seen); an empty
    ``domain`` goes back to the platform's address."""
    require_partner_member(actor, tenant, admin=True)
    brand = Branding.objects.select_for_update().get(tenant=tenant)
    domain = hostname_clean(domain, field="sender_domain") if domain.strip() else ""
    if domain != brand.sender_domain:
        brand.sender_domain = domain
        brand.sender_domain_token = challenge_token() if domain else ""
        brand.sender_domain_verified_at = brand.sender_domain_checked_at = None
        brand.sender_domain_problem = ""
        brand.save(update_fields=SENDER_DOMAIN_FIELDS)
    return brand


def sender_domain_verify(
    *, actor: Any, tenant: Tenant, resolver: TxtResolver | None = None
) -> Branding:
    """Look for the TXT record; ``sender_domain_problem`` says why when it is not there. The
    lookup runs before the transaction: no row stays locked while DNS answers."""
    require_partner_member(actor, tenant, admin=True)
    seen = Branding.objects.get(tenant=tenant)
    if not seen.sender_domain:
        return seen
    problem = txt_challenge_problem(
        domain=seen.sender_domain,
        token=seen.sender_domain_token,
        resolver=resolver or default_resolver(),
    )
    with action(actor=actor):
        brand = Branding.objects.select_for_update().get(tenant=tenant)
        if (brand.sender_domain, brand.sender_domain_token) != (
            seen.sender_domain,
            seen.sender_domain_token,
        ):
            return brand  # renamed meanwhile: this answer was for the old domain
        now = timezone.now()
        brand.sender_domain_checked_at, brand.sender_domain_problem = now, problem
        if not problem:
            brand.sender_domain_verified_at = now
        brand.save(update_fields=SENDER_DOMAIN_FIELDS)
    return brand
