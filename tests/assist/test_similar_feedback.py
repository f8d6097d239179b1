"""Similar past cases (only what the viewer may open, same workflow, same tenant) and the
panel's "helpful / not helpful" feedback (stored per item and actor, audited, refused to
outsiders)."""

import copy
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.approvals.models import ApprovalRequest, ReasonCode
from apps.assist.models import AssistFeedback, Recommendation
from apps.assist.selectors import agreement_over_time
from apps.assist.similar import similar_cases
from apps.audit.models import AuditEntry
from apps.workflows.models import WorkflowDefinition
from tests.conftest import host_of, sign_in
from tests.insights.dataset import _request, _task
from tests.sla.helpers import submit_prior_auth


class World:
    requests: dict = {}
    tasks: dict = {}


@pytest.fixture
def history(tenant_a, tenant_b, carol, bob, victor, dave):
    """Decided requests around a new lumbar MRI prior authorization of carol's."""
    then = timezone.now() - timedelta(days=5)
    with tenant_context(tenant_a):
        target = submit_prior_auth(carol)
        necessity, _ = ReasonCode.objects.get_or_create(
            code="NOT_MEDICALLY_NECESSARY", defaults={"label": "Not medically necessary"}
        )
        seen_denied = _request(
            World, "SEEN1", carol=carol, status="denied", submitted=then, hours=2, cpt="72148"
        )
        _task(World, "S1", seen_denied, bob=bob, opened=then, hours=2, outcome="reject",
              reason=necessity)  # fmt: skip
        seen_approved = _request(
            World, "SEEN2", carol=carol, status="approved", submitted=then, hours=2, cpt="70553"
        )
        _task(World, "S2", seen_approved, bob=bob, opened=then, hours=2, outcome="approve")
        _request(
            World, "HIDDEN", carol=victor, status="denied", submitted=then, hours=2, cpt="72148"
        )  # victor's, no task of bob's: bob may not open it
        capital = WorkflowDefinition.objects.get(key="capital-purchase").current_version
        other = ApprovalRequest.objects.create(
            reference="CAP-TEST-OTHER", workflow_version=capital, requester=carol,
            status="denied", data={"cpt_code": "72148"}, submitted_at=then, completed_at=then,
        )  # fmt: skip
        _task(World, "S3", other, bob=bob, opened=then, hours=1, outcome="reject")
    with tenant_context(tenant_b):
        _request(World, "BRAVO1", carol=dave, status="denied", submitted=then, hours=1, cpt="72148")
    return target


def _refs(cases):
    return [c.reference for c in cases]


def test_similar_cases_are_only_what_the_viewer_may_open_in_the_same_workflow(
    history, tenant_a, bob, alice, olivia
):
    with tenant_context(tenant_a):
        for_bob, considered = similar_cases(bob, history)
        for_alice, _ = similar_cases(alice, history)
        for_olivia, _ = similar_cases(olivia, history)
    assert _refs(for_bob) == ["PA-TEST-SEEN1", "PA-TEST-SEEN2"]  # same CPT code ranks first
    assert {c.reference for c in considered} == {"PA-TEST-SEEN1", "PA-TEST-SEEN2"}
    assert for_bob[0].outcome == "denied"
    assert for_bob[0].reason_code == "NOT_MEDICALLY_NECESSARY"
    assert for_bob[0].shared == ["CPT/HCPCS code"]
    assert for_bob[0].score > for_bob[1].score
    # The administrator sees every request of the tenant: the hidden one too, never the
    # capital purchase (another workflow) nor bravo's request (another tenant).
    assert set(_refs(for_alice)) == {"PA-TEST-SEEN1", "PA-TEST-SEEN2", "PA-TEST-HIDDEN"}
    assert for_olivia == []


def test_panel_shows_similar_cases_with_links_after_criteria(history, client_a):
    sign_in(client_a, "bob@alpha.test")
    html = client_a.get(f"/requests/{history.reference}/assist/").content.decode()
    block = html[html.index('data-testid="assist-similar"') :]
    assert '<a href="/requests/PA-TEST-SEEN1/">PA-TEST-SEEN1</a>' in block
    assert "Not medically necessary" in block
    assert "PA-TEST-HIDDEN" not in html
    assert "CAP-TEST-OTHER" not in html
    assert "BRAVO1" not in html
    order = [html.index(f'data-testid="assist-{part}"') for part in ("criteria", "consistency")]
    assert order[0] < order[1] < html.index('data-testid="assist-similar"')


def _recommendation(tenant, approval, kind):
    with tenant_context(tenant):
        return Recommendation.objects.filter(request=approval, kind=kind).first()


