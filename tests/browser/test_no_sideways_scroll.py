"""In Chromium, at a phone's 390x844 and a laptop's 1366x900: every page a requester, approver,
tenant admin or partner admin uses fits the window (no sideways scrolling). On the phone the
controls are touch-sized (at least 44px tall) and the tables requesters and approvers read are
cards with labelled values. Each page is saved as a screenshot (var/artifacts/screenshots/);
`MOBILE_DOCS_SCREENSHOTS=1` also refreshes the README's PNGs under docs/screenshots/
(inbox, request and email decision page, phone and desktop)."""

import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from tests.approvals.helpers import submit_capital
from tests.conftest import PASSWORD
from tests.fixtures.browser import screenshot
from tests.notifications.fixtures import eager_celery, smtp_server, text_of  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("eager_celery")]

DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
VIEWPORTS = {"phone": (390, 844), "desktop": (1366, 900)}
# Requester and approver pages: on a phone their tables must be cards with labelled values.
PEOPLE_PAGES = {"home", "inbox", "request", "new-request", "my-requests", "email-link"}
DOCS_PAGES = {"inbox", "request", "email-link"}

OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"
# Visible controls in the page body and the top navigation shorter than a fingertip (44px).
SMALL_CONTROLS = """() => [...document.querySelectorAll(
    'main button, main a.button, main select, main textarea, .topnav a, .topnav button,'
    + ' main input:not([type=checkbox]):not([type=radio]):not([type=hidden])'
  )].filter(e => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && r.height < 43.5
      && getComputedStyle(e).visibility !== 'hidden' && !e.closest('.sr-only');
  }).map(e => `${e.tagName.toLowerCase()} "${(e.innerText || e.name || e.id).trim()
    .slice(0, 30)}" ${Math.round(e.getBoundingClientRect().height)}px`)"""
# Table cells outside a scrolling wrapper that show a value without a label.
UNLABELLED_CELLS = """() => [...document.querySelectorAll('main table td')].filter(td =>
    td.offsetParent !== null && !td.closest('.table-scroll') && td.innerText.trim()
    && !td.dataset.label && !td.classList.contains('pick')
  ).map(td => td.innerText.trim().slice(0, 30))"""
# Elements sticking out past the right edge (to explain an overflow).
WIDE = """() => [...document.querySelectorAll('body *')].filter(e => {
    const r = e.getBoundingClientRect();
    return r.right > window.innerWidth + 1 && !e.closest('.table-scroll');
  }).slice(0, 5).map(e => `${e.tagName.toLowerCase()}.${e.className}`)"""


@dataclass
class Seen:
    problems: list[str]


def test_runs_against_the_test_database(db):
    assert connection.settings_dict["NAME"].startswith("test_")


@pytest.fixture
def mailbox(request):
    return request.getfixturevalue("smtp_server")


def _capital_with_discussion():
    """A capital purchase by carol at bob's step, with a comment each and a link in bob's mail."""
    from apps.accounts.models import User
    from apps.approvals.discussion import comment_add
    from apps.tenants.models import Tenant

    connection.set_schema_to_public()
    with tenant_context(Tenant.objects.get(slug="alpha")):
        carol = User.objects.get(email="carol@alpha.test")
        bob = User.objects.get(email="bob@alpha.test")
        approval = submit_capital(carol, "120000")
        comment_add(actor=carol, approval=approval, body="The vendor quote is attached.")
        comment_add(
            actor=bob,
            approval=approval,
            body="Checking the service contract terms before I decide on this one.",
        )
    connection.set_schema_to_public()
    return approval


def _context(chromium, kind: str):
    width, height = VIEWPORTS[kind]
    phone = kind == "phone"
    context = chromium.new_context(
        viewport={"width": width, "height": height},
        is_mobile=phone,
        has_touch=phone,
        device_scale_factor=1,
    )
    context.set_default_timeout(20_000)
    return context


