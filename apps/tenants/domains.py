"""Custom domains: a tenant proves control of a hostname with a DNS TXT record; only then is it
routed (copied into django-tenants' ``Domain`` table) and accepted by the TLS ``ask`` endpoint.

The TXT lookup sits behind ``TxtResolver``. dnspython is not a dependency of this project, so the
default resolver refuses with a clear message; tests drive ``StaticTxtResolver``. In production
set ``COUNTERSIGN_TXT_RESOLVER = "apps.tenants.domains.DnsPythonTxtResolver"`` after adding
dnspython (see docs/partners.md).
"""

from __future__ import annotations

import re
import secrets
from typing import Protocol

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from apps.core.actions import action
from apps.tenants.choices import TenantStatus
from apps.tenants.exceptions import InvalidInput, TenantErrorCode
from apps.tenants.models import CustomDomain, Domain, Tenant

CHALLENGE_LABEL = "_countersign-challenge"
TOKEN_PREFIX = "countersign-verify="  # noqa: S105 - a DNS record prefix, not a secret
_HOSTNAME = re.compile(r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class TxtLookupError(RuntimeError):
    """The DNS lookup itself failed (timeout, SERVFAIL): try again later."""


class TxtResolver(Protocol):
    def txt_records(self, name: str) -> list[str]:
        """All TXT strings at ``name`` ([] when there are none)."""
        ...


class StaticTxtResolver:
    """A resolver answering from a dict; tests and offline development use it."""

    def __init__(self, records: dict[str, list[str]] | None = None) -> None:
        self.records = records or {}

    def txt_records(self, name: str) -> list[str]:
        return list(self.records.get(name.rstrip(".").lower(), []))


class DnsPythonTxtResolver:
    """Production resolver using dnspython (install it to use this class)."""

    def txt_records(self, name: str) -> list[str]:
        try:
            import dns.exception
            import dns.resolver
        except ImportError as exc:  # pragma: no cover - depends on deployment
            raise TxtLookupError("dnspython is not installed on this server.") from exc
        try:  # pragma: no cover - needs real DNS
            answer = dns.resolver.resolve(name, "TXT", lifetime=5)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):  # pragma: no cover
            return []
        except dns.exception.DNSException as exc:  # pragma: no cover
            raise TxtLookupError(str(exc)) from exc
        return [b"".join(r.strings).decode() for r in answer]  # pragma: no cover


class UnconfiguredTxtResolver:
    def txt_records(self, name: str) -> list[str]:
        raise TxtLookupError(
            "No DNS resolver is configured (COUNTERSIGN_TXT_RESOLVER); ask the platform operator."
        )


def default_resolver() -> TxtResolver:
    path = getattr(settings, "COUNTERSIGN_TXT_RESOLVER", "")
    return import_string(path)() if path else UnconfiguredTxtResolver()


def challenge_name(domain: str) -> str:
    return f"{CHALLENGE_LABEL}.{domain}"


def challenge_value(custom: CustomDomain) -> str:
    return f"{TOKEN_PREFIX}{custom.token}"


def custom_domain_add(*, actor: object, tenant: Tenant, domain: str) -> CustomDomain:
    domain = domain.strip().lower().rstrip(".")
    if not _HOSTNAME.match(domain):
        raise InvalidInput(
            "Enter a hostname such as approvals.example.org.",
            code=TenantErrorCode.DOMAIN_INVALID,
            field="domain",
        )
    platform = settings.PLATFORM_DOMAIN
    if domain == platform or domain.endswith(f".{platform}"):
        raise InvalidInput(
            f"Addresses under {platform} are assigned by us.",
            code=TenantErrorCode.DOMAIN_INVALID,
            field="domain",
        )
    if (
        CustomDomain.objects.filter(domain=domain).exists()
        or Domain.objects.filter(domain=domain).exists()
    ):
        raise InvalidInput(
            f"{domain} is already in use.", code=TenantErrorCode.DOMAIN_INVALID, field="domain"
        )
    return CustomDomain.objects.create(tenant=tenant, domain=domain, token=secrets.token_hex(16))


def custom_domain_verify(
    *, actor: object, custom: CustomDomain, resolver: TxtResolver | None = None
) -> bool:
    """Look for the TXT token; on success route the domain. Returns whether it is verified."""
    resolver = resolver or default_resolver()
    now = timezone.now()
    try:
        records = resolver.txt_records(challenge_name(custom.domain))
    except TxtLookupError as exc:
        custom.last_checked_at, custom.last_problem = now, f"DNS lookup failed: {exc}"[:300]
        custom.save(update_fields=["last_checked_at", "last_problem"])
        return False
    if challenge_value(custom) not in [r.strip().strip('"') for r in records]:
        custom.last_checked_at = now
        custom.last_problem = (
            f'No TXT record "{challenge_value(custom)}" at {challenge_name(custom.domain)} yet.'
        )
        custom.save(update_fields=["last_checked_at", "last_problem"])
        return False
    with action(actor=actor):
        custom.verified_at = custom.last_checked_at = now
        custom.last_problem = ""
        custom.save(update_fields=["verified_at", "last_checked_at", "last_problem"])
        Domain.objects.get_or_create(
            domain=custom.domain, defaults={"tenant": custom.tenant, "is_primary": False}
        )
    return True


def custom_domain_remove(*, actor: object, custom: CustomDomain) -> None:
    with action(actor=actor):
        Domain.objects.filter(domain=custom.domain, tenant=custom.tenant, is_primary=False).delete()
        custom.delete()


def tls_host_allowed(host: str) -> bool:
    """May the reverse proxy obtain a certificate for ``host``? Only routed, live hostnames."""
    host = host.strip().lower().rstrip(".")
    if not host:
        return False
    if host == settings.PLATFORM_DOMAIN:
        return True
    return Domain.objects.filter(domain=host).exclude(tenant__status=TenantStatus.ARCHIVED).exists()
