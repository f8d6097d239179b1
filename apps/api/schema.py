"""OpenAPI details every operation shares: the error responses, the Idempotency-Key header on
POST and the Retry-After header on 429."""

from __future__ import annotations

from typing import Any, Literal

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiExample, inline_serializer
from rest_framework import serializers

from apps.api.idempotency import IDEMPOTENCY_PARAMETER


class ErrorDetailSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(help_text="Stable, machine-readable, e.g. `task_already_decided`.")
    message = serializers.CharField(help_text="For people.")
    fields = serializers.DictField(  # type: ignore[assignment]  # the error field is named fields
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per input field (`_` for the request as a whole).",
    )
    current = serializers.DictField(
        required=False, help_text="On 409: the current state of what you tried to change."
    )


ErrorSerializer = inline_serializer(name="Error", fields={"error": ErrorDetailSerializer()})

ERROR_STATUSES = {
    "400": "Invalid input",
    "401": "No key, or a key that is not valid on this host",
    "403": "The key's scopes or its owner's rights do not allow this",
    "404": "Not found, or not visible to you",
    "406": "Not acceptable",
    "409": "Conflict with the current state (see `current`)",
    "415": "Unsupported media type",
    "422": "Idempotency-Key reused with a different request",
    "429": "Throttled; see Retry-After",
    "500": "Server error",
}

CONFLICT_EXAMPLE = OpenApiExample(
    "Already decided",
    status_codes=["409"],
    response_only=True,
    value={
        "error": {
            "code": "task_already_decided",
            "message": "This task was already approved.",
            "fields": {},
            "current": {
                "reference": "CAP-2026-000123",
                "status": "in_review",
                "task": {"id": 41, "status": "approved"},
            },
        }
    },
)


class ApiAutoSchema(AutoSchema):
    def get_serializer_name(
        self, serializer: Any, direction: Literal["request", "response"]
    ) -> str:
        """Nested input serializers (`RequestAmendApi.Input`) get distinct component names."""
        qualname = type(serializer).__qualname__
        if "." in qualname:
            return qualname.replace("Api.", "").replace(".", "")
        return super().get_serializer_name(serializer, direction)

    def get_override_parameters(self) -> list[Any]:
        parameters = list(super().get_override_parameters())
        if self.method == "POST":
            parameters.append(IDEMPOTENCY_PARAMETER)
        return parameters

    def _get_response_bodies(
        self, direction: Literal["request", "response"] = "response"
    ) -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        for code, description in ERROR_STATUSES.items():
            if code in responses:
                continue
            if code == "422" and self.method != "POST":
                continue
            response = self._get_response_for_code(ErrorSerializer, code, direction=direction)  # type: ignore[no-untyped-call]  # drf-spectacular
            response["description"] = description
            if code == "429":
                response["headers"] = {
                    "Retry-After": {
                        "schema": {"type": "integer"},
                        "description": "Seconds to wait before retrying.",
                    }
                }
            responses[code] = response
        return responses
