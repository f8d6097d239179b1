"""Output shapes shared by several endpoints. Only what a caller who can see the request may
see; objects come from the approvals selectors."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.approvals.access import visible_data
from apps.approvals.models import ApprovalRequest, Task


class UserRefOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="full_name")
    email = serializers.EmailField()


class DecisionOut(serializers.Serializer):
    outcome = serializers.CharField()
    reason_code = serializers.CharField(source="reason_code.code", allow_null=True, default=None)
    comment = serializers.CharField()
    partial = serializers.BooleanField()
    decided_at = serializers.DateTimeField()
    actor = UserRefOut()
    channel = serializers.CharField()


class TaskOut(serializers.Serializer):
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


class WorkflowRefOut(serializers.Serializer):
    key = serializers.CharField(source="definition.key")
    name = serializers.CharField(source="definition.name")
    version = serializers.IntegerField(source="number")


class RequestSummaryOut(serializers.Serializer):
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


class StepOut(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    task_ids = serializers.ListField(child=serializers.IntegerField())


class StageOut(serializers.Serializer):
    index = serializers.IntegerField()
    key = serializers.CharField()
    name = serializers.CharField()
    steps = StepOut(many=True)


class TimelineEntryOut(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = serializers.CharField()
    summary = serializers.CharField()
    actor = UserRefOut(allow_null=True)


class RequestDetailOut(RequestSummaryOut):
    data = serializers.DictField(help_text="The form answers, by field name.")
    exception_reason = serializers.CharField()
    stages = serializers.SerializerMethodField()
    tasks = TaskOut(many=True, source="tasks.all")
    timeline = TimelineEntryOut(many=True, source="timeline.all")

    def to_representation(self, instance: ApprovalRequest) -> dict[str, Any]:
        """The answers through the minimum-necessary filter of the viewing user (context
        "user"); without a viewer every PHI field is hidden."""
        out = super().to_representation(instance)
        out["data"] = visible_data(user=self.context.get("user"), request=instance)
        return out

    @extend_schema_field(StageOut(many=True))
    def get_stages(self, request: ApprovalRequest) -> list[dict[str, Any]]:
        tasks = list(request.tasks.all())
        stages = []
        for index, stage in enumerate(request.workflow_version.spec.get("stages", [])):
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
        return StageOut(stages, many=True).data


class CommentOut(serializers.Serializer):
    id = serializers.IntegerField()
    body = serializers.CharField()
    author = UserRefOut()
    created_at = serializers.DateTimeField()


class AttachmentOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="original_name")
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    uploaded_by = UserRefOut()
    created_at = serializers.DateTimeField()
