"""In Chromium: an inbox people can work in. The CFO ticks five requests and approves them at
once; one is above his (lowered) authority and is refused, the other four are approved, and the
results page lists each. The director searches and sorts his inbox (kept in the URL), saves a
view and reopens it. On a phone the inbox is cards with labelled values and never scrolls
sideways (at 390 and at 1366 pixels)."""

from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from apps.accounts.models import User
from apps.approvals.models import ApprovalRequest, SavedInboxView, Task
from apps.approvals.services import DecisionInput, task_decide
from apps.people.models import AuthorityLimit
from apps.tenants.models import Tenant
from tests.approvals.helpers import submit_capital
from tests.conftest import PASSWORD
from tests.fixtures.browser import screenshot

pytestmark = pytest.mark.browser

APPROVE = DecisionInput("approve")


def test_runs_against_the_test_database(db):
    assert connection.settings_dict["NAME"].startswith("test_")


@contextmanager
def in_alpha():
    connection.set_schema_to_public()
    with tenant_context(Tenant.objects.get(slug="alpha")):
        yield
    connection.set_schema_to_public()


def _people(*emails: str) -> list[User]:
    return [User.objects.get(email=email) for email in emails]


def _at_the_cfo(amounts: list[str]) -> list[ApprovalRequest]:
    """Capital requests by carol approved by the director and the VP: each waits for frank."""
    carol, bob, victor = _people("carol@alpha.test", "bob@alpha.test", "victor@alpha.test")
    made = []
    for amount in amounts:
        request = submit_capital(carol, amount)
        for approver in (bob, victor):
            (task,) = request.tasks.filter(status="pending")
            task_decide(actor=approver, task=task, decision=APPROVE)
        made.append(request)
    return made


def _sign_in(page, live_site, email: str) -> None:
    page.goto(live_site.url("alpha", "/login/"))
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("text=Welcome")


def _listed(page) -> list[str]:
    return [
        (row.get_attribute("data-testid") or "").removeprefix("task-")
        for row in page.locator('#inbox-rows tr[data-testid^="task-"]').all()
    ]


@pytest.fixture
def cfo_limit_lowered(open_db):
    """Lower the CFO's capital limit to $150,000 (after routing sent the tasks to him); it is
    put back after the test."""
    with in_alpha():
        limit = AuthorityLimit.objects.get(role__key="cfo", category="capital")
    before = limit.limit

    def lower() -> None:
        with in_alpha():
            AuthorityLimit.objects.filter(pk=limit.pk).update(limit=Decimal("150000"))

    yield lower
    with in_alpha():
        AuthorityLimit.objects.filter(pk=limit.pk).update(limit=before)


