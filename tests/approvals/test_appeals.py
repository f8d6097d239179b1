"""Appeals: a denied prior authorization is appealed by its requester as a linked request of the
appeal workflow, reviewed by someone other than who denied it, and counted by the CMS report."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.approvals.appeals import peer_to_peer_record, request_appeal
from apps.approvals.exceptions import ApprovalError
from apps.approvals.services import DecisionInput, request_create, task_claim, task_decide
from apps.insights.cms import cms_report
from apps.people.models import Role
from apps.workflows.models import WorkflowDefinition
from tests.api.conftest import ApiClient, key_for
from tests.approvals.helpers import pending
from tests.conftest import sign_in
from tests.sla.helpers import submit_prior_auth

APPEAL = {
    "appeal_reason": "Ten weeks of therapy are documented.",
    "peer_to_peer_requested": "Requested",
}


def _denied(carol, bob):
    original = submit_prior_auth(carol)
    (task,) = pending(original)
    task = task_claim(actor=bob, task=task)
    task_decide(
        actor=bob,
        task=task,
        decision=DecisionInput(
            "reject", reason_code="NOT_MEDICALLY_NECESSARY", comment="No PT notes."
        ),
    )
    original.refresh_from_db()
    assert original.status == "denied"
    return original


@pytest.fixture
def denied(tenant_a, carol, bob, victor):
    with tenant_context(tenant_a):
        Role.objects.get(key="medical_director").members.add(victor, bob)
        yield _denied(carol, bob)


def test_the_requester_appeals_on_the_web_and_a_second_reviewer_approves(
    denied, client_a, tenant_a, bob, victor
):
    sign_in(client_a, "carol@alpha.test")
    page = client_a.get(f"/requests/{denied.reference}/").content.decode()
    assert 'data-testid="appeal-start"' in page
    assert client_a.get(f"/requests/{denied.reference}/appeal").status_code == 200
    refused = client_a.post(
        f"/requests/{denied.reference}/appeal", {"peer_to_peer_requested": "Requested"}
    )
    assert refused.status_code == 400  # the reason is required; nothing was filed
    with tenant_context(tenant_a):
        assert not denied.appeals.exists()
    filed = client_a.post(f"/requests/{denied.reference}/appeal", APPEAL)
    assert filed.status_code == 302
    with tenant_context(tenant_a):
        (appeal,) = denied.appeals.all()
        assert filed["Location"] == f"/requests/{appeal.reference}/"
        assert appeal.reference.startswith("APL-")
        assert appeal.status == "in_review"
        (task,) = pending(appeal)
        assert task.queue_role.key == "medical_director"
        # Segregation of duties: bob denied the original, so he may not take the appeal.
        with pytest.raises(ApprovalError) as refused_claim:
            task_claim(actor=bob, task=task)
        assert refused_claim.value.code == "decided_the_appealed_request"
        # The appeal's reviewer reads the request it appeals.
    reviewer = client_a.__class__(HTTP_HOST="alpha.localhost")
    sign_in(reviewer, "victor@alpha.test")
    assert reviewer.get(f"/requests/{denied.reference}/").status_code == 200
    with tenant_context(tenant_a):
        task = task_claim(actor=victor, task=task)
        task_decide(actor=victor, task=task, decision=DecisionInput("approve"))
        appeal.refresh_from_db()
        assert appeal.status == "approved"
        notes = list(denied.timeline.values_list("kind", "summary"))
        assert ("appealed", f"Carol Requester appealed the decision: {appeal.reference}.") in notes
        assert ("appeal_decided", f"The appeal {appeal.reference} was approved.") in notes
        report = cms_report(year=timezone.now().year)
        assert report["standard"]["approved_after_appeal"] >= 1
        counted = report["standard"]["approved_after_appeal"]
        # Appeals are not prior authorizations themselves: they are not in the totals.
        assert (
            report["standard"]["total"]
            == report["standard"]["approved"]
            + report["standard"]["partially_approved"]
            + report["standard"]["denied"]
        )
    page = client_a.get(f"/requests/{denied.reference}/").content.decode()
    assert 'data-testid="appeal-link"' in page
    assert "This decision has already been appealed." in page
    assert counted >= 1


def test_one_appeal_per_denial_within_the_window_by_the_requester_only(
    denied, tenant_a, carol, bob, olivia, dave, tenant_b
):
    with tenant_context(tenant_a):
        key = key_for(tenant_a, carol)
        bob_key = key_for(tenant_a, bob)
        olivia_key = key_for(tenant_a, olivia)
    path = f"/api/v1/requests/{denied.pk}/appeal"
    body = {"data": APPEAL}
    assert ApiClient("alpha.localhost", bob_key).post(path, body).status_code == 403
    assert ApiClient("alpha.localhost", olivia_key).post(path, body).status_code == 404
    dave_key = key_for(tenant_b, dave)
    assert ApiClient("alpha.localhost", dave_key).post(path, body).status_code == 401
    created = ApiClient("alpha.localhost", key).post(path, body)
    assert created.status_code == 201, created.content
    assert created.json()["appeal_of"] == denied.pk
    again = ApiClient("alpha.localhost", key).post(path, body)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_appealed"


def test_the_window_closes(denied, tenant_a, carol):
    with tenant_context(tenant_a), time_machine.travel(timezone.now() + timedelta(days=61)):
        with pytest.raises(ApprovalError) as closed:
            request_appeal(actor=carol, approval=denied, data=APPEAL)
        assert closed.value.code == "appeal_window_closed"
        assert not denied.appeals.exists()


def test_an_appeal_is_never_filed_on_its_own(tenant_a, carol):
    with tenant_context(tenant_a):
        workflow = WorkflowDefinition.objects.get(key="prior-auth-appeal")
        with pytest.raises(ApprovalError) as refused:
            request_create(actor=carol, workflow=workflow, data=APPEAL)
        assert refused.value.code == "appeal_needs_request"


def test_an_approved_request_cannot_be_appealed(tenant_a, carol, bob):
    with tenant_context(tenant_a):
        original = submit_prior_auth(carol)
        (task,) = pending(original)
        task_decide(
            actor=bob, task=task_claim(actor=bob, task=task), decision=DecisionInput("approve")
        )
        original.refresh_from_db()
        with pytest.raises(ApprovalError) as refused:
            request_appeal(actor=carol, approval=original, data=APPEAL)
        assert refused.value.code == "not_appealable"


def test_a_reviewer_records_a_peer_to_peer_discussion(denied, tenant_a, carol, victor):
    with tenant_context(tenant_a):
        appeal = request_appeal(actor=carol, approval=denied, data=APPEAL)
        with pytest.raises(ApprovalError):
            peer_to_peer_record(
                actor=carol, appeal=appeal, held_with="Dr Lee", held_at=timezone.now(), summary="x"
            )
        with pytest.raises(ApprovalError) as empty:
            peer_to_peer_record(
                actor=victor, appeal=appeal, held_with="", held_at=timezone.now(), summary=""
            )
        assert set(empty.value.fields) == {"held_with", "summary"}
        peer_to_peer_record(
            actor=victor,
            appeal=appeal,
            held_with="Dr Lee (ordering physician)",
            held_at=timezone.now() - timedelta(hours=1),
            summary="PT notes from weeks 1-10 will be sent.",
        )
        assert appeal.timeline.filter(kind="peer_to_peer").exists()
        assert appeal.comments.filter(body__startswith="Peer-to-peer with Dr Lee").exists()
