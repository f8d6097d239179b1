"""Budget check before the finance step, shown to the approver on the request page."""

import pytest

from apps.integrations.erp.choices import PostingKind, PostingStatus
from apps.integrations.erp.models import ErpPosting
from apps.integrations.erp.services import erp_connection_save, posting_deliver
from tests.approvals.helpers import pending, submit_capital
from tests.conftest import sign_in
from tests.integrations.erp.conftest import approve_through_vp

pytestmark = pytest.mark.django_db


def _budget_posting(request):
    return ErpPosting.objects.get(request=request, kind=PostingKind.BUDGET_CHECK)


def test_no_budget_check_before_the_finance_step(erp_connection, carol, bob):
    request = submit_capital(carol, "120000")
    assert not ErpPosting.objects.filter(request=request).exists()


def test_funds_available_shown_to_the_cfo(erp_connection, fake_erp, carol, bob, victor, client_a):
    request = approve_through_vp(submit_capital(carol, "120000"), bob, victor)
    (cfo_task,) = pending(request)
    assert cfo_task.step_key == "cfo"
    posting = _budget_posting(request)
    assert posting.idempotency_key.endswith(f"{request.reference}:budget_check")

    assert posting_deliver(posting_id=posting.pk).status == PostingStatus.SUCCEEDED
    (call,) = fake_erp.calls("/budgets/check")
    assert call["key"] == posting.idempotency_key

    sign_in(client_a, "frank@alpha.test")
    page = client_a.get(f"/requests/{request.reference}/").content.decode()
    assert 'data-testid="erp-panel"' in page
    assert "Funds available" in page
    assert "Budget check: funds available" in page  # also on the timeline


def test_insufficient_funds_shown(erp_connection, fake_erp, carol, bob, victor, client_a):
    fake_erp.set_budget("4100-RAD", "50000")
    request = approve_through_vp(submit_capital(carol, "120000"), bob, victor)
    posting_deliver(posting_id=_budget_posting(request).pk)
    sign_in(client_a, "frank@alpha.test")
    page = client_a.get(f"/requests/{request.reference}/").content.decode()
    assert "Insufficient funds" in page
    assert "Funds available" not in page


def test_erp_down_is_shown_as_unavailable_never_a_pass(
    in_tenant_a, closed_port_url, carol, bob, victor, client_a
):
    erp_connection_save(actor=None, name="Down ERP", base_url=closed_port_url, timeout_seconds=2)
    request = approve_through_vp(submit_capital(carol, "120000"), bob, victor)
    posting = _budget_posting(request)

    delivery = posting_deliver(posting_id=posting.pk)
    assert delivery.status == PostingStatus.RETRYING
    assert delivery.retry_in is not None
    assert delivery.retry_in > 0
    posting.refresh_from_db()
    assert posting.attempts == 1
    assert "could not be reached" in posting.last_error

    sign_in(client_a, "frank@alpha.test")
    page = client_a.get(f"/requests/{request.reference}/").content.decode()
    assert "Budget check unavailable, will retry" in page
    assert "Funds available" not in page
    assert "Budget check pending" in page


def test_erp_errors_then_recovers(erp_connection, fake_erp, carol, bob, victor):
    fake_erp.fail_next(2, status=503)
    request = approve_through_vp(submit_capital(carol, "120000"), bob, victor)
    posting = _budget_posting(request)
    assert posting_deliver(posting_id=posting.pk).status == PostingStatus.RETRYING
    assert posting_deliver(posting_id=posting.pk).status == PostingStatus.RETRYING
    assert posting_deliver(posting_id=posting.pk).status == PostingStatus.SUCCEEDED
    posting.refresh_from_db()
    assert posting.attempts == 3
    assert posting.last_error == ""
    # Done: running the task again sends nothing.
    assert posting_deliver(posting_id=posting.pk).sent is False
    assert len(fake_erp.calls("/budgets/check")) == 3


def test_gives_up_after_max_attempts_and_says_so(
    in_tenant_a, closed_port_url, carol, bob, victor, client_a
):
    erp_connection_save(
        actor=None, name="Down ERP", base_url=closed_port_url, timeout_seconds=1, max_attempts=2
    )
    request = approve_through_vp(submit_capital(carol, "120000"), bob, victor)
    posting = _budget_posting(request)
    posting_deliver(posting_id=posting.pk)
    assert posting_deliver(posting_id=posting.pk).status == PostingStatus.FAILED
    sign_in(client_a, "frank@alpha.test")
    page = client_a.get(f"/requests/{request.reference}/").content.decode()
    assert "Budget check failed" in page
    assert "Funds available" not in page


def test_bad_credentials_give_up_at_once(in_tenant_a, fake_erp, carol, bob, victor):
    erp_connection_save(actor=None, name="ERP", base_url=fake_erp.url, auth_token="Bearer wrong")
    request = approve_through_vp(submit_capital(carol, "120000"), bob, victor)
    posting = _budget_posting(request)
    assert posting_deliver(posting_id=posting.pk).status == PostingStatus.FAILED
    posting.refresh_from_db()
    assert "credentials" in posting.last_error


def test_the_panel_is_not_shown_to_outsiders(erp_connection, carol, bob, victor, client_a):
    request = approve_through_vp(submit_capital(carol, "120000"), bob, victor)
    sign_in(client_a, "olivia@alpha.test")
    assert client_a.get(f"/requests/{request.reference}/").status_code == 404


def test_phi_fields_cannot_be_mapped(in_tenant_a, fake_erp):
    from apps.integrations.erp.mapping import mapping_problems
    from apps.workflows.models import WorkflowDefinition
    from apps.workflows.selectors import spec_of

    spec = spec_of(WorkflowDefinition.objects.get(key="prior-auth-imaging").current_version)
    problems = mapping_problems({"patient": "data.patient_name"}, spec)
    assert problems == ["patient: 'patient_name' holds patient information."]
