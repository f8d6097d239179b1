"""Denial and pend risk of a request ("request classification": approved / denied, and whether
information was requested). Cold start: the template pack ships a prior per workflow (base
denial and pend rates, the usual reason codes; `pack.json` → `assist_priors`), which counts as
`PRIOR_STRENGTH` pseudo-requests and is blended with the tenant's own decided requests as they
come. From `MIN_FIT` decided requests with both outcomes a logistic regression (structured
features one-hot + TF-IDF of the notes) is trained by the nightly beat task, stored with skops
(`model_store`), and blended with that prior by how much history the workflow has. Advisory only:
nothing here changes a request."""

from __future__ import annotations

import contextlib
import logging
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

import numpy as np
import sklearn
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction import DictVectorizer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from apps.approvals.choices import DecisionOutcome, RequestStatus
from apps.approvals.models import ApprovalRequest, Decision, ReasonCode
from apps.assist.model_store import UntrustedModel, model_dumps, model_loads
from apps.assist.models import RiskModel
from apps.core.actions import action

logger = logging.getLogger(__name__)

PRIOR_STRENGTH = 20  # the pack prior weighs as much as this many decided requests
REASON_PRIOR_STRENGTH = 5  # the same for the shares of reason codes among denials
MIN_FIT = 20  # decided requests (with both outcomes) before a model is fitted
DENIED, APPROVED = "denied", "approved"
DECIDED = [RequestStatus.APPROVED, RequestStatus.PARTIALLY_APPROVED, RequestStatus.DENIED]
FEATURE_LABELS = {
    "workflow": "Workflow",
    "urgency": "Urgency",
    "department": "Department",
    "payer": "Payer",
    "cpt": "CPT/HCPCS code",
    "therapy": "Weeks of conservative therapy",
    "amount": "Amount",
    "files": "Attachments",
}


def _bucket_amount(value: Any) -> str:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return "none"
    for limit in (1000, 10000, 50000, 250000):
        if amount < limit:
            return f"<{limit}"
    return ">=250000"


def workflow_key(approval: ApprovalRequest) -> str:
    return str(approval.workflow_version.definition.key)


def features_of(approval: ApprovalRequest, attachment_count: int | None = None) -> list[str]:
    data = approval.data or {}
    files = attachment_count if attachment_count is not None else approval.attachments.count()
    therapy = data.get("conservative_therapy_weeks")
    try:
        therapy_bucket = (
            "none" if therapy in (None, "") else ("<6" if float(therapy) < 6 else ">=6")
        )
    except (TypeError, ValueError):
        therapy_bucket = "none"
    return [
        f"workflow={workflow_key(approval)}",
        f"urgency={approval.urgency}",
        f"department={approval.department.key if approval.department else 'none'}",
        f"payer={data.get('payer') or 'none'}",
        f"cpt={data.get('cpt_code') or 'none'}",
        f"therapy={therapy_bucket}",
        f"amount={_bucket_amount(approval.amount)}",
        f"files={'none' if not files else 'some'}",
    ]


def notes_of(approval: ApprovalRequest) -> str:
    """The free-text answers (long-text fields of the form): what the notes say."""
    fields = (approval.workflow_version.spec or {}).get("form", {}).get("fields", [])
    names = [f["name"] for f in fields if f.get("type") == "long_text"]
    data = approval.data or {}
    return "\n".join(str(data[n]) for n in names if isinstance(data.get(n), str))


# The pack prior ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Prior:
    denial_rate: float
    pend_rate: float
    reason_codes: dict[str, float]
    source: str  # "healthcare-core@1.0.0"


@lru_cache(maxsize=1)
def _pack() -> dict[str, Any]:
    from apps.workflows.library import load_pack

    return load_pack()


def pack_prior(key: str) -> Prior:
    """The template pack's prior for a workflow key (the pack's default for unknown keys)."""
    pack = _pack()
    priors = pack.get("assist_priors", {})
    entry = priors.get("workflows", {}).get(key) or priors.get("default") or {}
    return Prior(
        denial_rate=float(entry.get("denial_rate", 0.1)),
        pend_rate=float(entry.get("pend_rate", 0.2)),
        reason_codes=dict(entry.get("reason_codes", {})),
        source=f"{pack.get('key', 'pack')}@{pack.get('version', '?')}",
    )


