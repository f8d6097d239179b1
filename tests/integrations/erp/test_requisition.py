"""Purchase requisitions on approval of a capital purchase, idempotency and reconciliation."""

import pytest

from apps.approvals.models import TimelineEntry
from apps.approvals.services import DecisionInput, task_decide
from apps.integrations.erp.choices import PostingKind, PostingStatus, Reconciliation
from apps.integrations.erp.models import ErpPosting
from apps.integrations.erp.services import (
    erp_connection_save,
    posting_deliver,
    posting_reconcile,
    postings_resume,
)
from tests.approvals.helpers import pending, submit_capital
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db
REASON = "BUDGET_NOT_AVAILABLE"


def approve_small(carol, bob):
    """A capital purchase under 25k needs only the director: bob approves it."""
    request = submit_capital(carol, "9000")
    (task,) = pending(request)
    task_decide(actor=bob, task=task, decision=DecisionInput("approve"))
    request.refresh_from_db()
    assert request.status == "approved"
    return request


def test_approval_writes_one_requisition_posting(erp_connection, carol, bob):
    request = approve_small(carol, bob)
    (posting,) = ErpPosting.objects.filter(request=request)
    assert posting.kind == PostingKind.REQUISITION
    assert posting.status == PostingStatus.PENDING
    assert posting.idempotency_key == f"countersign:alpha:{request.reference}:requisition"


def test_no_posting_without_a_connection(in_tenant_a, carol, bob):
    request = approve_small(carol, bob)
    assert not ErpPosting.objects.filter(request=request).exists()


def test_a_denied_purchase_posts_nothing(erp_connection, carol, bob):
    request = submit_capital(carol, "9000")
    (task,) = pending(request)
    task_decide(
        actor=bob,
        task=task,
        decision=DecisionInput("reject", reason_code=REASON, comment="Not this year."),
    )
    request.refresh_from_db()
    assert request.status == "denied"
    assert not ErpPosting.objects.filter(request=request).exists()


def test_delivery_is_sent_once_even_when_run_twice(erp_connection, fake_erp, carol, bob):
    request = approve_small(carol, bob)
    posting = ErpPosting.objects.get(request=request)
    first = posting_deliver(posting_id=posting.pk)
    second = posting_deliver(posting_id=posting.pk)
    assert first.status == second.status == PostingStatus.SUCCEEDED
    assert second.sent is False
    assert fake_erp.requisition_count() == 1
    assert len(fake_erp.calls("/requisitions")) == 1
    posting.refresh_from_db()
    assert posting.external_id == "REQ-000001"
    assert posting.attempts == 1
    summaries = list(
        TimelineEntry.objects.filter(request=request).values_list("summary", flat=True)
    )
    assert "Purchase requisition REQ-000001 posted to the ERP." in summaries


def test_payload_follows_the_mapping_and_carries_the_key(erp_connection, fake_erp, carol, bob):
    erp_connection_save(
        actor=None,
        name="Mapped",
        base_url=fake_erp.url,
        auth_token="Bearer erp-test-token-123",
        field_mapping={"requisition": {"externalReference": "reference", "amount": "amount"}},
    )
    request = approve_small(carol, bob)
    posting_deliver(posting_id=ErpPosting.objects.get(request=request).pk)
    (record,) = fake_erp.state.requisitions.values()
    assert record["externalReference"] == request.reference
    assert record["amount"] == "9000.00"


def test_a_lost_answer_is_deduped_by_the_erp(erp_connection, fake_erp, carol, bob):
    """The ERP recorded the requisition but the answer never arrived: the retry gets the same."""
    request = approve_small(carol, bob)
    posting = ErpPosting.objects.get(request=request)
    erp_connection.timeout_seconds = 1
    erp_connection.save()
    fake_erp.hang_next(1, seconds=3)
    assert posting_deliver(posting_id=posting.pk).status == PostingStatus.RETRYING
    fake_erp.release.set()
    assert posting_deliver(posting_id=posting.pk).status == PostingStatus.SUCCEEDED
    assert fake_erp.requisition_count() == 1
    assert len(fake_erp.calls("/requisitions")) == 2


