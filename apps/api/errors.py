"""One error shape for the whole API (tenant API and partner API alike):
{"error": {"code", "message", "fields"}} (and "current" for conflicts). Every service error is a
CountersignError and keeps its own code, message, fields and status; DRF's own refusals get the
codes below."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from apps.core.errors import CommonCode, CountersignError
from apps.core.parsers import too_large_message

logger = logging.getLogger(__name__)

_CODES: list[tuple[type[exceptions.APIException], str]] = [
    (exceptions.ValidationError, "invalid_input"),
    (exceptions.ParseError, "malformed_request"),
    (exceptions.NotAuthenticated, "not_authenticated"),
    (exceptions.AuthenticationFailed, "authentication_failed"),
    (exceptions.PermissionDenied, "permission_denied"),
    (exceptions.NotFound, "not_found"),
    (exceptions.MethodNotAllowed, "method_not_allowed"),
    (exceptions.NotAcceptable, "not_acceptable"),
    (exceptions.UnsupportedMediaType, "unsupported_media_type"),
    (exceptions.Throttled, "throttled"),
]


def error_body(
    code: str,
    message: str,
    fields: Mapping[str, list[str]] | None = None,
    current: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message, "fields": dict(fields or {})}
    if current:
        error["current"] = dict(current)
    return {"error": error}


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested validation detail as {"field.sub": ["message", ...]}."""
    if isinstance(detail, Mapping):
        flat: dict[str, list[str]] = {}
        for name, value in detail.items():
            key = f"{prefix}.{name}" if prefix else str(name)
            if key == "non_field_errors":
                key = "_"
            for sub, messages in _flatten(value, key).items():
                flat.setdefault(sub, []).extend(messages)
        return flat
    if isinstance(detail, list):
        if all(not isinstance(item, Mapping | list) for item in detail):
            return {prefix or "_": [str(item) for item in detail]}
        flat = {}
        for index, item in enumerate(detail):
            for sub, messages in _flatten(
                item, f"{prefix}.{index}" if prefix else str(index)
            ).items():
                flat.setdefault(sub, []).extend(messages)
        return flat
    return {prefix or "_": [str(detail)]}


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    too_large = too_large_message(exc)
    if too_large:
        set_rollback()
        return Response(
            error_body(CommonCode.REQUEST_TOO_LARGE, too_large),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, CountersignError):
        set_rollback()
        return Response(
            error_body(exc.code, exc.message, exc.fields, exc.current), status=exc.http_status
        )
    response = drf_exception_handler(exc, context)
    if response is None:  # an unexpected error: log it, answer in the same shape
        logger.exception("Unhandled error in the API", exc_info=exc)
        set_rollback()
        return Response(
            error_body("server_error", "Something went wrong on our side. Try again later."),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    if isinstance(exc, exceptions.APIException):
        code = next((c for kind, c in _CODES if isinstance(exc, kind)), str(exc.default_code))
        fields = {}
        if isinstance(exc, exceptions.ValidationError):
            fields, message = _flatten(exc.detail), "Some fields need attention."
        elif isinstance(exc, exceptions.NotAuthenticated):
            message = "Send an API key: `Authorization: Bearer <key>`."
        else:
            message = str(exc.detail)
        detail_code = getattr(exc.detail, "code", None)
        if isinstance(exc, exceptions.PermissionDenied) and detail_code != "permission_denied":
            code = str(detail_code or code)
        response.data = error_body(code, message, fields)
    else:  # Django's Http404 or PermissionDenied, already turned into a DRF response
        not_found = response.status_code == status.HTTP_404_NOT_FOUND
        response.data = error_body(
            "not_found" if not_found else "permission_denied",
            "Nothing here that you can see." if not_found else "You cannot do this.",
        )
    return response


@csrf_exempt  # nothing to protect, and a CSRF page would break the error shape
def api_not_found(request: HttpRequest, *args: object, **kwargs: object) -> JsonResponse:
    """Unknown paths under /api/ answer in the API's error shape, not an HTML page."""
    return JsonResponse(error_body("not_found", "No such API endpoint."), status=404)
