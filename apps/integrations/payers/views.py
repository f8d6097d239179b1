"""Tenant-admin pages for payers: the list with a form for a new one, editing, switching a
payer on or off, and the submissions with their errors and "send again". URLs: urls.py."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views import View

from apps.core.errors import CountersignError, form_errors_show
from apps.core.mixins import TenantAdminMixin
from apps.integrations.payers import selectors, services
from apps.integrations.payers.choices import SubmissionStatus
from apps.integrations.payers.forms import PayerForm

if TYPE_CHECKING:
    from apps.accounts.models import User
    from apps.integrations.payers.models import Payer

SUBMISSIONS_SHOWN = 200


def _actor(request: HttpRequest) -> User:
    return cast("User", request.user)


def _payer(request: HttpRequest, pk: int) -> Payer:
    payer = selectors.payer_for(_actor(request), pk)
    if payer is None:
        raise Http404("No such payer.")
    return payer


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


class PayerListView(TenantAdminMixin, View):
    """GET: payers, recent submissions and a form for a new payer. POST: add the payer."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.page(request, PayerForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = PayerForm(request.POST)
        if form.is_valid():
            try:
                payer = services.payer_save(actor=_actor(request), **form.cleaned_data)
            except CountersignError as error:
                form_errors_show(form, error)
            else:
                messages.success(request, f"Payer “{payer.name}” added.")
                return redirect("payers:list")
        return self.page(request, form, status=400)

    def page(self, request: HttpRequest, form: PayerForm, status: int = 200) -> HttpResponse:
        actor = _actor(request)
        state = request.GET.get("status") or None
        context = {
            "payers": selectors.payers_for(actor),
            "submissions": selectors.submissions_for_admin(actor, status=state)[:SUBMISSIONS_SHOWN],
            "statuses": SubmissionStatus.choices,
            "status": state,
            "form": form,
        }
        return _no_store(render(request, "integrations/payers/list.html", context, status=status))


class PayerEditView(TenantAdminMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        payer = _payer(request, pk)
        form = PayerForm(
            initial={
                "name": payer.name,
                "base_url": payer.base_url,
                "auth_header": payer.auth_header,
                "timeout_seconds": payer.timeout_seconds,
                "max_attempts": payer.max_attempts,
                "inquiry_interval_minutes": payer.inquiry_interval_minutes,
            }
        )
        return self.page(request, payer, form)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        payer = _payer(request, pk)
        form = PayerForm(request.POST)
        if form.is_valid():
            try:
                services.payer_save(actor=_actor(request), payer=payer, **form.cleaned_data)
            except CountersignError as error:
                form_errors_show(form, error)
            else:
                messages.success(request, f"Payer “{payer.name}” saved.")
                return redirect("payers:list")
        return self.page(request, payer, form, status=400)

    def page(
        self, request: HttpRequest, payer: Payer, form: PayerForm, status: int = 200
    ) -> HttpResponse:
        context = {"payer": payer, "form": form}
        return _no_store(render(request, "integrations/payers/edit.html", context, status=status))


class PayerActiveView(TenantAdminMixin, View):
    """POST: switch a payer on (`active=1`) or off (`active=0`)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        payer = _payer(request, pk)
        active = request.POST.get("active") == "1"
        services.payer_set_active(actor=_actor(request), payer=payer, is_active=active)
        messages.success(request, f"Payer “{payer.name}” {'on' if active else 'off'}.")
        return redirect("payers:list")


class SubmissionRetryView(TenantAdminMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        actor = _actor(request)
        submission = selectors.submission_for_admin(actor, pk)
        if submission is None:
            raise Http404("No such submission.")
        try:
            services.submission_retry(actor=actor, submission=submission)
        except CountersignError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"{submission.request.reference}: sent again.")
        return redirect("payers:list")
