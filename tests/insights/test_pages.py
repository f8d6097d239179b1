"""Insights pages: admins see them, bob (approver, head of Radiology) only his departments'
dashboard, outsiders and other tenants' sessions are refused; exports are audited."""

import copy
import csv
import io

import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from apps.audit.models import AuditEntry
from tests.conftest import host_of, sign_in
from tests.insights.dataset import build

ADMIN_URLS = [
    "/admin/insights/",
    "/admin/insights/data/volume.csv",
    "/admin/insights/data/cycle-urgency.csv",
    "/admin/insights/cms-0057-f/?year=2019",
    "/admin/insights/cms-0057-f.csv?year=2019",
    "/admin/insights/export/requests.csv?start=2019-01-01&end=2019-12-31",
    "/admin/insights/export/decisions.csv?start=2019-01-01&end=2019-12-31",
]
MANAGER_URLS = ["/insights/departments/", "/insights/departments/data/volume.csv"]


@pytest.fixture
def world(tenant_a, carol, bob):
    with tenant_context(tenant_a):
        return build(carol=carol, bob=bob)


def _csv(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_admin_sees_every_page(world, client_a):
    sign_in(client_a, "alice@alpha.test")
    for url in ADMIN_URLS:
        response = client_a.get(url)
        assert response.status_code == 200, url
    page = client_a.get(
        "/admin/insights/?start=2019-01-01&end=2019-12-31&workflow=prior-auth-imaging"
    )
    html = page.content.decode()
    assert html.count('<svg role="img"') == 10  # the charts (the bell icon is an svg too)
    assert '<title id="chart-volume-title">' in html
    assert '<desc id="chart-volume-desc">' in html
    assert "22.2%" in html  # denial rate
    assert "reviewers agreed with advisory recommendations" in html
    assert "/admin/insights/data/cycle-step.csv?start=2019-01-01" in html


def test_chart_csv_has_the_numbers(world, client_a):
    sign_in(client_a, "alice@alpha.test")
    rows = _csv(
        client_a.get(
            "/admin/insights/data/cycle-urgency.csv?start=2019-01-01&end=2019-12-31"
            "&workflow=prior-auth-imaging"
        )
    )
    standard = next(r for r in rows if r["urgency"] == "standard")
    assert standard["median_hours"] == "35.0"
    assert standard["p90_hours"] == "55.0"
    assert client_a.get("/admin/insights/data/nope.csv").status_code == 404


def test_cms_page_and_csv(world, client_a):
    sign_in(client_a, "alice@alpha.test")
    page = client_a.get("/admin/insights/cms-0057-f/?year=2019").content.decode()
    assert "66.7" in page
    assert "72148" in page
    assert "reported separately" in page
    rows = _csv(
        client_a.get("/admin/insights/cms-0057-f.csv?year=2019&count_partial_as_approved=1")
    )
    approved = next(r for r in rows if r["metric"] == "% approved")
    assert approved["standard"] == "83.3"
    assert approved["expedited"] == "66.7"


def test_exports_are_permission_filtered_and_audited(world, client_a, tenant_a):
    sign_in(client_a, "alice@alpha.test")
    response = client_a.get("/admin/insights/export/requests.csv?start=2019-01-01&end=2019-12-31")
    refs = {r["reference"] for r in _csv(response)}
    assert {"PA-TEST-S1", "PA-TEST-O2"} <= refs
    assert "patient_name" not in response.content.decode()
    decisions = _csv(
        client_a.get("/admin/insights/export/decisions.csv?start=2019-01-01&end=2019-12-31")
    )
    assert len([d for d in decisions if d["reference"].startswith("PA-TEST-")]) == 6
    with tenant_context(tenant_a):
        actions = set(
            AuditEntry.objects.filter(category="phi_access").values_list("action", flat=True)
        )
    assert {"insights.export_requests", "insights.export_decisions"} <= actions


def test_bob_gets_403_on_admin_pages_but_sees_his_departments(world, client_a):
    sign_in(client_a, "bob@alpha.test")
    for url in ADMIN_URLS:
        assert client_a.get(url).status_code == 403, url
    page = client_a.get("/insights/departments/?start=2019-01-01&end=2019-12-31")
    assert page.status_code == 200
    rows = _csv(
        client_a.get("/insights/departments/data/volume.csv?start=2019-01-01&end=2019-12-31")
    )
    assert sum(int(r["submitted"]) for r in rows) == 1  # only S1 is Radiology's
    # Asking for everything does not widen his scope.
    assert b"Export requests" not in page.content


def test_same_tenant_outsider_is_refused(world, client_a):
    sign_in(client_a, "olivia@alpha.test")
    for url in ADMIN_URLS + MANAGER_URLS:
        assert client_a.get(url).status_code == 403, url


def test_other_tenant_session_and_anonymous_are_sent_to_sign_in(world, client_a, client_b):
    sign_in(client_b, "dave@bravo.test")
    stolen = Client(HTTP_HOST=host_of("alpha"))
    stolen.cookies = copy.deepcopy(client_b.cookies)
    for client in (stolen, client_a):
        for url in ADMIN_URLS + MANAGER_URLS:
            response = client.get(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith("/login/")


def test_a_tenant_admin_sees_the_department_views_of_every_department(world, client_a):
    sign_in(client_a, "alice@alpha.test")
    for url in MANAGER_URLS:
        assert client_a.get(url).status_code in (200, 202), url
