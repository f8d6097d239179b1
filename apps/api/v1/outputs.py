"""Output shapes shared by several endpoints. Only what a caller who can see the request may
see; objects come from the approvals selectors."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.approvals.masking import visible_data
from apps.approvals.models import ApprovalRequest, Decision, Task


class UserRefOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField(source="full_name")
    email = serializers.EmailField()


class LineDecisionOut(serializers.Serializer[Any]):
    line = serializers.IntegerField()
    outcome = serializers.CharField(help_text="approved, reduced or denied.")
    requested_quantity = serializers.IntegerField()
    approved_quantity = serializers.IntegerField()
    reason_code = serializers.CharField(source="reason_code.code", allow_null=True, default=None)
    note = serializers.CharField()


class DecisionOut(serializers.Serializer[Any]):
    outcome = serializers.CharField()
    reason_code = serializers.CharField(source="reason_code.code", allow_null=True, default=None)
    comment = serializers.CharField()
    partial = serializers.BooleanField()  # type: ignore[assignment]  # a field named partial
    decided_at = serializers.DateTimeField()
    actor = UserRefOut()
    channel = serializers.CharField()
    lines = serializers.SerializerMethodField(
        help_text="Per-line outcomes; empty for a decision on the whole request."
    )

    @extend_schema_field(LineDecisionOut(many=True))
    def get_lines(self, decision: Decision) -> list[dict[str, Any]]:
        if self.context.get("whole"):  # a decision just taken on the whole request
            return []
        rows = decision.lines.all()  # prefetched by the selectors that list decisions
        return list(LineDecisionOut(rows, many=True).data)


class TaskOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    request_id = serializers.IntegerField()
    step_key = serializers.CharField()
    step_name = serializers.CharField()
    stage_index = serializers.IntegerField()
    status = serializers.CharField()
    assignee = UserRefOut(allow_null=True)
    queue_role = serializers.CharField(source="queue_role.key", allow_null=True, default=None)
    on_behalf_of = UserRefOut(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    decision = serializers.SerializerMethodField()

    @extend_schema_field(DecisionOut(allow_null=True))
    def get_decision(self, task: Task) -> dict[str, Any] | None:
        decision = getattr(task, "decision", None)
        return DecisionOut(decision).data if decision is not None else None


class WorkflowRefOut(serializers.Serializer[Any]):
    key = serializers.CharField(source="definition.key")
    name = serializers.CharField(source="definition.name")
    version = serializers.IntegerField(source="number")


class RequestSummaryOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    workflow = WorkflowRefOut(source="workflow_version")
    status = serializers.CharField()
    urgency = serializers.CharField()
    requester = UserRefOut()
    department = serializers.CharField(source="department.key", allow_null=True, default=None)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField()


class InboxTaskOut(TaskOut):
    """A task in a list of pending ones, with the request it belongs to."""

    request = RequestSummaryOut()


# Listing pending tasks, the rows are read as dicts of these columns and put in InboxTaskOut's
# shape by `inbox_tasks_out`: building the ten model instances of a task and running ~45
# serializer fields for each took most of GET /api/v1/tasks/mine's time (tests compare the two).
INBOX_TASK_COLUMNS = (
    *("id", "request_id", "step_key", "step_name", "stage_index", "status"),
    *("assignee_id", "assignee__full_name", "assignee__email", "queue_role__key"),
    *("on_behalf_of_id", "on_behalf_of__full_name", "on_behalf_of__email"),
    *("due_at", "created_at", "closed_at", "decision__id"),
    *("request__reference", "request__status", "request__urgency", "request__amount"),
    "request__workflow_version__definition__key",
    "request__workflow_version__definition__name",
    "request__workflow_version__number",
    *("request__requester_id", "request__requester__full_name", "request__requester__email"),
    *("request__department__key", "request__due_at", "request__created_at"),
    *("request__submitted_at", "request__completed_at", "request__updated_at"),
)
_moment = serializers.DateTimeField().to_representation
_money = serializers.DecimalField(max_digits=14, decimal_places=2).to_representation


def _person(row: dict[str, Any], prefix: str) -> dict[str, Any] | None:
    if row[f"{prefix}_id"] is None:
        return None
    return {
        "id": row[f"{prefix}_id"],
        "name": row[f"{prefix}__full_name"],
        "email": row[f"{prefix}__email"],
    }


def _moment_or_none(value: Any) -> Any:
    return None if value is None else _moment(value)


def inbox_tasks_out(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """InboxTaskOut's output for rows of INBOX_TASK_COLUMNS."""
    rows = list(rows)
    decided = [row["decision__id"] for row in rows if row["decision__id"] is not None]
    decisions = (
        Decision.objects.select_related("reason_code", "actor")
        .prefetch_related("lines__reason_code")
        .in_bulk(decided)
        if decided
        else {}
    )
    out = []
    for row in rows:
        decision_id = row["decision__id"]
        out.append(
            {
                "id": row["id"],
                "request_id": row["request_id"],
                "step_key": row["step_key"],
                "step_name": row["step_name"],
                "stage_index": row["stage_index"],
                "status": row["status"],
                "assignee": _person(row, "assignee"),
                "queue_role": row["queue_role__key"],
                "on_behalf_of": _person(row, "on_behalf_of"),
                "due_at": _moment_or_none(row["due_at"]),
                "created_at": _moment(row["created_at"]),
                "closed_at": _moment_or_none(row["closed_at"]),
                "decision": None
                if decision_id is None
                else DecisionOut(decisions[decision_id]).data,
                "request": {
                    "id": row["request_id"],
                    "reference": row["request__reference"],
                    "workflow": {
                        "key": row["request__workflow_version__definition__key"],
                        "name": row["request__workflow_version__definition__name"],
                        "version": row["request__workflow_version__number"],
                    },
                    "status": row["request__status"],
                    "urgency": row["request__urgency"],
                    "requester": _person(row, "request__requester"),
                    "department": row["request__department__key"],
                    "amount": None
                    if row["request__amount"] is None
                    else _money(row["request__amount"]),
                    "due_at": _moment_or_none(row["request__due_at"]),
                    "created_at": _moment(row["request__created_at"]),
                    "submitted_at": _moment_or_none(row["request__submitted_at"]),
                    "completed_at": _moment_or_none(row["request__completed_at"]),
                    "updated_at": _moment(row["request__updated_at"]),
                },
            }
        )
    return out


