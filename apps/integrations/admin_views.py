"""Tenant-admin pages for webhooks: endpoints (create shows the secret once), activate or
deactivate, delete, the delivery log per endpoint and replay. URLs: webhooks/urls.py."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast
from uuid import UUID

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View

from apps.core.errors import CountersignError, form_errors_show
from apps.core.mixins import TenantAdminMixin
from apps.integrations.webhooks import selectors, services

if TYPE_CHECKING:
    from apps.accounts.models import User

DELIVERIES_SHOWN = 100


class EndpointForm(forms.Form):
    url = forms.URLField(
        label="URL", max_length=500, assume_scheme="https", help_text="Where events are POSTed."
    )
    events = forms.CharField(
        label="Events",
        initial="request.*",
        max_length=2000,
        help_text='Event types or patterns, separated by spaces or commas: "request.approved", '
        '"request.*", "task.*" or "*" for everything.',
    )
    description = forms.CharField(label="Description", max_length=200, required=False)


def _actor(request: HttpRequest) -> User:
    return cast("User", request.user)


def _add_errors(form: forms.Form, error: CountersignError) -> None:
    form_errors_show(form, error)


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


class EndpointListView(TenantAdminMixin, View):
    """GET: the endpoints and a form for a new one. POST: create; the secret is shown once."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.page(request, EndpointForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = EndpointForm(request.POST)
        if form.is_valid():
            try:
                endpoint, secret = services.webhook_endpoint_create(
                    actor=_actor(request), **form.cleaned_data
                )
            except CountersignError as error:
                _add_errors(form, error)
            else:
                response = render(
                    request,
                    "integrations/webhooks/secret.html",
                    {"endpoint": endpoint, "secret": secret, "created": True},
                )
                return _no_store(response)
        return self.page(request, form, status=400)

    def page(self, request: HttpRequest, form: EndpointForm, status: int = 200) -> HttpResponse:
        endpoints = selectors.webhook_endpoints_for(_actor(request))
        context = {"endpoints": endpoints, "form": form}
        return render(request, "integrations/webhooks/list.html", context, status=status)


class EndpointDetailView(TenantAdminMixin, View):
    """The endpoint and its latest deliveries."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        actor = _actor(request)
        endpoint = get_object_or_404(selectors.webhook_endpoints_for(actor), pk=pk)
        deliveries = selectors.webhook_deliveries_for(actor, endpoint=endpoint)[:DELIVERIES_SHOWN]
        context = {"endpoint": endpoint, "deliveries": deliveries}
        return render(request, "integrations/webhooks/detail.html", context)


class EndpointActiveView(TenantAdminMixin, View):
    """POST: activate (`active=1`) or deactivate (`active=0`) an endpoint."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        actor = _actor(request)
        endpoint = get_object_or_404(selectors.webhook_endpoints_for(actor), pk=pk)
        active = request.POST.get("active") == "1"
        services.webhook_endpoint_update(actor=actor, endpoint=endpoint, is_active=active)
        messages.success(request, f"Endpoint {'activated' if active else 'deactivated'}.")
        return redirect("webhooks:detail", pk=endpoint.pk)


class EndpointRotateSecretView(TenantAdminMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        actor = _actor(request)
        endpoint = get_object_or_404(selectors.webhook_endpoints_for(actor), pk=pk)
        secret = services.webhook_endpoint_rotate_secret(actor=actor, endpoint=endpoint)
        context = {"endpoint": endpoint, "secret": secret, "created": False}
        return _no_store(render(request, "integrations/webhooks/secret.html", context))


class EndpointDeleteView(TenantAdminMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        actor = _actor(request)
        endpoint = get_object_or_404(selectors.webhook_endpoints_for(actor), pk=pk)
        services.webhook_endpoint_delete(actor=actor, endpoint=endpoint)
        messages.success(request, "Endpoint deleted with its delivery log.")
        return redirect("webhooks:list")


class DeliveryReplayView(TenantAdminMixin, View):
    """POST: send the delivery's event again as a fresh delivery."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: UUID) -> HttpResponse:
        actor = _actor(request)
        delivery = get_object_or_404(selectors.webhook_deliveries_for(actor), pk=pk)
        try:
            services.webhook_delivery_replay(actor=actor, delivery=delivery)
        except CountersignError as error:
            for problem in error.messages:
                messages.error(request, problem)
        else:
            messages.success(request, f"{delivery.event.type} queued again for delivery.")
        return redirect("webhooks:detail", pk=delivery.endpoint_id)
