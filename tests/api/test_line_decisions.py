"""Per-line decisions through POST /api/v1/tasks/{id}/decide: a prior authorization for four
services, two approved, one reduced, one denied with its reason; stored outcomes, the overall
outcome, the audit entry, the timeline and the PAS ClaimResponse's item-level review actions;
stable 400 codes for bad lines; outsiders and other tenants refused."""

from decimal import Decimal

import pytest
from django_tenants.utils import tenant_context
from fhir.resources.R4B.bundle import Bundle

from apps.approvals.models import ApprovalRequest, Decision, LineDecision
from apps.audit.models import AuditEntry
from apps.integrations.fhir import codes
from apps.integrations.fhir.pas_answer import read_answer
from apps.integrations.payers.choices import PayerOutcome
from apps.workflows import engine
from apps.workflows.engine.lines import approved_total
from tests.api.conftest import ApiClient, error_of, key_for
from tests.approvals.helpers import capital_data
from tests.sla.helpers import PRIOR_AUTH

LINES = [
    {"code": "72148", "description": "MRI lumbar spine", "quantity": 1},
    {"code": "72146", "description": "MRI thoracic spine", "quantity": 1},
    {"code": "97110", "description": "Therapeutic exercise", "quantity": 12},
    {"code": "72158", "description": "MRI lumbar with and without contrast", "quantity": 1},
]
DECIDED = [
    {"line": 1, "outcome": "approved"},
    {"line": 2, "outcome": "approved"},
    {"line": 3, "outcome": "reduced", "quantity": 6, "note": "Six sessions, then review."},
    {
        "line": 4,
        "outcome": "denied",
        "reason_code": "NOT_MEDICALLY_NECESSARY",
        "note": "Contrast study not indicated.",
    },
]


@pytest.fixture
def claimed(api, carol, bob):
    """carol's prior authorization for four services, its queue task claimed by bob."""
    created = api(carol).post(
        "/api/v1/requests",
        {"workflow": "prior-auth-imaging", "data": {**PRIOR_AUTH, "service_lines": LINES}},
    )
    assert created.status_code == 201, created.content
    body = created.json()
    bob_api = api(bob)
    task_id = body["tasks"][0]["id"]
    assert bob_api.post(f"/api/v1/tasks/{task_id}/claim", {}).status_code == 200
    return body, task_id, bob_api


def _decide(client, task_id, body):
    return client.post(f"/api/v1/tasks/{task_id}/decide", body)


def test_lines_are_decided_one_by_one_and_carried_into_the_claim_response(claimed, tenant_a, bob):
    body, task_id, bob_api = claimed
    response = _decide(bob_api, task_id, {"lines": DECIDED, "comment": "Approved in part."})
    assert response.status_code == 200, response.content
    decided = response.json()
    assert decided["outcome"] == "approve"
    assert decided["partial"] is True
    assert decided["channel"] == "api"
    assert [(x["line"], x["outcome"], x["approved_quantity"]) for x in decided["lines"]] == [
        (1, "approved", 1),
        (2, "approved", 1),
        (3, "reduced", 6),
        (4, "denied", 0),
    ]
    assert decided["lines"][3]["reason_code"] == "NOT_MEDICALLY_NECESSARY"

    with tenant_context(tenant_a):
        request = ApprovalRequest.objects.get(pk=body["id"])
        assert request.status == "partially_approved"
        decision = Decision.objects.get(request=request)
        rows = list(LineDecision.objects.filter(decision=decision).order_by("line"))
        assert [(r.outcome, r.requested_quantity, r.approved_quantity) for r in rows] == [
            ("approved", 1, 1),
            ("approved", 1, 1),
            ("reduced", 12, 6),
            ("denied", 1, 0),
        ]
        assert rows[3].reason_code.code == "NOT_MEDICALLY_NECESSARY"
        assert rows[2].note == "Six sessions, then review."
        audited = AuditEntry.objects.filter(
            object_type__icontains="line", request_reference=request.reference
        )
        assert audited.count() == 4
        assert {(a.actor_email, a.channel) for a in audited} == {("bob@alpha.test", "api")}
        sentence = request.timeline.get(kind="line_decisions").summary
        assert "line 3 approved 6 of 12" in sentence
        assert "line 4 denied (" in sentence
        assert "72158" not in sentence  # a line's code may be PHI: never in the timeline

    # The ClaimResponse gives each item its own line's X12 306 review action.
    claim = bob_api.get(f"/fhir/ClaimResponse/{body['reference']}")
    assert claim.status_code == 200, claim.content
    bundle = Bundle.model_validate(claim.json())
    (response_resource,) = [
        e.resource for e in bundle.entry if e.resource.get_resource_type() == "ClaimResponse"
    ]
    assert response_resource.outcome == "partial"
    actions, reasons, values = [], [], []
    for item in response_resource.item:
        (adjudication,) = item.adjudication
        (review,) = [x for x in adjudication.extension if x.url == codes.REVIEW_ACTION_URL]
        (code,) = [x for x in review.extension if x.url == "code"]
        actions.append((item.itemSequence, code.valueCodeableConcept.coding[0].code))
        reasons.append(adjudication.reason.coding[0].code if adjudication.reason else None)
        values.append(adjudication.value)
    assert actions == [(1, "A1"), (2, "A1"), (3, "A6"), (4, "A3")]
    assert reasons == [None, None, None, "NOT_MEDICALLY_NECESSARY"]
    assert values[2] == Decimal(6)
    # Read back as a payer's answer (pas_answer), it is a partial approval item by item.
    answer = read_answer(claim.json())
    assert answer.outcome == PayerOutcome.PARTIAL
    assert [(i.sequence, i.action) for i in answer.items] == actions
    assert answer.items[3].reason_code == "NOT_MEDICALLY_NECESSARY"


