"""Two differently branded tenants, as their people see them: sign-in page, inbox and the
email action-link page on a phone. The screenshots are kept as artefacts (see docs/partners.md)
and the colours are checked, so a branding regression fails here, not only in the pictures."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from tests.approvals.helpers import pending, submit_capital
from tests.conftest import PASSWORD
from tests.fixtures.browser import screenshot

pytestmark = pytest.mark.browser

TENANTS = [
    # slug, approver, requester, primary colour as the browser reports it
    ("alpha", "bob@alpha.test", "carol@alpha.test", "rgb(30, 58, 138)"),
    ("bravo", "dave@bravo.test", "erin.requester@bravo.test", "rgb(6, 95, 70)"),
]


def _action_link(task, approver) -> str:
    from apps.notifications import tokens
    from apps.notifications.models import ActionToken

    raw = tokens.new_token()
    ActionToken.objects.create(
        token_hash=tokens.token_hash(raw),
        task=task,
        approver=approver,
        expires_at=timezone.now() + timedelta(hours=72),
    )
    return f"/a/{raw}"


@pytest.mark.parametrize(("slug", "approver_email", "requester_email", "colour"), TENANTS)
def test_branded_login_inbox_and_email_link(
    chromium, live_site, open_db, slug, approver_email, requester_email, colour
):
    from apps.accounts.models import User
    from apps.tenants.models import Tenant

    tenant = Tenant.objects.get(slug=slug)
    with tenant_context(tenant):
        requester, _ = User.objects.get_or_create(
            email=requester_email, defaults={"full_name": "Erin Requester"}
        )
        approver = User.objects.get(email=approver_email)
        request = submit_capital(requester, "9000")
        (task,) = pending(request)
        assert task.assignee == approver
        link = _action_link(task, approver)

    desk = chromium.new_context(viewport={"width": 1200, "height": 760})
    page = desk.new_page()
    page.goto(live_site.url(slug, "/login/"))
    assert page.evaluate("getComputedStyle(document.querySelector('.topbar')).backgroundColor") == (
        colour
    )
    screenshot(page, f"tenant-{slug}-login")
    page.fill("#id_username", approver_email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("text=Welcome")
    page.goto(live_site.url(slug, "/inbox/"))
    page.wait_for_selector(f"[data-testid=task-{request.reference}]")
    screenshot(page, f"tenant-{slug}-inbox")
    desk.close()

    phone = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    link_page = phone.new_page()
    link_page.goto(live_site.url(slug, link))
    assert request.reference in link_page.inner_text("[data-testid=link-heading]")
    screenshot(link_page, f"tenant-{slug}-email-link")
    phone.close()
