"""The scikit-learn models of assist: trained for real on small data, stored with skops (which
refuses untrusted types), and the denial/pend risk's cold start from the template pack prior."""

import os
from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from skops.io import dumps

from apps.approvals.models import ApprovalRequest, ReasonCode
from apps.assist import classifier, risk
from apps.assist.model_store import UntrustedModel, model_dumps, model_loads
from apps.assist.models import RiskModel
from apps.workflows.library import load_pack
from tests.insights.dataset import _request, _task
from tests.sla.helpers import submit_prior_auth


class World:
    requests: dict = {}
    tasks: dict = {}


def test_attachment_model_is_a_calibrated_linear_model_trained_on_the_corpus():
    fitted, version = classifier.model()
    assert isinstance(fitted, Pipeline)
    assert isinstance(fitted.named_steps["model"], CalibratedClassifierCV)
    assert version.startswith("tfidf-svc-platt-")
    result = classifier.classify("Purchase quotation: price valid for 30 days, lead time 6 weeks.")
    assert result.best_guess == "quote"
    assert result.probabilities is not None
    assert sum(result.probabilities.values()) == pytest.approx(1.0, abs=1e-3)


def test_small_pipeline_trains_and_round_trips_through_skops():
    texts = ["invoice amount due net 30"] * 6 + ["radiology impression findings normal"] * 6
    labels = ["invoice"] * 6 + ["imaging_report"] * 6
    fitted = classifier.text_pipeline().fit(texts, labels)
    again = model_loads(model_dumps(fitted))
    probe = ["amount due on this invoice", "impression: findings are normal"]
    assert list(again.predict(probe)) == ["invoice", "imaging_report"]
    assert np.allclose(again.predict_proba(probe), fitted.predict_proba(probe))


def test_skops_store_refuses_untrusted_types():
    evil = Pipeline(
        [("run", FunctionTransformer(os.system)), ("model", LogisticRegression())]
    )  # a callable a loader would import and run
    with pytest.raises(UntrustedModel) as refused:
        model_dumps(evil)
    assert any("system" in t for t in refused.value.types)
    data = dumps(evil)  # written by someone else, straight into the store
    with pytest.raises(UntrustedModel):
        model_loads(data)
    assert UntrustedModel.code == "assist.untrusted_model"


def test_cold_start_gives_the_pack_prior_not_not_enough_history(tenant_a, carol):
    with tenant_context(tenant_a):
        assert not ApprovalRequest.objects.filter(status__in=risk.DECIDED).exists()
        approval = submit_prior_auth(carol)
        output = risk.denial_risk(approval)
    prior = load_pack()["assist_priors"]["workflows"]["prior-auth-imaging"]
    assert output["status"] == "ok"
    assert output["basis"] == "pack_prior"
    assert output["probability_denied"] == pytest.approx(prior["denial_rate"])
    assert output["probability_pended"] == pytest.approx(prior["pend_rate"])
    assert output["model_version"] == "prior:healthcare-core@1.0.0"
    assert "template pack's prior" in output["message"]
    assert output["reason_codes"][0] == {
        "code": "NOT_MEDICALLY_NECESSARY",
        "label": "Not medically necessary",
        "share": pytest.approx(0.45),
    }


def test_history_moves_the_estimate_away_from_the_prior(tenant_a, carol, bob):
    with tenant_context(tenant_a):
        approval = submit_prior_auth(carol)
        reason, _ = ReasonCode.objects.get_or_create(
            code="INCOMPLETE_DOCUMENTATION", defaults={"label": "Incomplete documentation"}
        )
        then = timezone.now() - timedelta(days=3)
        for i in range(10):
            denied = _request(World, f"H{i}", carol=carol, status="denied", submitted=then, hours=1)
            _task(
                World,
                f"H{i}",
                denied,
                bob=bob,
                opened=then,
                hours=1,
                outcome="reject",
                reason=reason,
            )
        assert risk.risk_model_train() is None  # below MIN_FIT and one outcome only
        output = risk.denial_risk(approval)
    prior = risk.pack_prior("prior-auth-imaging")
    assert output["basis"] == "prior_and_history"
    expected = (10 + risk.PRIOR_STRENGTH * prior.denial_rate) / (10 + risk.PRIOR_STRENGTH)
    assert output["probability_denied"] == pytest.approx(expected, abs=1e-3)
    assert output["probability_denied"] > prior.denial_rate
    assert output["reason_codes"][0]["code"] == "INCOMPLETE_DOCUMENTATION"  # 10 of 10 here
    assert "blended with 10 decided requests" in output["message"]


def test_a_tampered_stored_model_is_refused_and_the_prior_used(tenant_a, carol):
    evil = Pipeline([("run", FunctionTransformer(os.system))])
    with tenant_context(tenant_a):
        RiskModel.objects.create(
            version="tampered", trained_on=99, parameters={"workflows": {"prior-auth-imaging": 99}},
            artifact=dumps({"denial": evil}),
        )  # fmt: skip
        output = risk.denial_risk(submit_prior_auth(carol))
    assert output["basis"] == "pack_prior"
    assert "tampered" not in output["model_version"]


def test_every_pack_template_has_a_sound_prior():
    pack = load_pack()
    priors = pack["assist_priors"]
    codes = {rc["code"] for rc in pack["reason_codes"]}
    keys = {name.removesuffix(".json") for name in pack["templates"]}
    assert set(priors["workflows"]) == keys
    for entry in [priors["default"], *priors["workflows"].values()]:
        assert 0 < entry["denial_rate"] < 1
        assert 0 < entry["pend_rate"] < 1
        assert set(entry["reason_codes"]) <= codes
        assert sum(entry["reason_codes"].values()) == pytest.approx(1.0)
