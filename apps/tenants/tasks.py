"""Background work of the tenants app (thin: call a service)."""

from celery import shared_task

from apps.tenants.health import tenant_health_refresh_all
from apps.tenants.schema_pool import schema_pool_fill as pool_fill


@shared_task(name="tenants.health_refresh")
def health_refresh() -> int:
    return tenant_health_refresh_all()


@shared_task(name="tenants.schema_pool_fill")
def schema_pool_fill() -> int:
    """Clone ready schemas until the pool is full (after each tenant creation, and on beat)."""
    return pool_fill()
