"""Writes about webhooks: endpoints (tenant admins only) and replays. Keyword-only, `actor`
first; validation errors are `ValidationError({field: [messages]})`, refusals `PermissionDenied`.
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Iterable
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils import timezone

from apps.accounts.models import User
from apps.core.actions import action_service
from apps.integrations.exceptions import (
    IntegrationErrorCode,
    InvalidInput,
    NotAllowed,
    invalid_fields,
)
from apps.integrations.models import DeliveryState, WebhookDelivery, WebhookEndpoint
from apps.integrations.webhooks import delivery as webhook_delivery
from apps.integrations.webhooks.filters import is_valid_pattern

MAX_PATTERNS = 50
SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)


def _require_admin(actor: User) -> None:
    if not getattr(actor, "is_tenant_admin", False) or not actor.is_active:
        raise NotAllowed(
            "Only tenant administrators can manage webhooks.", code=IntegrationErrorCode.ADMIN_ONLY
        )


def _is_private_host(host: str) -> bool:
    lowered = host.lower().rstrip(".")
    if lowered in {"localhost", "localhost.localdomain"} or lowered.endswith(
        (".localhost", ".local", ".internal")
    ):
        return True
    try:
        ip = ipaddress.ip_address(lowered.strip("[]"))
    except ValueError:
        return False  # a name: the transport checks what it resolves to when it sends
    return not ip.is_global or ip.is_multicast


def clean_url(url: str) -> str:
    url = (url or "").strip()
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ValidationError({"url": ["Enter a full http:// or https:// URL."]}) from None
    parts = urlsplit(url)
    if parts.username or parts.password:
        raise ValidationError({"url": ["Put credentials in the signing secret, not the URL."]})
    if _is_private_host(parts.hostname or "") and not webhook_delivery.allow_private_hosts():
        raise ValidationError(
            {"url": ["Webhooks cannot be sent to private, loopback or internal hosts."]}
        )
    return url


def clean_events(events: Iterable[str] | str) -> list[str]:
    if isinstance(events, str):
        events = events.replace(",", " ").split()
    cleaned: list[str] = []
    for pattern in events:
        pattern = str(pattern).strip()
        if pattern and pattern not in cleaned:
            cleaned.append(pattern)
    if not cleaned:
        raise ValidationError({"events": ['Choose at least one event type, or "*" for all.']})
    if len(cleaned) > MAX_PATTERNS:
        raise ValidationError({"events": [f"At most {MAX_PATTERNS} event patterns."]})
    invalid = [p for p in cleaned if not is_valid_pattern(p)]
    if invalid:
        message = (
            f"Not an event type or pattern: {', '.join(invalid)} "
            '(use e.g. "request.approved", "request.*" or "*").'
        )
        raise ValidationError({"events": [message]})
    return cleaned


def _clean_description(description: str) -> str:
    description = (description or "").strip()
    if len(description) > 200:
        raise ValidationError({"description": ["At most 200 characters."]})
    return description


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


@action_service
def webhook_endpoint_create(
    *, actor: User, url: str, events: Iterable[str] | str, description: str = ""
) -> tuple[WebhookEndpoint, str]:
    """Create an endpoint; returns it and its signing secret, which is shown only this once."""
    _require_admin(actor)
    errors: dict[str, list[str]] = {}
    values: dict[str, object] = {}
    for name, clean, raw in (
        ("url", clean_url, url),
        ("events", clean_events, events),
        ("description", _clean_description, description),
    ):
        try:
            values[name] = clean(raw)  # type: ignore[arg-type]  # each cleaner gets its own field
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise invalid_fields(errors, code=IntegrationErrorCode.INVALID)
    secret = new_secret()
    endpoint = WebhookEndpoint(created_by=actor, **values)
    endpoint.set_secret(secret)
    endpoint.save()
    return endpoint, secret


@action_service
def webhook_endpoint_update(
    *,
    actor: User,
    endpoint: WebhookEndpoint,
    url: str | None = None,
    events: Iterable[str] | str | None = None,
    description: str | None = None,
    is_active: bool | None = None,
) -> WebhookEndpoint:
    """Change what is given (None leaves a value as it is)."""
    _require_admin(actor)
    errors: dict[str, list[str]] = {}
    changed: list[str] = []
    for name, clean, raw in (
        ("url", clean_url, url),
        ("events", clean_events, events),
        ("description", _clean_description, description),
    ):
        if raw is None:
            continue
        try:
            setattr(endpoint, name, clean(raw))  # type: ignore[arg-type]  # each its own field
            changed.append(name)
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        endpoint.refresh_from_db()
        raise invalid_fields(errors, code=IntegrationErrorCode.INVALID)
    if is_active is not None:
        endpoint.is_active = bool(is_active)
        changed.append("is_active")
    if changed:
        endpoint.save(update_fields=[*changed, "updated_at"])
    return endpoint


@action_service
def webhook_endpoint_delete(*, actor: User, endpoint: WebhookEndpoint) -> None:
    """Delete the endpoint and its delivery log (deactivate it to keep the log)."""
    _require_admin(actor)
    endpoint.delete()


@action_service
def webhook_endpoint_rotate_secret(*, actor: User, endpoint: WebhookEndpoint) -> str:
    """A new signing secret, returned once; the old one stops working at once."""
    _require_admin(actor)
    secret = new_secret()
    endpoint.set_secret(secret)
    endpoint.save(update_fields=["secret_encrypted", "updated_at"])
    return secret


@action_service
def webhook_delivery_replay(*, actor: User, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send the delivery's event again to its endpoint as a fresh delivery (new id, attempts
    from zero). The body is the same, so receivers can de-duplicate on the event id."""
    _require_admin(actor)
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
    if not endpoint.is_active:
        raise InvalidInput(
            "Activate the endpoint before replaying to it.",
            code=IntegrationErrorCode.ENDPOINT_INACTIVE,
            field="endpoint",
        )
    replay = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_id=delivery.event_id,
        replay_of=delivery,
        state=DeliveryState.PENDING,
        next_attempt_at=timezone.now(),
        created_by=actor,
    )
    webhook_delivery.enqueue([replay.pk])
    return replay
