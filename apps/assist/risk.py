"""Denial-risk recommendation from the tenant's own decided requests: naive Bayes over a few
categorical features, retrained by a Celery task once at least `MIN_HISTORY` requests are
decided. Before that it says "not enough history yet". Advisory only."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from apps.approvals.choices import RequestStatus
from apps.approvals.models import ApprovalRequest
from apps.assist.models import RiskModel
from apps.assist.naive_bayes import NaiveBayes
from apps.core.actions import action

MIN_HISTORY = 50
DENIED, APPROVED = "denied", "approved"
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
        f"workflow={approval.workflow_version.definition.key}",
        f"urgency={approval.urgency}",
        f"department={approval.department.key if approval.department else 'none'}",
        f"payer={data.get('payer') or 'none'}",
        f"cpt={data.get('cpt_code') or 'none'}",
        f"therapy={therapy_bucket}",
        f"amount={_bucket_amount(approval.amount)}",
        f"files={'none' if not files else 'some'}",
    ]


def decided_history() -> QuerySet[ApprovalRequest]:
    return ApprovalRequest.objects.filter(
        status__in=[RequestStatus.APPROVED, RequestStatus.PARTIALLY_APPROVED, RequestStatus.DENIED]
    ).select_related("workflow_version__definition", "department")


def risk_model_train() -> RiskModel | None:
    """Fit on every decided request; None (and nothing stored) below `MIN_HISTORY`."""
    history = decided_history()
    if history.count() < MIN_HISTORY:
        return None
    from django.db.models import Count

    counts = dict(history.annotate(n=Count("attachments")).values_list("pk", "n"))
    samples = [
        (
            features_of(r, counts.get(r.pk, 0)),
            DENIED if r.status == RequestStatus.DENIED else APPROVED,
        )
        for r in history.iterator()
    ]
    fitted = NaiveBayes.fit(samples)
    with action(actor=None):
        return RiskModel.objects.create(
            version=f"nb-risk-{timezone.now():%Y%m%d%H%M%S}-{len(samples)}",
            trained_on=len(samples),
            parameters=fitted.as_json(),
        )


def denial_risk(approval: ApprovalRequest) -> dict[str, Any]:
    latest = RiskModel.objects.first()
    if latest is None:
        return {
            "status": "not_enough_history",
            "message": f"Not enough history yet (needs {MIN_HISTORY} decided requests).",
            "model_version": "none",
            "confidence": None,
        }
    fitted = NaiveBayes.from_json(latest.parameters)
    if DENIED not in fitted.class_counts or APPROVED not in fitted.class_counts:
        return {
            "status": "not_enough_history",
            "message": "Not enough history yet (no denials or no approvals to learn from).",
            "model_version": latest.version,
            "confidence": None,
        }
    features = features_of(approval)
    probability = fitted.posterior(features)[DENIED]
    towards = DENIED if probability >= 0.5 else APPROVED
    other = APPROVED if towards == DENIED else DENIED
    reasons = []
    for feature, weight in fitted.evidence(features, towards, other)[:3]:
        if weight <= 0:
            break
        key, _, value = feature.partition("=")
        reasons.append(
            f"{FEATURE_LABELS.get(key, key)} is {value}: past requests like this "
            f"were more often {'denied' if towards == DENIED else 'approved'}."
        )
    level = "high" if probability >= 0.6 else "low" if probability < 0.3 else "medium"
    return {
        "status": "ok",
        "risk": level,
        "probability_denied": round(probability, 3),
        "reasons": reasons,
        "trained_on": latest.trained_on,
        "model_version": latest.version,
        "confidence": round(max(probability, 1 - probability), 3),
        "message": f"Denial risk {level} ({probability:.0%}), from {latest.trained_on} "
        "decided requests of this organisation.",
    }
