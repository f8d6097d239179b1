"""In Chromium: the partner wizard refuses an unsafe logo with a 400 and the message on the logo
field, before anything is created (no tenant, domain, branding, invitation, user or schema);
the corrected resubmission with the same address then succeeds."""

import base64
import secrets

import pytest
from django.core import mail
from django.db import connection
from django_tenants.utils import schema_exists

from apps.tenants.models import Branding, Domain, Tenant
from apps.tenants.services import schema_name_for
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

PNG_1X1 = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
UNSAFE_SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def test_runs_against_the_test_database(db):
    assert connection.settings_dict["NAME"].startswith("test_")


def _fill_wizard(page, slug: str) -> None:
    page.fill("#id_name", "Refusal Clinic")
    page.fill("#id_slug", slug)
    page.fill("#id_display_name", "Refusal Clinic")
    page.fill("#id_primary_colour", "#1d4ed8")
    page.fill("#id_accent_colour", "#0f766e")
    page.fill("#id_admin_email", f"admin@{slug}.test")
    page.fill("#id_admin_name", "Ref Admin")


def _submit(page) -> int:
    with page.expect_response(
        lambda r: r.request.method == "POST" and "/tenants/new" in r.url
    ) as answer:
        page.click("[data-testid=create-tenant]")
    return answer.value.status


def test_wizard_refuses_a_bad_logo_and_leaves_nothing_behind(chromium, live_site, open_db):
    slug = f"refuse-{secrets.token_hex(3)}"
    context = chromium.new_context(viewport={"width": 1280, "height": 860})
    context.set_default_timeout(20_000)
    page = context.new_page()
    try:
        page.goto(live_site.url(None, "/login/"))
        page.fill("#id_username", "paula@partner-p.test")
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.click("[data-testid=new-tenant]")
        _fill_wizard(page, slug)
        page.set_input_files(
            "#id_logo", {"name": "logo.svg", "mimeType": "image/svg+xml", "buffer": UNSAFE_SVG}
        )
        mails_before = len(mail.outbox)

        assert _submit(page) == 400
        page.wait_for_selector("[data-testid=error-logo]")
        assert "may not contain scripts" in page.inner_text("[data-testid=error-logo]")
        connection.set_schema_to_public()
        assert not Tenant.objects.filter(slug=slug).exists()
        assert not Domain.objects.filter(domain__startswith=f"{slug}.").exists()
        assert not Branding.objects.filter(display_name="Refusal Clinic").exists()
        assert not schema_exists(schema_name_for(slug))
        assert [m for m in mail.outbox[mails_before:] if m.to == [f"admin@{slug}.test"]] == []

        # The same form, corrected: the text fields kept their values; choose a real PNG.
        assert page.input_value("#id_slug") == slug
        page.set_input_files(
            "#id_logo", {"name": "logo.png", "mimeType": "image/png", "buffer": PNG_1X1}
        )
        status = _submit(page)
        assert status in (200, 302, 303)
        page.wait_for_selector("[data-testid=tenant-name]")
        assert page.inner_text("[data-testid=tenant-name]") == "Refusal Clinic"
        tenant = Tenant.objects.get(slug=slug)
        assert Branding.objects.get(tenant=tenant).logo.name
        assert schema_exists(tenant.schema_name)
        invitations = [m for m in mail.outbox if m.to == [f"admin@{slug}.test"]]
        assert len(invitations) == 1
    finally:
        context.close()
        connection.set_schema_to_public()
        for tenant in Tenant.objects.filter(slug=slug):
            tenant.delete(force_drop=True)
