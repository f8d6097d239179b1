"""Custom domains: a tenant proves control of a hostname with a DNS TXT record; only then is it
routed (copied into django-tenants' ``Domain`` table) and accepted by the TLS ``ask`` endpoint.
Sender domains (apps/tenants/sender_domains.py) are proven the same way.

The TXT lookup sits behind ``TxtResolver``: dnspython by default (``DnsPythonTxtResolver``),
``COUNTERSIGN_TXT_RESOLVER`` names another class (tests and offline development use
``StaticTxtResolver``).
"""

from __future__ import annotations

import re
import secrets
from typing import Protocol

import dns.exception
import dns.nameserver
import dns.resolver
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


def nameserver_of(entry: str) -> dns.nameserver.Do53Nameserver:
    """``"10.0.0.2"``, ``"127.0.0.1:5353"`` or ``"[::1]:5353"`` as a plain-DNS nameserver."""
    entry = entry.strip()
    if entry.startswith("["):
        address, _, port = entry[1:].partition("]")
        port = port.removeprefix(":")
    elif entry.count(":") == 1:
        address, _, port = entry.partition(":")
    else:
        address, port = entry, ""
    return dns.nameserver.Do53Nameserver(address, int(port) if port else 53)


class DnsPythonTxtResolver:
    """Asks DNS with dnspython: the ``nameservers`` given (``DNS_RESOLVERS`` by default), or the
    system's resolvers when there are none."""

    def __init__(self, nameservers: list[str] | None = None, *, lifetime: float = 5.0) -> None:
        self.nameservers = (
            list(nameservers) if nameservers is not None else list(settings.DNS_RESOLVERS)
        )
        self.lifetime = lifetime

    def _resolver(self) -> dns.resolver.Resolver:
        if not self.nameservers:
            return dns.resolver.Resolver()
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [nameserver_of(entry) for entry in self.nameservers]
        return resolver

    def txt_records(self, name: str) -> list[str]:
        try:
            answer = self._resolver().resolve(name, "TXT", lifetime=self.lifetime, search=False)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return []
        except dns.exception.DNSException as exc:
            raise TxtLookupError(str(exc) or type(exc).__name__) from exc
        return [b"".join(r.strings).decode(errors="replace") for r in answer]


def default_resolver() -> TxtResolver:
    path = getattr(settings, "COUNTERSIGN_TXT_RESOLVER", "")
    return import_string(path)() if path else DnsPythonTxtResolver()


def hostname_clean(domain: str, *, field: str = "domain") -> str:
    """``domain`` lower-cased without the trailing dot, once it is a hostname not under ours."""
    domain = domain.strip().lower().rstrip(".")
    if not _HOSTNAME.match(domain):
        raise InvalidInput(
            "Enter a hostname such as approvals.example.org.",
            code=TenantErrorCode.DOMAIN_INVALID,
            field=field,
        )
    platform = settings.PLATFORM_DOMAIN
    if domain == platform or domain.endswith(f".{platform}"):
        raise InvalidInput(
            f"Addresses under {platform} are assigned by us.",
            code=TenantErrorCode.DOMAIN_INVALID,
            field=field,
        )
    return domain


def challenge_token() -> str:
    return secrets.token_hex(16)


def txt_challenge_problem(*, domain: str, token: str, resolver: TxtResolver) -> str:
    """Why ``domain`` is not proven yet ("" once its TXT record carries ``token``)."""
    name, value = challenge_name(domain), f"{TOKEN_PREFIX}{token}"
    try:
        records = resolver.txt_records(name)
    except TxtLookupError as exc:
        return f"DNS lookup failed: {exc}. Try again later."[:300]
    if value not in [r.strip().strip('"') for r in records]:
        return f'No TXT record "{value}" at {name} yet.'[:300]
    return ""


def challenge_name(domain: str) -> str:
    return f"{CHALLENGE_LABEL}.{domain}"


def challenge_value(custom: CustomDomain) -> str:
    return f"{TOKEN_PREFIX}{custom.token}"


def custom_domain_add(*, actor: object, tenant: Tenant, domain: str) -> CustomDomain:
    domain = hostname_clean(domain)
    if (
        CustomDomain.objects.filter(domain=domain).exists()
        or Domain.objects.filter(domain=domain).exists()
    ):
        raise InvalidInput(
            f"{domain} is already in use.", code=TenantErrorCode.DOMAIN_INVALID, field="domain"
        )
    return CustomDomain.objects.create(tenant=tenant, domain=domain, token=challenge_token())


def custom_domain_verify(
    *, actor: object, custom: CustomDomain, resolver: TxtResolver | None = None
) -> bool:
    """Look for the TXT token; on success route the domain. Returns whether it is verified."""
    now = timezone.now()
    problem = txt_challenge_problem(
        domain=custom.domain, token=custom.token, resolver=resolver or default_resolver()
    )
    if problem:
        custom.last_checked_at, custom.last_problem = now, problem
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
