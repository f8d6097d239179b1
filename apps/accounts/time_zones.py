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


def _org_zone() -> str:
    return str(getattr(getattr(connection, "tenant", None), "time_zone", ""))


class _TimeZonePage(View):
    """One time-zone form; subclasses name the page, the current value and the service."""

    template = ""
    url_name = ""
    saved = ""

    def current(self, request: HttpRequest) -> str:
        raise NotImplementedError

    def save(self, request: HttpRequest, name: str) -> None:
        raise NotImplementedError

    def extra(self) -> dict[str, Any]:
        return {}

    def get(self, request: HttpRequest) -> HttpResponse:
        form = TimeZoneForm(initial={"time_zone": self.current(request)})
        return _page(request, self.template, {"form": form, **self.extra()})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = TimeZoneForm(request.POST)
        if form.is_valid():
            try:
                self.save(request, form.cleaned_data["time_zone"])
            except InvalidInput as error:
                form.add_error("time_zone", error.message)
            else:
                messages.success(request, self.saved)
                return redirect(self.url_name)
        return _page(request, self.template, {"form": form, **self.extra()}, status=400)


class PreferencesView(LoginRequiredMixin, _TimeZonePage):
    template = "accounts/preferences.html"
    url_name = "accounts:preferences"
    saved = "Preferences saved."

    def current(self, request: HttpRequest) -> str:
        return str(getattr(request.user, "time_zone", ""))

    def save(self, request: HttpRequest, name: str) -> None:
        user_time_zone_set(actor=request.user, name=name)  # type: ignore[arg-type]

    def extra(self) -> dict[str, Any]:
        return {"organisation_zone": _org_zone()}


class OrganisationView(TenantAdminMixin, _TimeZonePage):
    template = "accounts/organisation.html"
    url_name = "accounts:organisation"
    saved = "Organisation settings saved."

    def current(self, request: HttpRequest) -> str:
        return _org_zone()

    def save(self, request: HttpRequest, name: str) -> None:
        tenant_time_zone_set(actor=request.user, name=name)  # type: ignore[arg-type]
