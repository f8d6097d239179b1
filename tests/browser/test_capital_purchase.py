"""In Chromium: carol's $120,000 capital purchase climbs the authority ladder to approval."""

import re

import pytest

from tests.conftest import PASSWORD
from tests.fixtures.browser import screenshot

pytestmark = pytest.mark.browser


def _signed_in(chromium, live_site, email):
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(live_site.url("alpha", "/login/"))
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("text=Welcome")
    return page


def _approve_from_inbox(page, reference, step):
    page.click("text=Inbox")
    page.click(f"[data-testid=task-{reference}] a")
    page.wait_for_selector(f"text=Your decision: {step}")
    page.check("input[name=decision][value=approve]")
    page.click("text=Record decision")
    page.wait_for_selector(f"text=You approved {reference}")


def test_capital_purchase_routes_up_the_ladder(chromium, live_site, open_db):
    carol = _signed_in(chromium, live_site, "carol@alpha.test")
    carol.click("text=New request")
    carol.click("[data-testid=workflow-capital-purchase]")
    carol.fill("#id_item_description", "Portable ultrasound, 2 units")
    carol.fill("#id_vendor", "Acme Medical")
    carol.fill("#id_amount", "120000")
    carol.fill("#id_cost_centre", "4100-RAD")
    carol.select_option("#id_owning_department", "radiology")
    carol.fill("#id_justification", "Bedside imaging in the emergency department.")
    carol.click("text=Submit for approval")
    carol.wait_for_selector("[data-testid=status]")
    reference = re.search(r"CAP-\d{4}-\d{6}", carol.inner_text("h1")).group(0)
    assert carol.inner_text("[data-testid=status]") == "In review"
    assert "Director review" in carol.inner_text("[data-testid=stages]")

    bob = _signed_in(chromium, live_site, "bob@alpha.test")
    bob.click("text=Inbox")
    bob.click(f"[data-testid=task-{reference}] a")
    bob.check("input[name=decision][value=reject]")
    bob.fill("textarea[name=comment]", "Not in this year's plan.")
    bob.click("text=Record decision")
    assert "Choose a reason code for the denial." in bob.inner_text(
        "[data-testid=error-reason_code]"
    )
    assert bob.input_value("textarea[name=comment]") == "Not in this year's plan."
    screenshot(bob, "capital-denial-needs-reason")
    bob.check("input[name=decision][value=approve]")
    bob.click("text=Record decision")
    bob.wait_for_selector(f"text=You approved {reference}")

    _approve_from_inbox(
        _signed_in(chromium, live_site, "victor@alpha.test"), reference, "VP review"
    )
    _approve_from_inbox(
        _signed_in(chromium, live_site, "frank@alpha.test"), reference, "CFO approval"
    )

    carol.goto(live_site.url("alpha", f"/requests/{reference}/"))
    assert carol.inner_text("[data-testid=status]") == "Approved"
    timeline = carol.inner_text("[data-testid=timeline]")
    for line in (
        "Carol Requester created the request.",
        "Director review: sent to Bob Approver.",
        "Bob Approver approved (Director review).",
        "VP review: sent to Victor Vice-President.",
        "Victor Vice-President approved (VP review).",
        "CFO approval: sent to Frank Finance.",
        "Frank Finance approved (CFO approval).",
        "Status: Approved.",
    ):
        assert line in timeline
    screenshot(carol, "capital-approved-detail")
