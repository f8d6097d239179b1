"""Platform-wide pages: unknown host, health check, tenant home, branding assets."""

from django.contrib.auth.mixins import LoginRequiredMixin, UserPassesTestMixin
from django.core.cache import cache
from django.db import connection
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views import View
from django.views.generic import TemplateView

from apps.tenants.models import Branding


class UnknownHostView(View):
    """A hostname that no tenant owns gets a plain 404 page, never a traceback."""

    def get(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        return render(request, "core/unknown_host.html", status=404)

    post = put = patch = delete = get


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness of the database and Redis, for load balancers and `make demo`."""
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {exc.__class__.__name__}"
    try:
        cache.set("healthz", "1", timeout=5)
        checks["redis"] = "ok" if cache.get("healthz") == "1" else "error: no round trip"
    except Exception as exc:
        checks["redis"] = f"error: {exc.__class__.__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503
    )


class TenantHomeView(LoginRequiredMixin, TemplateView):
    template_name = "core/tenant_home.html"


def branding_logo(request: HttpRequest) -> FileResponse:
    """The current tenant's logo (public, not patient data)."""
    brand = Branding.objects.filter(tenant=request.tenant).first()  # type: ignore[attr-defined]
    if brand is None or not brand.logo:
        raise Http404("This organisation has no logo.")
    response = FileResponse(brand.logo.open("rb"))
    if brand.logo.name.endswith(".svg"):
        response["Content-Type"] = "image/svg+xml"
        response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    response["Cache-Control"] = "public, max-age=300"
    return response


class TenantAdminMixin(LoginRequiredMixin, UserPassesTestMixin):
    """Pages for tenant administrators; everyone else gets 403 (anonymous: the login page)."""

    def test_func(self) -> bool:
        return bool(getattr(self.request.user, "is_tenant_admin", False))


class AdminHomeView(TenantAdminMixin, TemplateView):
    template_name = "core/admin_home.html"
