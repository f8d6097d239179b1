"""Request pages over HTTP: what each person may do, and outsiders refused on every URL."""

import copy

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_tenants.utils import tenant_context

from apps.approvals.discussion import attachment_add
from apps.approvals.models import Decision
from tests.approvals.helpers import capital_data, pending, submit_capital
from tests.conftest import host_of, sign_in


@pytest.fixture
def capital(tenant_a, carol):
    with tenant_context(tenant_a):
        request = submit_capital(carol, "120000")
        attachment = attachment_add(
            actor=carol,
            approval=request,
            upload=SimpleUploadedFile("quote.pdf", b"%PDF-1.4", content_type="application/pdf"),
        )
        (task,) = pending(request)
    return request, task, attachment


def _urls(request, task, attachment):
    ref = request.reference
    return [
        ("get", f"/requests/{ref}/", {}),
        ("get", f"/requests/{ref}/attachments/{attachment.pk}", {}),
        ("get", f"/requests/{ref}/resubmit", {}),
        ("post", f"/requests/{ref}/tasks/{task.pk}/decide", {"decision": "approve"}),
        ("post", f"/requests/{ref}/tasks/{task.pk}/claim", {}),
        ("post", f"/requests/{ref}/tasks/{task.pk}/delegate", {"to": "olivia@alpha.test"}),
        ("post", f"/requests/{ref}/withdraw", {}),
        ("post", f"/requests/{ref}/comments", {"body": "hi"}),
        ("post", f"/requests/{ref}/attachments", {}),
    ]


def test_same_tenant_outsider_gets_404_everywhere(capital, client_a, tenant_a):
    request, task, attachment = capital
    sign_in(client_a, "olivia@alpha.test")
    for method, url, data in _urls(request, task, attachment):
        response = getattr(client_a, method)(url, data)
        assert response.status_code == 404, (method, url, response.status_code)
    with tenant_context(tenant_a):
        assert not Decision.objects.filter(task=task).exists()
        assert request.comments.count() == 0
        request.refresh_from_db()
        assert request.status == "in_review"


def test_other_tenant_user_and_cookie_are_refused_everywhere(capital, client_a, client_b):
    request, task, attachment = capital
    sign_in(client_b, "dave@bravo.test")
    stolen = Client(HTTP_HOST=host_of("alpha"))
    stolen.cookies = copy.deepcopy(client_b.cookies)  # dave's tenant-B session replayed on tenant A
    for method, url, data in _urls(request, task, attachment):
        response = getattr(stolen, method)(url, data)
        assert response.status_code == 302, (method, url)
        assert response["Location"].startswith("/login/")
    # And dave's tenant-B host has no such request at all.
    assert client_b.get(f"/requests/{request.reference}/").status_code == 404


def test_anonymous_is_sent_to_sign_in(capital, client_a):
    request, task, attachment = capital
    for method, url, data in _urls(request, task, attachment):
        response = getattr(client_a, method)(url, data)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")


def test_inbox_new_request_and_detail_for_the_right_people(capital, client_a):
    request, _task, _ = capital
    sign_in(client_a, "bob@alpha.test")
    inbox = client_a.get("/inbox/")
    assert request.reference.encode() in inbox.content
    detail = client_a.get(f"/requests/{request.reference}/")
    assert b"Your decision: Director review" in detail.content
    assert b"CT scanner upgrade" in detail.content


def test_decision_without_reason_code_is_refused_with_a_clear_message(capital, client_a, tenant_a):
    request, task, _ = capital
    sign_in(client_a, "bob@alpha.test")
    url = f"/requests/{request.reference}/tasks/{task.pk}/decide"
    response = client_a.post(url, {"decision": "reject", "comment": "Too expensive"})
    # Post, redirect, get: the refusal is shown on the request page, reloading posts nothing.
    assert response.status_code == 303
    assert response["Location"] == f"/requests/{request.reference}/#task-{task.pk}"
    page = client_a.get(response["Location"])
    assert page.status_code == 200
    assert b"Choose a reason code for the denial." in page.content
    assert b"Too expensive" in page.content  # what was typed is kept
    assert b'value="reject" checked' in page.content
    again = client_a.get(response["Location"])
    assert b"Too expensive" not in again.content  # shown once
    with tenant_context(tenant_a):
        assert not Decision.objects.filter(task=task).exists()
    response = client_a.post(
        url, {"decision": "reject", "reason_code": "POLICY_EXCLUSION", "comment": "Too expensive"}
    )
    assert response.status_code == 302
    twice = client_a.post(url, {"decision": "approve"})
    assert twice.status_code == 303
    assert b"already" in client_a.get(twice["Location"]).content


