"""In Chromium: carol saves a capital purchase as a draft, opens it, edits the amount, and
submits it from the form; the director is asked."""

import secrets

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from apps.approvals.models import ApprovalRequest
from apps.tenants.models import Tenant
from tests.conftest import PASSWORD
from tests.integrations.cleanup import committed_requests_delete

pytestmark = pytest.mark.browser


def test_runs_against_the_test_database(db):
    assert connection.settings_dict["NAME"].startswith("test_")


def _made(item: str) -> list[ApprovalRequest]:
    connection.set_schema_to_public()
    with tenant_context(Tenant.objects.get(slug="alpha")):
        found = list(ApprovalRequest.objects.filter(data__item_description=item))
        for request in found:
            request.pending = [t.step_name for t in request.tasks.filter(status="pending")]
    connection.set_schema_to_public()
    return found


def test_draft_edit_submit(chromium, live_site, open_db):
    item = f"Bladder scanner {secrets.token_hex(3)}"
    context = chromium.new_context(viewport={"width": 1366, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    made: list[ApprovalRequest] = []
    try:
        page.goto(live_site.url("alpha", "/login/"))
        page.fill("#id_username", "carol@alpha.test")
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("text=Welcome")
        page.goto(live_site.url("alpha", "/requests/new/capital-purchase/"))
        page.fill("#id_item_description", item)
        page.fill("#id_vendor", "Draft Medical Supplies")
        page.fill("#id_amount", "4000")
        page.fill("#id_cost_centre", "4100-RAD")
        page.select_option("#id_owning_department", "radiology")
        page.fill("#id_justification", "The ward's scanner failed.")
        page.click("text=Save as draft")
        page.wait_for_selector("[data-testid=draft-actions]")
        made = _made(item)
        (draft,) = made
        assert draft.status == "draft"

        page.click("[data-testid=draft-edit]")
        assert page.input_value("#id_vendor") == "Draft Medical Supplies"
        page.fill("#id_amount", "4750")
        page.click("text=Submit for approval")
        page.wait_for_selector("text=was submitted for approval")
        assert page.locator("[data-testid=draft-actions]").count() == 0
        (submitted,) = _made(item)
        assert submitted.status == "in_review"
        assert str(submitted.amount) == "4750.00"
        assert submitted.pending == ["Director review"]
    finally:
        context.close()
        if made:
            committed_requests_delete(
                Tenant.objects.get(slug="alpha"),
                {"requests": [r.pk for r in made], "endpoints": []},
            )
