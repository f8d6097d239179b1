"""Scheduling, claiming and firing durable timers.

`timers_sweep` claims due rows across every tenant with `FOR UPDATE SKIP LOCKED` and a lease,
then dispatches one tenant-scoped task per timer: its cost grows with the number of due timers,
never with the number of tenants. `timer_fire` is idempotent: a timer fires at most once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import F, Q
from django.utils import timezone

from apps.core.actions import action
from apps.core.postgres.clusters import directory_connection
from apps.timers.handlers import handler_for
from apps.timers.models import Timer

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
BATCH = 500

Dispatch = Callable[[list[Timer]], None]
# The timer being fired in this context: cancelling its object's timers keeps it, so it is
# marked fired (and stays as history) when its handler returns.
_firing: ContextVar[int | None] = ContextVar("firing_timer", default=None)


def timer_schedule(
    *,
    object_kind: str,
    object_id: int,
    kind: str,
    fire_at: datetime,
    step: int = 0,
    generation: int = 0,
) -> Timer:
    """Add a timer for the current tenant; call it inside the state change's transaction."""
    return Timer.objects.create(
        schema_name=connection.schema_name,  # type: ignore[attr-defined]  # django-tenants' connection
        object_kind=object_kind,
        object_id=object_id,
        kind=kind,
        step=step,
        generation=generation,
        fire_at=fire_at,
    )


def timers_cancel(*, object_kind: str, object_ids: Iterable[int]) -> int:
    """Drop the current tenant's unfired timers of these objects (fired ones stay as history).

    Rows locked by a firing in progress are skipped rather than waited for (waiting could
    deadlock with that firing, which holds the timer and then waits for the request); handlers
    ignore such a timer because the object's generation has moved on."""
    # One statement (the ORM would select, re-select and delete: three). Timers have no
    # dependent rows and no delete signals.
    # The index is on the directory: another connection when the tenant's cluster is not its.
    directory = directory_connection()
    table = directory.ops.quote_name(Timer._meta.db_table)
    with directory.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table} WHERE id IN ("  # noqa: S608 - the table name is ours
            f"  SELECT id FROM {table} WHERE schema_name = %s AND object_kind = %s"
            "   AND object_id = ANY(%s) AND fired_at IS NULL AND id <> %s"
            "   FOR UPDATE SKIP LOCKED)",
            [connection.schema_name, object_kind, list(object_ids), _firing.get() or 0],  # type: ignore[attr-defined]  # django-tenants' connection
        )
        count: int = cursor.rowcount
    return count


def timers_claim_due(
    *, now: datetime | None = None, limit: int = BATCH, lease: timedelta = LEASE
) -> list[Timer]:
    """Claim up to `limit` due, unfired timers whose lease is free or expired."""
    now = now or timezone.now()
    with action(actor=None):
        rows = list(
            Timer.objects.select_for_update(skip_locked=True)
            .filter(fired_at__isnull=True, fire_at__lte=now)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
            .order_by("fire_at")
            .only("id", "schema_name", "object_kind", "object_id", "kind", "step")[:limit]
        )
        if rows:
            Timer.objects.filter(pk__in=[t.pk for t in rows]).update(
                claimed_until=now + lease, attempts=F("attempts") + 1
            )
    return rows


def dispatch_to_tenants(timers: list[Timer]) -> None:
    """Send one `fire_timer` task per timer inside its tenant's context (one tenant query)."""
    from django_tenants.utils import get_tenant_model

    from apps.core.postgres.clusters import tenant_activated
    from apps.timers.tasks import fire_timer

    schemas = {t.schema_name for t in timers}
    tenants = {t.schema_name: t for t in get_tenant_model().objects.filter(schema_name__in=schemas)}
    for timer in timers:
        tenant = tenants.get(timer.schema_name)
        if tenant is None:  # the tenant is gone: nothing to fire
            Timer.objects.filter(pk=timer.pk).update(fired_at=timezone.now())
            continue
        with tenant_activated(tenant):
            fire_timer.delay(timer.pk)


def timers_sweep(*, now: datetime | None = None, dispatch: Dispatch | None = None) -> int:
    """Claim due timers in batches and dispatch them; returns how many were dispatched."""
    total = 0
    while True:
        claimed = timers_claim_due(now=now)
        if not claimed:
            return total
        (dispatch or dispatch_to_tenants)(claimed)
        total += len(claimed)
        if len(claimed) < BATCH:
            return total


def timer_fire(*, timer_id: int, now: datetime | None = None) -> bool:
    """Fire one timer in the current tenant's schema; False when there was nothing to do.

    The timer row is locked and its fired state checked first, so a second delivery (a retry
    after an expired lease, or a duplicate message) changes nothing."""
    now = now or timezone.now()
    with action(actor=None):
        timer = Timer.objects.select_for_update().filter(pk=timer_id).first()
        if timer is None or timer.fired_at is not None:
            return False
        if timer.schema_name != connection.schema_name:  # type: ignore[attr-defined]  # django-tenants' connection
            logger.error("timer %s belongs to another schema; not fired here", timer_id)
            return False
        handler = handler_for(timer.object_kind)
        if handler is not None:
            token = _firing.set(timer.pk)
            try:
                handler(timer, now)
            finally:
                _firing.reset(token)
        Timer.objects.filter(pk=timer.pk).update(fired_at=now, claimed_until=None)
    return True
