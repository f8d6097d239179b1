"""The transactional outbox: engine events become rows in the state change's transaction;
after commit a task fans each one out to the webhook endpoints that want it.

Nothing is lost when Redis or the worker is down: the rows are committed with the change, and
a beat sweep (every 15 s, `schedule.py`) re-enqueues events not yet fanned out and deliveries
whose retry is overdue. The sweep finds the tenants with such work in one query per 200 tenant
schemas (an EXISTS probe on a partial index in each), instead of a task per tenant; see
`schemas_with_pending_work`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from uuid import UUID

from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django_tenants.utils import get_public_schema_name

from apps.approvals.effects import StateChange
from apps.core.actions import action
from apps.core.postgres.clusters import cluster_aliases, cluster_selected, schema_activated
from apps.core.worker_share import worker_later
from apps.integrations.models import (
    DeliveryState,
    OutboxEvent,
    WebhookDelivery,
    WebhookEndpoint,
    uuid7,
)
from apps.integrations.webhooks import delivery as webhook_delivery
from apps.workflows.engine.effects import EmitEvent

log = logging.getLogger(__name__)

# Engine payload keys that may travel: ids, keys and statuses. Anything else (free text such
# as an exception's reason) stays home.
PASSED_KEYS = ("step", "stage", "decision", "via")
TOKEN_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,80}$")
SCHEMAS_PER_PROBE = 200
SWEEP_BATCH = 500


class InvalidCursor(ValueError):
    """The feed cursor is not the id of an event in this tenant."""


# --- writing events (inside the state change's transaction) ------------------------------------


def record_events(change: StateChange) -> None:
    """Effect handler: one OutboxEvent per EmitEvent, then fan-out after commit."""
    emitted = [effect for effect in change.effects if isinstance(effect, EmitEvent)]
    if not emitted:
        return
    approval = change.request
    base = webhook_delivery.link_base()
    task_keys = {str(e.payload["task"]) for e in emitted if e.payload.get("task")}
    task_ids = {key: task.pk for key, task in change.tasks.items() if key in task_keys}
    version = approval.workflow_version
    workflow = {"key": version.definition.key, "version": version.number}
    now = timezone.now()
    events = [
        OutboxEvent(
            id=uuid7(),
            type=effect.type,
            request_id=approval.pk,
            request_reference=approval.reference,
            payload=event_payload(effect, approval, workflow, task_ids, base),
            created_at=now,
        )
        for effect in emitted
    ]
    OutboxEvent.objects.bulk_create(events)
    enqueue_dispatch([event.id for event in events])


def event_payload(
    effect: EmitEvent,
    request: object,
    workflow: dict[str, object],
    task_ids: dict[str, int],
    base: str,
) -> dict[str, object]:
    """Ids, types, statuses and links. Never form data, names or free text."""
    request_id = request.pk  # type: ignore[attr-defined]
    status = effect.payload.get("status", request.status)  # type: ignore[attr-defined]
    payload: dict[str, object] = {
        "request": {
            "id": request_id,
            "reference": request.reference,  # type: ignore[attr-defined]
            "status": status if isinstance(status, str) else None,
            "workflow": workflow,
            "url": f"{base}/api/v1/requests/{request_id}",
        }
    }
    task_key = effect.payload.get("task")
    if isinstance(task_key, str) and TOKEN_RE.match(task_key):
        task_id = task_ids.get(task_key)
        payload["task"] = {
            "id": task_id,
            "key": task_key,
            "url": f"{base}/api/v1/tasks/{task_id}" if task_id else None,
        }
    for key in PASSED_KEYS:
        value = effect.payload.get(key)
        if isinstance(value, str) and TOKEN_RE.match(value):
            payload[key] = value
    return payload


def enqueue_dispatch(event_ids: Iterable[UUID]) -> None:
    """Fan the events out in the worker's share of the current transaction."""
    worker_later("outbox", [str(i) for i in event_ids])


def dispatch_later(ids: list[str]) -> None:
    """The share's fallback: the fan-out in its own task, a little later."""
    from apps.integrations.tasks import outbox_dispatch

    outbox_dispatch.apply_async((ids,), countdown=30, retry=False)


def send_dispatch_task(ids: list[str]) -> None:
    from apps.integrations.tasks import outbox_dispatch

    try:
        outbox_dispatch.apply_async((ids,), retry=False)
    except Exception as error:  # the broker is down: the rows wait for the sweep
        log.warning("outbox events not enqueued (%d): %s", len(ids), type(error).__name__)


# --- fan-out --------------------------------------------------------------------------------


def dispatch_events(event_ids: Iterable[UUID | str], *, now: datetime | None = None) -> int:
    """Create a delivery per (event, active endpoint that wants it) and enqueue them, for all
    the events in one transaction (a decision emits two or three). An event already fanned
    out, or being fanned out by another worker, is skipped, so running twice is harmless.
    Returns deliveries created."""
    ids = list(event_ids)
    if not ids:
        return 0
    with action(actor=None):
        events = list(
            OutboxEvent.objects.select_for_update(skip_locked=True)
            .filter(pk__in=ids, dispatched_at__isnull=True)
            .order_by("created_at", "id")
        )
        if not events:
            return 0
        moment = now or timezone.now()
        endpoints = list(
            WebhookEndpoint.objects.filter(
                is_active=True, created_at__lte=max(event.created_at for event in events)
            )
        )
        deliveries = WebhookDelivery.objects.bulk_create(
            [
                WebhookDelivery(endpoint=endpoint, event=event, next_attempt_at=moment)
                for event in events
                for endpoint in endpoints
                # An endpoint receives the events that happen after it was created, not history.
                if endpoint.created_at <= event.created_at and endpoint.wants(event.type)
            ]
        )
        OutboxEvent.objects.filter(pk__in=[event.pk for event in events]).update(
            dispatched_at=moment
        )
        webhook_delivery.enqueue([d.pk for d in deliveries])
    return len(deliveries)


