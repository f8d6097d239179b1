"""Cross-tenant health: a public-schema summary row per tenant, refreshed in the background
(``manage.py tenant_health_refresh`` or the Celery task) so the console reads one table."""

from __future__ import annotations

from django.db.models import Max
from django.utils import timezone

from apps.tenants.choices import TenantStatus
from apps.tenants.clusters import tenant_activated
from apps.tenants.models import Tenant, TenantHealth
from apps.tenants.services import PUBLIC_SCHEMA


def tenant_health_refresh(*, tenant: Tenant) -> TenantHealth:
    from apps.accounts.models import User
    from apps.approvals.choices import OPEN_STATUSES, RequestStatus
    from apps.approvals.models import ApprovalRequest

    now = timezone.now()
    with tenant_activated(tenant):
        requests = ApprovalRequest.objects.all()
        open_requests = requests.filter(status__in=OPEN_STATUSES).count()
        exceptions = requests.filter(status=RequestStatus.EXCEPTION).count()
        # Until the SLA module records breaches, a breach is an open request past its due time.
        breaches = requests.filter(status__in=OPEN_STATUSES, due_at__lt=now).count()
        last = requests.aggregate(last=Max("updated_at"))["last"]
        users = User.objects.filter(is_active=True).count()
    health, _ = TenantHealth.objects.update_or_create(
        tenant=tenant,
        defaults={
            "open_requests": open_requests,
            "exception_queue": exceptions,
            "sla_breaches": breaches,
            "last_activity_at": last,
            "users": users,
            "refreshed_at": now,
        },
    )
    return health


def tenant_health_refresh_all() -> int:
    count = 0
    for tenant in Tenant.objects.exclude(schema_name=PUBLIC_SCHEMA).exclude(
        status=TenantStatus.ARCHIVED
    ):
        tenant_health_refresh(tenant=tenant)
        count += 1
    return count