def test_new_request_form_shows_field_errors_and_keeps_answers(client_a, tenant_a):
    sign_in(client_a, "carol@alpha.test")
    page = client_a.get("/requests/new/capital-purchase/")
    assert page.status_code == 200
    assert b"Total amount" in page.content
    data = {**capital_data(), "amount": "-5", "vendor": ""}
    response = client_a.post("/requests/new/capital-purchase/", data)
    assert response.status_code == 400
    assert b'data-testid="error-vendor"' in response.content
    assert b'data-testid="error-amount"' in response.content
    assert b"CT scanner upgrade" in response.content
    response = client_a.post("/requests/new/capital-purchase/", capital_data("9000"))
    assert response.status_code == 302
    assert response["Location"].startswith("/requests/CAP-")


def test_exception_queue_is_for_admins_only(client_a):
    sign_in(client_a, "bob@alpha.test")
    assert client_a.get("/exceptions/").status_code == 403
    admin = Client(HTTP_HOST=host_of("alpha"))
    sign_in(admin, "alice@alpha.test")
    assert admin.get("/exceptions/").status_code == 200


def test_admin_routes_an_exception_from_the_queue_and_others_cannot(client_a, tenant_a, carol):
    from apps.people.models import Role

    with tenant_context(tenant_a):
        Role.objects.get(key="director").members.clear()
        request = submit_capital(carol, "9000")
        assert request.status == "exception"
    bob = Client(HTTP_HOST=host_of("alpha"))
    sign_in(bob, "bob@alpha.test")
    refused = bob.post("/exceptions/", {"request": request.pk, "assignee": "bob@alpha.test"})
    assert refused.status_code == 403
    with tenant_context(tenant_a):
        request.refresh_from_db()
        assert request.status == "exception"
    sign_in(client_a, "alice@alpha.test")
    queue = client_a.get("/exceptions/")
    assert request.reference.encode() in queue.content
    response = client_a.post(
        "/exceptions/", {"request": request.pk, "assignee": "frank@alpha.test"}
    )
    assert response.status_code == 302
    with tenant_context(tenant_a):
        request.refresh_from_db()
        assert request.status == "in_review"
        (task,) = pending(request)
        assert task.assignee.email == "frank@alpha.test"
        assert task.step_key == "director"


def test_files_on_the_new_request_form_are_checked_on_their_own_field(client_a, tenant_a):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from apps.approvals.models import ApprovalRequest

    sign_in(client_a, "carol@alpha.test")
    with tenant_context(tenant_a):
        before = ApprovalRequest.objects.count()
    bad = SimpleUploadedFile("quote.exe", b"MZ", content_type="application/x-msdownload")
    response = client_a.post(
        "/requests/new/capital-purchase/", {**capital_data("9000"), "quote": bad}
    )
    assert response.status_code == 400
    assert b'data-testid="error-quote"' in response.content
    assert b"Upload a PDF, PNG, JPEG" in response.content
    with tenant_context(tenant_a):
        assert ApprovalRequest.objects.count() == before  # nothing half-created

    good = SimpleUploadedFile("quote.pdf", b"%PDF-1.4 q", content_type="application/pdf")
    response = client_a.post(
        "/requests/new/capital-purchase/", {**capital_data("9000"), "quote": good}
    )
    assert response.status_code == 302
    reference = response["Location"].split("/")[2]
    with tenant_context(tenant_a):
        created = ApprovalRequest.objects.get(reference=reference)
        assert [a.original_name for a in created.attachments.all()] == ["quote.pdf"]
        assert created.data["quote"] == "upload:quote.pdf"
