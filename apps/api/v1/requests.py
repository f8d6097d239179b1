"""Approval requests: create (and submit), list with filters, detail with stages, tasks and
timeline, and the requester's actions. Every write goes through apps.approvals.services."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from apps.api import selectors
from apps.api.idempotency import idempotent
from apps.api.pagination import OldestFirstPagination
from apps.api.v1.base import ApiView, validated, validated_query
from apps.api.v1.outputs import AttachmentOut, CommentOut, RequestDetailOut, RequestSummaryOut
from apps.approvals import appeals, discussion, masking, services
from apps.approvals.choices import RequestStatus, Urgency
from apps.approvals.exceptions import InvalidInput
from apps.audit.services import audit_phi_access
from apps.core.parsers import SafeFormParser, SafeJSONParser, SafeMultiPartParser
from apps.people.models import Department
from apps.sla.extensions import JUSTIFICATIONS, request_extend
from apps.workflows.selectors import published_workflows

TAGS = ["requests"]

CREATE_EXAMPLE = OpenApiExample(
    "Capital purchase, submitted",
    request_only=True,
    value={
        "workflow": "capital-purchase",
        "urgency": "standard",
        "submit": True,
        "data": {
            "item_description": "CT scanner upgrade",
            "vendor": "Acme Medical",
            "amount": "120000",
            "cost_centre": "4100-RAD",
            "owning_department": "radiology",
            "justification": "The current scanner is past end of support.",
        },
    },
)
DETAIL_EXAMPLE = OpenApiExample(
    "In review",
    response_only=True,
    status_codes=["200", "201"],
    value={
        "id": 7,
        "reference": "CAP-2026-000007",
        "workflow": {"key": "capital-purchase", "name": "Capital purchase", "version": 1},
        "status": "in_review",
        "urgency": "standard",
        "requester": {"id": 3, "name": "Carol Requester", "email": "carol@example.org"},
        "department": "radiology",
        "amount": "120000.00",
        "due_at": None,
        "created_at": "2026-03-02T09:00:00Z",
        "submitted_at": "2026-03-02T09:00:00Z",
        "completed_at": None,
        "updated_at": "2026-03-02T09:00:00Z",
        "data": {"item_description": "CT scanner upgrade", "amount": "120000"},
        "exception_reason": "",
        "stages": [
            {
                "index": 0,
                "key": "director_review",
                "name": "Director review",
                "steps": [{"key": "director", "name": "Director review", "task_ids": [41]}],
            }
        ],
        "tasks": [
            {
                "id": 41,
                "request_id": 7,
                "step_key": "director",
                "step_name": "Director review",
                "stage_index": 0,
                "status": "pending",
                "assignee": {"id": 2, "name": "Bob Approver", "email": "bob@example.org"},
                "queue_role": None,
                "on_behalf_of": None,
                "due_at": None,
                "created_at": "2026-03-02T09:00:00Z",
                "closed_at": None,
                "decision": None,
            }
        ],
        "timeline": [
            {
                "at": "2026-03-02T09:00:00Z",
                "kind": "created",
                "summary": "Carol Requester created the request.",
                "actor": {"id": 3, "name": "Carol Requester", "email": "carol@example.org"},
            }
        ],
    },
)


def detail(
    user: Any, request_id: int, code: int = status.HTTP_200_OK, *, read_action: str = ""
) -> Response:
    """The request as `user` may see it (minimum necessary); with `read_action`, the read is
    recorded as a PHI access when it shows the patient's data."""
    approval = selectors.request_by_id(user, request_id)
    hidden = masking.hidden_fields(user=user, approval=approval)
    if read_action:
        masking.record_read(actor=user, approval=approval, action=read_action, hidden=hidden)
    context = {"user": user, "hidden": hidden}
    return Response(RequestDetailOut(approval, context=context).data, status=code)


