"""Requests, tasks, comments and attachments through the API: the same services as the UI,
outsiders refused, idempotent POSTs, throttling and the one error shape."""

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django_tenants.utils import tenant_context

from apps.api.models import IdempotencyRecord
from apps.approvals.models import ApprovalRequest, Comment
from tests.api.conftest import error_of
from tests.approvals.helpers import capital_data


def _create(client, amount="120000", **extra):
    body = {"workflow": "capital-purchase", "data": capital_data(amount)} | extra
    return client.post("/api/v1/requests", body)


@pytest.fixture
def carol_api(api, carol):
    return api(carol)


@pytest.fixture
def submitted(carol_api):
    response = _create(carol_api)
    assert response.status_code == 201, response.content
    return response.json()


def test_create_submits_and_the_detail_has_stages_tasks_and_timeline(carol_api, submitted):
    assert submitted["status"] == "in_review"
    assert submitted["reference"].startswith("CAP-")
    assert submitted["tasks"][0]["assignee"]["email"] == "bob@alpha.test"
    assert next(s["key"] for s in submitted["stages"]) == "director_review"
    assert submitted["stages"][0]["steps"][0]["task_ids"] == [submitted["tasks"][0]["id"]]
    assert {e["kind"] for e in submitted["timeline"]} >= {"created", "task"}
    detail = carol_api.get(f"/api/v1/requests/{submitted['id']}").json()
    assert detail["id"] == submitted["id"]
    assert detail["data"]["vendor"] == "Acme Medical"


def test_a_draft_is_submitted_later(carol_api):
    draft = _create(carol_api, submit=False).json()
    assert draft["status"] == "draft"
    assert draft["tasks"] == []
    submitted = carol_api.post(f"/api/v1/requests/{draft['id']}/submit").json()
    assert submitted["status"] == "in_review"
    again = carol_api.post(f"/api/v1/requests/{draft['id']}/submit")
    assert again.status_code == 409
    assert error_of(again)["current"]["status"] == "in_review"


def test_invalid_answers_are_400_with_fields(carol_api):
    response = _create(carol_api, amount="lots")
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid_input"
    assert "amount" in error["fields"]
    unknown = carol_api.post("/api/v1/requests", {"workflow": "nope", "data": {}})
    assert error_of(unknown)["fields"] == {"workflow": ["Unknown workflow."]}
    shape = carol_api.post("/api/v1/requests", {"data": "x"})
    assert set(error_of(shape)["fields"]) == {"workflow", "data"}
    malformed = carol_api.client.post(
        "/api/v1/requests", "{", content_type="application/json", headers=carol_api.headers()
    )
    assert malformed.status_code == 400
    assert error_of(malformed)["code"] == "malformed_request"


def test_list_filters(carol_api, api, bob, submitted):
    draft = _create(carol_api, amount="5000", submit=False, urgency="expedited").json()

    def ids(client, **params):
        return [r["id"] for r in client.get("/api/v1/requests", params).json()["results"]]

    assert ids(carol_api)[:2] == [draft["id"], submitted["id"]]
    assert ids(carol_api, status="draft") == [draft["id"]]
    assert submitted["id"] in ids(carol_api, workflow="capital-purchase")
    assert ids(carol_api, workflow="staffing-request") == []
    assert ids(carol_api, urgency="expedited") == [draft["id"]]
    assert submitted["id"] in ids(carol_api, assignee=bob.pk)
    assert draft["id"] not in ids(carol_api, assignee=bob.pk)
    created = submitted["created_at"]
    assert submitted["id"] not in ids(carol_api, created_before=created)
    assert submitted["id"] in ids(carol_api, created_after=created)
    assert ids(carol_api, due_before="2000-01-01T00:00:00Z") == []
    bad = carol_api.get("/api/v1/requests", {"status": "lost", "due_after": "soon"})
    assert set(error_of(bad)["fields"]) == {"status", "due_after"}


def test_cursor_pagination(carol_api):
    made = [_create(carol_api, submit=False).json()["id"] for _ in range(3)]
    page = carol_api.get("/api/v1/requests", {"page_size": 2}).json()
    assert [r["id"] for r in page["results"]] == made[::-1][:2]
    following = carol_api.client.get(page["next"], headers=carol_api.headers()).json()
    assert following["results"][0]["id"] == made[0]
    bad = carol_api.get("/api/v1/requests", {"cursor": "garbage"})
    assert bad.status_code == 404
    assert error_of(bad)["code"] == "not_found"


def test_the_approver_decides_through_the_api(api, bob, submitted):
    bob_api = api(bob)
    mine = bob_api.get("/api/v1/tasks/mine").json()["results"]
    task = next(t for t in mine if t["request"]["id"] == submitted["id"])
    decided = bob_api.post(f"/api/v1/tasks/{task['id']}/decide", {"decision": "approve"})
    assert decided.status_code == 200
    assert decided.json()["channel"] == "api"
    again = bob_api.post(f"/api/v1/tasks/{task['id']}/decide", {"decision": "approve"})
    assert again.status_code == 409
    error = error_of(again)
    assert error["code"] == "task_already_decided"
    assert error["current"]["task"] == {"id": task["id"], "status": "approved"}
    assert error["current"]["reference"] == submitted["reference"]


