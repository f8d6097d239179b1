"""Every tenant page shows the tenant's branding, read with the tenant by the host lookup and
kept per process with it (no query of its own, and none at all once the host is known; a change
to the row shows at once); a tenant without a Branding row shows its name in the platform's
colours."""

import re

from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from apps.core.context_processors import PLATFORM_BRANDING, branding
from apps.tenants.models import Branding, Tenant
from tests.conftest import sign_in


def _brand_name(client) -> str:
    html = client.get("/inbox/").content.decode()
    return re.search(r'data-testid="brand-name">([^<]*)<', html).group(1)


def test_pages_show_the_branding_row_read_with_the_tenant(tenant_a, client_a):
    sign_in(client_a, "bob@alpha.test")
    client_a.get("/inbox/")  # the host is now known to this process
    brand = Branding.objects.get(tenant=tenant_a)
    brand.display_name = "Alpha Imaging"
    brand.save()  # forgets the host's entry at once
    with CaptureQueriesContext(connection) as captured:
        assert _brand_name(client_a) == "Alpha Imaging"
    reads = [query["sql"] for query in captured if "tenants_branding" in query["sql"]]
    assert len(reads) == 1
    assert "tenants_domain" in reads[0]  # the host lookup's join
    with CaptureQueriesContext(connection) as captured:
        assert _brand_name(client_a) == "Alpha Imaging"
    tenant_reads = [q["sql"] for q in captured if re.search(r"tenants_(branding|domain)", q["sql"])]
    assert tenant_reads == []


def test_without_a_branding_row_pages_show_the_tenant_name(tenant_a, client_a):
    Branding.objects.get(tenant=tenant_a).delete()
    sign_in(client_a, "bob@alpha.test")
    assert _brand_name(client_a) == tenant_a.name
    assert (
        f"--brand-primary: {PLATFORM_BRANDING['primary_colour']}"
        in client_a.get("/inbox/").content.decode()
    )


def test_a_tenant_loaded_elsewhere_has_its_branding_queried(tenant_a, django_assert_num_queries):
    request = RequestFactory().get("/")
    request.tenant = Tenant.objects.get(pk=tenant_a.pk)  # not through the host lookup
    with django_assert_num_queries(1):
        shown = branding(request)["branding"]
    assert shown["display_name"] == Branding.objects.get(tenant=tenant_a).display_name
    assert shown["is_platform"] is False
