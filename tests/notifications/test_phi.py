"""No PHI in any email: a prior authorization whose every PHI field holds a unique marker goes
through review to an exception, and no marker appears in any captured message."""

import uuid

import pytest
from django_tenants.utils import tenant_context

from apps.approvals.discussion import comment_add
from apps.approvals.services import (
    DecisionInput,
    request_create,
    task_claim,
    task_decide,
)
from apps.notifications.models import EmailLog
from apps.workflows.engine import field_visibility
from apps.workflows.models import WorkflowDefinition
from tests.approvals.helpers import pending

pytestmark = pytest.mark.usefixtures("eager_celery")


def _marker(label: str) -> str:
    return f"PHI{label}{uuid.uuid4().hex[:12]}"


def test_no_phi_in_any_email(tenant_a, carol, bob, smtp_server, django_capture_on_commit_callbacks):
    workflow_key = "prior-auth-imaging"
    markers = {
        "patient_name": _marker("name"),
        "member_id": _marker("member"),
        "clinical_notes": _marker("notes"),
        "supporting_document": f"{_marker('file')}.pdf",
        "service_lines": _marker("lines"),  # one line, its description
    }
    # Structured PHI fields must be valid values; they are checked by their exact values.
    structured = {"date_of_birth": "1961-07-23", "cpt_code": "72148", "diagnosis": "M54.50"}
    structured_forms = ["1961-07-23", "07/23/1961", "23 Jul 1961", "Jul 23, 1961", "July 23",
                        "72148", "M54.50", "M5450"]  # fmt: skip
    denial_text = _marker("denial")
    comment_text = _marker("comment")
    with tenant_context(tenant_a):
        workflow = WorkflowDefinition.objects.get(key=workflow_key)
        phi_fields = {
            f["name"]
            for f in workflow.current_version.spec["form"]["fields"]
            if field_visibility(f) == "phi"
        }
        assert phi_fields == set(markers) | set(structured)  # every PHI field is covered
        data = {
            **markers,
            **structured,
            "payer": "Acme Health",
            "ordering_provider_npi": "1234567893",
            "site_of_care": "Physician office",
            "conservative_therapy_weeks": "2",  # < 6 weeks: medical director review follows
        }
        with django_capture_on_commit_callbacks(execute=True):
            request = request_create(actor=carol, workflow=workflow, data=data)
            comment_add(actor=carol, approval=request, body=comment_text)
        (task,) = pending(request)
        with django_capture_on_commit_callbacks(execute=True):
            task = task_claim(actor=bob, task=task)
            task_decide(
                actor=bob, task=task, decision=DecisionInput("approve", comment=comment_text)
            )
        request.refresh_from_db()
        # The medical director queue has nobody: the request lands with the tenant admins.
        assert request.status == "exception", request.status
        logs = list(EmailLog.objects.filter(request=request).values_list("kind", "to", "status"))

    kinds = {(kind, to) for kind, to, _ in logs}
    assert ("queue_task", "bob@alpha.test") in kinds
    assert ("task_assigned", "bob@alpha.test") not in kinds  # he claimed it: no email about it
    assert ("decided", "carol@alpha.test") in kinds
    assert ("request_exception", "alice@alpha.test") in kinds
    assert {status for _, _, status in logs} == {"sent"}
    assert len(smtp_server.messages) == len(logs) >= 3
    alice_mail = smtp_server.to("alice@alpha.test")[0]
    assert alice_mail["Subject"] == f"Needs an administrator: {request.reference}"

    forbidden = [*markers.values(), denial_text, comment_text, "Carol Requester"]
    for raw in smtp_server.raw:
        everything = raw.decode("utf-8", "replace")
        for value in forbidden:
            assert value not in everything, f"{value} leaked into an email"
    for message in smtp_server.messages:
        # Decoded parts too (quoted-printable or base64 could hide a value from the raw check).
        parts = [
            message.get_body(("plain",)).get_content(),
            message.get_body(("html",)).get_content(),
        ]
        headers = [f"{k}: {v}" for k, v in message.items() if k.lower() != "message-id"]
        for text in [*parts, *headers]:
            for value in [*forbidden, *structured_forms]:
                assert value not in text, f"{value} leaked into {message['Subject']}"
        assert request.reference in parts[0]
        assert "Prior authorization: advanced imaging" in parts[0]
