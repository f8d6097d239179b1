"""The assist panel: who sees it, what it says, that it never changes a request, and the
denial-risk model's history threshold."""

import copy
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.approvals.discussion import attachment_add
from apps.approvals.models import ApprovalRequest, Decision, Task
from apps.assist import risk, services
from apps.assist.models import AssistSettings, Recommendation, RiskModel
from apps.assist.selectors import agreement_rate
from apps.assist.tasks import risk_retrain
from tests.conftest import host_of, sign_in
from tests.sla.helpers import submit_prior_auth

ASSIST = Path(__file__).resolve().parents[2] / "apps" / "assist"


@pytest.fixture
def prior_auth(tenant_a, carol):
    with tenant_context(tenant_a):
        request = submit_prior_auth(carol)
        attachment_add(
            actor=carol,
            approval=request,
            upload=SimpleUploadedFile(
                "scan-notes.txt", b"zzz qqq lorem ipsum", content_type="text/plain"
            ),
        )
        attachment_add(
            actor=carol,
            approval=request,
            upload=SimpleUploadedFile(
                "mri.txt",
                b"Radiology report. MRI lumbar spine without contrast. Findings: disc bulge. "
                b"Impression: degenerative changes. Signed by radiologist.",
                content_type="text/plain",
            ),
        )
    return request


def _state(request):
    request = ApprovalRequest.objects.get(pk=request.pk)
    tasks = list(Task.objects.filter(request=request).values_list("pk", "status", "assignee_id"))
    decisions = Decision.objects.filter(request=request).count()
    return request.status, request.updated_at, request.data, tasks, decisions


def test_approver_sees_the_advisory_panel(prior_auth, client_a):
    sign_in(client_a, "bob@alpha.test")
    response = client_a.get(f"/requests/{prior_auth.reference}/assist/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Advisory — does not decide" in html
    assert "Imaging report" in html
    assert re.search(r"scan-notes\.txt: <strong>Unsure", html)  # low confidence → unsure
    assert "Based on the template pack's prior" in html  # a new tenant still gets an estimate
    assert "Not enough history" not in html
    assert "source: field “Payer”" in html
    assert "source: attachment “mri.txt”" in html
    assert "Jordan Example" not in html  # PHI values are not copied into the summary


def test_admin_sees_it_and_requester_only_when_allowed(prior_auth, client_a, tenant_a):
    url = f"/requests/{prior_auth.reference}/assist/"
    sign_in(client_a, "carol@alpha.test")
    assert client_a.get(url).status_code == 404
    with tenant_context(tenant_a):
        AssistSettings.objects.create(pk=1, show_to_requester=True)
    assert client_a.get(url).status_code == 200
    sign_in(client_a, "alice@alpha.test")
    assert client_a.get(url).status_code == 200


def test_outsiders_are_refused(prior_auth, client_a, client_b):
    url = f"/requests/{prior_auth.reference}/assist/"
    assert client_a.get(url)["Location"].startswith("/login/")
    sign_in(client_b, "dave@bravo.test")
    stolen = Client(HTTP_HOST=host_of("alpha"))
    stolen.cookies = copy.deepcopy(client_b.cookies)
    assert stolen.get(url)["Location"].startswith("/login/")
    assert client_b.get(url).status_code == 404
    sign_in(client_a, "olivia@alpha.test")
    assert client_a.get(url).status_code == 404
    assert client_a.get("/admin/assist/").status_code == 403


def test_no_assist_code_path_changes_the_request(prior_auth, client_a, tenant_a, bob, alice):
    with tenant_context(tenant_a):
        before = _state(prior_auth)
    sign_in(client_a, "bob@alpha.test")
    url = f"/requests/{prior_auth.reference}/assist/"
    assert client_a.get(url).status_code == 200
    assert client_a.get(url, HTTP_HX_REQUEST="true").status_code == 200
    with tenant_context(tenant_a):
        recommendations = list(Recommendation.objects.filter(request=prior_auth))
    for rec in recommendations:
        response = client_a.post(f"{url}{rec.pk}/feedback", {"agreed": "yes"})
        assert response.status_code == 302
    sign_in(client_a, "alice@alpha.test")
    client_a.post(
        "/admin/assist/", {"enabled": "on", "classifier_threshold": "0.5", "external_provider": ""}
    )
    with tenant_context(tenant_a):
        services.assist_run(actor=bob, approval=prior_auth)
        services.assist_run(actor=alice, approval=prior_auth)
        risk.risk_model_train()
        risk_retrain.apply()
        risk.denial_risk(prior_auth)
        assert _state(prior_auth) == before
        assert agreement_rate()["reviewed"] == len(recommendations)
        assert agreement_rate()["rate"] == 100.0


def test_assist_never_imports_the_approvals_services():
    pattern = re.compile(
        r"apps\.approvals\.services|from apps\.approvals import [^\n]*\bservices\b|"
        r"apps\.approvals\.effects|apps\.workflows\.engine|select_for_update|"
        r"objects[^\n]*\.(update|delete)\(|request\.(save|delete)\("
    )
    offenders = []
    for path in ASSIST.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for match in pattern.finditer(path.read_text()):
            offenders.append(f"{path.name}: {match.group(0)}")
    assert offenders == []


def test_recommendations_are_stored_with_their_inputs(prior_auth, tenant_a, bob):
    with tenant_context(tenant_a):
        first = services.assist_run(actor=bob, approval=prior_auth)
        again = services.assist_run(actor=bob, approval=prior_auth)
        assert [r.pk for r in first] == [r.pk for r in again]  # same inputs → same record
        kinds = {r.kind for r in first}
        assert kinds == {
            "criteria", "consistency", "similar_cases", "completeness", "classification",
            "denial_risk", "summary",
        }  # fmt: skip
        for rec in first:
            assert len(rec.inputs_hash) == 64
            assert rec.model_version
            assert rec.reviewer_agreed is None


def _decided_history(carol, n_denied, n_approved):
    from tests.insights.dataset import _request

    class W:
        requests: dict = {}

    now = timezone.now() - timedelta(days=30)
    for i in range(n_denied):
        _request(W, f"RD{i}", carol=carol, status="denied", submitted=now, hours=1, cpt="72148")
    for i in range(n_approved):
        _request(W, f"RA{i}", carol=carol, status="approved", submitted=now, hours=1, cpt="70553")


def test_denial_risk_learns_from_history_and_gives_reasons(prior_auth, tenant_a, carol, bob):
    with tenant_context(tenant_a):
        if risk.decided_history().count() < risk.MIN_FIT:
            assert risk.risk_model_train() is None  # too little history: the pack prior alone
            assert risk.denial_risk(prior_auth)["basis"] in {"pack_prior", "prior_and_history"}
        _decided_history(carol, 30, 30)
        model = risk.risk_model_train()
        assert isinstance(model, RiskModel)
        assert model.trained_on >= 60
        assert bytes(model.artifact)[:2] == b"PK"  # a skops zip, not a pickle
        output = risk.denial_risk(prior_auth)  # CPT 72148: the denied ones' code
        assert output["status"] == "ok"
        assert output["basis"] == "model"
        assert output["risk"] == "high"
        assert output["model_version"].startswith(model.version)
        assert any("CPT/HCPCS code is 72148" in reason for reason in output["reasons"])


def test_the_beat_retrains_the_risk_model_nightly():
    from config.celery import app

    entry = app.conf.beat_schedule["assist-risk-retrain"]
    assert entry["task"] == "assist.risk_retrain_all_tenants"
    assert entry["task"] in app.tasks
    assert entry["schedule"].hour == {2}
