"""In Chromium: an approver in Chicago chooses his time zone; the due time of his task is shown
in Chicago time, named, on the inbox, the request page, his email and the emailed decision page."""

import re
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django_tenants.utils import tenant_context

from apps.accounts.models import User
from apps.tenants.models import Tenant
from tests.approvals.helpers import pending, submit_capital
from tests.conftest import PASSWORD
from tests.fixtures.browser import screenshot
from tests.notifications.fixtures import eager_celery, smtp_server, text_of  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("eager_celery")]

CHICAGO = ZoneInfo("America/Chicago")


def _chicago(moment):
    return date_format(timezone.localtime(moment, CHICAGO), "j M Y, H:i T")


def test_an_approver_in_chicago_sees_local_due_times(
    chromium, live_site, open_db, settings, request
):
    mailbox = request.getfixturevalue("smtp_server")
    settings.SITE_PORT = live_site.port
    tenant = Tenant.objects.get(slug="alpha")
    context = chromium.new_context(viewport={"width": 1366, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto(live_site.url("alpha", "/login/"))
        page.fill("#id_username", "bob@alpha.test")
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("text=Welcome")
        page.click("[data-testid=nav-preferences]")
        page.fill("#id_time_zone", "America/Chicago")
        page.click("[data-testid=preferences] button[type=submit]")
        page.wait_for_selector("text=Preferences saved.")

        with tenant_context(tenant):
            carol = User.objects.get(email="carol@alpha.test")
            approval = submit_capital(carol, "18500")  # committed; the email goes after commit
            (task,) = pending(approval)
            assert task.assignee.email == "bob@alpha.test"
            assert task.due_at is not None
        connection.set_schema_to_public()
        local_due = _chicago(task.due_at)
        assert local_due.endswith(("CST", "CDT"))

        page.goto(live_site.url("alpha", "/inbox/"))
        row = page.locator("tr", has_text=approval.reference)
        assert local_due in row.inner_text()
        screenshot(page, "inbox-chicago-desktop")
        page.goto(live_site.url("alpha", f"/requests/{approval.reference}/"))
        assert local_due in page.inner_text("main")
        assert "UTC" not in page.inner_text("main")

        (message,) = mailbox.to("bob@alpha.test")
        assert f"Due: {local_due}" in text_of(message)
        link = re.search(r"http://alpha\.localhost:\d+/a/\S+", text_of(message)).group(0)
        anonymous = chromium.new_context(viewport={"width": 390, "height": 844}).new_page()
        anonymous.goto(link)
        assert local_due in anonymous.inner_text("[data-testid=link-summary]")
        anonymous.context.close()
    finally:
        context.close()
        connection.set_schema_to_public()
        with tenant_context(tenant):
            User.objects.filter(email="bob@alpha.test").update(time_zone="")
        connection.set_schema_to_public()