# --- the feed ------------------------------------------------------------------------------


def events_after(*, cursor: UUID | str | None = None, limit: int = 100) -> list[OutboxEvent]:
    """This tenant's events in a stable order, after `cursor` (the id of the last event read).

    Only events whose transaction can no longer be in flight are shown (plus the reader's own),
    so an event that commits late never lands behind a cursor a consumer already holds.
    """
    limit = max(1, min(int(limit), 500))
    settled = Q(txid__lt=RawSQL("txid_snapshot_xmin(txid_current_snapshot())", [])) | Q(
        txid=RawSQL("txid_current_if_assigned()", [])
    )
    events = OutboxEvent.objects.filter(settled)
    if cursor is not None:
        try:
            cursor_id = cursor if isinstance(cursor, UUID) else UUID(str(cursor))
        except ValueError:
            raise InvalidCursor("The cursor is not an event id.") from None
        anchor = OutboxEvent.objects.filter(pk=cursor_id).values("txid", "id").first()
        if anchor is None:
            raise InvalidCursor("No event has this id.")
        events = events.filter(
            Q(txid__gt=anchor["txid"]) | Q(txid=anchor["txid"], id__gt=anchor["id"])
        )
    return list(events.order_by("txid", "id")[:limit])


# --- the sweep -----------------------------------------------------------------------------


def sweep_grace() -> timedelta:
    return timedelta(seconds=float(getattr(settings, "WEBHOOKS_SWEEP_GRACE_SECONDS", 10)))


def sweep_tenant(*, now: datetime | None = None, grace: timedelta | None = None) -> dict[str, int]:
    """In the current tenant: re-enqueue events not fanned out and overdue deliveries. Work
    younger than `grace` is left to the normal after-commit path."""
    now = now or timezone.now()
    cutoff = now - (sweep_grace() if grace is None else grace)
    event_ids = list(
        OutboxEvent.objects.filter(dispatched_at__isnull=True, created_at__lte=cutoff)
        .order_by("created_at")
        .values_list("id", flat=True)[:SWEEP_BATCH]
    )
    delivery_ids = list(
        WebhookDelivery.objects.filter(
            Q(lease_until__isnull=True) | Q(lease_until__lt=now),
            state=DeliveryState.PENDING,
            next_attempt_at__lte=cutoff,
        )
        .order_by("next_attempt_at")
        .values_list("id", flat=True)[:SWEEP_BATCH]
    )
    if event_ids:
        send_dispatch_task([str(i) for i in event_ids])
    if delivery_ids:
        webhook_delivery.send_delivery_tasks([str(i) for i in delivery_ids])
    return {"events": len(event_ids), "deliveries": len(delivery_ids)}


def schemas_with_pending_work(*, now: datetime | None = None) -> list[str]:
    """Tenant schemas holding events not fanned out or deliveries due, found with one UNION
    query per SCHEMAS_PER_PROBE schemas (each arm is an EXISTS on a partial index), cluster by
    cluster (each tenant is probed where `Tenant.database` says its schema lives)."""
    from apps.tenants.models import Tenant

    now = now or timezone.now()
    by_cluster: dict[str, set[str]] = {}
    for schema, database in Tenant.objects.exclude(
        schema_name=get_public_schema_name()
    ).values_list("schema_name", "database"):
        by_cluster.setdefault(database or "default", set()).add(schema)
    found: list[str] = []
    for alias in cluster_aliases():
        if by_cluster.get(alias):
            with cluster_selected(alias):
                found += _pending_here(by_cluster[alias], now=now)
    return found


def _pending_here(tenants: set[str], *, now: datetime) -> list[str]:
    cutoff = now - sweep_grace()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT schemaname FROM pg_tables WHERE tablename = %s",
            [OutboxEvent._meta.db_table],
        )
        schemas = sorted(tenants & {row[0] for row in cursor.fetchall()})
    found: list[str] = []
    events_table = OutboxEvent._meta.db_table
    deliveries_table = WebhookDelivery._meta.db_table
    quote = connection.ops.quote_name
    for start in range(0, len(schemas), SCHEMAS_PER_PROBE):
        batch = schemas[start : start + SCHEMAS_PER_PROBE]
        arms: list[str] = []
        params: list[str | datetime] = []
        for schema in batch:
            events_at = f"{quote(schema)}.{quote(events_table)}"
            deliveries_at = f"{quote(schema)}.{quote(deliveries_table)}"
            # Identifiers are quoted names from pg_tables; every value is a parameter.
            arms.append(
                f"SELECT %s::text WHERE EXISTS (SELECT 1 FROM {events_at} "  # noqa: S608
                "WHERE dispatched_at IS NULL AND created_at <= %s) "
                f"OR EXISTS (SELECT 1 FROM {deliveries_at} WHERE state = 'pending' "
                "AND next_attempt_at <= %s AND (lease_until IS NULL OR lease_until < %s))"
            )
            params += [schema, cutoff, cutoff, now]
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(arms), params)
            found += [row[0] for row in cursor.fetchall()]
    return found


def sweep_all(*, now: datetime | None = None) -> dict[str, dict[str, int]]:
    """Beat entry point (public schema): sweep every tenant that has pending work."""
    results: dict[str, dict[str, int]] = {}
    for schema in schemas_with_pending_work(now=now):
        with schema_activated(schema):
            results[schema] = sweep_tenant(now=now)
    return results
