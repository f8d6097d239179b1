"""The tenant of a request's host (`TenantHostMiddleware`), and the access rules applied to
every request on a tenant host (`TenantAccessMiddleware`):

* a suspended or archived tenant gets a branded "suspended" page (its ``/api/`` paths a JSON
  403 ``tenant_suspended``); nothing is deleted;
* a partner support session is checked before each view (an expired or revoked grant signs the
  support user out at once), counted, and shown with a banner on every page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth import logout
from django.db import DEFAULT_DB_ALIAS
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.html import escape
from django_tenants.middleware.main import TenantMainMiddleware

from apps.tenants.choices import TenantStatus
from apps.tenants.clusters import tenant_activated, tenant_database
from apps.tenants.routing_cache import tenant_for_host
from apps.tenants.support import (
    SESSION_KEY,
    support_session_count_action,
    support_session_live,
)

ALWAYS_OPEN = ("/static/", "/healthz", "/branding/")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class TenantHostMiddleware(TenantMainMiddleware):  # type: ignore[misc]  # untyped base
    """django-tenants' host lookup, reading the tenant's branding in the same query: every page
    shows it (`apps.core.context_processors.branding`), which was one more query per page."""

    async_capable = False  # the cluster selection is per thread (Django adapts an ASGI stack)

    def get_tenant(self, domain_model: Any, hostname: str) -> Any:
        def load() -> Any:
            return (
                domain_model.objects.select_related("tenant__branding").get(domain=hostname).tenant
            )

        return tenant_for_host(hostname, load)  # kept per process (apps.tenants.routing_cache)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        """The host's tenant is found in the directory; the rest of the request runs on the
        tenant's cluster (apps.tenants.clusters)."""
        response = self.process_request(request)
        if response is not None:
            return response  # type: ignore[no-any-return]
        tenant = getattr(request, "tenant", None)
        if tenant is None or tenant_database(tenant) == DEFAULT_DB_ALIAS:
            return self.get_response(request)  # type: ignore[no-any-return]
        with tenant_activated(tenant):
            return self.get_response(request)  # type: ignore[no-any-return]


class TenantAccessMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tenant = getattr(request, "tenant", None)
        if tenant is None or tenant.schema_name == "public":
            return self.get_response(request)
        if tenant.status != TenantStatus.ACTIVE and not request.path.startswith(ALWAYS_OPEN):
            return self.closed(request, tenant)
        if tenant.moving_since is not None and request.method not in SAFE_METHODS:
            return self.moving(request, tenant)
        response = self.get_response(request)
        session = getattr(request, "_support_session", None)
        if session is not None:
            support_session_count_action(session.pk)
            response = self.with_banner(response, session)
        return response

    def process_view(
        self, request: HttpRequest, view: Any, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        """Runs after the session and user are loaded, just before the view."""
        tenant = getattr(request, "tenant", None)
        session_store = getattr(request, "session", None)
        if tenant is None or tenant.schema_name == "public" or session_store is None:
            return None
        session_id = session_store.get(SESSION_KEY)
        if session_id is None:
            return None
        live = support_session_live(session_id, tenant=tenant)
        if live is None:
            logout(request)
            return render(request, "tenants/support_ended.html", status=403)
        request._support_session = live  # type: ignore[attr-defined]
        return None

    @staticmethod
    def closed(request: HttpRequest, tenant: Any) -> HttpResponse:
        suspended = tenant.status == TenantStatus.SUSPENDED
        message = (
            f"{tenant.name} is suspended on Countersign. Its data is kept; contact your "
            "service provider."
            if suspended
            else f"{tenant.name} has been archived on Countersign."
        )
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"error": {"code": "tenant_suspended", "message": message, "fields": {}}},
                status=403,
            )
        if request.path.startswith("/scim/"):  # a directory client: SCIM's error shape
            return JsonResponse(
                {
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                    "status": "403",
                    "detail": message,
                },
                status=403,
                content_type="application/scim+json; charset=utf-8",
            )
        return render(
            request,
            "tenants/suspended.html",
            {"message": message, "suspended": suspended},
            status=403,
        )

    @staticmethod
    def moving(request: HttpRequest, tenant: Any) -> HttpResponse:
        """A short write freeze while `tenant_move` copies the schema to another cluster."""
        message = (
            f"{tenant.name} is being moved to another database server; changes are refused "
            "for a few minutes. Reading still works: try again shortly."
        )
        if request.path.startswith("/api/") or request.path.startswith("/scim/"):
            response: HttpResponse = JsonResponse(
                {"error": {"code": "tenant_moving", "message": message, "fields": {}}},
                status=503,
            )
        else:
            response = render(request, "tenants/moving.html", {"message": message}, status=503)
        response["Retry-After"] = "60"
        return response

    @staticmethod
    def with_banner(response: HttpResponse, session: Any) -> HttpResponse:
        if getattr(response, "streaming", False) or "text/html" not in response.get(
            "Content-Type", ""
        ):
            return response
        content = response.content
        start = content.find(b"<body")
        end = content.find(b">", start) if start != -1 else -1
        if end == -1:
            return response
        grant = session.grant
        banner = (
            '<div class="support-banner" role="status" data-testid="support-banner" '
            'style="background:#fef3c7;color:#78350f;border-bottom:2px solid #b45309;'
            'padding:.5rem 1.25rem;font-weight:600">'
            f"Support session: {escape(grant.requested_by_name)} "
            f"({escape(grant.partner.name)}) is signed in for "
            f"support until {grant.expires_at:%H:%M} UTC. Reason: {escape(grant.reason)}"
            "</div>"
        ).encode()
        response.content = content[: end + 1] + banner + content[end + 1 :]
        if response.has_header("Content-Length"):
            response["Content-Length"] = str(len(response.content))
        return response
