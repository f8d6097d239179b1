"""Task plumbing shared by the apps: fan a task out to every active tenant, and a diagnostic task
that proves a task sent inside a tenant runs inside that tenant's schema."""

from celery import shared_task
from django.core.cache import cache
from django.db import connection
from django_tenants.utils import get_tenant_model

from apps.core.postgres.clusters import tenant_activated


def each_active_tenant(task, *args: object) -> int:  # type: ignore[no-untyped-def]
    """Send `task(*args)` once per active tenant, each inside the tenant's context (so it runs
    in the tenant's schema); returns how many were sent. Beat entries use this for per-tenant
    work."""
    count = 0
    for tenant in get_tenant_model().objects.exclude(schema_name="public"):
        if getattr(tenant, "status", "active") != "active":
            continue
        with tenant_activated(tenant):
            task.delay(*args)
        count += 1
    return count


@shared_task(name="core.record_schema")
def record_schema(marker: str) -> str:
    """Store the schema the task ran in under a tenant-scoped cache key and return it."""
    schema: str = connection.schema_name  # type: ignore[attr-defined]  # django-tenants' connection
    cache.set(f"schema-probe:{marker}", schema, timeout=300)
    return schema


@shared_task(name="core.worker_share", ignore_result=True)
def worker_share(work: dict[str, list[object]]) -> dict[str, int]:
    """The worker's share of one committed transaction (`apps.core.worker_share`)."""
    from apps.core.worker_share import worker_share_run

    return worker_share_run(work)
