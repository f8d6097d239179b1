"""In Chromium: a partner admin creates a branded tenant through the wizard; the invited admin
accepts on the new host, installs the prior-authorization template and submits a request.
Also saves login and inbox screenshots of two differently branded tenants (docs/partners.md)."""

import re
import secrets

import pytest
from django.core import mail

from tests.conftest import PASSWORD
from tests.fixtures.browser import screenshot

pytestmark = pytest.mark.browser


def test_runs_against_the_test_database(db):
    """pytest-django creates the test database only for runs holding a test that asks for it;
    without this, running this file alone would talk to the development database."""
    from django.db import connection

    assert connection.settings_dict["NAME"].startswith("test_")


def _new_page(chromium):
    context = chromium.new_context(viewport={"width": 1280, "height": 860})
    context.set_default_timeout(20_000)
    return context.new_page()


def test_partner_wizard_to_first_request(chromium, live_site, open_db):
    slug = f"wiz-{secrets.token_hex(3)}"
    paula = _new_page(chromium)
    paula.goto(live_site.url(None, "/login/"))
    paula.fill("#id_username", "paula@partner-p.test")
    paula.fill("#id_password", PASSWORD)
    paula.click("button[type=submit]")
    paula.click("[data-testid=new-tenant]")
    paula.fill("#id_name", "Juniper Valley Health")
    paula.fill("#id_slug", slug)
    paula.fill("#id_display_name", "Juniper Valley Health")
    paula.fill("#id_primary_colour", "#5b21b6")
    paula.fill("#id_accent_colour", "#be185d")
    paula.fill("#id_login_message", "Juniper staff: sign in with your work email.")
    paula.fill("#id_email_sender_name", "Juniper Approvals")
    paula.fill("#id_admin_email", f"admin@{slug}.test")
    paula.fill("#id_admin_name", "Jun Admin")
    paula.fill("#id_support_email", "helpdesk@juniper.test")
    # the live preview follows the colours (htmx) and reports contrast
    paula.wait_for_selector("[data-testid=brand-preview] .preview-topbar >> text=Juniper Valley")
    assert "passes AA" in paula.inner_text("[data-testid=contrast]")
    screenshot(paula, "partner-wizard")
    paula.click("[data-testid=create-tenant]")
    paula.wait_for_selector("[data-testid=tenant-name]")
    assert paula.inner_text("[data-testid=tenant-name]") == "Juniper Valley Health"
    assert paula.inner_text("[data-testid=tenant-status]") == "Active"

    (invitation,) = [m for m in mail.outbox if m.to == [f"admin@{slug}.test"]]
    link = re.search(r"http://\S+/invitations/\S+/", invitation.body).group(0)
    assert link.startswith(f"http://{slug}.localhost:{live_site.port}/")

    admin = _new_page(chromium)
    admin.goto(live_site.url(slug, "/login/"))
    assert admin.inner_text("[data-testid=brand-name]") == "Juniper Valley Health"
    assert "Juniper staff" in admin.inner_text("[data-testid=login-message]")
    screenshot(admin, "branded-juniper-login")
    admin.goto(link)
    admin.fill("#id_full_name", "Jun Admin")
    admin.fill("#id_password", PASSWORD)
    admin.click("text=Accept invitation")
    admin.wait_for_selector("text=Administration")
    top_bar = admin.eval_on_selector(".topbar", "e => getComputedStyle(e).backgroundColor")
    assert top_bar == "rgb(91, 33, 182)"  # #5b21b6, the chosen primary colour

    admin.goto(live_site.url(slug, "/admin/workflows/"))
    admin.click("form:has(input[value=prior-auth-imaging]) button")
    admin.wait_for_selector("text=Installed")

    admin.goto(live_site.url(slug, "/requests/new/prior-auth-imaging/"))
    admin.fill("#id_patient_name", "Jordan Demo-Patient")
    admin.fill("#id_date_of_birth", "1970-04-02")
    admin.fill("#id_member_id", "ACM123456789")
    admin.select_option("#id_payer", "Acme Health")
    admin.fill("#id_cpt_code", "72148")
    admin.fill("#id_diagnosis", "M54.50")
    admin.fill("#id_ordering_provider_npi", "1234567893")
    admin.select_option("#id_site_of_care", "Freestanding imaging center")
    admin.fill("#id_conservative_therapy_weeks", "8")
    admin.fill("#id_clinical_notes", "Low back pain for 10 weeks despite physical therapy.")
    admin.click("text=Submit for approval")
    admin.wait_for_selector("[data-testid=status]")
    assert re.search(r"[A-Z]+-\d{4}-\d{6}", admin.inner_text("h1"))
    # Nobody else holds the utilization_reviewer role yet: the request waits in the exception
    # queue for an administrator (never a silent auto-approval).
    assert admin.inner_text("[data-testid=status]").startswith(("Exception", "In review"))
    admin.goto(live_site.url(slug, "/inbox/"))
    screenshot(admin, "branded-juniper-inbox")

    # the partner console lists the new tenant; partner Q does not see it
    paula.goto(live_site.url(None, "/"))
    assert "Juniper Valley Health" in paula.inner_text("[data-testid=tenant-list]")
    screenshot(paula, "partner-console-tenants")
    quinn = _new_page(chromium)
    quinn.goto(live_site.url(None, "/login/"))
    quinn.fill("#id_username", "quinn@partner-q.test")
    quinn.fill("#id_password", PASSWORD)
    quinn.click("button[type=submit]")
    quinn.wait_for_selector("[data-testid=tenant-list]")
    assert "Juniper" not in quinn.inner_text("[data-testid=tenant-list]")
    response = quinn.goto(live_site.url(None, f"/tenants/{slug}/"))
    assert response.status == 404


def test_second_branded_tenant_screenshots(chromium, live_site, open_db):
    page = _new_page(chromium)
    page.goto(live_site.url("alpha", "/login/"))
    assert page.inner_text("[data-testid=brand-name]") == "Alpha General Hospital"
    screenshot(page, "branded-alpha-login")
    page.fill("#id_username", "bob@alpha.test")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("text=Welcome")
    page.goto(live_site.url("alpha", "/inbox/"))
    top_bar = page.eval_on_selector(".topbar", "e => getComputedStyle(e).backgroundColor")
    assert top_bar == "rgb(30, 58, 138)"  # #1e3a8a
    screenshot(page, "branded-alpha-inbox")
