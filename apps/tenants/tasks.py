"""Background work of the tenants app (thin: call a service)."""

from celery import shared_task

from apps.tenants.health import tenant_health_refresh_all


@shared_task(name="tenants.health_refresh")
def health_refresh() -> int:
    return tenant_health_refresh_all()
