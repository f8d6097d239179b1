"""A task sent inside a tenant runs in that tenant's schema on a real worker and Redis."""

import uuid

import pytest
from django.core.cache import cache
from django_tenants.utils import tenant_context

from tests.fixtures.celery_worker import wait_for


@pytest.mark.slow
def test_task_runs_in_the_schema_it_was_sent_from(tenant_a, tenant_b, celery_worker):
    from apps.core.tasks import record_schema

    marker_a, marker_b = uuid.uuid4().hex, uuid.uuid4().hex
    with tenant_context(tenant_a):
        record_schema.delay(marker_a)
    with tenant_context(tenant_b):
        record_schema.delay(marker_b)

    def seen(tenant, marker):
        with tenant_context(tenant):
            return cache.get(f"schema-probe:{marker}")

    assert wait_for(lambda: seen(tenant_a, marker_a), timeout=60) == "alpha"
    assert wait_for(lambda: seen(tenant_b, marker_b), timeout=60) == "bravo"
    # Each result is keyed inside its own tenant: B cannot see A's.
    assert seen(tenant_b, marker_a) is None