def test_a_denial_needs_a_reason(api, bob, submitted):
    task_id = submitted["tasks"][0]["id"]
    response = api(bob).post(f"/api/v1/tasks/{task_id}/decide", {"decision": "reject"})
    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {"reason_code", "comment"}


def test_queue_claim_and_delegate(api, bob, victor, submitted):
    bob_api = api(bob)
    assert bob_api.get("/api/v1/tasks/queue").status_code == 200
    task_id = submitted["tasks"][0]["id"]
    delegated = bob_api.post(f"/api/v1/tasks/{task_id}/delegate", {"to": "victor@alpha.test"})
    assert delegated.status_code == 200, delegated.content
    assert delegated.json()["status"] == "delegated"
    detail = api(victor).get(f"/api/v1/requests/{submitted['id']}").json()
    pending = [t for t in detail["tasks"] if t["status"] == "pending"]
    assert pending[0]["assignee"]["email"] == "victor@alpha.test"
    unknown = api(victor).post(f"/api/v1/tasks/{task_id}/delegate", {"to": "x@alpha.test"})
    assert error_of(unknown)["fields"] == {"to": ["Unknown person."]}


def test_withdraw_and_amend(carol_api, submitted):
    amended = carol_api.post(
        f"/api/v1/requests/{submitted['id']}/amend", {"data": capital_data("130000")}
    )
    assert amended.status_code == 200
    assert amended.json()["amount"] == "130000.00"
    withdrawn = carol_api.post(f"/api/v1/requests/{submitted['id']}/withdraw", {"reason": "no"})
    assert withdrawn.json()["status"] == "withdrawn"
    again = carol_api.post(f"/api/v1/requests/{submitted['id']}/withdraw")
    assert again.status_code == 409


def test_resubmit_after_a_request_for_information(api, bob, carol_api, submitted):
    task_id = submitted["tasks"][0]["id"]
    asked = api(bob).post(
        f"/api/v1/tasks/{task_id}/decide", {"decision": "request_info", "comment": "Quote?"}
    )
    assert asked.status_code == 200
    assert carol_api.get(f"/api/v1/requests/{submitted['id']}").json()["status"] == "needs_info"
    back = carol_api.post(f"/api/v1/requests/{submitted['id']}/resubmit", {})
    assert back.status_code == 200
    assert back.json()["status"] == "in_review"


def test_comments_and_attachments(carol_api, submitted):
    rid = submitted["id"]
    made = carol_api.post(f"/api/v1/requests/{rid}/comments", {"body": "Quote attached."})
    assert made.status_code == 201
    assert made.json()["author"]["email"] == "carol@alpha.test"
    assert carol_api.get(f"/api/v1/requests/{rid}/comments").json()["results"][0]["body"] == (
        "Quote attached."
    )
    upload = SimpleUploadedFile("quote.pdf", b"%PDF-1.4 quote", content_type="application/pdf")
    attached = carol_api.post(
        f"/api/v1/requests/{rid}/attachments", {"file": upload}, multipart=True
    )
    assert attached.status_code == 201, attached.content
    listed = carol_api.get(f"/api/v1/requests/{rid}/attachments").json()["results"]
    assert listed[0]["name"] == "quote.pdf"
    download = carol_api.get(f"/api/v1/requests/{rid}/attachments/{listed[0]['id']}/download")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == (b"%PDF-1.4 quote")
    exe = SimpleUploadedFile("x.exe", b"MZ", content_type="application/x-msdownload")
    refused = carol_api.post(f"/api/v1/requests/{rid}/attachments", {"file": exe}, multipart=True)
    assert refused.status_code == 400
    assert "file" in error_of(refused)["fields"]


def test_a_same_tenant_outsider_sees_and_does_nothing(api, olivia, submitted, tenant_a):
    outsider = api(olivia)
    rid, task_id = submitted["id"], submitted["tasks"][0]["id"]
    for path in (
        f"/api/v1/requests/{rid}",
        f"/api/v1/requests/{rid}/comments",
        f"/api/v1/requests/{rid}/attachments",
        f"/api/v1/tasks/{task_id}",
    ):
        response = outsider.get(path)
        assert response.status_code == 404, path
        assert error_of(response)["code"] == "not_found"
    for path, body in (
        (f"/api/v1/requests/{rid}/withdraw", {}),
        (f"/api/v1/requests/{rid}/amend", {"data": capital_data("1")}),
        (f"/api/v1/requests/{rid}/resubmit", {}),
        (f"/api/v1/requests/{rid}/comments", {"body": "hi"}),
        (f"/api/v1/tasks/{task_id}/decide", {"decision": "approve"}),
        (f"/api/v1/tasks/{task_id}/claim", {}),
        (f"/api/v1/tasks/{task_id}/delegate", {"to": "olivia@alpha.test"}),
    ):
        assert outsider.post(path, body).status_code == 404, path
    assert outsider.get("/api/v1/requests").json()["results"] == []
    assert outsider.get("/api/v1/tasks/mine").json()["results"] == []
    with tenant_context(tenant_a):
        request = ApprovalRequest.objects.get(pk=rid)
        assert request.status == "in_review"
        assert not Comment.objects.filter(request=request)


