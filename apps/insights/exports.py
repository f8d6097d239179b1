"""Rows of the requests and decisions exports: references, workflow, statuses, times, reason
codes; with answers, the requests export adds each request's form answers as its reader may see
them (minimum necessary, `apps.approvals.masking`)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from apps.accounts.models import User
from apps.approvals.masking import hidden_fields, record_read, visible_data
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


ANSWER_PREFIX = "answer."


def requests_rows_with_answers(
    visible: QuerySet[ApprovalRequest], filters: Filters, *, reader: User, action: str
) -> tuple[list[str], list[dict[str, Any]]]:
    """The requests export plus one `answer.<field>` column per form field of the workflows in
    it. Each answer goes through minimum necessary for `reader`, and each request whose
    patient data the export shows is recorded as a PHI access."""
    header, rows = requests_rows(visible, filters)
    by_reference = {
        approval.reference: approval
        for approval in _scoped(visible, filters)
        .select_related("workflow_version")
        .prefetch_related("tasks")
    }
    answer_columns: dict[str, None] = {}
    for row in rows:
        approval = by_reference[row["reference"]]
        hidden = hidden_fields(user=reader, approval=approval)
        for name, value in visible_data(user=reader, approval=approval, hidden=hidden).items():
            answer_columns[ANSWER_PREFIX + name] = None
            row[ANSWER_PREFIX + name] = (
                value if isinstance(value, str | int | float) else str(value)
            )
        record_read(actor=reader, approval=approval, action=action, hidden=hidden)
    columns = [*header, *answer_columns]
    return columns, [{c: row.get(c, "") for c in columns} for row in rows]


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
