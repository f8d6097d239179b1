"""In Chromium: "Forgot your password?" on the sign-in page, the email through the real SMTP
test server, a new password chosen from its link, sign-in with it; the link is spent."""

import re
import secrets

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from apps.accounts.models import User
from apps.tenants.models import Tenant
from tests.fixtures.roles import as_owner
from tests.notifications.fixtures import smtp_server, text_of  # noqa: F401

pytestmark = pytest.mark.browser

NEW_PASSWORD = "violet harbour lantern 58"


def test_runs_against_the_test_database(db):
    assert connection.settings_dict["NAME"].startswith("test_")


def test_password_reset_end_to_end(chromium, live_site, open_db, settings, request):
    mailbox = request.getfixturevalue("smtp_server")
    settings.SITE_PORT = live_site.port
    email = f"reset-{secrets.token_hex(3)}@alpha.test"
    tenant = Tenant.objects.get(slug="alpha")
    with tenant_context(tenant):
        User.objects.create_user(email, "the old passphrase 0000", full_name="Riley Reset")
    connection.set_schema_to_public()
    context = chromium.new_context(viewport={"width": 390, "height": 844})
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto(live_site.url("alpha", "/login/"))
        page.click("[data-testid=forgot-password]")
        page.fill("#id_email", email)
        page.click("text=Email me a link")
        page.wait_for_selector("[data-testid=reset-sent]")
        (message,) = mailbox.to(email)
        link = re.search(r"http://alpha\.localhost:\d+/password/reset/\S+/", text_of(message))
        assert link is not None
        page.goto(link.group(0))
        page.wait_for_selector("[data-testid=reset-confirm]")
        assert "set-password" in page.url  # the token left the address bar at once
        page.fill("#id_new_password1", NEW_PASSWORD)
        page.fill("#id_new_password2", NEW_PASSWORD)
        page.click("text=Set my password")
        page.wait_for_selector("[data-testid=reset-complete]")
        page.click("[data-testid=reset-complete] a.button")
        page.wait_for_selector("#id_username")
        page.fill("#id_username", email)
        page.fill("#id_password", NEW_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("text=Welcome")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        # The link works once.
        other = chromium.new_context().new_page()
        other.goto(link.group(0))
        assert other.locator("[data-testid=reset-link-invalid]").count() == 1
    finally:
        context.close()
        connection.set_schema_to_public()
        with tenant_context(Tenant.objects.get(slug="alpha")), as_owner():
            User.objects.filter(email=email).delete()  # its audit rows too: the owner's right
        connection.set_schema_to_public()
