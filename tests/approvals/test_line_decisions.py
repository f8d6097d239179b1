"""Per-line decisions through `task_decide`: the engine's checks still hold (authority on the
approved total, the request's version), the web form posts line by line, and a same-tenant
user without the task is refused."""

from datetime import timedelta
from decimal import Decimal

import pytest

from apps.approvals.exceptions import ApprovalError
from apps.approvals.models import LineDecision
from apps.approvals.services import DecisionInput, request_create, task_decide
from apps.people.models import AuthorityLimit
from apps.workflows import engine
from apps.workflows.models import WorkflowDefinition
from tests.approvals.helpers import capital_data, pending
from tests.conftest import sign_in

APPROVE = DecisionInput("approve")
ITEMS = "CT scanner | 1 | 150000\nService contract | 1 | 50000"


@pytest.fixture
def at_cfo(in_tenant_a, carol, bob, victor, frank):
    """A $200,000 purchase of two priced items at the CFO step (limit lowered to $160,000)."""
    workflow = WorkflowDefinition.objects.get(key="capital-purchase")
    data = {**capital_data("200000"), "line_items": ITEMS}
    request = request_create(actor=carol, workflow=workflow, data=data)
    for approver in (bob, victor):
        (task,) = pending(request)
        task_decide(actor=approver, task=task, decision=APPROVE)
    (task,) = pending(request)
    assert task.assignee == frank
    AuthorityLimit.objects.filter(role__key="cfo", category="capital").update(
        limit=Decimal("160000")
    )
    return request, task


def _lines(*outcomes):
    return tuple(
        engine.LineDecision(
            number,
            outcome,
            reason_code="BUDGET_NOT_AVAILABLE" if outcome == "denied" else None,
        )
        for number, outcome in enumerate(outcomes, start=1)
    )


def test_the_authority_limit_applies_to_the_approved_total(at_cfo, frank):
    request, task = at_cfo
    with pytest.raises(ApprovalError) as whole:
        task_decide(actor=frank, task=task, decision=APPROVE)
    assert whole.value.code == "insufficient_authority"
    with pytest.raises(ApprovalError) as both:
        task_decide(
            actor=frank, task=task, decision=DecisionInput("", lines=_lines("approved", "approved"))
        )
    assert both.value.code == "insufficient_authority"
    assert not LineDecision.objects.exists()
    decision = task_decide(
        actor=frank, task=task, decision=DecisionInput("", lines=_lines("approved", "denied"))
    )
    assert (decision.outcome, decision.partial) == ("approve", True)
    request.refresh_from_db()
    assert request.status == "partially_approved"
    assert [(r.line, r.outcome) for r in decision.lines.all()] == [(1, "approved"), (2, "denied")]


def test_a_stale_version_is_refused(at_cfo, frank):
    request, task = at_cfo
    with pytest.raises(ApprovalError) as refused:
        task_decide(
            actor=frank,
            task=task,
            decision=DecisionInput("", lines=_lines("approved", "denied")),
            expected_version=request.updated_at - timedelta(seconds=5),
        )
    assert refused.value.code == "version_mismatch"
    assert not LineDecision.objects.exists()


def test_the_web_form_decides_line_by_line_and_others_are_refused(at_cfo, client_a, frank):
    request, task = at_cfo
    url = f"/requests/{request.reference}/tasks/{task.pk}/decide"
    posted = {
        "decision": "lines",
        "line_1_outcome": "approved",
        "line_2_outcome": "denied",
        "line_2_reason": "BUDGET_NOT_AVAILABLE",
        "line_2_note": "Next year's budget.",
    }
    sign_in(client_a, "olivia@alpha.test")
    assert client_a.post(url, posted).status_code == 404
    client_a.logout()
    sign_in(client_a, "bob@alpha.test")  # decided an earlier step: sees it, not his task
    refused = client_a.post(url, posted, follow=True)
    assert refused.redirect_chain[0][1] == 303
    assert "assigned to someone else" in refused.content.decode()
    assert not LineDecision.objects.exists()
    client_a.logout()
    sign_in(client_a, "frank@alpha.test")
    page = client_a.get(f"/requests/{request.reference}/").content.decode()
    assert 'data-testid="decide-by-line"' in page
    assert "1. CT scanner" in page
    response = client_a.post(url, posted)
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == "partially_approved"
    row = LineDecision.objects.get(line=2)
    assert (row.outcome, row.reason_code.code, row.note) == (
        "denied",
        "BUDGET_NOT_AVAILABLE",
        "Next year's budget.",
    )
    assert row.decision.channel == "web"
    detail = client_a.get(f"/requests/{request.reference}/").content.decode()
    assert 'data-testid="line-outcomes"' in detail
    assert "Next year&#x27;s budget." in detail or "Next year's budget." in detail