def test_feedback_on_a_criterion_is_stored_audited_and_shown(history, client_a, tenant_a, bob):
    url = f"/requests/{history.reference}/assist/"
    sign_in(client_a, "bob@alpha.test")
    assert client_a.get(url).status_code == 200
    criteria = _recommendation(tenant_a, history, "criteria")
    item = criteria.output["results"][0]["key"]
    response = client_a.post(f"{url}{criteria.pk}/feedback", {"helpful": "no", "item": item})
    assert response.status_code == 302
    response = client_a.post(f"{url}{criteria.pk}/feedback", {"helpful": "yes", "item": item})
    assert response.status_code == 302
    similar = _recommendation(tenant_a, history, "similar_cases")
    assert client_a.post(f"{url}{similar.pk}/feedback", {"helpful": "yes"}).status_code == 302
    with tenant_context(tenant_a):
        rows = list(AssistFeedback.objects.filter(actor=bob).order_by("id"))
        assert [(r.recommendation_id, r.item, r.helpful) for r in rows] == [
            (criteria.pk, item, True),  # changed mind: one row per item and reviewer
            (similar.pk, "", True),
        ]
        entries = AuditEntry.objects.filter(action="assist_feedback", actor_id=bob.pk)
        assert entries.count() == 3
        assert {e.request_reference for e in entries} == {history.reference}
        assert Recommendation.objects.get(pk=similar.pk).reviewer_agreed is True
        by_month = agreement_over_time()
    assert {(r["kind"], r["marked"], r["helpful"]) for r in by_month} == {
        ("criteria", 1, 1),
        ("similar_cases", 1, 1),
    }
    html = client_a.get(url).content.decode()
    assert "You marked this helpful." in html


def test_the_evaluation_reports_a_tenants_agreement_over_time(history, tenant_a, bob, capsys):
    from apps.assist.services import recommendation_feedback
    from bench.assist_eval import agreement

    with tenant_context(tenant_a):
        from apps.assist.services import assist_run

        risk = next(r for r in assist_run(actor=bob, approval=history) if r.kind == "denial_risk")
        recommendation_feedback(actor=bob, recommendation=risk, helpful=False)
    agreement(tenant_a.schema_name)
    out = capsys.readouterr().out
    assert "denial_risk" in out
    assert "1 marked    0.0 % helpful" in out


def test_feedback_refuses_unknown_items_and_bad_answers(history, client_a, tenant_a):
    url = f"/requests/{history.reference}/assist/"
    sign_in(client_a, "bob@alpha.test")
    client_a.get(url)
    criteria = _recommendation(tenant_a, history, "criteria")
    response = client_a.post(f"{url}{criteria.pk}/feedback", {"helpful": "yes", "item": "nope"})
    assert response.status_code == 400
    assert b"assist.feedback_item_unknown" in response.content
    assert client_a.post(f"{url}{criteria.pk}/feedback", {"helpful": "maybe"}).status_code == 400
    with tenant_context(tenant_a):
        assert not AssistFeedback.objects.exists()


def test_feedback_is_refused_to_outsiders(history, client_a, client_b, tenant_a, carol):
    url = f"/requests/{history.reference}/assist/"
    sign_in(client_a, "bob@alpha.test")
    client_a.get(url)
    criteria = _recommendation(tenant_a, history, "criteria")
    target = f"{url}{criteria.pk}/feedback"
    for email in ("olivia@alpha.test", "carol@alpha.test"):  # same tenant, no panel access
        same_tenant = Client(HTTP_HOST=host_of("alpha"))
        sign_in(same_tenant, email)
        assert same_tenant.post(target, {"helpful": "no"}).status_code == 404
    sign_in(client_b, "dave@bravo.test")  # another tenant's user
    assert client_b.post(target, {"helpful": "no"}).status_code == 404
    stolen = Client(HTTP_HOST=host_of("alpha"))
    stolen.cookies = copy.deepcopy(client_b.cookies)
    assert stolen.post(target, {"helpful": "no"})["Location"].startswith("/login/")
    # A recommendation of another request, reached through this request's address.
    with tenant_context(tenant_a):
        other = submit_prior_auth(carol)
    client_a.get(f"/requests/{other.reference}/assist/")
    foreign = _recommendation(tenant_a, other, "criteria")
    assert client_a.post(f"{url}{foreign.pk}/feedback", {"helpful": "no"}).status_code == 404
    with tenant_context(tenant_a):
        assert not AssistFeedback.objects.exists()
        assert not AuditEntry.objects.filter(action="assist_feedback").exists()
