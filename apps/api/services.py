"""Writes of the API app: issuing and revoking keys, marking use, idempotent responses."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from apps.accounts.models import User
from apps.api.choices import ALL_SCOPES
from apps.api.exceptions import IdempotencyInProgress, IdempotencyKeyReused
from apps.api.models import ApiKey, IdempotencyRecord
from apps.approvals.exceptions import Conflict, InvalidInput, NotAllowed
from apps.core.actions import action

KEY_PREFIX = "cs_live_"
LAST_USED_RESOLUTION = timedelta(minutes=1)
IDEMPOTENCY_TTL = timedelta(hours=24)
IDEMPOTENCY_ABANDONED = timedelta(minutes=5)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_key_create(
    *, actor: User | None, name: str, scopes: Iterable[str], owner: User | None = None
) -> tuple[ApiKey, str]:
    """Issue a key owned by `owner` (default: the actor). Returns the key and its full text,
    which is never stored and cannot be shown again. `actor=None` is the command line."""
    if actor is not None and not actor.is_tenant_admin:
        raise NotAllowed("Only tenant administrators can create API keys.")
    owner = owner or actor
    if owner is None:
        raise InvalidInput("Say who owns the key.", fields={"owner": ["Required."]})
    if not owner.is_active:
        raise InvalidInput("The owner is deactivated.", fields={"owner": ["Inactive user."]})
    scopes = list(dict.fromkeys(scopes))
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = ["Give the key a name, e.g. the system that uses it."]
    unknown = [scope for scope in scopes if scope not in ALL_SCOPES]
    if unknown or not scopes:
        errors["scopes"] = [f"Choose from {', '.join(ALL_SCOPES)}."]
    if "admin" in scopes and not owner.is_tenant_admin:
        errors["scopes"] = ["Only a tenant administrator's key can have the admin scope."]
    if errors:
        raise InvalidInput("The key is incomplete.", fields=errors)
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        name=name.strip()[:100],
        prefix=prefix,
        secret_hash=secret_hash(secret),
        scopes=[scope for scope in ALL_SCOPES if scope in scopes],
        owner=owner,
        created_by=actor,
    )
    return key, f"{KEY_PREFIX}{prefix}_{secret}"


def api_key_revoke(*, actor: User | None, key: ApiKey) -> ApiKey:
    if actor is not None and not actor.is_tenant_admin:
        raise NotAllowed("Only tenant administrators can revoke API keys.")
    with action(actor=actor):
        key = ApiKey.objects.select_for_update().get(pk=key.pk)
        if key.revoked_at is not None:
            raise Conflict("This key is already revoked.", current={"revoked_at": key.revoked_at})
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key


def api_key_mark_used(*, key: ApiKey) -> None:
    """At most one write a minute per key, however busy it is."""
    now = timezone.now()
    if key.last_used_at is not None and now - key.last_used_at < LAST_USED_RESOLUTION:
        return
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
    ApiKey.objects.filter(stale, pk=key.pk).update(last_used_at=now)
    key.last_used_at = now


# --- idempotency --------------------------------------------------------------------------------


# One statement in the usual case: a new key is inserted; an expired record, or an abandoned
# one of the same request, is taken over in place; any other existing record is left alone
# and read afterwards (a replay, a reuse with another body, or a request still running).
_CLAIM = """
INSERT INTO api_idempotencyrecord AS r (owner_id, key, fingerprint, created_at)
VALUES (%(owner)s, %(key)s, %(fingerprint)s, %(now)s)
ON CONFLICT (owner_id, key) DO UPDATE
   SET fingerprint = EXCLUDED.fingerprint, created_at = EXCLUDED.created_at,
       status_code = NULL, body = NULL
 WHERE r.created_at < %(expired)s
    OR (r.status_code IS NULL AND r.created_at < %(abandoned)s
        AND r.fingerprint = EXCLUDED.fingerprint)
RETURNING id
"""


def idempotency_begin(*, owner: User, key: str, fingerprint: str) -> tuple[IdempotencyRecord, bool]:
    """The record for this key: (record, True) when the request must run now, (record, False)
    when its stored response is to be replayed. A different request under the same key is a
    422; the same one still running is a 409. Records are not audited (untracked, like other
    caches of responses), so this is plain SQL."""
    now = timezone.now()
    params: dict[str, Any] = {
        "owner": owner.pk,
        "key": key,
        "fingerprint": fingerprint,
        "now": now,
        "expired": now - IDEMPOTENCY_TTL,
        "abandoned": now - IDEMPOTENCY_ABANDONED,
    }
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM, params)
        claimed = cursor.fetchone()
    if claimed is not None:
        record = IdempotencyRecord(
            pk=claimed[0], owner=owner, key=key, fingerprint=fingerprint, created_at=now
        )
        return record, True
    record = IdempotencyRecord.objects.get(owner=owner, key=key)
    if record.fingerprint != fingerprint:
        raise IdempotencyKeyReused(
            "This Idempotency-Key was already used with a different request.",
            fields={"Idempotency-Key": ["Use a new key for a different request."]},
        )
    if record.status_code is None:
        raise IdempotencyInProgress("A request with this Idempotency-Key is still running.")
    return record, False


def idempotency_finish(*, record: IdempotencyRecord, status_code: int, body: Any) -> None:
    """Keep the response; server errors and throttling are not kept, so a retry runs again."""
    if status_code >= 500 or status_code == 429:
        IdempotencyRecord.objects.filter(pk=record.pk).delete()
        return
    IdempotencyRecord.objects.filter(pk=record.pk).update(status_code=status_code, body=body)


def idempotency_purge(*, now=None) -> int:  # type: ignore[no-untyped-def]
    now = now or timezone.now()
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=now - IDEMPOTENCY_TTL).delete()
    return deleted
