"""In Chromium: a denied prior authorization is appealed by its requester, approved on appeal
by a second reviewer (not the one who denied it), and the CMS-0057-F report counts it as
approved after appeal."""

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.models import User
from apps.insights.cms import cms_report
from apps.people.models import Role
from apps.tenants.models import Tenant
from tests.conftest import PASSWORD
from tests.fixtures.browser import screenshot
from tests.sla.helpers import submit_prior_auth

pytestmark = pytest.mark.browser


def _sign_in(page, live_site, email):
    page.goto(live_site.url("alpha", "/login/"))
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("text=Welcome")


def _cms_row(page, label):
    row = page.locator("[data-testid=cms-table] tr", has_text=label)
    return row.locator("td").first.inner_text()


def test_denied_prior_auth_appealed_and_approved_counts_in_the_cms_report(
    chromium, live_site, open_db
):
    tenant = Tenant.objects.get(slug="alpha")
    with tenant_context(tenant):
        carol, victor = (User.objects.get(email=f"{n}@alpha.test") for n in ("carol", "victor"))
        directors = Role.objects.get(key="medical_director")
        directors.members.add(victor)
        before = cms_report(year=timezone.now().year)["standard"]["approved_after_appeal"]
        original = submit_prior_auth(carol)
    connection.set_schema_to_public()
    contexts = []

    def new_page(width=1366):
        context = chromium.new_context(viewport={"width": width, "height": 900})
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    try:
        # Bob, the utilization reviewer, claims and denies it.
        reviewer = new_page()
        _sign_in(reviewer, live_site, "bob@alpha.test")
        reviewer.goto(live_site.url("alpha", f"/requests/{original.reference}/"))
        reviewer.click("text=Claim it")
        reviewer.check("input[name=decision][value=reject]")
        reviewer.select_option("select[name=reason_code]", "NOT_MEDICALLY_NECESSARY")
        reviewer.fill("textarea[name=comment]", "Physical therapy notes are missing.")
        reviewer.click("[data-testid^=decide-] button[type=submit]")
        reviewer.wait_for_selector(f"text=You denied {original.reference}.")

        # Carol appeals from the denied request, on her phone.
        requester = new_page(390)
        _sign_in(requester, live_site, "carol@alpha.test")
        requester.goto(live_site.url("alpha", f"/requests/{original.reference}/"))
        requester.click("[data-testid=appeal-start]")
        requester.fill("#id_appeal_reason", "Ten weeks of therapy are documented in the notes.")
        requester.select_option("#id_peer_to_peer_requested", "Requested")
        requester.click("[data-testid=appeal-submit]")
        requester.wait_for_selector("[data-testid=appeal-of]")
        assert requester.evaluate("document.documentElement.scrollWidth") <= 390
        screenshot(requester, "appeal-filed-phone")
        appeal_reference = requester.url.rstrip("/").rsplit("/", 1)[-1]
        assert appeal_reference.startswith("APL-")

        # Victor, a medical director who did not decide the original, approves the appeal.
        second = new_page()
        _sign_in(second, live_site, "victor@alpha.test")
        second.goto(live_site.url("alpha", f"/requests/{appeal_reference}/"))
        second.click("text=Claim it")
        second.check("input[name=decision][value=approve]")
        second.click("[data-testid^=decide-] button[type=submit]")
        second.wait_for_selector(f"text=You approved {appeal_reference}.")
        second.goto(live_site.url("alpha", f"/requests/{original.reference}/"))
        assert second.inner_text("[data-testid=appeal-status]") == "Approved"
        assert f"The appeal {appeal_reference} was approved." in second.inner_text(
            "[data-testid=timeline]"
        )

        # The tenant admin's CMS-0057-F report counts it as approved after appeal.
        admin = new_page()
        _sign_in(admin, live_site, "alice@alpha.test")
        year = timezone.now().year
        admin.goto(live_site.url("alpha", f"/admin/insights/cms-0057-f/?year={year}"))
        with tenant_context(tenant):
            figures = cms_report(year=year)["standard"]
        connection.set_schema_to_public()
        assert figures["approved_after_appeal"] == before + 1
        shown = _cms_row(admin, "% approved after appeal")
        assert shown == str(figures["approved_after_appeal_pct"])
        assert float(shown) > 0
        screenshot(admin, "cms-report-after-appeal")
    finally:
        for context in contexts:
            context.close()
        connection.set_schema_to_public()
        with tenant_context(tenant):
            Role.objects.get(key="medical_director").members.remove(victor)
        connection.set_schema_to_public()
