"""In Chromium: the utilisation reviewer asks for more information; the requester opens "Answer
and send back", sees the question, finds an optional answer they left empty still empty (never
the text "None"), and sends the request back; the stored answer stays empty."""

import secrets

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from apps.accounts.models import User
from apps.approvals.models import ApprovalRequest
from apps.approvals.services import DecisionInput, request_create, task_claim, task_decide
from apps.tenants.models import Tenant
from apps.workflows.models import WorkflowDefinition
from tests.conftest import PASSWORD
from tests.integrations.cleanup import committed_requests_delete
from tests.sla.helpers import PRIOR_AUTH

pytestmark = pytest.mark.browser

QUESTION = "Please attach the report of the prior lumbar X-ray."


def test_runs_against_the_test_database(db):
    assert connection.settings_dict["NAME"].startswith("test_")


def _sent_back(member_id: str) -> ApprovalRequest:
    """carol's prior authorization without a requested service date (optional), which bob
    (utilisation reviewer) sends back with a question. Committed: the browser's server is
    another thread."""
    connection.set_schema_to_public()
    with tenant_context(Tenant.objects.get(slug="alpha")):
        carol = User.objects.get(email="carol@alpha.test")
        bob = User.objects.get(email="bob@alpha.test")
        workflow = WorkflowDefinition.objects.get(key="prior-auth-imaging")
        data = {**PRIOR_AUTH, "member_id": member_id}
        approval = request_create(actor=carol, workflow=workflow, data=data)
        (task,) = approval.tasks.filter(status="pending")
        task = task_claim(actor=bob, task=task)
        task_decide(actor=bob, task=task, decision=DecisionInput("request_info", comment=QUESTION))
        approval.refresh_from_db()
        assert approval.status == "needs_info"
        assert approval.data.get("requested_service_date") is None
    connection.set_schema_to_public()
    return approval


def test_send_back_shows_the_question_and_keeps_an_empty_answer_empty(chromium, live_site, open_db):
    approval = _sent_back(f"XZ{secrets.token_hex(4).upper()}")
    context = chromium.new_context(viewport={"width": 390, "height": 844})
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto(live_site.url("alpha", "/login/"))
        page.fill("#id_username", "carol@alpha.test")
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("text=Welcome")
        page.goto(live_site.url("alpha", f"/requests/{approval.reference}/"))
        page.click("text=Answer and send back")
        assert QUESTION in page.inner_text("main")
        assert page.input_value("#id_requested_service_date") == ""
        assert "None" not in [
            page.input_value(f"#{element.get_attribute('id')}")
            for element in page.locator("main input[type=text], main input[type=date]").all()
            if element.get_attribute("id")
        ]
        page.fill("#id_clinical_notes", PRIOR_AUTH["clinical_notes"] + " X-ray report attached.")
        page.click("button[type=submit]")
        page.wait_for_selector("text=was sent back for review")
        connection.set_schema_to_public()
        with tenant_context(Tenant.objects.get(slug="alpha")):
            approval.refresh_from_db()
            assert approval.status == "in_review"
            assert approval.data.get("requested_service_date") is None
            assert approval.data["clinical_notes"].endswith("X-ray report attached.")
    finally:
        context.close()
        connection.set_schema_to_public()
        committed_requests_delete(
            Tenant.objects.get(slug="alpha"), {"requests": [approval.pk], "endpoints": []}
        )
