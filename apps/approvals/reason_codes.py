"""Reason codes for denials: the tenant's list, its services and its administration pages.

Codes are never deleted (decisions point at them); retired codes are deactivated instead.
"""

import re

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View

from apps.accounts.models import User
from apps.approvals.models import ReasonCode
from apps.core.actions import action, action_service
from apps.core.views import TenantAdminMixin
from apps.people.forms import add_service_errors

# The tenant's standard codes (from the template pack) are upper snake case: BUDGET_NOT_AVAILABLE.
CODE_RE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$")
CODE_MESSAGE = (
    "Use capital letters and digits separated by single underscores, for example NO_BUDGET."
)


# Services -----------------------------------------------------------------------------------


def _require_admin(actor: User) -> None:
    if not actor.is_tenant_admin:
        raise PermissionDenied("Only tenant administrators can change reason codes.")


def _clean_label(label: str) -> str:
    label = label.strip()
    if not label:
        raise ValidationError({"label": ["Enter a label."]})
    return label


@action_service
def reason_code_create(*, actor: User, code: str, label: str) -> ReasonCode:
    _require_admin(actor)
    errors: dict[str, list[str]] = {}
    if not CODE_RE.match(code):
        errors["code"] = [CODE_MESSAGE]
    elif ReasonCode.objects.filter(code=code).exists():
        errors["code"] = ["This code already exists; reactivate it instead."]
    if not label.strip():
        errors["label"] = ["Enter a label."]
    if errors:
        raise ValidationError(errors)
    try:
        with action(actor=actor):
            return ReasonCode.objects.create(code=code, label=label.strip())
    except IntegrityError as exc:  # created concurrently after the check above
        raise ValidationError({"code": ["This code already exists."]}) from exc


@action_service
def reason_code_rename(*, actor: User, reason_code: ReasonCode, label: str) -> ReasonCode:
    """Changes the label only: the code is what decisions and integrations refer to."""
    _require_admin(actor)
    reason_code.label = _clean_label(label)
    reason_code.save(update_fields=["label"])
    return reason_code


@action_service
def reason_code_set_active(*, actor: User, reason_code: ReasonCode, is_active: bool) -> ReasonCode:
    """Deactivated codes stay on past decisions but can no longer be chosen."""
    _require_admin(actor)
    if reason_code.is_active != is_active:
        reason_code.is_active = is_active
        reason_code.save(update_fields=["is_active"])
    return reason_code


# Selectors ----------------------------------------------------------------------------------


def reason_codes_active() -> QuerySet[ReasonCode]:
    """The codes a decider may choose from."""
    return ReasonCode.objects.filter(is_active=True).order_by("label")


def reason_codes_for_admin(*, actor: User) -> QuerySet[ReasonCode]:
    _require_admin(actor)
    return ReasonCode.objects.order_by("-is_active", "label")


# Forms --------------------------------------------------------------------------------------


class ReasonCodeForm(forms.Form):
    code = forms.CharField(
        max_length=60,
        help_text="For example NO_BUDGET. Fixed once created; exports and integrations use it.",
    )
    label = forms.CharField(max_length=200, help_text="What deciders see, for example No budget.")

    def clean_code(self) -> str:
        # Lowercase typing is accepted and capitalised; everything else is the service's call.
        return self.cleaned_data["code"].strip().upper()


class ReasonCodeLabelForm(forms.Form):
    label = forms.CharField(max_length=200)


# Views --------------------------------------------------------------------------------------


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
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"Reason code “{reason_code.label}” added.")
                return redirect("people:reason-codes")
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
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"Reason code {reason_code.code} renamed.")
                return redirect("people:reason-codes")
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
        return redirect("people:reason-codes")
