"""Per-tenant beat work (digests, stale-email requeues, risk retraining) fans out through
`each_active_tenant`: a real worker runs one task per active tenant, inside that tenant's schema,
and none for a suspended tenant."""

import uuid

import pytest
from django.core.cache import cache
from django_tenants.utils import tenant_context

from tests.fixtures.celery_worker import wait_for


@pytest.mark.slow
def test_each_active_tenant_runs_the_task_in_its_own_schema(
    django_db_setup, celery_worker, open_db
):
    from apps.core.tasks import each_active_tenant, record_schema
    from apps.tenants.models import Tenant

    marker = uuid.uuid4().hex
    alpha, bravo = Tenant.objects.get(slug="alpha"), Tenant.objects.get(slug="bravo")
    Tenant.objects.filter(pk=bravo.pk).update(status="suspended")
    try:
        sent = each_active_tenant(record_schema, marker)
    finally:
        Tenant.objects.filter(pk=bravo.pk).update(status=bravo.status)
    active = Tenant.objects.exclude(schema_name="public").exclude(pk=bravo.pk)
    assert sent == active.filter(status="active").count()

    def recorded(tenant):
        with tenant_context(tenant):
            return cache.get(f"schema-probe:{marker}")

    assert wait_for(lambda: recorded(alpha), timeout=60) == alpha.schema_name
    assert recorded(bravo) is None