def test_reconcile_matches_and_recovers(erp_connection, fake_erp, carol, bob, alice):
    request = approve_small(carol, bob)
    posting = ErpPosting.objects.get(request=request)
    # Nothing sent yet: the ERP has no such key.
    posting = posting_reconcile(actor=alice, posting=posting)
    assert posting.reconciliation == Reconciliation.MISSING
    # Sent, and the answer lost: reconcile finds it and records success without re-sending.
    erp_connection.timeout_seconds = 1
    erp_connection.save()
    fake_erp.hang_next(1, seconds=3)
    posting_deliver(posting_id=posting.pk)
    fake_erp.release.set()
    posting = posting_reconcile(actor=alice, posting=posting)
    assert posting.reconciliation == Reconciliation.RECOVERED
    assert posting.status == PostingStatus.SUCCEEDED
    assert posting.external_id == "REQ-000001"
    posting = posting_reconcile(actor=alice, posting=posting)
    assert posting.reconciliation == Reconciliation.MATCHED
    assert fake_erp.requisition_count() == 1


def test_resume_sends_stale_postings(erp_connection, carol, bob):
    from datetime import timedelta

    from django.utils import timezone

    request = approve_small(carol, bob)
    posting = ErpPosting.objects.get(request=request)
    ErpPosting.objects.filter(pk=posting.pk).update(
        created_at=timezone.now() - timedelta(minutes=10)
    )
    assert posting.pk in postings_resume()


# --- the reconciliation page ----------------------------------------------------------------------


def test_admin_sees_postings_and_reconciles(erp_connection, fake_erp, carol, bob, client_a):
    request = approve_small(carol, bob)
    posting = ErpPosting.objects.get(request=request)
    posting_deliver(posting_id=posting.pk)
    sign_in(client_a, "alice@alpha.test")
    page = client_a.get("/admin/erp/").content.decode()
    assert request.reference in page
    assert "REQ-000001" in page
    assert posting.idempotency_key in page
    assert TOKEN_TEXT not in page  # the token is never shown
    response = client_a.post(f"/admin/erp/postings/{posting.pk}/reconcile")
    assert response.status_code == 302
    posting.refresh_from_db()
    assert posting.reconciliation == Reconciliation.MATCHED


TOKEN_TEXT = "erp-test-token-123"


def test_admin_connects_the_erp_and_the_token_is_encrypted(in_tenant_a, fake_erp, client_a):
    from apps.integrations.erp.models import ErpConnection

    sign_in(client_a, "alice@alpha.test")
    response = client_a.post(
        "/admin/erp/",
        {"name": "Main ERP", "base_url": fake_erp.url, "auth_token": "Bearer s3cret-token"},
    )
    assert response.status_code == 302
    connection = ErpConnection.objects.get(is_active=True)
    assert "s3cret" not in connection.auth_token_encrypted
    assert connection.auth_token == "Bearer s3cret-token"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/admin/erp/"),
        ("post", "/admin/erp/postings/{pk}/reconcile"),
        ("post", "/admin/erp/postings/{pk}/retry"),
    ],
)
def test_outsiders_are_refused(erp_connection, carol, bob, client_a, client_b, method, path):
    request = approve_small(carol, bob)
    posting = ErpPosting.objects.get(request=request)
    url = path.format(pk=posting.pk)
    # anonymous -> the login page
    response = getattr(client_a, method)(url)
    assert response.status_code == 302
    assert "/login/" in response["Location"]
    # bob is an approver, not an administrator
    sign_in(client_a, "bob@alpha.test")
    assert getattr(client_a, method)(url).status_code == 403
    # tenant B's session does not work on tenant A's host
    sign_in(client_b, "dave@bravo.test")
    client_a.cookies = client_b.cookies
    response = getattr(client_a, method)(url)
    assert response.status_code == 302
    assert "/login/" in response["Location"]
    posting.refresh_from_db()
    assert posting.reconciliation == Reconciliation.NOT_CHECKED
    assert posting.status == PostingStatus.PENDING