# The tenant's history ----------------------------------------------------------------------


@dataclass
class History:
    decided: int = 0
    denied: int = 0
    pended: int = 0
    reasons: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {"decided": self.decided, "denied": self.denied, "pended": self.pended}


def _pended() -> Exists:
    return Exists(
        Decision.objects.filter(request=OuterRef("pk"), outcome=DecisionOutcome.REQUEST_INFO)
    )


def decided_history() -> QuerySet[ApprovalRequest]:
    return (
        ApprovalRequest.objects.filter(status__in=DECIDED)
        .select_related("workflow_version__definition", "department")
        .annotate(pended=_pended())
    )


def workflow_history(key: str) -> History:
    rows = ApprovalRequest.objects.filter(status__in=DECIDED, workflow_version__definition__key=key)
    counts = rows.aggregate(
        decided=Count("pk"),
        denied=Count("pk", filter=Q(status=RequestStatus.DENIED)),
    )
    pended = rows.filter(_pended()).count()
    reasons = Counter(
        dict(
            Decision.objects.filter(
                request__in=rows, outcome=DecisionOutcome.REJECT, reason_code__isnull=False
            )
            .values_list("reason_code__code")
            .annotate(n=Count("pk"))
            .values_list("reason_code__code", "n")
        )
    )
    return History(counts["decided"], counts["denied"], pended, reasons)


def _blend(count: int, n: int, prior: float, strength: float = PRIOR_STRENGTH) -> float:
    """Beta-binomial: the prior as `strength` pseudo-requests plus the observed ones."""
    return (count + strength * prior) / (n + strength)


