"""Request id propagation and a guard that binds a session to the tenant it was created on."""

import re
import uuid
from collections.abc import Callable

from django.contrib.auth import logout
from django.db import connection
from django.http import HttpRequest, HttpResponse

from apps.core.context import request_id_var

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

        if not isinstance(exception, CountersignError):
            return None
        if exception.http_status == 403:
            raise PermissionDenied(exception.message) from exception
        if exception.http_status == 404:
            raise Http404(exception.message) from exception
        return HttpResponseBadRequest(exception.message, status=exception.http_status)
