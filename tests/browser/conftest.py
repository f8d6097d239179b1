"""Browser tests commit (the browser's server is another thread): whatever requests a test
leaves in the shared tenants are removed after it, so later tests that count requests on a
reused test database see none of them."""

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from tests.integrations.cleanup import committed_requests_delete

SHARED_TENANTS = ("alpha", "bravo")


def _latest_request_ids() -> dict[str, int]:
    from apps.approvals.models import ApprovalRequest
    from apps.tenants.models import Tenant

    latest = {}
    connection.set_schema_to_public()
    for tenant in Tenant.objects.filter(slug__in=SHARED_TENANTS):
        with tenant_context(tenant):
            last = ApprovalRequest.objects.order_by("-pk").values_list("pk", flat=True).first()
            latest[tenant.slug] = last or 0
    connection.set_schema_to_public()
    return latest


@pytest.fixture(autouse=True)
def _committed_requests_removed(request):
    if "open_db" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("open_db")
    before = _latest_request_ids()
    yield
    from apps.approvals.models import ApprovalRequest
    from apps.tenants.models import Tenant

    connection.set_schema_to_public()
    for tenant in Tenant.objects.filter(slug__in=SHARED_TENANTS):
        with tenant_context(tenant):
            made = list(
                ApprovalRequest.objects.filter(pk__gt=before.get(tenant.slug, 0)).values_list(
                    "pk", flat=True
                )
            )
        if made:
            committed_requests_delete(tenant, {"requests": made, "endpoints": []})
    connection.set_schema_to_public()
