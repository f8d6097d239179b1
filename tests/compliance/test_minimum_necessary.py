"""Minimum necessary: a finance approver of a claims write-off sees amount and payer, never the
PHI fields, on the detail page, in the API and in the packet PDF; the people who need PHI see
it; emails and webhook payloads carry none of it."""

import io
import json

import pytest
from django_tenants.utils import tenant_context
from pypdf import PdfReader

from apps.approvals.masking import HIDDEN, hidden_fields, visible_data
from apps.approvals.services import DecisionInput, task_decide
from apps.integrations.models import OutboxEvent
from apps.notifications.models import EmailLog, Notification
from tests.approvals.helpers import pending
from tests.compliance.helpers import WRITE_OFF_PHI, write_off_at_finance
from tests.conftest import sign_in

MARKERS = [v for k, v in WRITE_OFF_PHI.items() if k not in ("date_of_service",)]


@pytest.fixture
def at_finance(write_off_workflow, carol, victor):
    return write_off_at_finance(write_off_workflow, carol, victor)


def test_visible_data_hides_phi_from_the_finance_approver_only(
    at_finance, carol, victor, frank, alice
):
    (task,) = pending(at_finance)
    assert task.assignee == frank
    seen = visible_data(user=frank, approval=at_finance)
    assert seen["amount"] == "6400.00"
    assert seen["payer"] == "Blue Valley Health Plan"
    for name in WRITE_OFF_PHI:
        assert seen[name] == HIDDEN, name
    for user in (carol, victor, alice):  # requester, revenue cycle manager, admin
        assert hidden_fields(user=user, approval=at_finance) == set()
        assert visible_data(user=user, approval=at_finance) == at_finance.data


def test_detail_page_hides_phi_from_the_finance_approver(tenant_a, client_a, at_finance):
    sign_in(client_a, "frank@alpha.test")
    page = client_a.get(f"/requests/{at_finance.reference}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Blue Valley Health Plan" in text
    assert "6,400.00" in text or "6400.00" in text
    assert "Hidden (minimum necessary)" in text
    for marker in [*MARKERS, "M54.50", "E11.9", "2026-03-14"]:
        assert marker not in text, marker
    client_a.logout()
    sign_in(client_a, "victor@alpha.test")
    text = client_a.get(f"/requests/{at_finance.reference}/").content.decode()
    assert "ACCT-PHI-778812" in text
    assert "Hidden (minimum necessary)" not in text


def test_api_request_detail_hides_phi_from_the_finance_approver(api, at_finance, frank, carol):
    body = api(frank).get(f"/api/v1/requests/{at_finance.pk}").json()
    assert body["data"]["payer"] == "Blue Valley Health Plan"
    assert body["data"]["amount"] == "6400.00"
    assert all(body["data"][name] == HIDDEN for name in WRITE_OFF_PHI)
    mine = api(carol).get(f"/api/v1/requests/{at_finance.pk}").json()
    assert mine["data"]["patient_account_number"] == "ACCT-PHI-778812"


def _pdf_text(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_packet_pdf_hides_phi_from_the_finance_approver(tenant_a, client_a, at_finance):
    sign_in(client_a, "frank@alpha.test")
    response = client_a.get(f"/requests/{at_finance.reference}/packet.pdf")
    assert response.status_code == 200
    text = _pdf_text(response)
    assert "Blue Valley Health Plan" in text
    assert "Hidden (minimum" in text
    for marker in [*MARKERS, "M54.50", "E11.9"]:
        assert marker not in text, marker
    client_a.logout()
    sign_in(client_a, "carol@alpha.test")
    assert "ACCT-PHI-778812" in _pdf_text(
        client_a.get(f"/requests/{at_finance.reference}/packet.pdf")
    )


@pytest.mark.usefixtures("eager_celery")
def test_write_off_emails_and_webhooks_carry_no_phi(
    write_off_workflow, tenant_a, carol, victor, frank, smtp_server,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    with tenant_context(tenant_a):
        with django_capture_on_commit_callbacks(execute=True):
            request = write_off_at_finance(write_off_workflow, carol, victor)
        (task,) = pending(request)
        with django_capture_on_commit_callbacks(execute=True):
            task_decide(actor=frank, task=task, decision=DecisionInput("approve"))
        request.refresh_from_db()
        assert request.status == "approved"
        logs = list(EmailLog.objects.filter(request=request).values_list("kind", "subject"))
        titles = list(Notification.objects.filter(request=request).values_list("title", flat=True))
        payloads = [
            json.dumps(p)
            for p in OutboxEvent.objects.filter(request_id=request.pk).values_list(
                "payload", flat=True
            )
        ]
    assert logs
    assert smtp_server.raw
    assert payloads, "webhook events were recorded for the write-off"
    everything = [raw.decode("utf-8", "replace") for raw in smtp_server.raw]
    everything += [subject for _, subject in logs] + titles + payloads
    for text in everything:
        for marker in [*MARKERS, "M54.50", "E11.9", "2026-03-14"]:
            assert marker not in text, (marker, text[:200])
