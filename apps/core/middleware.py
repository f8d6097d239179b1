"""Request id propagation, input limits every request meets before any view, and a guard that
binds a session to the tenant it was created on."""

import re
import uuid
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from apps.core.context import request_id_var
from apps.core.errors import CommonCode
from apps.core.parsers import too_large_message
from apps.core.text import NUL_MESSAGE, form_values, unstorable_fields
from apps.core.time_zones import zone_named

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
SESSION_SCHEMA_KEY = "countersign_schema"


class RequestIdMiddleware:
    """Takes a well-formed X-Request-ID from the proxy or makes one, and echoes it back."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        return response


API_PREFIX = "/api/"


def _refusal(
    request: HttpRequest,
    status: int,
    code: str,
    message: str,
    fields: dict[str, list[str]] | None = None,
) -> HttpResponse:
    """The API's error shape under /api/ (the same body as `apps.api.errors.error_body`, built
    here because this runs before any view); a plain page everywhere else."""
    if request.path_info.startswith(API_PREFIX):
        body = {"error": {"code": code, "message": message, "fields": dict(fields or {})}}
        return JsonResponse(body, status=status)
    lines = [message, *(f"{name}: {'; '.join(found)}" for name, found in (fields or {}).items())]
    return HttpResponse("\n".join(lines), status=status, content_type="text/plain; charset=utf-8")


class InputLimitsMiddleware:
    """Refuses, before any view or database work, a body larger than the limits (413) and text
    PostgreSQL cannot store (NUL, unpaired surrogates; 400 naming the field) in the path, the
    query string and HTML form posts. API bodies are checked by `apps.core.parsers`.

    Limits: `DATA_UPLOAD_MAX_MEMORY_SIZE` for every body but multipart uploads, which may carry
    files up to `MAX_UPLOAD_REQUEST_BYTES` in all."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refused = self.refusal(request)
        return refused if refused is not None else self.get_response(request)

    def refusal(self, request: HttpRequest) -> HttpResponse | None:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        multipart = request.content_type == "multipart/form-data"
        limit = (
            settings.MAX_UPLOAD_REQUEST_BYTES if multipart else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        )
        if limit is not None and length > limit:
            return _refusal(
                request,
                413,
                CommonCode.REQUEST_TOO_LARGE,
                f"The request body is too large; the limit is {limit // 1024} KB.",
            )
        values: dict[str, object] = {"path": request.path_info}
        values |= {f"query.{key}": found for key, found in form_values(request.GET).items()}
        form_post = request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        )
        if form_post and not request.path_info.startswith(API_PREFIX):
            try:
                values |= form_values(request.POST)
            except (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent) as exc:
                message = too_large_message(exc) or "The request body is too large."
                return _refusal(request, 413, CommonCode.REQUEST_TOO_LARGE, message)
        fields = unstorable_fields(values)
        if not fields:
            return None
        name, messages = next(iter(fields.items()))
        code = (
            CommonCode.NUL_CHARACTER
            if messages[0].endswith(NUL_MESSAGE)
            else CommonCode.UNPAIRED_SURROGATE
        )
        return _refusal(request, 400, code, f"{name}: {messages[0]}", fields)


class SessionTenantGuardMiddleware:
    """Sessions live in each tenant's schema already; this also refuses a session whose
    recorded schema differs from the host's, so a cookie can never cross tenants."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            recorded = request.session.get(SESSION_SCHEMA_KEY)
            if recorded is None:
                request.session[SESSION_SCHEMA_KEY] = connection.schema_name  # type: ignore[attr-defined]  # django-tenants' connection
            elif recorded != connection.schema_name:  # type: ignore[attr-defined]  # django-tenants' connection
                logout(request)
        return self.get_response(request)


class CountersignErrorMiddleware:
    """An error a page did not show on a form field answers like Django's own refusals: a
    NotAllowed is the 403 page, a NotFound the 404 page, anything else a 400 with its message.
    (The API maps the same errors in `apps.api.errors`; DRF handles them before this runs.)"""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from django.core.exceptions import PermissionDenied
        from django.http import Http404, HttpResponseBadRequest

        from apps.core.errors import CountersignError

        too_large = too_large_message(exception)
        if too_large:  # a multipart body's fields past the limit, read by a view
            return HttpResponse(too_large, status=413, content_type="text/plain; charset=utf-8")
        if not isinstance(exception, CountersignError):
            return None
        if exception.http_status == 403:
            raise PermissionDenied(exception.message) from exception
        if exception.http_status == 404:
            raise Http404(exception.message) from exception
        return HttpResponseBadRequest(exception.message, status=exception.http_status)


class TimeZoneMiddleware:
    """Pages are rendered in the reader's time zone: theirs, else their organisation's.

    The REST API (and the machine-facing paths under it) keeps UTC: its times are ISO 8601 with
    an offset, whoever calls, so nothing here loads a user for an API call.
    """

    MACHINE_PATHS = ("/api/", "/scim/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(self.MACHINE_PATHS):
            return self.get_response(request)
        user = getattr(request, "user", None)
        tenant = getattr(request, "tenant", None)
        zone = zone_named(
            getattr(user, "time_zone", "") if user is not None else "",
            getattr(tenant, "time_zone", "") if tenant is not None else "",
        )
        with timezone.override(zone):
            return self.get_response(request)