def test_every_line_denied_is_a_denial(claimed, tenant_a):
    body, task_id, bob_api = claimed
    lines = [
        {"line": n, "outcome": "denied", "reason_code": "POLICY_EXCLUSION"} for n in (1, 2, 3, 4)
    ]
    without_text = _decide(bob_api, task_id, {"lines": lines})
    assert without_text.status_code == 400
    assert "comment" in error_of(without_text)["fields"]
    response = _decide(bob_api, task_id, {"lines": lines, "comment": "Excluded by the plan."})
    assert response.status_code == 200, response.content
    assert response.json()["outcome"] == "reject"
    with tenant_context(tenant_a):
        request = ApprovalRequest.objects.get(pk=body["id"])
        assert request.status == "denied"
        assert request.decisions.get().reason_code.code == "POLICY_EXCLUSION"


@pytest.mark.parametrize(
    ("lines", "code", "field"),
    [
        ([*DECIDED[:3], {"line": 9, "outcome": "approved"}], "line_unknown", "lines.3"),
        (
            [*DECIDED[:2], {"line": 3, "outcome": "reduced", "quantity": 12}, DECIDED[3]],
            "line_quantity_above_requested",
            "lines.2",
        ),
        (
            [*DECIDED[:2], {"line": 3, "outcome": "reduced"}, DECIDED[3]],
            "line_quantity_invalid",
            "lines.2",
        ),
        ([*DECIDED[:3], {"line": 4, "outcome": "denied"}], "line_reason_required", "lines.3"),
        (
            [*DECIDED[:3], {"line": 4, "outcome": "denied", "reason_code": "NOPE"}],
            "line_reason_unknown",
            "lines.3",
        ),
        (DECIDED[:3], "line_missing", "lines"),
        ([*DECIDED, DECIDED[0]], "line_repeated", "lines.4"),
    ],
)
def test_bad_lines_are_400_with_a_stable_code(claimed, tenant_a, lines, code, field):
    body, task_id, bob_api = claimed
    response = _decide(bob_api, task_id, {"lines": lines})
    assert response.status_code == 400, response.content
    error = error_of(response)
    assert error["code"] == code
    assert field in error["fields"]
    with tenant_context(tenant_a):
        request = ApprovalRequest.objects.get(pk=body["id"])
        assert request.status == "in_review"
        assert not LineDecision.objects.filter(decision__request=request).exists()


def test_lines_must_agree_with_a_given_decision_and_fit_the_request(claimed, api, carol):
    _body, task_id, bob_api = claimed
    mismatch = _decide(bob_api, task_id, {"decision": "reject", "lines": DECIDED})
    assert error_of(mismatch)["code"] == "lines_decision_mismatch"
    info = _decide(bob_api, task_id, {"decision": "request_info", "lines": DECIDED})
    assert error_of(info)["code"] == "lines_decision_mismatch"
    bad_outcome = _decide(bob_api, task_id, {"lines": [{"line": 1, "outcome": "maybe"}]})
    assert bad_outcome.status_code == 400
    assert "lines.0.outcome" in error_of(bad_outcome)["fields"]
    nothing = _decide(bob_api, task_id, {})
    assert "decision" in error_of(nothing)["fields"]
    # A request without lines takes no per-line decision.
    single = api(carol).post(
        "/api/v1/requests", {"workflow": "capital-purchase", "data": capital_data("1000")}
    )
    single_task = single.json()["tasks"][0]["id"]
    response = _decide(bob_api, single_task, {"lines": [{"line": 1, "outcome": "approved"}]})
    assert error_of(response)["code"] == "lines_not_applicable"


def test_an_outsider_and_another_tenants_key_are_refused(
    claimed, api, olivia, tenant_a, tenant_b, dave
):
    body, task_id, _ = claimed
    outsider = _decide(api(olivia), task_id, {"lines": DECIDED})
    assert outsider.status_code == 404
    assert error_of(outsider)["code"] == "not_found"
    # bravo's key on bravo's host: the task id names nothing there.
    bravo = ApiClient("bravo.localhost", key_for(tenant_b, dave))
    assert _decide(bravo, task_id, {"lines": DECIDED}).status_code == 404
    # bravo's key on alpha's host: not a key of this tenant.
    cross = ApiClient("alpha.localhost", key_for(tenant_b, dave))
    assert _decide(cross, task_id, {"lines": DECIDED}).status_code == 401
    with tenant_context(tenant_a):
        assert ApprovalRequest.objects.get(pk=body["id"]).status == "in_review"
        assert not Decision.objects.filter(request_id=body["id"]).exists()


def test_the_authority_check_uses_the_approved_total():
    lines = (
        engine.Line(1, "", "Pump", 4, Decimal("2500.00")),
        engine.Line(2, "", "Stand", 4, Decimal("100.00")),
    )
    decisions = (
        engine.LineDecision(1, "reduced", quantity=2),
        engine.LineDecision(2, "denied", reason_code="BUDGET_NOT_AVAILABLE"),
    )
    assert approved_total(lines, decisions, Decimal("10400.00")) == Decimal("5000.00")
    unpriced = (engine.Line(1, "72148", "", 1, None), *lines[1:])
    assert approved_total(unpriced, decisions, Decimal("10400.00")) == Decimal("10400.00")
