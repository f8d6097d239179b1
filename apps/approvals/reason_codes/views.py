"""Reason code administration pages (routed from `apps.people.urls`)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View

from apps.approvals.models import ReasonCode
from apps.approvals.reason_codes.forms import ReasonCodeForm, ReasonCodeLabelForm
from apps.approvals.reason_codes.selectors import reason_codes_for_admin
from apps.approvals.reason_codes.services import (
    reason_code_create,
    reason_code_rename,
    reason_code_set_active,
)
from apps.core.errors import CountersignError
from apps.core.mixins import TenantAdminMixin
from apps.people.forms import add_service_errors


class ReasonCodeListView(TenantAdminMixin, View):
    """All codes, active first, with the form to add one."""

    template_name = "people/reason_codes.html"

    def render_page(self, request: HttpRequest, form: forms.Form) -> HttpResponse:
        codes = list(reason_codes_for_admin(actor=request.user))  # type: ignore[arg-type]
        return render(
            request,
            self.template_name,
            {
                "form": form,
                "active_codes": [c for c in codes if c.is_active],
                "inactive_codes": [c for c in codes if not c.is_active],
            },
        )

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render_page(request, ReasonCodeForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ReasonCodeForm(request.POST)
        if form.is_valid():
            try:
                reason_code = reason_code_create(
                    actor=request.user,  # type: ignore[arg-type]
                    code=form.cleaned_data["code"],
                    label=form.cleaned_data["label"],
                )
            except CountersignError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"Reason code “{reason_code.label}” added.")
                return redirect("reason_codes:list")
        return self.render_page(request, form)


class ReasonCodeEditView(TenantAdminMixin, View):
    template_name = "people/reason_code_edit.html"

    def get_object(self, request: HttpRequest, pk: int) -> ReasonCode:
        return get_object_or_404(reason_codes_for_admin(actor=request.user), pk=pk)  # type: ignore[arg-type]

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        reason_code = self.get_object(request, pk)
        form = ReasonCodeLabelForm(initial={"label": reason_code.label})
        return render(request, self.template_name, {"reason_code": reason_code, "form": form})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        reason_code = self.get_object(request, pk)
        form = ReasonCodeLabelForm(request.POST)
        if form.is_valid():
            try:
                reason_code_rename(
                    actor=request.user,  # type: ignore[arg-type]
                    reason_code=reason_code,
                    label=form.cleaned_data["label"],
                )
            except CountersignError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"Reason code {reason_code.code} renamed.")
                return redirect("reason_codes:list")
        return render(request, self.template_name, {"reason_code": reason_code, "form": form})


class ReasonCodeActiveView(TenantAdminMixin, View):
    """POST only: deactivate (``is_active=False``) or reactivate a code."""

    is_active = True
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponseRedirect:
        reason_code = get_object_or_404(reason_codes_for_admin(actor=request.user), pk=pk)  # type: ignore[arg-type]
        reason_code_set_active(
            actor=request.user,  # type: ignore[arg-type]
            reason_code=reason_code,
            is_active=self.is_active,
        )
        verb = "reactivated" if self.is_active else "deactivated"
        messages.success(request, f"Reason code “{reason_code.label}” {verb}.")
        return redirect("reason_codes:list")
