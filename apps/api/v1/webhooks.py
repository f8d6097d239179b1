"""Webhook endpoints (subscriptions), their deliveries and replays, through
apps.integrations.webhooks (imported lazily). Admin scope; the key's owner must be a tenant
administrator."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from apps.api.choices import Scope
from apps.api.idempotency import idempotent
from apps.api.v1.base import ApiView, validated
from apps.approvals.exceptions import NotFound
from apps.integrations.webhooks import selectors, services

TAGS = ["webhooks"]


class WebhookEndpointOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    url = serializers.URLField()
    events = serializers.ListField(child=serializers.CharField())
    description = serializers.CharField()
    is_active = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class WebhookEndpointCreatedOut(WebhookEndpointOut):
    secret = serializers.CharField(help_text="The signing secret. Shown once; store it now.")


class WebhookDeliveryOut(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    endpoint_id = serializers.IntegerField()
    event_id = serializers.UUIDField()
    event_type = serializers.CharField(source="event.type")
    replay_of = serializers.UUIDField(source="replay_of_id", allow_null=True)
    state = serializers.CharField()
    attempts = serializers.IntegerField()
    last_status_code = serializers.IntegerField(allow_null=True)
    last_error = serializers.CharField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    last_attempt_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)


class _WebhookApi(ApiView):
    read_scope = write_scope = Scope.ADMIN

    def endpoint(self, endpoint_id: int) -> Any:
        endpoint = selectors.webhook_endpoints_for(self.actor).filter(pk=endpoint_id).first()
        if endpoint is None:
            raise NotFound("No such webhook endpoint.")
        return endpoint


class WebhookListApi(_WebhookApi):
    paginates = True

    class Input(serializers.Serializer[Any]):
        url = serializers.CharField(max_length=500, help_text="https:// URL receiving the events.")
        events = serializers.ListField(
            child=serializers.CharField(max_length=80),
            min_length=1,
            help_text='Event types or patterns: "request.*", "task.decided", "*".',
        )
        description = serializers.CharField(
            max_length=200, required=False, default="", allow_blank=True
        )

    @extend_schema(operation_id="webhooks_list", responses=WebhookEndpointOut(many=True), tags=TAGS)
    def get(self, request: Request) -> Response:
        endpoints = selectors.webhook_endpoints_for(self.actor).order_by("-created_at", "-id")
        return self.paginated(request, endpoints, WebhookEndpointOut)

    @extend_schema(
        operation_id="webhooks_create",
        request=Input,
        responses={201: WebhookEndpointCreatedOut},
        examples=[
            OpenApiExample(
                "Decisions to the ERP",
                value={"url": "https://erp.example.org/hooks/countersign", "events": ["request.*"]},
                request_only=True,
            )
        ],
        tags=TAGS,
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = validated(self.Input, request.data)
        endpoint, secret = services.webhook_endpoint_create(
            actor=self.actor,
            url=data["url"],
            events=data["events"],
            description=data["description"],
        )
        body = WebhookEndpointOut(endpoint).data | {"secret": secret}
        return Response(body, status=status.HTTP_201_CREATED)


class WebhookDetailApi(_WebhookApi):
    class Input(serializers.Serializer[Any]):
        url = serializers.CharField(max_length=500, required=False)
        events = serializers.ListField(
            child=serializers.CharField(max_length=80), min_length=1, required=False
        )
        description = serializers.CharField(max_length=200, required=False, allow_blank=True)
        is_active = serializers.BooleanField(required=False)

    @extend_schema(operation_id="webhooks_retrieve", responses=WebhookEndpointOut, tags=TAGS)
    def get(self, request: Request, endpoint_id: int) -> Response:
        return Response(WebhookEndpointOut(self.endpoint(endpoint_id)).data)

    @extend_schema(
        operation_id="webhooks_update", request=Input, responses=WebhookEndpointOut, tags=TAGS
    )
    def patch(self, request: Request, endpoint_id: int) -> Response:
        data = validated(self.Input, request.data)
        endpoint = services.webhook_endpoint_update(
            actor=self.actor, endpoint=self.endpoint(endpoint_id), **data
        )
        return Response(WebhookEndpointOut(endpoint).data)

    @extend_schema(operation_id="webhooks_delete", responses={204: None}, tags=TAGS)
    def delete(self, request: Request, endpoint_id: int) -> Response:
        services.webhook_endpoint_delete(actor=self.actor, endpoint=self.endpoint(endpoint_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookDeliveryListApi(_WebhookApi):
    paginates = True

    @extend_schema(
        operation_id="webhooks_deliveries_list",
        responses=WebhookDeliveryOut(many=True),
        tags=TAGS,
    )
    def get(self, request: Request, endpoint_id: int) -> Response:
        deliveries = selectors.webhook_deliveries_for(
            self.actor, endpoint=self.endpoint(endpoint_id)
        )
        return self.paginated(
            request, deliveries.order_by("-created_at", "-id"), WebhookDeliveryOut
        )


class WebhookDeliveryReplayApi(_WebhookApi):
    @extend_schema(
        operation_id="webhooks_deliveries_replay",
        request=None,
        responses={201: WebhookDeliveryOut},
        tags=TAGS,
    )
    @idempotent
    def post(self, request: Request, endpoint_id: int, delivery_id: Any) -> Response:
        endpoint = self.endpoint(endpoint_id)
        delivery = (
            selectors.webhook_deliveries_for(self.actor, endpoint=endpoint)
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None:
            raise NotFound("No such delivery for this endpoint.")
        replay = services.webhook_delivery_replay(actor=self.actor, delivery=delivery)
        return Response(WebhookDeliveryOut(replay).data, status=status.HTTP_201_CREATED)
