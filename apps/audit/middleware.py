"""Declares each HTTP request an entry point (`apps.core.actions.entry`): its channel (the
partner console on the root host, the web on tenant hosts; API views narrow it to their own),
request id, client address and support session. Who acted is never decided here: each service
names its actor."""

from collections.abc import Callable

from django.db import connection
from django.http import HttpRequest, HttpResponse

from apps.core.actions import Channel, entry
from apps.core.context import SUPPORT_SESSION_KEY


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


class ActionOriginMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        public = connection.schema_name == "public"  # type: ignore[attr-defined]  # django-tenants' connection
        session = getattr(request, "session", None)
        with entry(
            Channel.PARTNER_CONSOLE if public else Channel.WEB,
            request_id=getattr(request, "request_id", None),
            ip=client_ip(request),
            support_session=str(session.get(SUPPORT_SESSION_KEY, "") or "") if session else "",
        ):
            return self.get_response(request)
