"""Pages of the tenants app on a tenant's host: support sign-in and the admins' list of support
sessions, template pack updates, and the favicon."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views import View

from apps.core.errors import CountersignError
from apps.core.mixins import TenantAdminMixin
from apps.tenants.branding import svg_problem
from apps.tenants.models import Branding
from apps.tenants.packs import LocalChangesError, template_update_apply, template_updates_for
from apps.tenants.support import (
    SESSION_KEY,
    SupportAccessError,
    support_grant_approve,
    support_grant_revoke,
    support_grants_for_tenant,
    support_session_start,
    support_sessions_for_tenant,
)


class SupportEnterView(View):
    """The one-time link from the console: GET signs the partner user in as the visible support
    identity (the link is single-use and expires in two minutes)."""

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        try:
            user, session = support_session_start(token=token, tenant=request.tenant)  # type: ignore[attr-defined]
        except SupportAccessError as exc:
            return render(
                request, "tenants/support_problem.html", {"message": str(exc)}, status=403
            )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        request.session[SESSION_KEY] = session.pk
        return redirect("home")


class SupportSessionsView(TenantAdminMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        tenant = request.tenant  # type: ignore[attr-defined]
        now = timezone.now()
        grants = support_grants_for_tenant(request.user, tenant)
        return render(
            request,
            "tenants/support_sessions.html",
            {
                "sessions": support_sessions_for_tenant(request.user, tenant)[:200],
                "pending": [g for g in grants if g.requires_approval and g.approved_at is None
                            and g.revoked_at is None],
                "active": [g for g in grants if g.is_active(now)],
                "support_requires_approval": tenant.support_requires_approval,
            },
        )  # fmt: skip


class SupportGrantDecideView(TenantAdminMixin, View):
    def post(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        grant = support_grants_for_tenant(request.user, request.tenant).filter(pk=pk).first()  # type: ignore[attr-defined]
        if grant is None:
            raise Http404
        try:
            if action == "approve":
                support_grant_approve(actor=request.user, grant=grant)
                messages.success(request, "Support access approved.")
            elif action == "revoke":
                support_grant_revoke(actor=request.user, grant=grant, side="tenant")
                messages.success(request, "Support access revoked; the session has ended.")
            else:
                raise Http404
        except CountersignError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("tenants:support-sessions")


class TemplateUpdatesView(TenantAdminMixin, View):
    def get(
        self, request: HttpRequest, confirm: str = "", problems: list[str] | None = None
    ) -> HttpResponse:
        updates = template_updates_for(request.tenant)  # type: ignore[attr-defined]
        return render(
            request,
            "tenants/template_updates.html",
            {"updates": updates, "confirm": confirm, "problems": problems or []},
            status=409 if confirm else 200,
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        key = request.POST.get("template_key", "")
        try:
            version = template_update_apply(
                actor=request.user,
                tenant=request.tenant,  # type: ignore[attr-defined]
                template_key=key,
                confirm_local_changes=request.POST.get("confirm") == "yes",
            )
        except LocalChangesError as exc:
            return self.get(request, confirm=key, problems=exc.messages)
        except CountersignError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("tenants:template-updates")
        messages.success(
            request,
            f"Published {version.definition.name} version {version.number} from the update.",
        )
        return redirect("tenants:template-updates")


def _stored_svg_is_active(image: Any) -> bool:
    """Images stored before the SVG allow-list existed are checked again when served."""
    if not (image.name or "").lower().endswith(".svg"):
        return False
    with image.open("rb") as stored:
        return svg_problem(stored.read()) is not None


def _branding_image(request: HttpRequest, field: str, missing: str) -> FileResponse:
    """The current tenant's logo or favicon (public, not patient data)."""
    brand = Branding.objects.filter(tenant=request.tenant).first()  # type: ignore[attr-defined]
    image = getattr(brand, field) if brand is not None else None
    if not image:
        raise Http404(missing)
    if _stored_svg_is_active(image):
        raise Http404("This image is withheld: it is an SVG with active content.")
    response = FileResponse(image.open("rb"))
    if (image.name or "").endswith(".svg"):
        response["Content-Type"] = "image/svg+xml"
        response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    response["Cache-Control"] = "public, max-age=300"
    return response


def branding_favicon(request: HttpRequest) -> FileResponse:
    return _branding_image(request, "favicon", "No favicon.")


def branding_logo(request: HttpRequest) -> FileResponse:
    return _branding_image(request, "logo", "This organisation has no logo.")
