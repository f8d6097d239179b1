"""POST /api/v1/tasks/decide: many decisions in one call, each decided on its own through the
decision service (authority, segregation of duties, one decision per task, version check), with
a result per item; the single decide endpoint's scope and tenant rules; idempotent."""

from decimal import Decimal

import pytest
from django_tenants.utils import tenant_context

from apps.approvals.models import ApprovalRequest, Task
from apps.approvals.services import DecisionInput, task_decide
from apps.people.models import AuthorityLimit
from tests.api.conftest import ApiClient, error_of, key_for
from tests.approvals.helpers import pending, submit_capital

URL = "/api/v1/tasks/decide"
APPROVE = DecisionInput("approve")


@pytest.fixture
def at_frank(tenant_a, carol, bob, victor):
    """Three capital requests waiting for frank (CFO): $120,000, $130,000 and $200,000, after
    which the CFO's capital limit is lowered to $150,000 (the last is above it)."""
    with tenant_context(tenant_a):
        tasks = []
        for amount in ("120000", "130000", "200000"):
            request = submit_capital(carol, amount)
            for approver in (bob, victor):
                (task,) = pending(request)
                task_decide(actor=approver, task=task, decision=APPROVE)
            (task,) = pending(request)
            tasks.append(task)
        AuthorityLimit.objects.filter(role__key="cfo", category="capital").update(
            limit=Decimal("150000")
        )
    return tasks


def _approve_all(tasks):
    return {"items": [{"task": task.pk, "decision": "approve"} for task in tasks]}


def _statuses(tenant, tasks):
    with tenant_context(tenant):
        return [Task.objects.get(pk=task.pk).status for task in tasks]


def test_each_item_is_decided_on_its_own_and_the_refusal_is_reported(
    api, tenant_a, frank, at_frank
):
    response = api(frank).post(URL, _approve_all(at_frank))
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["decided"], body["refused"]) == (2, 1)
    results = body["results"]
    assert [r["task"] for r in results] == [t.pk for t in at_frank]
    assert [r["status"] for r in results] == ["decided", "decided", "refused"]
    assert results[0]["error"] is None
    assert results[0]["request_status"] == "approved"
    refused = results[2]
    assert refused["reference"] == at_frank[2].request.reference
    assert refused["http_status"] == 403
    assert refused["error"]["code"] == "insufficient_authority"
    assert "authority" in refused["error"]["message"]
    assert _statuses(tenant_a, at_frank) == ["approved", "approved", "pending"]
    with tenant_context(tenant_a):
        assert ApprovalRequest.objects.get(pk=at_frank[2].request_id).status == "in_review"


def test_a_deny_needs_its_reason_per_item_and_a_second_decision_is_a_conflict(
    api, tenant_a, frank, at_frank
):
    first, second, _ = at_frank
    body = {
        "items": [
            {"task": first.pk, "decision": "reject"},  # no reason code, no explanation
            {
                "task": second.pk,
                "decision": "reject",
                "reason_code": "BUDGET_NOT_AVAILABLE",
                "reason": "Not this year.",
            },
            {"task": second.pk, "decision": "approve"},
        ]
    }
    results = api(frank).post(URL, body).json()["results"]
    assert [r["status"] for r in results] == ["refused", "decided", "refused"]
    assert results[0]["error"]["code"] == "invalid_input"
    assert "reason_code" in results[0]["error"]["message"]
    assert (results[2]["error"]["code"], results[2]["http_status"]) == (
        "task_already_decided",
        409,
    )
    assert _statuses(tenant_a, at_frank[:2]) == ["pending", "rejected"]


def test_the_version_check_refuses_a_request_that_changed(api, tenant_a, frank, at_frank):
    first, second, _ = at_frank
    client = api(frank)
    listed = {t["id"]: t for t in client.get("/api/v1/tasks/mine").json()["results"]}
    body = {
        "items": [
            {
                "task": first.pk,
                "decision": "approve",
                "version": listed[first.pk]["request"]["updated_at"],
            },
            {"task": second.pk, "decision": "approve", "version": "2020-01-01T00:00:00Z"},
        ]
    }
    results = client.post(URL, body).json()["results"]
    assert results[0]["status"] == "decided", results[0]
    assert (results[1]["status"], results[1]["error"]["code"]) == ("refused", "version_mismatch")
    assert _statuses(tenant_a, [first, second]) == ["approved", "pending"]


def test_a_key_without_the_decide_scope_is_refused(api, tenant_a, frank, at_frank):
    response = api(frank, scopes=["requests:read"]).post(URL, _approve_all(at_frank))
    assert response.status_code == 403
    assert error_of(response)["code"] == "insufficient_scope"
    assert _statuses(tenant_a, at_frank) == ["pending"] * 3


def test_a_same_tenant_user_without_rights_decides_nothing(api, tenant_a, olivia, carol, at_frank):
    outsider = api(olivia).post(URL, _approve_all(at_frank))
    assert outsider.status_code == 200
    assert [
        (r["status"], r["error"]["code"], r["reference"]) for r in outsider.json()["results"]
    ] == [("refused", "not_found", "")] * 3
    # The requester sees her requests but may never decide them (segregation of duties).
    requester = api(carol).post(URL, _approve_all(at_frank)).json()["results"]
    assert {r["status"] for r in requester} == {"refused"}
    assert all(r["http_status"] in (403, 409) for r in requester), requester
    assert _statuses(tenant_a, at_frank) == ["pending"] * 3


def test_another_tenants_key_is_refused(tenant_a, tenant_b, dave, at_frank):
    response = ApiClient("alpha.localhost", key_for(tenant_b, dave)).post(
        URL, _approve_all(at_frank)
    )
    assert response.status_code == 401
    assert error_of(response)["code"] == "authentication_failed"
    assert _statuses(tenant_a, at_frank) == ["pending"] * 3


def test_a_retry_with_the_same_idempotency_key_replays_the_answer(api, tenant_a, frank, at_frank):
    client = api(frank)
    body = _approve_all(at_frank[:1])
    first = client.post(URL, body, **{"Idempotency-Key": "bulk-1"})
    again = client.post(URL, body, **{"Idempotency-Key": "bulk-1"})
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert first.json()["results"][0]["status"] == "decided"
    other = client.post(URL, _approve_all(at_frank[1:2]), **{"Idempotency-Key": "bulk-1"})
    assert other.status_code == 422


@pytest.mark.parametrize("count", [0, 101])
def test_an_empty_or_oversized_list_is_refused(api, frank, count):
    items = [{"task": n + 1, "decision": "approve"} for n in range(count)]
    response = api(frank).post(URL, {"items": items})
    assert response.status_code == 400
    assert [name.split(".")[0] for name in error_of(response)["fields"]] == ["items"]