def _sign_in(page, url: str, email: str) -> None:
    page.goto(url)
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def _check(page, kind: str, name: str, seen: Seen) -> None:
    page.wait_for_load_state("networkidle")
    assert name == "sign-in" or "/login/" not in page.url, f"{name}: {page.url}"
    overflow = page.evaluate(OVERFLOW)
    if overflow > 0:
        seen.problems.append(f"{kind} {name}: {overflow}px sideways {page.evaluate(WIDE)}")
    if kind == "phone":
        small = page.evaluate(SMALL_CONTROLS)
        if small:
            seen.problems.append(f"{kind} {name}: small controls {small}")
        if name in PEOPLE_PAGES:
            unlabelled = page.evaluate(UNLABELLED_CELLS)
            if unlabelled:
                seen.problems.append(f"{kind} {name}: unlabelled cells {unlabelled}")
    screenshot(page, f"fit-{name}-{kind}")
    if name in DOCS_PAGES and os.environ.get("MOBILE_DOCS_SCREENSHOTS"):
        target = DOCS_SCREENSHOTS / f"{name}-{kind}.png"
        page.screenshot(path=str(target))  # the first screen: small PNGs for the README


@pytest.mark.parametrize("kind", ["phone", "desktop"])
def test_pages_fit_the_window(kind, chromium, live_site, open_db, settings, mailbox):
    settings.SITE_PORT = live_site.port
    approval = _capital_with_discussion()
    (message,) = mailbox.to("bob@alpha.test")
    link = re.search(r"http://alpha\.localhost:\d+/a/\S+", text_of(message)).group(0)
    alpha = lambda path: live_site.url("alpha", path)  # noqa: E731
    seen = Seen(problems=[])
    contexts = []

    def page_for(email: str | None, sign_in_url: str):
        context = _context(chromium, kind)
        contexts.append(context)
        page = context.new_page()
        if email:
            _sign_in(page, sign_in_url, email)
        return page

    try:
        visitor = page_for(None, "")
        visitor.goto(alpha("/login/"))
        _check(visitor, kind, "sign-in", seen)
        visitor.goto(link)
        assert visitor.inner_text("[data-testid=link-heading]") == (
            f"Your decision on {approval.reference}"
        )
        _check(visitor, kind, "email-link", seen)

        carol = page_for("carol@alpha.test", alpha("/login/"))
        carol.goto(alpha("/"))
        _check(carol, kind, "home", seen)
        carol.goto(alpha("/requests/new/capital-purchase/"))
        _check(carol, kind, "new-request", seen)
        carol.goto(alpha("/requests/"))
        assert approval.reference in carol.inner_text("main")
        _check(carol, kind, "my-requests", seen)

        bob = page_for("bob@alpha.test", alpha("/login/"))
        bob.goto(alpha("/inbox/"))
        assert approval.reference in bob.inner_text("main")
        _check(bob, kind, "inbox", seen)
        bob.goto(alpha(f"/requests/{approval.reference}/"))
        assert "Checking the service contract" in bob.inner_text("main")
        _check(bob, kind, "request", seen)

        alice = page_for("alice@alpha.test", alpha("/login/"))
        for name, path in (
            ("insights", "/admin/insights/"),
            ("sla-board", "/admin/sla/"),
            ("audit", "/admin/audit/"),
        ):
            response = alice.goto(alpha(path))
            assert response.status == 200, name
            _check(alice, kind, name, seen)

        paula = page_for("paula@partner-p.test", live_site.url(None, "/login/"))
        paula.goto(live_site.url(None, "/"))
        paula.wait_for_selector("[data-testid=tenant-list]")
        _check(paula, kind, "partner-tenants", seen)
        paula.goto(live_site.url(None, "/tenants/new/"))
        paula.wait_for_selector("[data-testid=create-tenant]")
        _check(paula, kind, "tenant-wizard", seen)
    finally:
        for context in contexts:
            context.close()
    assert seen.problems == [], "\n".join(seen.problems)
