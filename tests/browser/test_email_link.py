"""On a phone: bob opens the action link from his email and approves; the request moves on."""

import re

import pytest
from django_tenants.utils import tenant_context

from tests.approvals.helpers import pending, submit_capital
from tests.fixtures.browser import screenshot
from tests.notifications.fixtures import eager_celery, smtp_server, text_of  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("eager_celery")]


def test_bob_approves_from_the_emailed_link_on_a_phone(
    phone_page, live_site, open_db, settings, request
):
    from apps.accounts.models import User
    from apps.tenants.models import Tenant

    mailbox = request.getfixturevalue("smtp_server")
    settings.SITE_PORT = live_site.port
    tenant = Tenant.objects.get(slug="alpha")
    with tenant_context(tenant):
        carol = User.objects.get(email="carol@alpha.test")
        approval = submit_capital(carol, "120000")  # committed; the email goes after commit
    (message,) = mailbox.to("bob@alpha.test")
    link = re.search(r"http://alpha\.localhost:\d+/a/\S+", text_of(message)).group(0)

    phone_page.goto(link)
    heading = phone_page.inner_text("[data-testid=link-heading]")
    assert heading == f"Your decision on {approval.reference}"
    assert "$120,000.00" in phone_page.inner_text("[data-testid=link-summary]")
    # Fits the phone: no horizontal scrolling.
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone_page, "email-link-decide-phone")
    phone_page.click("[data-testid=approve]")
    phone_page.wait_for_selector("[data-testid=link-done]")
    assert phone_page.inner_text("[data-testid=link-heading]") == "Decision recorded"
    assert f"You approved {approval.reference}" in phone_page.inner_text(
        "[data-testid=link-outcome]"
    )
    assert phone_page.inner_text("[data-testid=link-status]") == "In review"
    screenshot(phone_page, "email-link-done-phone")

    with tenant_context(tenant):
        approval.refresh_from_db()
        decision = approval.decisions.get()
        assert (decision.actor.email, decision.channel) == ("bob@alpha.test", "email_link")
        assert [t.step_name for t in pending(approval)] == ["VP review"]
    # The next approver got his own email; bob's link is spent.
    assert mailbox.to("victor@alpha.test")
    phone_page.goto(link)
    assert phone_page.inner_text("[data-testid=link-heading]") == "This link has already been used"


def test_link_page_is_private(client_a):
    """A broken link's page is not cached and sends no referrer to other sites (this test,
    using `db`, also makes a run of this module alone set up the test database)."""
    response = client_a.get("/a/broken")
    assert response.status_code == 400
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "same-origin"
