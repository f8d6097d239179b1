"""Choosing the time zone times are shown in: the organisation's (tenant admins) and one's own.

Pages: /account/preferences/ (everyone, also on the partner console) and /admin/organisation/
(tenant admins). The middleware in apps.core.middleware applies the choice to every page.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views import View

from apps.accounts.exceptions import AccountErrorCode
from apps.accounts.models import User
from apps.audit.models import AuditCategory
from apps.audit.services import audit_append
from apps.core.actions import action
from apps.core.errors import InvalidInput, NotAllowed
from apps.core.mixins import TenantAdminMixin
from apps.core.time_zones import zone_names, zone_problem


def _zone_checked(name: str, *, blank_allowed: bool) -> str:
    name = name.strip()
    if not name and blank_allowed:
        return ""
    problem = zone_problem(name) if name else "Choose a time zone."
    if problem:
        raise InvalidInput(problem, code=AccountErrorCode.TIME_ZONE_INVALID, field="time_zone")
    return name


def user_time_zone_set(*, actor: User, name: str) -> User:
    """The zone `actor` reads times in; blank follows the organisation's."""
    name = _zone_checked(name, blank_allowed=True)
    with action(actor=actor):
        before = actor.time_zone
        actor.time_zone = name
        actor.save(update_fields=["time_zone"])
        audit_append(
            category=AuditCategory.CHANGE,
            action="user.time_zone",
            obj=actor,
            actor_id=actor.pk,
            actor_email=actor.email,
            detail={"from": before, "to": name},
        )
    return actor


def tenant_time_zone_set(*, actor: User, name: str) -> Any:
    """The organisation's zone (tenant admins of the current tenant only)."""
    if not actor.is_tenant_admin:
        raise NotAllowed(
            "Only this organisation's admins can change its time zone.",
            code=AccountErrorCode.ADMIN_ONLY,
        )
    name = _zone_checked(name, blank_allowed=False)
    tenant = connection.tenant  # type: ignore[attr-defined]  # set by django-tenants
    with action(actor=actor):
        before = tenant.time_zone
        tenant.time_zone = name
        tenant.save(update_fields=["time_zone"])  # the routing cache forgets it on save
        audit_append(
            category=AuditCategory.CHANGE,
            action="organisation.time_zone",
            obj=tenant,
            actor_id=actor.pk,
            actor_email=actor.email,
            detail={"from": before, "to": name},
        )
    return tenant


class TimeZoneForm(forms.Form):
    time_zone = forms.CharField(
        label="Time zone",
        required=False,
        max_length=64,
        help_text="A name such as America/Chicago.",
        widget=forms.TextInput(attrs={"list": "time-zones", "autocomplete": "off"}),
    )


def _page(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    return render(request, template, {"zones": zone_names(), **context}, status=status)


class PreferencesView(LoginRequiredMixin, View):
    template = "accounts/preferences.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        user: User = request.user  # type: ignore[assignment]
        form = TimeZoneForm(initial={"time_zone": user.time_zone})
        return _page(request, self.template, {"form": form, "organisation_zone": _org_zone()})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = TimeZoneForm(request.POST)
        if form.is_valid():
            try:
                user_time_zone_set(actor=request.user, name=form.cleaned_data["time_zone"])  # type: ignore[arg-type]
            except InvalidInput as error:
                form.add_error("time_zone", error.message)
            else:
                messages.success(request, "Preferences saved.")
                return redirect("accounts:preferences")
        context = {"form": form, "organisation_zone": _org_zone()}
        return _page(request, self.template, context, status=400)


def _org_zone() -> str:
    return str(getattr(getattr(connection, "tenant", None), "time_zone", ""))


class OrganisationView(TenantAdminMixin, View):
    template = "accounts/organisation.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        form = TimeZoneForm(initial={"time_zone": _org_zone()})
        return _page(request, self.template, {"form": form})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = TimeZoneForm(request.POST)
        if form.is_valid():
            try:
                tenant_time_zone_set(actor=request.user, name=form.cleaned_data["time_zone"])  # type: ignore[arg-type]
            except InvalidInput as error:
                form.add_error("time_zone", error.message)
            else:
                messages.success(request, "Organisation settings saved.")
                return redirect("accounts:organisation")
        return _page(request, self.template, {"form": form}, status=400)
