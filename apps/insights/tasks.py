"""Celery tasks of the insights app: snapshot builds for large tenants (see snapshots.py)."""

from typing import Any

from celery import shared_task

from apps.core.tasks import each_active_tenant


@shared_task(name="insights.build_snapshot", ignore_result=True)
def build_snapshot(kind: str, params: dict[str, Any]) -> None:
    from apps.insights.snapshots import snapshot_build

    snapshot_build(kind, params)


@shared_task(name="insights.refresh_default_snapshots", ignore_result=True)
def refresh_default_snapshots() -> int:
    """The views an administrator opens first, rebuilt for a large tenant; small ones are
    computed at page view and need nothing."""
    from apps.insights.snapshots import default_views, is_large, snapshot_build

    if not is_large():
        return 0
    views = default_views()
    for kind, params in views:
        snapshot_build(kind, params)
    return len(views)


@shared_task(name="insights.refresh_default_snapshots_all_tenants", ignore_result=True)
def refresh_default_snapshots_all_tenants() -> int:
    return each_active_tenant(refresh_default_snapshots)
