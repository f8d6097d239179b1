"""Dashboard and CMS-report figures of large tenants come from snapshots built by a worker.

Below `INSIGHTS_INLINE_MAX_REQUESTS` requests (PostgreSQL's own estimate of the table, read from
its statistics, so asking costs nothing) the figures are computed while the page renders, always
current. Above it, aggregating the whole history takes seconds to tens of seconds, too long for a
page view; so the figures for each filter combination are built by a Celery task and kept in the
cache (keys carry the tenant's schema). A page then shows:

- a snapshot younger than `INSIGHTS_SNAPSHOT_FRESH_SECONDS` as it is, with its time;
- an older one with its time and "refreshing", while a task builds a new one;
- when there is none yet, a "preparing" page that reloads itself until the task is done.

The beat keeps the default views (all time, and last year's CMS report) of large tenants fresh,
so an administrator opening the dashboard normally finds a snapshot waiting.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone
from redis.exceptions import RedisError

from apps.core.degraded import degraded_noted
from apps.insights import selectors
from apps.insights.cms import CmsSettings, cms_report
from apps.insights.datasets import DATASETS, rate_rows

KEEP_SECONDS = 7 * 24 * 3600  # a stale snapshot is still worth showing (with its age)
BUILD_LOCK_SECONDS = 15 * 60  # one build per view at a time; a crashed build frees it then


@dataclass(frozen=True)
class Snapshot:
    figures: dict[str, Any]
    computed_at: datetime
    build_seconds: float
    live: bool = False  # computed for this page view, not read from the cache

    @property
    def stale(self) -> bool:
        age = (timezone.now() - self.computed_at).total_seconds()
        return not self.live and age > settings.INSIGHTS_SNAPSHOT_FRESH_SECONDS


def requests_estimate() -> int:
    """PostgreSQL's estimate of the tenant's request count (pg_class.reltuples, kept by
    autovacuum's ANALYZE); -1 before the table was ever analysed, which counts as small."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)",
            ["approvals_approvalrequest"],
        )
        row = cursor.fetchone()
    return int(row[0]) if row and row[0] is not None else -1


def is_large() -> bool:
    return requests_estimate() > settings.INSIGHTS_INLINE_MAX_REQUESTS


# What each kind of view computes, from JSON-safe parameters (they travel through Celery).


def filters_params(filters: selectors.Filters) -> dict[str, Any]:
    return {
        "start": filters.start.isoformat() if filters.start else None,
        "end": filters.end.isoformat() if filters.end else None,
        "workflow": filters.workflow,
        "department": filters.department,
        "urgency": filters.urgency,
        "departments": list(filters.departments) if filters.departments is not None else None,
    }


def _filters(params: dict[str, Any]) -> selectors.Filters:
    return selectors.Filters(
        start=date.fromisoformat(params["start"]) if params["start"] else None,
        end=date.fromisoformat(params["end"]) if params["end"] else None,
        workflow=params["workflow"],
        department=params["department"],
        urgency=params["urgency"],
        departments=tuple(params["departments"]) if params["departments"] is not None else None,
    )


def _dashboard(params: dict[str, Any]) -> dict[str, Any]:
    from apps.assist.selectors import agreement_rate

    filters = _filters(params)
    rates = selectors.outcome_rates(filters)
    datasets = {
        name: rate_rows(rates) if name == "rates" else dataset.rows(filters)
        for name, dataset in DATASETS.items()
    }
    return {"rates": rates, "datasets": datasets, "agreement": agreement_rate()}


def cms_params(year: int, cms_settings: CmsSettings) -> dict[str, Any]:
    return {"year": year, "count_partial_as_approved": cms_settings.count_partial_as_approved}


def _cms(params: dict[str, Any]) -> dict[str, Any]:
    return cms_report(
        year=params["year"],
        settings=CmsSettings(count_partial_as_approved=params["count_partial_as_approved"]),
    )


KINDS = {"dashboard": _dashboard, "cms": _cms}


def _key(kind: str, params: dict[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:24]
    return f"insights:{kind}:{digest}"


def snapshot_build(kind: str, params: dict[str, Any]) -> Snapshot:
    """Compute the figures now and keep them (the Celery task and the beat call this)."""
    started = time.perf_counter()
    figures = KINDS[kind](params)
    snapshot = Snapshot(figures, timezone.now(), time.perf_counter() - started)
    cache.set(_key(kind, params), snapshot, KEEP_SECONDS)
    cache.delete(_key(kind, params) + ":building")
    return snapshot


def _build_later(kind: str, params: dict[str, Any]) -> None:
    if not cache.add(_key(kind, params) + ":building", 1, BUILD_LOCK_SECONDS):
        return  # a build of this view is already queued or running
    from apps.insights.tasks import build_snapshot

    transaction.on_commit(lambda: build_snapshot.delay(kind, params))


def snapshot_for(kind: str, params: dict[str, Any]) -> Snapshot | None:
    """The figures a page shows: computed now for a small tenant; for a large one the kept
    snapshot (asking a worker for a new one when it is missing or stale), or None while the
    first one is being built."""
    if not is_large():
        return _live(kind, params)
    try:
        snapshot: Snapshot | None = cache.get(_key(kind, params))
        if snapshot is None or snapshot.stale:
            _build_later(kind, params)
    except (RedisError, OSError) as error:  # the cache is down: slower, but the page answers
        degraded_noted("cache", error)
        return _live(kind, params)
    return snapshot


def _live(kind: str, params: dict[str, Any]) -> Snapshot:
    started = time.perf_counter()
    figures = KINDS[kind](params)
    return Snapshot(figures, timezone.now(), time.perf_counter() - started, live=True)


def chart_rows(name: str, filters: selectors.Filters) -> list[dict[str, Any]] | None:
    """One chart's numbers (its CSV): for a small tenant that chart alone, computed now; for a
    large one, from the dashboard snapshot of the same filters (None while it is being built)."""
    if not is_large():
        return DATASETS[name].rows(filters)
    snapshot = snapshot_for("dashboard", filters_params(filters))
    return None if snapshot is None else snapshot.figures["datasets"][name]


def default_views() -> list[tuple[str, dict[str, Any]]]:
    """What an administrator sees first: the all-time dashboard and last year's CMS report."""
    last_year = timezone.localdate().year - 1
    return [
        ("dashboard", filters_params(selectors.Filters())),
        ("cms", cms_params(last_year, CmsSettings())),
    ]