class StepOut(serializers.Serializer[Any]):
    key = serializers.CharField()
    name = serializers.CharField()
    task_ids = serializers.ListField(child=serializers.IntegerField())


class StageOut(serializers.Serializer[Any]):
    index = serializers.IntegerField()
    key = serializers.CharField()
    name = serializers.CharField()
    steps = StepOut(many=True)


class TimelineEntryOut(serializers.Serializer[Any]):
    at = serializers.DateTimeField()
    kind = serializers.CharField()
    summary = serializers.CharField()
    actor = UserRefOut(allow_null=True)


class RequestDetailOut(RequestSummaryOut):
    data = serializers.DictField(help_text="The form answers, by field name.")  # type: ignore[assignment]  # a field named data
    exception_reason = serializers.CharField()
    appeal_of = serializers.IntegerField(
        source="appeal_of_id", allow_null=True, help_text="The request this one appeals (or null)."
    )
    stages = serializers.SerializerMethodField()
    tasks = TaskOut(many=True, source="tasks.all")
    timeline = TimelineEntryOut(many=True, source="timeline.all")

    def to_representation(self, instance: ApprovalRequest) -> dict[str, Any]:
        """The answers through the minimum-necessary filter of the viewing user (context
        "user"); without a viewer every PHI field is hidden."""
        out = super().to_representation(instance)
        out["data"] = visible_data(
            user=self.context.get("user"), approval=instance, hidden=self.context.get("hidden")
        )
        return out

    @extend_schema_field(StageOut(many=True))
    def get_stages(self, approval: ApprovalRequest) -> list[dict[str, Any]]:
        tasks = list(approval.tasks.all())
        stages = []
        for index, stage in enumerate(approval.workflow_version.spec.get("stages", [])):
            steps = [
                {
                    "key": step["key"],
                    "name": step.get("name") or step["key"],
                    "task_ids": [t.pk for t in tasks if t.step_key == step["key"]],
                }
                for step in stage.get("steps", [])
            ]
            stages.append(
                {
                    "index": index,
                    "key": stage["key"],
                    "name": stage.get("name") or stage["key"],
                    "steps": steps,
                }
            )
        return cast(list[dict[str, Any]], StageOut(stages, many=True).data)


class CommentOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    body = serializers.CharField()
    author = UserRefOut()
    created_at = serializers.DateTimeField()


class AttachmentOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField(source="original_name")
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    uploaded_by = UserRefOut()
    created_at = serializers.DateTimeField()