class RequestListApi(ApiView):
    paginates = True

    class FilterInput(serializers.Serializer[Any]):
        status = serializers.ChoiceField(choices=RequestStatus.choices, required=False)
        workflow = serializers.SlugField(required=False, help_text="A workflow key.")
        urgency = serializers.ChoiceField(choices=Urgency.choices, required=False)
        assignee = serializers.IntegerField(
            required=False, min_value=1, help_text="User id holding a pending task."
        )
        due_before = serializers.DateTimeField(required=False)
        due_after = serializers.DateTimeField(required=False)
        created_after = serializers.DateTimeField(required=False)
        created_before = serializers.DateTimeField(required=False)

    class CreateInput(serializers.Serializer[Any]):
        workflow = serializers.SlugField(help_text="Key of a published workflow.")
        data = serializers.DictField(help_text="Answers by form field name (see the workflow).")  # type: ignore[assignment]  # a field named like a serializer attribute
        urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.STANDARD)
        department = serializers.SlugField(required=False, help_text="A department key.")
        submit = serializers.BooleanField(default=True, help_text="False keeps it a draft.")

    @extend_schema(
        operation_id="requests_list",
        parameters=[FilterInput],
        responses=RequestSummaryOut(many=True),
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        filters = selectors.RequestFilters(
            **validated_query(self.FilterInput, request.query_params)
        )
        return self.paginated(
            request, selectors.requests_for_api(self.actor, filters), RequestSummaryOut
        )

    @extend_schema(
        operation_id="requests_create",
        request=CreateInput,
        responses={201: RequestDetailOut},
        examples=[CREATE_EXAMPLE, DETAIL_EXAMPLE],
        tags=TAGS,
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = validated(self.CreateInput, request.data)
        workflow = published_workflows().filter(key=data["workflow"]).first()
        if workflow is None:
            raise InvalidInput(
                "No published workflow with that key.", fields={"workflow": ["Unknown workflow."]}
            )
        department = None
        if data.get("department"):
            department = Department.objects.filter(key=data["department"]).first()
            if department is None:
                raise InvalidInput(
                    "No such department.", fields={"department": ["Unknown department."]}
                )
        created = services.request_create(
            actor=self.actor,
            workflow=workflow,
            data=data["data"],
            urgency=data["urgency"],
            department=department,
            submit=data["submit"],
        )
        return detail(self.actor, created.pk, status.HTTP_201_CREATED)


class RequestDetailApi(ApiView):
    @extend_schema(
        operation_id="requests_retrieve",
        responses=RequestDetailOut,
        examples=[DETAIL_EXAMPLE],
        tags=TAGS,
    )
    def get(self, request: Request, request_id: int) -> Response:
        return detail(self.actor, request_id, read_action="api.request.view")


class RequestSubmitApi(ApiView):
    @extend_schema(
        operation_id="requests_submit", request=None, responses=RequestDetailOut, tags=TAGS
    )
    @idempotent
    def post(self, request: Request, request_id: int) -> Response:
        approval = selectors.request_plain(self.actor, request_id)
        services.request_submit(actor=self.actor, approval=approval)
        return detail(self.actor, request_id)


class RequestWithdrawApi(ApiView):
    class Input(serializers.Serializer[Any]):
        reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")

    @extend_schema(
        operation_id="requests_withdraw", request=Input, responses=RequestDetailOut, tags=TAGS
    )
    @idempotent
    def post(self, request: Request, request_id: int) -> Response:
        data = validated(self.Input, request.data)
        approval = selectors.request_plain(self.actor, request_id)
        services.request_withdraw(actor=self.actor, approval=approval, reason=data["reason"])
        return detail(self.actor, request_id)


class RequestAppealApi(ApiView):
    class Input(serializers.Serializer[Any]):
        data = serializers.DictField(  # type: ignore[assignment]  # a field named like a serializer attribute
            help_text="Answers of the appeal workflow's form, by field name."
        )
        urgency = serializers.ChoiceField(choices=Urgency.choices, required=False)

    @extend_schema(
        operation_id="requests_appeal",
        summary="Appeal a denial",
        description=(
            "The requester appeals a denied (or partially approved) request within its "
            "workflow's appeal window. The appeal is a new request of the appeal workflow, "
            "linked by `appeal_of`; nobody who decided the denied request reviews it. Refusals: "
            "`not_appealable`, `appeal_window_closed`, `already_appealed` (409), "
            "`appeal_workflow_missing`."
        ),
        request=Input,
        responses={201: RequestDetailOut},
        tags=TAGS,
    )
    @idempotent
    def post(self, request: Request, request_id: int) -> Response:
        data = validated(self.Input, request.data)
        approval = selectors.request_plain(self.actor, request_id)
        appeal = appeals.request_appeal(
            actor=self.actor, approval=approval, data=data["data"], urgency=data.get("urgency")
        )
        return detail(self.actor, appeal.pk, status.HTTP_201_CREATED)


class RequestResubmitApi(ApiView):
    class Input(serializers.Serializer[Any]):
        data = serializers.DictField(  # type: ignore[assignment]  # a field named like a serializer attribute
            required=False, help_text="Changed answers; leave out to resubmit as is."
        )

    @extend_schema(
        operation_id="requests_resubmit", request=Input, responses=RequestDetailOut, tags=TAGS
    )
    @idempotent
    def post(self, request: Request, request_id: int) -> Response:
        data = validated(self.Input, request.data)
        approval = selectors.request_plain(self.actor, request_id)
        services.request_resubmit(actor=self.actor, approval=approval, data=data.get("data"))
        return detail(self.actor, request_id)


class RequestAmendApi(ApiView):
    class Input(serializers.Serializer[Any]):
        data = serializers.DictField(help_text="The full, changed answers.")  # type: ignore[assignment]  # a field named like a serializer attribute

    @extend_schema(
        operation_id="requests_amend", request=Input, responses=RequestDetailOut, tags=TAGS
    )
    @idempotent
    def post(self, request: Request, request_id: int) -> Response:
        data = validated(self.Input, request.data)
        approval = selectors.request_plain(self.actor, request_id)
        services.request_amend(actor=self.actor, approval=approval, data=data["data"])
        return detail(self.actor, request_id)


class RequestExtendApi(ApiView):
    class Input(serializers.Serializer[Any]):
        new_due_at = serializers.DateTimeField()
        justification = serializers.ChoiceField(
            choices=sorted(JUSTIFICATIONS),
            help_text="Why the due time moves (prior authorizations: at most 14 days in all).",
        )
        reason = serializers.CharField(max_length=500)

    @extend_schema(
        operation_id="requests_extend", request=Input, responses=RequestDetailOut, tags=TAGS
    )
    @idempotent
    def post(self, request: Request, request_id: int) -> Response:
        data = validated(self.Input, request.data)
        approval = selectors.request_plain(self.actor, request_id)
        request_extend(
            actor=self.actor,
            approval=approval,
            new_due_at=data["new_due_at"],
            reason=data["reason"],
            justification=data["justification"],
        )
        return detail(self.actor, request_id)


class CommentListApi(ApiView):
    paginates = True
    pagination_class = OldestFirstPagination

    class Input(serializers.Serializer[Any]):
        body = serializers.CharField(max_length=10000)

    @extend_schema(operation_id="comments_list", responses=CommentOut(many=True), tags=["comments"])
    def get(self, request: Request, request_id: int) -> Response:
        return self.paginated(request, selectors.comments_of(self.actor, request_id), CommentOut)

    @extend_schema(
        operation_id="comments_create",
        request=Input,
        responses={201: CommentOut},
        examples=[OpenApiExample("A note", value={"body": "Quote attached."}, request_only=True)],
        tags=["comments"],
    )
    @idempotent
    def post(self, request: Request, request_id: int) -> Response:
        data = validated(self.Input, request.data)
        approval = selectors.request_plain(self.actor, request_id)
        comment = discussion.comment_add(actor=self.actor, approval=approval, body=data["body"])
        return Response(CommentOut(comment).data, status=status.HTTP_201_CREATED)


class AttachmentListApi(ApiView):
    paginates = True
    pagination_class = OldestFirstPagination
    parser_classes = [SafeMultiPartParser, SafeFormParser, SafeJSONParser]

    class Input(serializers.Serializer[Any]):
        file = serializers.FileField(
            help_text="PDF, PNG, JPEG, TIFF, text or .docx; at most 20 MB."
        )

    @extend_schema(
        operation_id="attachments_list", responses=AttachmentOut(many=True), tags=["attachments"]
    )
    def get(self, request: Request, request_id: int) -> Response:
        return self.paginated(
            request, selectors.attachments_of(self.actor, request_id), AttachmentOut
        )

    @extend_schema(
        operation_id="attachments_create",
        request={"multipart/form-data": Input},
        responses={201: AttachmentOut},
        tags=["attachments"],
    )
    @idempotent
    def post(self, request: Request, request_id: int) -> Response:
        data = validated(self.Input, request.data)
        approval = selectors.request_plain(self.actor, request_id)
        attachment = discussion.attachment_add(
            actor=self.actor, approval=approval, upload=data["file"]
        )
        return Response(AttachmentOut(attachment).data, status=status.HTTP_201_CREATED)


class AttachmentDownloadApi(ApiView):
    @extend_schema(
        operation_id="attachments_download",
        # The file is sent with the content type it was accepted with: one of these.
        responses={
            (200, media_type): OpenApiResponse(OpenApiTypes.BINARY, description="The file.")
            for media_type in sorted(discussion.ALLOWED_ATTACHMENT_TYPES)
        },
        tags=["attachments"],
    )
    def get(self, request: Request, request_id: int, attachment_id: int) -> FileResponse:
        attachment = selectors.attachment_for(self.actor, request_id, attachment_id)
        audit_phi_access(
            actor=self.actor,
            action="api.attachment.download",
            obj=attachment,
            request_reference=attachment.request.reference,
            sha256=attachment.sha256,
        )
        return FileResponse(
            attachment.file.open("rb"),
            as_attachment=True,
            filename=attachment.original_name,
            content_type=attachment.content_type,
        )