def test_bulk_approval_of_five_with_one_refused_by_authority(
    chromium, live_site, open_db, cfo_limit_lowered
):
    with in_alpha():
        made = _at_the_cfo(["120000", "125000", "200000", "130000", "140000"])
    cfo_limit_lowered()
    references = [r.reference for r in made]
    above = references[2]
    context = chromium.new_context(viewport={"width": 1366, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        _sign_in(page, live_site, "frank@alpha.test")
        page.goto(live_site.url("alpha", "/inbox/"))
        for reference in references:
            page.check(f'[data-testid="pick-{reference}"]')
        page.click('[data-testid="bulk-approve"]')
        page.wait_for_selector('[data-testid="bulk-results"]')
        assert page.url.endswith("/inbox/bulk/results")  # POST, then redirect, then GET
        assert "Decided 4 of 5 tasks; 1 refused." in page.inner_text("main")
        for reference in references:
            row = page.inner_text(f'[data-testid="result-{reference}"]')
            if reference == above:
                assert "Refused" in row
                assert "insufficient_authority" in row
                assert "authority does not cover" in row
            else:
                assert "Decided" in row
        page.reload()  # a reload shows the results again and decides nothing twice
        assert "Refused" in page.inner_text(f'[data-testid="result-{above}"]')
        with in_alpha():
            statuses = {
                r.reference: r.status
                for r in ApprovalRequest.objects.filter(reference__in=references)
            }
            assert statuses == {r: ("in_review" if r == above else "approved") for r in references}
            assert Task.objects.filter(request__reference=above, status="pending").count() == 1
        page.goto(live_site.url("alpha", "/inbox/"))
        assert _listed(page) == [above]
    finally:
        context.close()


@pytest.fixture
def bobs_three(open_db):
    with in_alpha():
        carol = User.objects.get(email="carol@alpha.test")
        made = [submit_capital(carol, amount) for amount in ("9000", "20000", "3000")]
    yield [r.reference for r in made]
    with in_alpha():
        SavedInboxView.objects.filter(owner__email="bob@alpha.test").delete()


def test_search_and_sort_are_kept_in_the_url(chromium, live_site, open_db, bobs_three):
    context = chromium.new_context(viewport={"width": 1366, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        _sign_in(page, live_site, "bob@alpha.test")
        page.goto(live_site.url("alpha", "/inbox/"))
        assert set(bobs_three) <= set(_listed(page))
        page.fill('input[name="q"]', bobs_three[1])
        page.press('input[name="q"]', "Enter")
        page.wait_for_url(f"**q={bobs_three[1]}**")
        assert _listed(page) == [bobs_three[1]]
        page.fill('input[name="q"]', "Acme")
        page.select_option('select[name="sort"]', "-amount")
        page.click('[data-testid="apply"]')
        page.wait_for_url("**sort=-amount**")
        assert _listed(page) == [bobs_three[i] for i in (1, 0, 2)]
        page.select_option('select[name="sort"]', "amount")
        page.click('[data-testid="apply"]')
        page.wait_for_url("**sort=amount**")
        assert _listed(page) == [bobs_three[i] for i in (2, 0, 1)]
        page.reload()  # the URL alone gives the same list
        assert _listed(page) == [bobs_three[i] for i in (2, 0, 1)]
        assert page.input_value('input[name="q"]') == "Acme"
    finally:
        context.close()


def test_a_saved_view_is_saved_listed_and_reopened(chromium, live_site, open_db, bobs_three):
    context = chromium.new_context(viewport={"width": 1366, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        _sign_in(page, live_site, "bob@alpha.test")
        page.goto(live_site.url("alpha", "/inbox/"))
        page.select_option('select[name="workflow"]', "capital-purchase")
        page.select_option('select[name="sort"]', "-amount")
        page.click('[data-testid="apply"]')
        page.wait_for_url("**sort=-amount**")
        page.click('[data-testid="saved-views"] summary')
        page.fill("#view-name", "Big capital first")
        page.click('[data-testid="save-view"] button')
        page.wait_for_selector('text=Saved the view "Big capital first".')
        page.goto(live_site.url("alpha", "/inbox/?q=nothing-matches-this"))
        assert _listed(page) == []
        page.click('[data-testid="saved-views"] a:has-text("Big capital first")')
        page.wait_for_url("**workflow=capital-purchase&sort=-amount")
        assert _listed(page) == [bobs_three[i] for i in (1, 0, 2)]
        assert page.input_value('select[name="sort"]') == "-amount"
        page.click('[aria-label="Delete the view Big capital first"]')
        page.wait_for_selector('text=Deleted the view "Big capital first".')
        with in_alpha():
            assert not SavedInboxView.objects.filter(owner__email="bob@alpha.test").exists()
    finally:
        context.close()


def test_on_a_phone_the_inbox_is_cards_without_sideways_scroll(
    chromium, live_site, open_db, bobs_three
):
    for width, height, mobile in ((390, 844, True), (1366, 900, False)):
        context = chromium.new_context(
            viewport={"width": width, "height": height}, is_mobile=mobile, has_touch=mobile
        )
        context.set_default_timeout(15_000)
        page = context.new_page()
        try:
            _sign_in(page, live_site, "bob@alpha.test")
            page.goto(live_site.url("alpha", "/inbox/"))
            page.wait_for_selector(f'[data-testid="task-{bobs_three[0]}"]')
            scroll, inner = page.evaluate(
                "[document.documentElement.scrollWidth, window.innerWidth]"
            )
            screenshot(page, f"inbox-{width}")
            assert scroll <= inner, (width, scroll, inner)
            label = page.evaluate(
                """() => getComputedStyle(
                    document.querySelector('#inbox-rows td[data-label="Amount"]'), '::before'
                ).content"""
            )
            head_shown = page.locator(".inbox-table thead").is_visible()
            if mobile:
                assert label == '"Amount"'  # each value says what it is
                assert not head_shown
            else:
                assert label in ("none", "normal", "")
                assert head_shown
        finally:
            context.close()
