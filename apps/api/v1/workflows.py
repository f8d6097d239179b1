"""Published workflows with their form fields: what a request can be created on."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from apps.api.pagination import NameCursorPagination
from apps.api.v1.base import ApiView
from apps.approvals.exceptions import NotFound
from apps.workflows.models import WorkflowDefinition
from apps.workflows.selectors import published_workflows, spec_fields


class WorkflowOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    key = serializers.CharField()
    name = serializers.CharField()
    category = serializers.CharField()
    description = serializers.CharField()
    version = serializers.IntegerField(source="current_version.number")


class WorkflowStageOut(serializers.Serializer[Any]):
    key = serializers.CharField()
    name = serializers.CharField()
    steps = serializers.ListField(child=serializers.CharField(), help_text="Step names.")


class WorkflowDetailOut(WorkflowOut):
    fields = serializers.SerializerMethodField(  # type: ignore[assignment]  # a field named like a serializer attribute
        method_name="form_fields", help_text="The form: name, type, label, rules."
    )
    stages = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def form_fields(self, workflow: WorkflowDefinition) -> list[dict[str, Any]]:
        return spec_fields(workflow.current_version)  # type: ignore[arg-type]

    @extend_schema_field(WorkflowStageOut(many=True))
    def get_stages(self, workflow: WorkflowDefinition) -> list[dict[str, Any]]:
        stages = workflow.current_version.spec.get("stages", [])  # type: ignore[union-attr]
        return [
            {
                "key": stage["key"],
                "name": stage.get("name") or stage["key"],
                "steps": [step.get("name") or step["key"] for step in stage.get("steps", [])],
            }
            for stage in stages
        ]


WORKFLOW_EXAMPLE = OpenApiExample(
    "Capital purchase",
    response_only=True,
    value={
        "id": 1,
        "key": "capital-purchase",
        "name": "Capital purchase",
        "category": "finance",
        "description": "Equipment and other capital spending.",
        "version": 1,
        "fields": [
            {"name": "amount", "type": "money", "label": "Total amount", "required": True},
        ],
        "stages": [
            {"key": "director_review", "name": "Director review", "steps": ["Director review"]}
        ],
    },
)


class WorkflowListApi(ApiView):
    paginates = True
    pagination_class = NameCursorPagination

    @extend_schema(
        operation_id="workflows_list", responses=WorkflowOut(many=True), tags=["workflows"]
    )
    def get(self, request: Request) -> Response:
        return self.paginated(request, published_workflows(), WorkflowOut)


class WorkflowDetailApi(ApiView):
    @extend_schema(
        operation_id="workflows_retrieve",
        responses=WorkflowDetailOut,
        examples=[WORKFLOW_EXAMPLE],
        tags=["workflows"],
    )
    def get(self, request: Request, workflow_id: int) -> Response:
        workflow = published_workflows().filter(pk=workflow_id).first()
        if workflow is None:
            raise NotFound("No published workflow with that id.")
        return Response(WorkflowDetailOut(workflow).data)
