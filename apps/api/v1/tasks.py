"""Tasks: my pending tasks, my roles' unclaimed queue, and deciding, claiming, delegating
through apps.approvals.services (409 with the current state when someone was faster)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.models import User
from apps.api import selectors as api_selectors
from apps.api.choices import Scope
from apps.api.idempotency import idempotent
from apps.api.pagination import ApiCursorPagination
from apps.api.schema import CONFLICT_EXAMPLE
from apps.api.v1.base import ApiView, validated, validated_query
from apps.api.v1.outputs import (
    INBOX_TASK_COLUMNS,
    DecisionOut,
    InboxTaskOut,
    TaskOut,
    inbox_tasks_out,
)
from apps.approvals import inbox_services, selectors, services
from apps.approvals.choices import DecisionOutcome, LineOutcome, Urgency
from apps.approvals.exceptions import InvalidInput
from apps.core.actions import Channel
from apps.core.text import email_normalise
from apps.workflows import engine

TAGS = ["tasks"]


class InboxPagination(ApiCursorPagination):
    ordering = ("created_at", "id")


class _InboxApi(ApiView):
    paginates = True
    scope_name = "all"
    pagination_class = InboxPagination

    class FilterInput(serializers.Serializer[Any]):
        workflow = serializers.SlugField(required=False, help_text="A workflow key.")
        urgency = serializers.ChoiceField(choices=Urgency.choices, required=False)

    def get(self, request: Request) -> Response:
        filters = validated_query(self.FilterInput, request.query_params)
        tasks = selectors.inbox_for(
            self.actor,
            selectors.InboxFilters(
                workflow=filters.get("workflow"),
                urgency=filters.get("urgency"),
                scope=self.scope_name,
            ),
        )
        # The cursor needs a stable, unique ordering; the inbox's due-first order is not one.
        paginator = self.pagination_class()
        page: list[dict[str, Any]] = paginator.paginate_queryset(  # type: ignore[assignment]  # a page size is set
            tasks.order_by().values(*INBOX_TASK_COLUMNS), request, view=self
        )
        return paginator.get_paginated_response(inbox_tasks_out(page))


class MyTasksApi(_InboxApi):
    scope_name = "mine"

    @extend_schema(
        operation_id="tasks_mine",
        parameters=[_InboxApi.FilterInput],
        responses=InboxTaskOut(many=True),
        tags=TAGS,
        description="Pending tasks assigned to you (or to you on someone's behalf).",
    )
    def get(self, request: Request) -> Response:
        return super().get(request)


class QueueTasksApi(_InboxApi):
    scope_name = "queues"

    @extend_schema(
        operation_id="tasks_queue",
        parameters=[_InboxApi.FilterInput],
        responses=InboxTaskOut(many=True),
        tags=TAGS,
        description="Unclaimed tasks in the queues of your roles; claim one to work on it.",
    )
    def get(self, request: Request) -> Response:
        return super().get(request)


class TaskDetailApi(ApiView):
    @extend_schema(operation_id="tasks_retrieve", responses=InboxTaskOut, tags=TAGS)
    def get(self, request: Request, task_id: int) -> Response:
        return Response(InboxTaskOut(api_selectors.task_detail_for(self.actor, task_id)).data)


class DecideLineInput(serializers.Serializer[Any]):
    line = serializers.IntegerField(min_value=1, help_text="The line's number.")
    outcome = serializers.ChoiceField(choices=LineOutcome.choices)
    quantity = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        help_text="The approved quantity of a reduced line (below the requested one).",
    )
    reason_code = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        max_length=60,
        help_text="Required to deny a line.",
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class TaskDecideApi(ApiView):
    write_scope = Scope.TASKS_DECIDE

    class Input(serializers.Serializer[Any]):
        decision = serializers.ChoiceField(
            choices=DecisionOutcome.choices,
            required=False,
            help_text="Required unless `lines` is given (it then follows from the lines).",
        )
        reason_code = serializers.CharField(
            required=False, allow_null=True, max_length=60, help_text="Required to reject."
        )
        comment = serializers.CharField(
            required=False, allow_blank=True, default="", max_length=10000
        )
        partial = serializers.BooleanField(default=False)  # type: ignore[assignment]  # a field named like a serializer attribute
        lines = serializers.ListField(
            child=DecideLineInput(),
            required=False,
            max_length=50,
            help_text=(
                "Per-line outcomes of a request with several lines, one per line: "
                "approved, reduced (with `quantity`) or denied (with `reason_code`)."
            ),
        )

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            if not attrs.get("decision") and not attrs.get("lines"):
                raise serializers.ValidationError({"decision": ["This field is required."]})
            return attrs

    @extend_schema(
        operation_id="tasks_decide",
        request=Input,
        responses=DecisionOut,
        examples=[
            OpenApiExample(
                "Approve", value={"decision": "approve", "comment": "Budgeted."}, request_only=True
            ),
            OpenApiExample(
                "Reject",
                value={
                    "decision": "reject",
                    "reason_code": "BUDGET_NOT_AVAILABLE",
                    "comment": "Not this year.",
                },
                request_only=True,
            ),
            OpenApiExample(
                "Line by line",
                value={
                    "lines": [
                        {"line": 1, "outcome": "approved"},
                        {"line": 2, "outcome": "reduced", "quantity": 2},
                        {
                            "line": 3,
                            "outcome": "denied",
                            "reason_code": "NOT_MEDICALLY_NECESSARY",
                            "note": "No conservative therapy documented.",
                        },
                    ],
                    "comment": "Approved in part.",
                },
                request_only=True,
            ),
            OpenApiExample(
                "Ask for information",
                value={"decision": "request_info", "comment": "Attach the vendor quote."},
                request_only=True,
            ),
            CONFLICT_EXAMPLE,
        ],
        tags=TAGS,
    )
    @idempotent
    def post(self, request: Request, task_id: int) -> Response:
        data = validated(self.Input, request.data)
        task = selectors.task_for(self.actor, task_id)
        decision = services.task_decide(
            actor=self.actor,
            task=task,
            decision=services.DecisionInput(
                decision=data.get("decision") or "",
                reason_code=data.get("reason_code") or None,
                comment=data["comment"],
                partial=data["partial"],
                lines=tuple(
                    engine.LineDecision(
                        line=item["line"],
                        outcome=item["outcome"],
                        quantity=item.get("quantity"),
                        reason_code=item.get("reason_code") or None,
                        note=item.get("note") or "",
                    )
                    for item in data.get("lines") or ()
                ),
            ),
            channel=Channel.API,
        )
        whole = not data.get("lines")
        return Response(DecisionOut(decision, context={"whole": whole}).data)


class BulkItemInput(serializers.Serializer[Any]):
    task = serializers.IntegerField(min_value=1, help_text="The task's id.")
    decision = serializers.ChoiceField(choices=DecisionOutcome.choices)
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=10000,
        help_text="The explanation (required to reject or to ask for information).",
    )
    reason_code = serializers.CharField(
        required=False, allow_null=True, max_length=60, help_text="Required to reject."
    )
    version = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text=(
            "The request's `updated_at` you decided on; if the request changed since, this "
            "item is refused with `version_mismatch`."
        ),
    )


class BulkResultOut(serializers.Serializer[Any]):
    task = serializers.IntegerField(source="task_id")
    reference = serializers.CharField(help_text="Empty when the task is not visible to you.")
    decision = serializers.CharField()
    status = serializers.ChoiceField(choices=["decided", "refused"], source="outcome")
    http_status = serializers.IntegerField(help_text="What the single decide endpoint answers.")
    request_status = serializers.CharField(help_text="After a decision; empty when refused.")
    error = serializers.SerializerMethodField()

    def get_error(self, result: inbox_services.BulkResult) -> dict[str, str] | None:
        if result.ok:
            return None
        return {"code": result.code, "message": result.message}


class TasksDecideBulkApi(ApiView):
    """Decide many tasks at once."""

    write_scope = Scope.TASKS_DECIDE

    class Input(serializers.Serializer[Any]):
        items = serializers.ListField(
            child=BulkItemInput(),
            allow_empty=False,
            max_length=inbox_services.BULK_LIMIT,
            help_text="1 to 100 decisions, decided in this order.",
        )

    class Output(serializers.Serializer[Any]):
        decided = serializers.IntegerField()
        refused = serializers.IntegerField()
        results = BulkResultOut(many=True)

    @extend_schema(
        operation_id="tasks_decide_bulk",
        request=Input,
        responses=Output,
        description=(
            "Decide up to 100 tasks. Each item is decided on its own, in order, in its own "
            "transaction, exactly as `POST /tasks/{id}/decide` would (authority limits, "
            "segregation of duties, one decision per task, the optional version check): a "
            "refused item changes nothing and never stops the others. The answer is 200 with "
            "one result per item, `decided` or `refused` with the error's stable code; a task "
            "you cannot see is refused as `not_found`."
        ),
        examples=[
            OpenApiExample(
                "Approve two, deny one",
                value={
                    "items": [
                        {"task": 41, "decision": "approve"},
                        {"task": 42, "decision": "approve", "version": "2026-03-02T10:00:00Z"},
                        {
                            "task": 43,
                            "decision": "reject",
                            "reason_code": "BUDGET_NOT_AVAILABLE",
                            "reason": "Not this year.",
                        },
                    ]
                },
                request_only=True,
            ),
            OpenApiExample(
                "One refused by authority",
                value={
                    "decided": 1,
                    "refused": 1,
                    "results": [
                        {
                            "task": 41,
                            "reference": "CAP-2026-000123",
                            "decision": "approve",
                            "status": "decided",
                            "http_status": 200,
                            "request_status": "approved",
                            "error": None,
                        },
                        {
                            "task": 42,
                            "reference": "CAP-2026-000124",
                            "decision": "approve",
                            "status": "refused",
                            "http_status": 403,
                            "request_status": "",
                            "error": {
                                "code": "insufficient_authority",
                                "message": "frank@example.org's capital authority does not "
                                "cover 600000.",
                            },
                        },
                    ],
                },
                response_only=True,
            ),
        ],
        tags=TAGS,
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = validated(self.Input, request.data)
        items = [
            inbox_services.BulkItem(
                task_id=item["task"],
                decision=item["decision"],
                reason_code=item.get("reason_code") or None,
                comment=item["reason"],
                version=item.get("version"),
            )
            for item in data["items"]
        ]
        results = inbox_services.tasks_decide_bulk(
            actor=self.actor, items=items, channel=Channel.API
        )
        decided = sum(1 for r in results if r.ok)
        return Response(
            {
                "decided": decided,
                "refused": len(results) - decided,
                "results": BulkResultOut(results, many=True).data,
            }
        )


class TaskClaimApi(ApiView):
    write_scope = Scope.TASKS_DECIDE

    @extend_schema(operation_id="tasks_claim", request=None, responses=TaskOut, tags=TAGS)
    @idempotent
    def post(self, request: Request, task_id: int) -> Response:
        task = services.task_claim(actor=self.actor, task=selectors.task_for(self.actor, task_id))
        return Response(TaskOut(task).data)


class TaskDelegateApi(ApiView):
    write_scope = Scope.TASKS_DECIDE

    class Input(serializers.Serializer[Any]):
        to = serializers.EmailField(help_text="The colleague's email.")

    @extend_schema(
        operation_id="tasks_delegate",
        request=Input,
        responses=TaskOut,
        examples=[
            OpenApiExample("To a colleague", value={"to": "victor@example.org"}, request_only=True)
        ],
        tags=TAGS,
    )
    @idempotent
    def post(self, request: Request, task_id: int) -> Response:
        data = validated(self.Input, request.data)
        task = selectors.task_for(self.actor, task_id)
        to = User.objects.filter(email=email_normalise(data["to"]), is_active=True).first()
        if to is None:
            raise InvalidInput("No colleague with that email.", fields={"to": ["Unknown person."]})
        task = services.task_delegate(actor=self.actor, task=task, to=to)
        return Response(TaskOut(task).data)  # the delegator may no longer see it
