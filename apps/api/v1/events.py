"""The event feed: the tenant's outbox events after a cursor (the last event id you read).
Non-administrators only see events of requests they can see; `next_cursor` still moves past
the events they cannot, so polling never stalls."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from apps.api.v1.base import ApiView, validated_query
from apps.approvals.exceptions import InvalidInput
from apps.approvals.selectors import requests_visible_to
from apps.integrations.outbox import InvalidCursor, events_after


class EventOut(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    type = serializers.CharField()
    request_id = serializers.IntegerField(allow_null=True)
    request_reference = serializers.CharField()
    created_at = serializers.DateTimeField()
    data = serializers.DictField(source="payload", help_text="Ids, types, statuses and links.")  # type: ignore[assignment]  # a field named like a serializer attribute


class EventPageOut(serializers.Serializer[Any]):
    events = EventOut(many=True)
    next_cursor = serializers.CharField(
        allow_null=True, help_text="Pass as `cursor` to read on; unchanged when nothing is new."
    )


class EventFeedApi(ApiView):
    class FilterInput(serializers.Serializer[Any]):
        cursor = serializers.UUIDField(required=False, help_text="The last event id you read.")
        limit = serializers.IntegerField(required=False, min_value=1, max_value=500, default=100)

    @extend_schema(
        operation_id="events_list",
        parameters=[FilterInput],
        responses=EventPageOut,
        examples=[
            OpenApiExample(
                "A decision",
                response_only=True,
                value={
                    "events": [
                        {
                            "id": "01972d6a-8c1e-7a43-9f0e-5b8d2c7e1a44",
                            "type": "task.decided",
                            "request_id": 1042,
                            "request_reference": "CAP-2026-001042",
                            "created_at": "2026-05-14T09:21:33.512Z",
                            "data": {"request": {"id": 1042, "status": "in_review"}},
                        }
                    ],
                    "next_cursor": "01972d6a-8c1e-7a43-9f0e-5b8d2c7e1a44",
                },
            )
        ],
        tags=["events"],
    )
    def get(self, request: Request) -> Response:
        filters = validated_query(self.FilterInput, request.query_params)
        cursor = filters.get("cursor")
        try:
            events = events_after(cursor=cursor, limit=filters["limit"])
        except InvalidCursor as error:
            raise InvalidInput(str(error), fields={"cursor": [str(error)]}) from None
        next_cursor = str(events[-1].id) if events else (str(cursor) if cursor else None)
        visible: list[Any] = events
        if not self.actor.is_tenant_admin:
            ids = {e.request_id for e in events if e.request_id is not None}
            allowed = set(
                requests_visible_to(self.actor).filter(pk__in=ids).values_list("pk", flat=True)
            )
            visible = [e for e in events if e.request_id in allowed]
        return Response(EventPageOut({"events": visible, "next_cursor": next_cursor}).data)
