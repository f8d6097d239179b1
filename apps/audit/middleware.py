"""Records who is acting (user, IP, support session) for the audit entries of this request."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from apps.audit.context import AuditContext, audit_context

SUPPORT_SESSION_KEY = "countersign_support_session"  # set by apps.tenants.support


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


class AuditContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        authenticated = bool(user is not None and user.is_authenticated)
        token = audit_context.set(
            AuditContext(
                actor_id=user.pk if authenticated else None,  # type: ignore[union-attr]
                actor_email=user.email if authenticated else "",  # type: ignore[union-attr]
                ip=client_ip(request),
                support_session=str(request.session.get(SUPPORT_SESSION_KEY, "") or "")
                if hasattr(request, "session")
                else "",
            )
        )
        try:
            return self.get_response(request)
        finally:
            audit_context.reset(token)
