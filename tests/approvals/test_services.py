"""Approval services over the engine: routing, decisions, invariants and outsiders."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.approvals import discussion, services
from apps.approvals.exceptions import Conflict, InvalidInput, NotAllowed
from apps.approvals.models import Decision
from apps.approvals.selectors import inbox_for, requests_visible_to
from apps.approvals.services import DecisionInput, task_decide
from apps.people.models import Role
from apps.workflows.models import WorkflowDefinition
from tests.approvals.helpers import capital_data, pending, submit_capital

APPROVE = DecisionInput("approve", comment="ok")


def test_capital_purchase_follows_the_authority_ladder(in_tenant_a, carol, bob, victor, frank):
    request = submit_capital(carol, "120000")
    assert request.reference.startswith("CAP-")
    route = []
    for approver in (bob, victor, frank):
        (task,) = pending(request)
        assert task.assignee == approver
        route.append(task.step_name)
        task_decide(actor=approver, task=task, decision=APPROVE)
        request.refresh_from_db()
    assert route == ["Director review", "VP review", "CFO approval"]
    assert request.status == "approved"
    assert request.completed_at is not None
    summaries = list(request.timeline.values_list("summary", flat=True))
    for text in ("Bob Approver approved (Director review).",
                 "Victor Vice-President approved (VP review).",
                 "Frank Finance approved (CFO approval).", "Status: Approved."):  # fmt: skip
        assert text in summaries


def test_small_purchase_needs_only_the_director(in_tenant_a, carol, bob):
    request = submit_capital(carol, "9000")
    (task,) = pending(request)
    task_decide(actor=bob, task=task, decision=APPROVE)
    request.refresh_from_db()
    assert request.status == "approved"
    assert request.tasks.count() == 1


def test_bad_form_answers_are_refused_per_field_and_nothing_is_created(in_tenant_a, carol):
    workflow = WorkflowDefinition.objects.get(key="capital-purchase")
    data = {**capital_data(), "amount": "lots", "owning_department": "nowhere"}
    del data["vendor"]
    before = requests_visible_to(carol).count()
    with pytest.raises(InvalidInput) as error:
        services.request_create(actor=carol, workflow=workflow, data=data)
    assert set(error.value.fields) == {"amount", "vendor", "owning_department"}
    assert requests_visible_to(carol).count() == before


def test_denial_needs_a_reason_code_and_text(in_tenant_a, carol, bob):
    request = submit_capital(carol)
    (task,) = pending(request)
    with pytest.raises(InvalidInput) as error:
        task_decide(actor=bob, task=task, decision=DecisionInput("reject"))
    assert error.value.fields == {
        "reason_code": ["Choose a reason code for the denial."],
        "comment": ["Explain the denial to the requester."],
    }
    with pytest.raises(InvalidInput) as error:
        task_decide(actor=bob, task=task, decision=DecisionInput("reject", "NOPE", "why"))
    assert error.value.fields == {"reason_code": ['"NOPE" is not a reason code here.']}
    task_decide(
        actor=bob,
        task=task,
        decision=DecisionInput("reject", "BUDGET_NOT_AVAILABLE", "No capital budget left."),
    )
    request.refresh_from_db()
    assert request.status == "denied"
    assert Decision.objects.get(task=task).reason_code.code == "BUDGET_NOT_AVAILABLE"


def test_a_decided_task_refuses_a_second_decision_with_the_current_state(in_tenant_a, carol, bob):
    request = submit_capital(carol, "9000")
    (task,) = pending(request)
    task_decide(actor=bob, task=task, decision=APPROVE)
    with pytest.raises(Conflict) as error:
        task_decide(actor=bob, task=task, decision=APPROVE)
    assert error.value.http_status == 409
    assert error.value.current == {
        "reference": request.reference,
        "status": "approved",
        "task": {"id": task.pk, "status": "approved"},
    }
    assert Decision.objects.filter(task=task).count() == 1


def test_requester_never_decides_own_request(in_tenant_a, carol, bob):
    Role.objects.get(key="director").members.add(carol)
    request = submit_capital(carol, "9000")
    (task,) = pending(request)
    assert task.assignee == bob  # carol is a director too, but never of her own request
    with pytest.raises(NotAllowed):
        task_decide(actor=carol, task=task, decision=APPROVE)


@pytest.mark.parametrize("who", ["olivia", "victor", "alice"])
def test_people_other_than_the_assignee_cannot_decide(in_tenant_a, carol, who, request):
    request_obj = submit_capital(carol, "9000")
    (task,) = pending(request_obj)
    actor = request.getfixturevalue(who)
    with pytest.raises(NotAllowed):
        task_decide(actor=actor, task=task, decision=APPROVE)
    assert not Decision.objects.filter(task=task).exists()


def test_same_tenant_outsider_sees_nothing(in_tenant_a, carol, bob, olivia, alice):
    request = submit_capital(carol)
    assert not requests_visible_to(olivia).filter(pk=request.pk).exists()
    assert list(inbox_for(olivia)) == []
    assert requests_visible_to(bob).filter(pk=request.pk).exists()  # the director
    assert requests_visible_to(alice).filter(pk=request.pk).exists()  # tenant admin
    with pytest.raises(NotAllowed):
        discussion.comment_add(actor=olivia, approval=request, body="hello")
    upload = SimpleUploadedFile("quote.pdf", b"%PDF-1.4 quote", content_type="application/pdf")
    with pytest.raises(NotAllowed):
        discussion.attachment_add(actor=olivia, approval=request, upload=upload)


def test_changed_amount_after_approval_reroutes_to_earlier_approvers(
    in_tenant_a, carol, bob, victor
):
    request = submit_capital(carol, "50000")
    (task,) = pending(request)
    task_decide(actor=bob, task=task, decision=APPROVE)
    request.refresh_from_db()
    (vp_task,) = pending(request)
    assert vp_task.assignee == victor
    services.request_amend(actor=carol, approval=request, data=capital_data("150000"))
    request.refresh_from_db()
    (again,) = pending(request)
    assert again.assignee == bob  # the director approves the new amount again
    assert again.step_name == "Director review"


def test_needs_info_and_resubmit(in_tenant_a, carol, bob):
    request = submit_capital(carol, "9000")
    (task,) = pending(request)
    with pytest.raises(InvalidInput):
        task_decide(actor=bob, task=task, decision=DecisionInput("request_info"))
    task_decide(
        actor=bob, task=task, decision=DecisionInput("request_info", comment="Attach the quote.")
    )
    request.refresh_from_db()
    assert request.status == "needs_info"
    with pytest.raises(NotAllowed):
        services.request_resubmit(actor=bob, approval=request)
    services.request_resubmit(actor=carol, approval=request, data=capital_data("9500"))
    request.refresh_from_db()
    assert request.status == "in_review"
    (fresh,) = pending(request)
    assert fresh.assignee == bob


def test_withdraw_only_by_the_requester(in_tenant_a, carol, bob):
    request = submit_capital(carol)
    with pytest.raises(NotAllowed):
        services.request_withdraw(actor=bob, approval=request)
    services.request_withdraw(actor=carol, approval=request)
    request.refresh_from_db()
    assert request.status == "withdrawn"
    assert pending(request) == []


def test_unresolvable_approver_goes_to_exception_never_approval(in_tenant_a, carol, alice, frank):
    Role.objects.get(key="director").members.clear()
    request = submit_capital(carol, "9000")
    assert request.status == "exception"
    assert "director" in request.exception_reason
    services.exception_resolve(actor=alice, approval=request, assignee=frank)  # the stuck step
    request.refresh_from_db()
    assert request.status == "in_review"
    (task,) = pending(request)
    assert task.assignee == frank


def test_only_admins_resolve_exceptions_or_cancel(in_tenant_a, carol, bob):
    request = submit_capital(carol)
    with pytest.raises(NotAllowed):
        services.exception_resolve(actor=bob, approval=request, step_key="director", assignee=bob)
    with pytest.raises(NotAllowed):
        services.request_cancel(actor=bob, approval=request, reason="duplicate")


def test_delegation_sends_new_tasks_to_the_delegate(in_tenant_a, carol, bob, victor):
    from datetime import timedelta

    from django.utils import timezone

    from apps.people.services import delegation_create

    now = timezone.now()
    delegation_create(
        actor=bob, delegator=bob, delegate=victor, starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(days=3), reason="Annual leave",
    )  # fmt: skip
    request = submit_capital(carol, "9000")
    (task,) = pending(request)
    assert task.assignee == victor
    assert task.on_behalf_of == bob
    decision = task_decide(actor=victor, task=task, decision=APPROVE)
    assert decision.on_behalf_of == bob


@pytest.mark.parametrize(
    ("name", "content_type", "size", "message"),
    [
        ("virus.exe", "application/x-msdownload", 10, "Upload a PDF, PNG, JPEG"),
        ("empty.pdf", "application/pdf", 0, "The file is empty."),
        ("huge.pdf", "application/pdf", 21 * 1024 * 1024, "Files can be at most 20 MB."),
    ],
)
def test_attachments_are_checked(in_tenant_a, carol, name, content_type, size, message):
    request = submit_capital(carol)
    upload = SimpleUploadedFile(name, b"x" * size, content_type=content_type)
    with pytest.raises(InvalidInput) as error:
        discussion.attachment_add(actor=carol, approval=request, upload=upload)
    assert message in error.value.fields["file"][0]
    assert not request.attachments.exists()


def _docx() -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


WINDOWS_PROGRAM = (
    b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 56 + b"This program cannot be run in DOS"
)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.mark.parametrize(
    ("name", "content_type", "body", "message"),
    [
        ("quote.pdf", "application/pdf", WINDOWS_PROGRAM,
         "This file is a Windows program (.exe), not a PDF file."),
        ("scan.jpg", "image/jpeg", PNG, "This file is a PNG file (image/png), not a JPG file."),
        ("notes.txt", "text/plain", WINDOWS_PROGRAM,
         "This file is a Windows program (.exe), not plain text."),
        ("notes.txt", "text/plain", b"abc\x00\x01", "This file is binary data, not plain text."),
        ("letter.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         b"just some words", "This file is not a DOCX file: its contents are not recognised."),
        ("quote.pdf", "application/pdf", b"hello", "This file is not a PDF file"),
    ],
)  # fmt: skip
def test_attachments_are_checked_by_their_bytes(in_tenant_a, carol, name, content_type, body,
                                                message):  # fmt: skip
    request = submit_capital(carol)
    upload = SimpleUploadedFile(name, body, content_type=content_type)
    with pytest.raises(InvalidInput) as error:
        discussion.attachment_add(actor=carol, approval=request, upload=upload)
    assert error.value.fields["file"] == [message] or message in error.value.fields["file"][0]
    assert not request.attachments.exists()


@pytest.mark.parametrize(
    ("name", "content_type", "body"),
    [
        ("scan.png", "image/png", PNG),
        ("letter.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         _docx()),
        ("notes.txt", "text/plain", "Patient seen; résumé attached.".encode()),
    ],
)  # fmt: skip
def test_real_files_of_each_kind_are_accepted(in_tenant_a, carol, name, content_type, body):
    request = submit_capital(carol)
    upload = SimpleUploadedFile(name, body, content_type=content_type)
    attachment = discussion.attachment_add(actor=carol, approval=request, upload=upload)
    assert attachment.content_type == content_type


def test_attachment_is_stored_with_its_digest(in_tenant_a, carol):
    import hashlib

    request = submit_capital(carol)
    body = b"%PDF-1.4 quote body"
    upload = SimpleUploadedFile("quote.pdf", body, content_type="application/pdf")
    attachment = discussion.attachment_add(actor=carol, approval=request, upload=upload)
    assert attachment.sha256 == hashlib.sha256(body).hexdigest()
    assert "/alpha/" in attachment.file.path  # stored in the tenant's own folder
    assert attachment.file.read() == body


def test_published_versions_are_immutable_in_the_database(in_tenant_a):
    from django.db import DatabaseError, transaction

    version = WorkflowDefinition.objects.get(key="capital-purchase").current_version
    with pytest.raises(DatabaseError, match="immutable"), transaction.atomic():
        type(version).objects.filter(pk=version.pk).update(note="changed")


def test_running_requests_stay_on_their_version(in_tenant_a, carol, alice):
    from apps.workflows.services import workflow_publish

    request = submit_capital(carol)
    workflow = WorkflowDefinition.objects.get(key="capital-purchase")
    first = workflow.current_version
    spec = dict(first.spec, name="Capital purchase (2027 rules)")
    second = workflow_publish(actor=alice, spec=spec, note="new year")
    assert second.number == first.number + 1
    request.refresh_from_db()
    assert request.workflow_version_id == first.pk
    assert submit_capital(carol).workflow_version_id == second.pk
