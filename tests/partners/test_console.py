"""The partner console: scoping to the partner's own tenants, the wizard, lifecycle, export."""

import json

import pytest
from django.core import mail
from django_tenants.utils import tenant_context

from apps.accounts.models import User
from apps.tenants.choices import TenantStatus
from apps.tenants.models import TemplateInstallation, Tenant
from tests.conftest import PASSWORD, sign_in
from tests.partners.helpers import console, paula_console, quinn_console, tenant_client

TENANT_PAGES = [
    ("get", "/tenants/alpha/"),
    ("get", "/tenants/alpha/export.json"),
    ("post", "/tenants/alpha/status/suspend/"),
    ("post", "/tenants/alpha/status/archive/"),
    ("post", "/tenants/alpha/branding/"),
    ("post", "/tenants/alpha/domains/"),
    ("post", "/tenants/alpha/support/"),
]


@pytest.mark.parametrize(("method", "path"), TENANT_PAGES)
def test_another_partner_gets_404_for_every_tenant_page(db, method, path):
    response = getattr(quinn_console(), method)(path, {"reason": "x" * 20, "domain": "a.org"})
    assert response.status_code == 404
    assert Tenant.objects.get(slug="alpha").status == TenantStatus.ACTIVE


@pytest.mark.parametrize(("method", "path"), [*TENANT_PAGES, ("get", "/tenants/new/")])
def test_non_partner_and_anonymous_are_refused(db, method, path):
    anonymous = tenant_client("localhost").__class__(HTTP_HOST="localhost")
    response = getattr(anonymous, method)(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_public_user_without_partner_gets_403(db):
    client = tenant_client("x").__class__(HTTP_HOST="localhost")
    client.force_login(User.objects.get(email="nobody@public.test"))
    assert client.get("/tenants/new/").status_code == 403
    assert client.get("/tenants/alpha/").status_code == 403


def test_owner_sees_tenant_detail(db):
    response = paula_console().get("/tenants/alpha/")
    assert response.status_code == 200
    assert b"Alpha General Hospital" in response.content
    assert b"http://alpha.localhost/" in response.content


def test_wizard_creates_tenant_installs_pack_and_invites_admin(
    db, django_capture_on_commit_callbacks
):
    client = paula_console()
    page = client.get("/tenants/new/")
    assert page.status_code == 200
    assert b"prior-auth-imaging" in page.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/tenants/new/",
            {
                "name": "Golf Medical",
                "slug": "golf-med",
                "display_name": "Golf Medical Group",
                "primary_colour": "#4c1d95",
                "accent_colour": "#166534",
                "login_message": "Staff only.",
                "email_sender_name": "Golf Approvals",
                "admin_email": "Grace@Golf.test",
                "admin_name": "Grace Golf",
                "templates": ["prior-auth-imaging"],
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == "/tenants/golf-med/"
    tenant = Tenant.objects.get(slug="golf-med")
    assert tenant.branding.display_name == "Golf Medical Group"
    assert TemplateInstallation.objects.get(tenant=tenant).template_key == "prior-auth-imaging"
    with tenant_context(tenant):
        grace = User.objects.get(email="grace@golf.test")
        assert grace.is_tenant_admin
        assert not grace.is_active
        from apps.workflows.models import WorkflowDefinition

        assert WorkflowDefinition.objects.filter(key="prior-auth-imaging").exists()
    (message,) = mail.outbox
    assert message.to == ["grace@golf.test"]
    assert message.from_email == "Golf Approvals <no-reply@localhost>"
    assert "http://golf-med.localhost/invitations/" in message.body

    # the invited admin accepts on the new host and is signed in
    link = next(w for w in message.body.split() if "/invitations/" in w)
    host = tenant_client("golf-med")
    path = link.removeprefix("http://golf-med.localhost")
    assert b"Join Golf Medical Group" in host.get(path).content
    accepted = host.post(path, {"full_name": "Grace Golf", "password": PASSWORD})
    assert accepted.status_code == 302
    assert b"Golf Medical Group" in host.get("/").content
    # the link works once
    assert host.get(path).status_code == 410


def test_wizard_reports_every_problem_and_creates_nothing(db):
    response = paula_console().post(
        "/tenants/new/",
        {"name": "", "slug": "www", "primary_colour": "blue", "accent_colour": "#000000",
         "admin_email": "not-an-email"},
    )  # fmt: skip
    assert response.status_code == 400
    body = response.content.decode()
    for field in ("name", "primary_colour", "admin_email"):
        assert f'data-testid="error-{field}"' in body
    assert not Tenant.objects.filter(slug="www").exists()


def test_wizard_refuses_a_taken_slug_with_a_message(db):
    response = paula_console().post(
        "/tenants/new/",
        {"name": "Again", "slug": "alpha", "primary_colour": "#111111",
         "accent_colour": "#222222", "admin_email": "a@b.test"},
    )  # fmt: skip
    assert response.status_code == 400
    assert "already exists" in response.content.decode()


def test_suspend_shows_branded_page_and_api_refuses_then_reactivate(db, client_a):
    client = paula_console()
    assert client.post("/tenants/bravo/status/suspend/", {"reason": "Unpaid"}).status_code == 302
    bravo = tenant_client("bravo")
    page = bravo.get("/login/")
    assert page.status_code == 403
    assert b"Bravo Community Clinics is suspended" in page.content
    assert b"--brand-primary: #065f46" in page.content
    api = bravo.get("/api/v1/workflows/")
    assert api.status_code == 403
    assert api.json()["error"]["code"] == "tenant_suspended"
    assert client_a.get("/login/").status_code == 200  # other tenants unaffected
    assert client.post("/tenants/bravo/status/reactivate/").status_code == 302
    assert bravo.get("/login/").status_code == 200
    with tenant_context(Tenant.objects.get(slug="bravo")):
        assert User.objects.filter(email="dave@bravo.test").exists()  # nothing deleted


def test_export_downloads_metadata_without_answers_and_archive_marks(db):
    client = paula_console()
    response = client.get("/tenants/alpha/export.json")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="alpha-export-')
    export = json.loads(response.content)
    assert {u["email"] for u in export["users"]} >= {"alice@alpha.test", "bob@alpha.test"}
    assert any(w["key"] == "capital-purchase" for w in export["workflows"])
    assert all("data" not in r for r in export["requests"])
    assert client.post("/tenants/bravo/status/archive/").status_code == 302
    assert Tenant.objects.get(slug="bravo").status == TenantStatus.ARCHIVED
    assert b"archived" in tenant_client("bravo").get("/login/").content


def test_console_home_lists_health_columns(db):
    from django.core.management import call_command

    call_command("tenant_health_refresh")
    page = paula_console().get("/")
    assert page.status_code == 200
    assert b"SLA breaches" in page.content
    assert b'data-testid="tenant-alpha"' in page.content


def test_partner_staff_is_not_admin_and_cannot_suspend(db):
    from apps.tenants.choices import PartnerRole
    from apps.tenants.models import Partner, PartnerMembership

    staff = User.objects.create_user("sam@partner-p.test", PASSWORD, full_name="Sam Staff")
    PartnerMembership.objects.create(
        user=staff, partner=Partner.objects.get(slug="partner-p"), role=PartnerRole.STAFF
    )
    client = console("sam@partner-p.test")
    assert client.get("/tenants/alpha/").status_code == 200
    assert client.post("/tenants/alpha/status/suspend/").status_code == 403
    assert Tenant.objects.get(slug="alpha").status == TenantStatus.ACTIVE


def test_sign_in_helper_still_refuses_tenant_users(db):
    client = tenant_client("x").__class__(HTTP_HOST="localhost")
    assert sign_in(client, "alice@alpha.test").status_code == 200
