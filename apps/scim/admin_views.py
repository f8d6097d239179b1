"""The SCIM settings page of tenant administrators: tokens (shown once at creation, revocable)
and the mapping of directory groups to roles."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.contrib import messages
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View

from apps.core.errors import CountersignError, form_errors_show
from apps.core.mixins import TenantAdminMixin
from apps.scim.forms import GroupMappingForm, ScimTokenForm
from apps.scim.selectors import group_mappings_for, roles_for_mapping, scim_tokens_for
from apps.scim.services import (
    group_mapping_remove,
    group_mapping_set,
    scim_token_create,
    scim_token_revoke,
)

if TYPE_CHECKING:
    from apps.accounts.models import User


def _page(
    request: HttpRequest,
    *,
    token_form: Form | None = None,
    mapping_form: Form | None = None,
    created: tuple[Any, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    actor = cast("User", request.user)
    mapping_form = mapping_form or GroupMappingForm()
    mapping_form.fields["role"].queryset = roles_for_mapping(actor)  # type: ignore[attr-defined]
    context = {
        "token_form": token_form or ScimTokenForm(),
        "mapping_form": mapping_form,
        "tokens": scim_tokens_for(actor),
        "mappings": group_mappings_for(actor),
        "base_url": f"{request.scheme}://{request.get_host()}/scim/v2",
        "created_token": created[0] if created else None,
        "created_text": created[1] if created else None,
    }
    response = render(request, "scim/settings.html", context, status=status)
    response["Cache-Control"] = "no-store"
    return response


class ScimSettingsView(TenantAdminMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return _page(request)

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ScimTokenForm(request.POST)
        if not form.is_valid():
            return _page(request, token_form=form, status=400)
        try:
            token, text = scim_token_create(
                actor=cast("User", request.user),
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
            )
        except CountersignError as error:
            form_errors_show(form, error)
            return _page(request, token_form=form, status=error.http_status)
        # Shown in this response only; never stored in the session or the database.
        return _page(request, created=(token, text))


class ScimTokenRevokeView(TenantAdminMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        token = get_object_or_404(scim_tokens_for(cast("User", request.user)), pk=pk)
        try:
            scim_token_revoke(actor=cast("User", request.user), token=token)
        except CountersignError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"{token.name} was revoked; it stops working at once.")
        return redirect("scim:settings")


class GroupMappingCreateView(TenantAdminMixin, View):
    def post(self, request: HttpRequest) -> HttpResponse:
        actor = cast("User", request.user)
        form = GroupMappingForm(request.POST)
        form.fields["role"].queryset = roles_for_mapping(actor)  # type: ignore[attr-defined]
        if not form.is_valid():
            return _page(request, mapping_form=form, status=400)
        try:
            group_mapping_set(
                actor=actor,
                group_name=form.cleaned_data["group_name"],
                role=form.cleaned_data["role"],
            )
        except CountersignError as error:
            form_errors_show(form, error)
            return _page(request, mapping_form=form, status=error.http_status)
        messages.success(request, "Members of the group hold the role from now on.")
        return redirect("scim:settings")


class GroupMappingRemoveView(TenantAdminMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        actor = cast("User", request.user)
        mapping = get_object_or_404(group_mappings_for(actor), pk=pk)
        group_mapping_remove(actor=actor, mapping=mapping)
        messages.success(request, f"{mapping.group_name} no longer gives a role.")
        return redirect("scim:settings")
