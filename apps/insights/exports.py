"""Rows of the requests and decisions exports (no PHI form data: references, workflow,
statuses, times, reason codes)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from apps.approvals.models import ApprovalRequest, Decision
from apps.insights.selectors import Filters, requests_in_scope

REQUEST_COLUMNS = [
    "reference",
    "workflow",
    "urgency",
    "status",
    "department",
    "amount",
    "touchless",
    "submitted_at",
    "completed_at",
    "due_at",
]
DECISION_COLUMNS = [
    "reference",
    "workflow",
    "step",
    "approver",
    "outcome",
    "reason_code",
    "partial",
    "decided_at",
    "channel",
]


def _scoped(visible: QuerySet[ApprovalRequest], filters: Filters) -> QuerySet[ApprovalRequest]:
    return requests_in_scope(filters).filter(pk__in=visible.values("pk"))


def requests_rows(
    visible: QuerySet[ApprovalRequest], filters: Filters
) -> tuple[list[str], list[dict[str, Any]]]:
    qs = (
        _scoped(visible, filters)
        .order_by("submitted_at", "pk")
        .values_list(
            "reference",
            "workflow_version__definition__key",
            "urgency",
            "status",
            "department__key",
            "amount",
            "touchless",
            "submitted_at",
            "completed_at",
            "due_at",
        )
    )
    rows = [dict(zip(REQUEST_COLUMNS, _iso(r), strict=True)) for r in qs.iterator()]
    return REQUEST_COLUMNS, rows


def decisions_rows(
    visible: QuerySet[ApprovalRequest], filters: Filters
) -> tuple[list[str], list[dict[str, Any]]]:
    qs = (
        Decision.objects.filter(request__in=_scoped(visible, filters))
        .order_by("decided_at", "pk")
        .values_list(
            "request__reference",
            "request__workflow_version__definition__key",
            "task__step_name",
            "actor__email",
            "outcome",
            "reason_code__code",
            "partial",
            "decided_at",
            "channel",
        )
    )
    rows = [dict(zip(DECISION_COLUMNS, _iso(r), strict=True)) for r in qs.iterator()]
    return DECISION_COLUMNS, rows


def _iso(values: tuple[Any, ...]) -> list[Any]:
    return [v.isoformat() if hasattr(v, "isoformat") else v for v in values]
