"""Platform-wide pages: unknown host, health, readiness and metrics endpoints, tenant home,
branding assets."""

import hmac
import time
from typing import Any

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.cache import cache
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView
from django_tenants.utils import schema_exists

from apps.core.mixins import TenantAdminMixin
from apps.core.postgres.clusters import public_activated


class UnknownHostView(View):
    """A hostname that no tenant owns gets a plain 404 page, never a traceback."""

    def get(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        return render(request, "core/unknown_host.html", status=404)

    post = put = patch = delete = get


def _redis_check(key: str) -> str:
    """Redis is not needed to answer requests: when it is down the answer is "degraded"."""
    try:
        cache.set(key, "1", timeout=5)
        return "ok" if cache.get(key) == "1" else "degraded: no round trip"
    except Exception as exc:
        return f"degraded: {exc.__class__.__name__}"


def _answer(checks: dict[str, str]) -> JsonResponse:
    """200 when every check is ok or only degraded (status "degraded"); 503 on any error."""
    if any(value.startswith("error") for value in checks.values()):
        return JsonResponse({"status": "error", **checks}, status=503)
    degraded = any(value != "ok" for value in checks.values())
    return JsonResponse({"status": "degraded" if degraded else "ok", **checks}, status=200)


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness of the database and Redis, for load balancers and `make demo`."""
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {exc.__class__.__name__}"
    checks["redis"] = _redis_check("healthz")
    return _answer(checks)


_MIGRATIONS_OK_FOR = 300.0  # seconds a process trusts an "all applied" answer
_migrations_ok_at: float | None = None


def _public_migrations_pending() -> list[str]:
    """Unapplied migrations of the public schema (cached for a while once none are left)."""
    global _migrations_ok_at
    if _migrations_ok_at is not None and time.monotonic() - _migrations_ok_at < _MIGRATIONS_OK_FOR:
        return []
    from django.db.migrations.executor import MigrationExecutor

    with public_activated():
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    pending = [f"{migration.app_label}.{migration.name}" for migration, _ in plan]
    if not pending:
        _migrations_ok_at = time.monotonic()
    return pending


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: database, Redis, public-schema migrations applied, template schema present.

    503 with the reasons otherwise, so a new release waits for its migration job."""
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {exc.__class__.__name__}"
    checks["redis"] = _redis_check("readyz")
    if checks["database"] == "ok":
        try:
            pending = _public_migrations_pending()
            checks["migrations"] = (
                "ok" if not pending else f"error: {len(pending)} unapplied, e.g. {pending[0]}"
            )
        except Exception as exc:
            checks["migrations"] = f"error: {exc.__class__.__name__}"
        try:
            template = settings.TENANT_BASE_SCHEMA
            checks["template_schema"] = (
                "ok" if schema_exists(template) else f"error: schema {template} is missing"
            )
        except Exception as exc:
            checks["template_schema"] = f"error: {exc.__class__.__name__}"
    else:
        checks["migrations"] = checks["template_schema"] = "error: database unavailable"
    return _answer(checks)


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text exposition, behind ``Authorization: Bearer <METRICS_TOKEN>``.

    With no METRICS_TOKEN the endpoint does not exist (404), except with DEBUG on."""
    token = getattr(settings, "METRICS_TOKEN", "") or ""
    if not token:
        if not settings.DEBUG:
            raise Http404("Not found.")
    else:
        header = request.headers.get("Authorization", "")
        scheme, _, given = header.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            given.strip().encode(), token.encode()
        ):
            response = HttpResponse("Unauthorized.\n", status=401, content_type="text/plain")
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
    from apps.core.observability import CONTENT_TYPE, render_metrics

    return HttpResponse(render_metrics(), content_type=CONTENT_TYPE)


class TenantHomeView(LoginRequiredMixin, TemplateView):
    """Home: a tenant admin sees what is left to set up until everything is done."""

    template_name = "core/tenant_home.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if getattr(self.request.user, "is_tenant_admin", False):
            from apps.people.selectors import first_run_checklist
            from apps.workflows.selectors import published_workflows

            brand = getattr(self.request.tenant, "branding", None)  # type: ignore[attr-defined]
            steps = first_run_checklist(
                has_logo=bool(brand and brand.logo), workflows=published_workflows().count()
            )
            if not all(step["done"] for step in steps):
                context["checklist"] = steps
        return context


class AdminHomeView(TenantAdminMixin, TemplateView):
    template_name = "core/admin_home.html"
