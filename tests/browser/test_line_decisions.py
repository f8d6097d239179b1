"""In Chromium on a 390 px phone: the utilisation reviewer decides a prior authorization for
three services line by line (approve one, reduce one, deny one with its reason), with no
horizontal scroll; the request page then shows each line's outcome."""

import secrets

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from apps.accounts.models import User
from apps.approvals.models import ApprovalRequest, LineDecision
from apps.approvals.services import request_create, task_claim
from apps.tenants.models import Tenant
from apps.workflows.models import WorkflowDefinition
from tests.conftest import PASSWORD
from tests.fixtures.browser import screenshot
from tests.integrations.cleanup import committed_requests_delete
from tests.sla.helpers import PRIOR_AUTH

pytestmark = pytest.mark.browser

LINES = [
    {"code": "72148", "description": "MRI lumbar spine", "quantity": 1},
    {"code": "97110", "description": "Therapeutic exercise", "quantity": 12},
    {"code": "72158", "description": "MRI lumbar with and without contrast", "quantity": 1},
]


def _claimed(member_id: str) -> ApprovalRequest:
    """carol's three-line prior authorization, claimed by bob (committed: the browser's server
    is another thread)."""
    connection.set_schema_to_public()
    with tenant_context(Tenant.objects.get(slug="alpha")):
        carol = User.objects.get(email="carol@alpha.test")
        bob = User.objects.get(email="bob@alpha.test")
        workflow = WorkflowDefinition.objects.get(key="prior-auth-imaging")
        data = {**PRIOR_AUTH, "member_id": member_id, "service_lines": LINES}
        approval = request_create(actor=carol, workflow=workflow, data=data)
        (task,) = approval.tasks.filter(status="pending")
        task_claim(actor=bob, task=task)
    connection.set_schema_to_public()
    return approval


def _no_horizontal_scroll(page) -> None:
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"document {width}px wider than the {inner}px screen"


def test_lines_are_decided_one_by_one_on_a_phone(phone_page, live_site):
    page = phone_page
    approval = _claimed(f"XL{secrets.token_hex(4).upper()}")
    try:
        page.goto(live_site.url("alpha", "/login/"))
        page.fill("#id_username", "bob@alpha.test")
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("text=Welcome")
        page.goto(live_site.url("alpha", f"/requests/{approval.reference}/"))
        page.wait_for_selector("[data-testid=decide-by-line]")
        _no_horizontal_scroll(page)
        assert "97110 Therapeutic exercise" in page.inner_text("[data-testid=line-2]")
        page.check("[data-testid=decide-by-line]")
        page.check("[data-testid=line-1-approve]")
        page.check("[data-testid=line-2-reduce]")
        page.fill("[data-testid=line-2] input[type=number]", "6")
        page.check("[data-testid=line-3-deny]")
        # A denied line without its reason is refused, and the page says why.
        page.click("text=Record decision")
        page.wait_for_selector("[data-testid=error-line-3]")
        assert "reason code" in page.inner_text("[data-testid=error-line-3]")
        _no_horizontal_scroll(page)
        # What was chosen is still chosen (post, redirect, get).
        assert page.is_checked("[data-testid=decide-by-line]")
        assert page.is_checked("[data-testid=line-2-reduce]")
        assert page.input_value("[data-testid=line-2] input[type=number]") == "6"
        assert page.is_checked("[data-testid=line-3-deny]")
        page.select_option("[data-testid=line-3] select", "NOT_MEDICALLY_NECESSARY")
        page.fill("[data-testid=line-3] input[type=text]", "Contrast not indicated.")
        screenshot(page, "line-decisions-phone-form")
        page.click("text=Record decision")
        page.wait_for_selector("[data-testid=line-outcomes]")
        outcomes = page.inner_text("[data-testid=line-outcomes]")
        assert "(6 of 12)" in outcomes
        assert "Not medically necessary" in outcomes or "medically" in outcomes.lower()
        assert page.inner_text("[data-testid=status]") == "Partially approved"
        _no_horizontal_scroll(page)
        screenshot(page, "line-decisions-phone-outcomes")
        connection.set_schema_to_public()
        with tenant_context(Tenant.objects.get(slug="alpha")):
            rows = LineDecision.objects.filter(decision__request_id=approval.pk).order_by("line")
            assert [(r.outcome, r.approved_quantity) for r in rows] == [
                ("approved", 1),
                ("reduced", 6),
                ("denied", 0),
            ]
            assert {r.decision.channel for r in rows} == {"web"}
    finally:
        connection.set_schema_to_public()
        committed_requests_delete(
            Tenant.objects.get(slug="alpha"), {"requests": [approval.pk], "endpoints": []}
        )