def test_scopes_are_enforced(api, carol, bob, submitted):
    read_only = api(carol, ["requests:read"])
    assert read_only.get(f"/api/v1/requests/{submitted['id']}").status_code == 200
    refused = _create(read_only)
    assert refused.status_code == 403
    assert error_of(refused)["code"] == "insufficient_scope"
    assert "requests:write" in error_of(refused)["message"]
    no_decide = api(bob, ["requests:read", "requests:write"])
    task_id = submitted["tasks"][0]["id"]
    assert (
        no_decide.post(f"/api/v1/tasks/{task_id}/decide", {"decision": "approve"}).status_code
        == 403
    )
    write_only = api(carol, ["requests:write"])
    assert write_only.get("/api/v1/requests").status_code == 403
    # admin endpoints: the scope, and the owner must be a tenant admin
    assert api(carol).get("/api/v1/api-keys").status_code == 403
    assert api(carol).get("/api/v1/webhooks").status_code == 403


def test_idempotent_posts_replay_the_stored_response(carol_api, tenant_a):
    body = {"workflow": "capital-purchase", "data": capital_data()}
    first = carol_api.post("/api/v1/requests", body, **{"Idempotency-Key": "order-1"})
    second = carol_api.post("/api/v1/requests", body, **{"Idempotency-Key": "order-1"})
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    with tenant_context(tenant_a):
        assert ApprovalRequest.objects.filter(pk=first.json()["id"]).count() == 1
        assert ApprovalRequest.objects.filter(data__vendor="Acme Medical").count() == 1
    changed = carol_api.post(
        "/api/v1/requests", body | {"urgency": "expedited"}, **{"Idempotency-Key": "order-1"}
    )
    assert changed.status_code == 422
    assert error_of(changed)["code"] == "idempotency_key_reused"
    bad = carol_api.post("/api/v1/requests", body, **{"Idempotency-Key": "no spaces"})
    assert bad.status_code == 400


def test_idempotency_keys_are_per_owner_and_errors_are_replayed(api, carol, bob, tenant_a):
    body = {"workflow": "capital-purchase", "data": capital_data("oops")}
    first = api(carol).post("/api/v1/requests", body, **{"Idempotency-Key": "k"})
    replay = api(carol).post("/api/v1/requests", body, **{"Idempotency-Key": "k"})
    assert first.status_code == replay.status_code == 400
    assert replay.json() == first.json()
    other_owner = api(bob).post("/api/v1/requests", body | {"urgency": "expedited"},
                                **{"Idempotency-Key": "k"})  # fmt: skip
    assert other_owner.status_code == 400  # bob's own key space: not a 422
    with tenant_context(tenant_a):
        assert IdempotencyRecord.objects.filter(key="k").count() == 2


def test_throttling_returns_429_with_retry_after(api, carol):
    rates = {**django_settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"api_key": "3/min"}}
    client = api(carol)
    with override_settings(REST_FRAMEWORK=rates):
        statuses = [client.get("/api/v1/me").status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        response = client.get("/api/v1/me")
        assert int(response["Retry-After"]) > 0
        assert error_of(response)["code"] == "throttled"
        assert api(carol).get("/api/v1/me").status_code == 200  # per key


def test_the_error_shape_on_401_404_405(carol_api, db):
    from tests.api.conftest import ApiClient

    assert error_of(ApiClient("alpha.localhost").get("/api/v1/requests"))["code"] == (
        "not_authenticated"
    )
    missing = carol_api.get("/api/v1/requests/999999")
    assert missing.status_code == 404
    assert error_of(missing)["code"] == "not_found"
    unknown = carol_api.get("/api/v1/nowhere")
    assert unknown.status_code == 404
    assert error_of(unknown)["code"] == "not_found"
    wrong = carol_api.delete("/api/v1/requests")
    assert wrong.status_code == 405
    assert error_of(wrong)["code"] == "method_not_allowed"


def test_an_unexpected_error_is_a_500_in_the_same_shape(carol_api, monkeypatch):
    from apps.api.v1 import keys

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(keys.MeOut, "to_representation", boom)
    response = carol_api.get("/api/v1/me")
    assert response.status_code == 500
    assert error_of(response) == {
        "code": "server_error",
        "message": "Something went wrong on our side. Try again later.",
        "fields": {},
    }