def reason_shares(prior: Prior, history: History) -> list[dict[str, Any]]:
    codes = set(prior.reason_codes) | set(history.reasons)
    total = sum(history.reasons.values())
    shares = {
        code: (history.reasons[code] + REASON_PRIOR_STRENGTH * prior.reason_codes.get(code, 0.0))
        / (total + REASON_PRIOR_STRENGTH)
        for code in codes
    }
    top = sorted(shares.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
    labels = {rc["code"]: rc["label"] for rc in _pack().get("reason_codes", [])}
    labels.update(ReasonCode.objects.filter(code__in=codes).values_list("code", "label"))
    return [
        {"code": code, "label": labels.get(code, code), "share": round(share, 3)}
        for code, share in top
        if share > 0
    ]


# The fitted model --------------------------------------------------------------------------


def _matrix(bundle: dict[str, Any], features: list[list[str]], notes: list[str]) -> Any:
    categorical = bundle["categorical"].transform([dict.fromkeys(f, 1) for f in features])
    text = bundle.get("text")
    if text is None:
        return categorical
    return hstack([categorical, text.transform(notes)]).tocsr()


def _feature_names(bundle: dict[str, Any]) -> list[str]:
    names = [str(n) for n in bundle["categorical"].get_feature_names_out()]
    if bundle.get("text") is not None:
        names += [f"notes={t}" for t in bundle["text"].get_feature_names_out()]
    return names


def risk_model_train() -> RiskModel | None:
    """Fit on every decided request; None (nothing stored) below `MIN_FIT` or with one outcome."""
    history = list(decided_history().annotate(n_files=Count("attachments")))
    denied = [r.status == RequestStatus.DENIED for r in history]
    if len(history) < MIN_FIT or all(denied) or not any(denied):
        return None
    features = [features_of(r, r.n_files) for r in history]
    notes = [notes_of(r) for r in history]
    bundle: dict[str, Any] = {
        "categorical": DictVectorizer().fit(dict.fromkeys(f, 1) for f in features)
    }
    if sum(1 for n in notes if n.strip()) >= MIN_FIT:
        # No word shared by two notes (ValueError): structured features only.
        with contextlib.suppress(ValueError):
            bundle["text"] = TfidfVectorizer(sublinear_tf=True, min_df=2, max_features=2000).fit(
                notes
            )
    matrix = _matrix(bundle, features, notes)
    bundle["denial"] = LogisticRegression(C=1.0, max_iter=2000).fit(matrix, np.array(denied))
    pended = [bool(getattr(r, "pended", False)) for r in history]
    if any(pended) and not all(pended):
        bundle["pend"] = LogisticRegression(C=1.0, max_iter=2000).fit(matrix, np.array(pended))
    per_workflow: Counter[str] = Counter(workflow_key(r) for r in history)
    with action(actor=None):
        return RiskModel.objects.create(
            version=f"lr-risk-{timezone.now():%Y%m%d%H%M%S}-{len(history)}-sk{sklearn.__version__}",
            trained_on=len(history),
            parameters={"workflows": dict(per_workflow), "pend_model": "pend" in bundle},
            artifact=model_dumps(bundle),
        )


def _latest_bundle() -> tuple[RiskModel, dict[str, Any]] | None:
    latest = RiskModel.objects.exclude(artifact=b"").first()
    if latest is None:
        return None
    try:
        return latest, model_loads(bytes(latest.artifact))
    except UntrustedModel:
        logger.warning("assist risk model %s refused: untrusted types", latest.pk)
        return None


def _reasons(bundle: dict[str, Any], row: Any, towards_denial: bool) -> list[str]:
    contributions = row.multiply(bundle["denial"].coef_[0]).tocsr()
    names = _feature_names(bundle)
    sign = 1.0 if towards_denial else -1.0
    pairs = sorted(
        (
            (names[i], sign * v)
            for i, v in zip(contributions.indices, contributions.data, strict=True)
        ),
        key=lambda kv: kv[1],
        reverse=True,
    )
    reasons = []
    for name, weight in pairs[:3]:
        if weight <= 0.05:
            break
        key, _, value = name.partition("=")
        subject = (
            f"The notes mention “{value}”"
            if key == "notes"
            else f"{FEATURE_LABELS.get(key, key)} is {value}"
        )
        outcome = "denied" if towards_denial else "approved"
        reasons.append(f"{subject}: past requests like this were more often {outcome}.")
    return reasons


def _level(p: float) -> str:
    return "high" if p >= 0.6 else "low" if p < 0.3 else "medium"


def denial_risk(approval: ApprovalRequest) -> dict[str, Any]:
    key = workflow_key(approval)
    prior = pack_prior(key)
    history = workflow_history(key)
    denial = _blend(history.denied, history.decided, prior.denial_rate)
    pend = _blend(history.pended, history.decided, prior.pend_rate)
    basis, version, reasons, trained_on = "pack_prior", f"prior:{prior.source}", [], 0
    if history.decided:
        basis = "prior_and_history"
    fitted = _latest_bundle()
    if fitted is not None:
        latest, bundle = fitted
        seen = int(latest.parameters.get("workflows", {}).get(key, 0))
        if seen:
            row = _matrix(bundle, [features_of(approval)], [notes_of(approval)])
            weight = seen / (seen + PRIOR_STRENGTH)
            p_model = float(bundle["denial"].predict_proba(row)[0][1])
            denial = weight * p_model + (1 - weight) * denial
            if "pend" in bundle:
                pend = weight * float(bundle["pend"].predict_proba(row)[0][1]) + (1 - weight) * pend
            reasons = _reasons(bundle, csr_matrix(row), denial >= 0.5)
            basis, version, trained_on = (
                "model",
                f"{latest.version}+prior:{prior.source}",
                latest.trained_on,
            )
    level = _level(denial)
    if basis == "pack_prior":
        where = "from the template pack's prior for this workflow (no decided requests here yet)"
    elif basis == "prior_and_history":
        where = (
            f"from the template pack's prior blended with {history.decided} decided requests "
            "of this workflow here"
        )
    else:
        where = (
            f"from a model trained on {trained_on} decided requests of this organisation, "
            f"blended with the template pack's prior ({history.decided} of this workflow)"
        )
    return {
        "status": "ok",
        "basis": basis,
        "risk": level,
        "probability_denied": round(denial, 3),
        "probability_pended": round(pend, 3),
        "reasons": reasons,
        "reason_codes": reason_shares(prior, history),
        "history": history.as_dict(),
        "prior": {
            "denial_rate": prior.denial_rate,
            "pend_rate": prior.pend_rate,
            "source": prior.source,
        },
        "trained_on": trained_on,
        "model_version": version,
        "confidence": round(max(denial, 1 - denial), 3),
        "message": f"Denial risk {level} ({denial:.0%}); information requested in about "
        f"{pend:.0%} of requests like this, {where}.",
    }
