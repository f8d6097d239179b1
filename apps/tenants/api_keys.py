"""Partner API keys: ``csp_<prefix>_<secret>``, shown once, stored as SHA-256, revocable."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from rest_framework import authentication, exceptions

from apps.tenants.choices import PartnerRole
from apps.tenants.exceptions import InvalidInput, NotAllowed, TenantErrorCode
from apps.tenants.models import Partner, PartnerApiKey

KEY_PREFIX = "csp_"


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _require_admin(actor: Any, partner: Partner) -> None:
    membership = getattr(actor, "partner_membership", None)
    if membership is None or membership.partner_id != partner.id:
        raise NotAllowed("This key belongs to another partner.", code=TenantErrorCode.ADMIN_ONLY)
    if membership.role != PartnerRole.ADMIN:
        raise NotAllowed(
            "Only partner administrators manage API keys.", code=TenantErrorCode.ADMIN_ONLY
        )


def partner_api_key_create(*, actor: Any, partner: Partner, name: str) -> tuple[PartnerApiKey, str]:
    """Returns the stored key and the raw secret (the only time it is available)."""
    _require_admin(actor, partner)
    if not name.strip():
        raise InvalidInput(
            "Name the key after what uses it.", code=TenantErrorCode.INVALID_INPUT, field="name"
        )
    prefix = secrets.token_hex(4)
    raw = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    key = PartnerApiKey.objects.create(
        partner=partner, name=name.strip(), prefix=prefix, hashed_key=_hash(raw), created_by=actor
    )
    return key, raw


def partner_api_key_revoke(*, actor: Any, key: PartnerApiKey) -> PartnerApiKey:
    _require_admin(actor, key.partner)
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key


def api_keys_of(partner: Partner | None) -> QuerySet[PartnerApiKey]:
    if partner is None:
        return PartnerApiKey.objects.none()
    return PartnerApiKey.objects.filter(partner=partner)


def partner_api_key_check(raw: str) -> PartnerApiKey | None:
    if not raw.startswith(KEY_PREFIX):
        return None
    key = (
        PartnerApiKey.objects.select_related("partner", "created_by__partner_membership")
        .filter(hashed_key=_hash(raw), revoked_at__isnull=True)
        .first()
    )
    if key is not None:
        PartnerApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
    return key


class PartnerApiKeyAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer csp_...``; the request acts as the key's creator, scoped to the
    key's partner (``request.auth`` is the key)."""

    def authenticate(self, request: Any) -> tuple[Any, PartnerApiKey] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            raise exceptions.AuthenticationFailed("Use 'Authorization: Bearer <key>'.")
        key = partner_api_key_check(raw.strip())
        if key is None:
            raise exceptions.AuthenticationFailed("Unknown or revoked API key.")
        return key.created_by, key

    def authenticate_header(self, request: Any) -> str:
        return 'Bearer realm="partner-api"'
