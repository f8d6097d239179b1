"""Sending one delivery: claim it, sign the event, post it, record the outcome, schedule the
retry. Safe to run twice: a lease on the row means one worker sends, the others step aside."""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from apps.core.actions import action_service
from apps.core.links import host_url
from apps.integrations.models import DeliveryState, OutboxEvent, WebhookDelivery
from apps.integrations.webhooks import signing
from apps.integrations.webhooks.transport import (
    HttpTransport,
    PermanentError,
    RetryableError,
    Transport,
    TransportError,
)

log = logging.getLogger(__name__)

# A task that arrives a little before its ETA (clock skew between hosts) still counts as due.
EARLY_SLACK = timedelta(seconds=2)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    base_seconds: float = 10.0
    max_seconds: float = 3600.0
    jitter: float = 0.2
    timeout_seconds: float = 10.0


def retry_policy() -> RetryPolicy:
    """The policy from settings (WEBHOOKS_MAX_ATTEMPTS, WEBHOOKS_RETRY_BASE_SECONDS,
    WEBHOOKS_RETRY_MAX_SECONDS, WEBHOOKS_RETRY_JITTER, WEBHOOKS_TIMEOUT_SECONDS)."""
    default = RetryPolicy()

    def setting(name: str, fallback: float) -> float:
        return float(getattr(settings, f"WEBHOOKS_{name}", fallback))

    return RetryPolicy(
        max_attempts=int(setting("MAX_ATTEMPTS", default.max_attempts)),
        base_seconds=setting("RETRY_BASE_SECONDS", default.base_seconds),
        max_seconds=setting("RETRY_MAX_SECONDS", default.max_seconds),
        jitter=setting("RETRY_JITTER", default.jitter),
        timeout_seconds=setting("TIMEOUT_SECONDS", default.timeout_seconds),
    )


def backoff_seconds(
    attempt: int, policy: RetryPolicy | None = None, *, rand: Callable[[], float] = random.random
) -> float:
    """Wait after failed attempt number `attempt` (1-based): base · 2^(attempt-1), ± jitter,
    never above the cap."""
    policy = policy or retry_policy()
    delay: float = policy.base_seconds * 2 ** max(attempt - 1, 0)
    spread = 1 + policy.jitter * (2 * rand() - 1)
    return max(0.0, min(policy.max_seconds, delay * spread))


def allow_private_hosts() -> bool:
    return bool(getattr(settings, "WEBHOOKS_ALLOW_PRIVATE_HOSTS", False))


def default_transport() -> Transport:
    return HttpTransport(allow_private_hosts=allow_private_hosts())


def link_base() -> str:
    """`<SITE_SCHEME>://<tenant's primary host>[:SITE_PORT]`: links in payloads point at the
    tenant's API, the way emails link to its pages."""
    from apps.tenants.models import Domain
    from apps.tenants.routing_cache import primary_host_for

    schema: str = connection.schema_name  # type: ignore[attr-defined]  # django-tenants' connection

    def load() -> str:
        host = (
            Domain.objects.filter(tenant__schema_name=schema)
            .order_by("-is_primary", "id")
            .values_list("domain", flat=True)
            .first()
        )
        return host or settings.PLATFORM_DOMAIN

    return host_url(primary_host_for(f"webhooks:{schema}", load))  # kept per process


def event_body(event: OutboxEvent) -> bytes:
    """The JSON sent for `event`: the same bytes on every attempt and replay."""
    envelope = {
        "id": str(event.id),
        "type": event.type,
        "created_at": event.created_at.isoformat().replace("+00:00", "Z"),
        "tenant": connection.schema_name,  # type: ignore[attr-defined]  # django-tenants' connection
        "data": event.payload,
    }
    return json.dumps(envelope, separators=(",", ":"), sort_keys=True).encode()


def enqueue(delivery_ids: list[UUID], *, countdown: float | None = None) -> None:
    """Send the delivery task after the surrounding transaction commits. If the broker is
    down the rows stay pending and the sweep sends them later."""
    if not delivery_ids:
        return
    ids = [str(i) for i in delivery_ids]
    transaction.on_commit(lambda: send_delivery_tasks(ids, countdown=countdown), robust=True)


def send_delivery_tasks(ids: list[str], *, countdown: float | None = None) -> None:
    from apps.integrations.tasks import webhook_deliver

    for delivery_id in ids:
        try:
            webhook_deliver.apply_async((delivery_id,), countdown=countdown, retry=False)
        except Exception as error:  # the broker is down: the sweep re-enqueues later
            log.warning("webhook delivery %s not enqueued: %s", delivery_id, type(error).__name__)


def _claim(delivery_id: UUID | str, now: datetime, policy: RetryPolicy) -> bool:
    lease = now + timedelta(seconds=policy.timeout_seconds + 30)
    claimed = WebhookDelivery.objects.filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now),
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now + EARLY_SLACK),
        pk=delivery_id,
        state=DeliveryState.PENDING,
    ).update(lease_until=lease)
    return claimed == 1


def deliver(
    delivery_id: UUID | str,
    *,
    transport: Transport | None = None,
    now: datetime | None = None,
    policy: RetryPolicy | None = None,
) -> WebhookDelivery | None:
    """Make one attempt if the delivery is pending, due and not in another worker's hands.
    Returns the updated delivery, or None when there was nothing to do."""
    policy = policy or retry_policy()
    now = now or timezone.now()
    if not _claim(delivery_id, now, policy):
        return None
    delivery = WebhookDelivery.objects.select_related("endpoint", "event").get(pk=delivery_id)
    endpoint = delivery.endpoint
    error: TransportError | None = None
    status: int | None = None
    elapsed: int | None = None
    if not endpoint.is_active:
        error = PermanentError("endpoint is inactive")
    else:
        body = event_body(delivery.event)
        headers = {
            "Countersign-Signature": signing.sign(endpoint.secret, body),
            "Countersign-Event": delivery.event.type,
            "Countersign-Delivery": str(delivery.pk),
        }
        try:
            response = (transport or default_transport()).post(
                endpoint.url, body, headers, timeout=policy.timeout_seconds
            )
            status, elapsed = response.status, response.elapsed_ms
        except TransportError as failure:
            error, status, elapsed = failure, failure.status, failure.elapsed_ms
    return _record(delivery, now=timezone.now(), status=status, elapsed=elapsed, error=error,
                   policy=policy)  # fmt: skip


@action_service
def _record(
    delivery: WebhookDelivery,
    *,
    now: datetime,
    status: int | None,
    elapsed: int | None,
    error: TransportError | None,
    policy: RetryPolicy,
) -> WebhookDelivery:
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.last_status_code = status
    delivery.response_ms = elapsed
    delivery.lease_until = None
    if error is None:
        delivery.state = DeliveryState.SUCCEEDED
        delivery.last_error = ""
        delivery.next_attempt_at = None
        delivery.completed_at = now
    else:
        delivery.last_error = error.message[:300]
        if isinstance(error, RetryableError) and delivery.attempts < policy.max_attempts:
            wait = backoff_seconds(delivery.attempts, policy)
            delivery.next_attempt_at = now + timedelta(seconds=wait)
            enqueue([delivery.pk], countdown=wait)
        else:
            delivery.state = DeliveryState.DEAD if error.retry else DeliveryState.FAILED
            delivery.next_attempt_at = None
            delivery.completed_at = now
    delivery.save()
    return delivery
