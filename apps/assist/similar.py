"""Similar past cases: the k decided requests of the same workflow most like this one, among
those the viewer may open (`requests_visible_to`, the one permission filter). Similarity is
TF-IDF cosine over the notes and choice answers, plus the share of code fields (CPT/HCPCS,
ICD-10-CM) that match and how close the amounts are. Advisory only; nothing is written here."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity

from apps.accounts.models import User
from apps.approvals.choices import DecisionOutcome, RequestStatus
from apps.approvals.models import ApprovalRequest, Decision
from apps.approvals.selectors import requests_visible_to

K = 5
MAX_CANDIDATES = 500  # the most recently decided ones
DECIDED = [RequestStatus.APPROVED, RequestStatus.PARTIALLY_APPROVED, RequestStatus.DENIED]
CODE_TYPES = {"cpt", "icd10", "hcpcs", "ndc"}
TEXT_TYPES = {"long_text", "choice"}
WEIGHTS = {"text": 0.6, "codes": 0.3, "amount": 0.1}
VERSION = "similar-tfidf-cosine-1"


@dataclass(frozen=True)
class SimilarCase:
    reference: str
    outcome: str
    outcome_label: str
    reason_code: str
    reason_label: str
    information_requested: bool
    score: float
    shared: list[str]  # field labels that match ("CPT/HCPCS code"), never their values
    decided_at: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _fields(approval: ApprovalRequest) -> list[dict[str, Any]]:
    fields: list[dict[str, Any]] = (
        (approval.workflow_version.spec or {}).get("form", {}).get("fields", [])
    )
    return fields


def _text(approval: ApprovalRequest, fields: list[dict[str, Any]]) -> str:
    data = approval.data or {}
    parts = [
        str(data[f["name"]]) for f in fields if f.get("type") in TEXT_TYPES and data.get(f["name"])
    ]
    return "\n".join(parts)


def _codes(approval: ApprovalRequest, fields: list[dict[str, Any]]) -> dict[str, str]:
    data = approval.data or {}
    return {
        f.get("label", f["name"]): str(data[f["name"]]).strip().upper()
        for f in fields
        if f.get("type") in CODE_TYPES and data.get(f["name"])
    }


def _amount_closeness(a: Decimal | None, b: Decimal | None) -> float | None:
    if a is None or b is None:
        return None
    return math.exp(-abs(math.log((float(a) + 1.0) / (float(b) + 1.0))))


def _reason(approval: ApprovalRequest) -> tuple[str, str, bool]:
    decisions = list(approval.decisions.all())
    asked = any(d.outcome == DecisionOutcome.REQUEST_INFO for d in decisions)
    for decision in reversed(decisions):
        if decision.outcome == DecisionOutcome.REJECT and decision.reason_code:
            return decision.reason_code.code, decision.reason_code.label, asked
    return "", "", asked


def candidates_for(viewer: User, approval: ApprovalRequest) -> list[ApprovalRequest]:
    """Decided requests of the same workflow the viewer may open, newest first."""
    return list(
        requests_visible_to(viewer)
        .filter(
            workflow_version__definition_id=approval.workflow_version.definition_id,
            status__in=DECIDED,
        )
        .exclude(pk=approval.pk)
        .select_related("workflow_version")
        .prefetch_related(
            Prefetch("decisions", queryset=Decision.objects.select_related("reason_code"))
        )
        .order_by("-completed_at", "-id")[:MAX_CANDIDATES]
    )


def similar_cases(
    viewer: User, approval: ApprovalRequest, k: int = K
) -> tuple[list[SimilarCase], list[ApprovalRequest]]:
    """The k most similar cases and every candidate considered (for the inputs' hash)."""
    candidates = candidates_for(viewer, approval)
    if not candidates:
        return [], []
    fields = _fields(approval)
    texts = [_text(approval, fields)] + [_text(c, _fields(c)) for c in candidates]
    text_scores: list[float | None] = [None] * len(candidates)
    if texts[0].strip() and any(t.strip() for t in texts[1:]):
        matrix = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2)).fit_transform(texts)
        text_scores = [float(s) for s in cosine_similarity(matrix[0], matrix[1:])[0]]
    mine = _codes(approval, fields)
    scored: list[tuple[float, ApprovalRequest, list[str]]] = []
    for candidate, text_score in zip(candidates, text_scores, strict=True):
        theirs = _codes(candidate, _fields(candidate))
        shared = [label for label, code in mine.items() if theirs.get(label) == code]
        parts = {
            "text": text_score,
            "codes": len(shared) / len(mine) if mine else None,
            "amount": _amount_closeness(approval.amount, candidate.amount),
        }
        used = {name: value for name, value in parts.items() if value is not None}
        weight = sum(WEIGHTS[name] for name in used)
        score = (
            sum(WEIGHTS[name] * value for name, value in used.items()) / weight if weight else 0.0
        )
        scored.append((score, candidate, shared))
    scored.sort(key=lambda item: (-item[0], -item[1].pk))
    cases = []
    for score, candidate, shared in scored[:k]:
        code, label, asked = _reason(candidate)
        decided = candidate.completed_at or candidate.updated_at
        cases.append(
            SimilarCase(
                reference=candidate.reference,
                outcome=candidate.status,
                outcome_label=candidate.get_status_display(),
                reason_code=code,
                reason_label=label,
                information_requested=asked,
                score=round(score, 3),
                shared=shared,
                decided_at=decided.date().isoformat(),
            )
        )
    return cases, candidates
