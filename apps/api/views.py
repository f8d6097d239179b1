"""The API keys page for tenant administrators: list, create (the key is shown once), revoke."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View

from apps.api.forms import ApiKeyForm
from apps.api.models import ApiKey
from apps.api.selectors import api_keys_for
from apps.api.services import api_key_create, api_key_revoke
from apps.approvals.exceptions import ApprovalError
from apps.core.mixins import TenantAdminMixin

if TYPE_CHECKING:
    from apps.accounts.models import User


class ApiKeyAdminView(TenantAdminMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return self._page(request, ApiKeyForm(initial={"owner": request.user}))

    def post(self, request: HttpRequest) -> HttpResponse:
        actor: User = request.user  # type: ignore[assignment]
        form = ApiKeyForm(request.POST)
        if not form.is_valid():
            return self._page(request, form, status=400)
        try:
            key, text = api_key_create(
                actor=actor,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                owner=form.cleaned_data["owner"],
            )
        except ApprovalError as error:
            for field, errors in error.fields.items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
            return self._page(request, form, status=error.http_status)
        # Shown in this response only; never stored in the session or the database.
        return self._page(request, ApiKeyForm(initial={"owner": actor}), created=(key, text))

    def _page(
        self,
        request: HttpRequest,
        form: ApiKeyForm,
        status: int = 200,
        created: tuple[ApiKey, str] | None = None,
    ) -> HttpResponse:
        context = {
            "form": form,
            "keys": api_keys_for(cast("User", request.user)),
            "created_key": created[0] if created else None,
            "created_text": created[1] if created else None,
        }
        response = render(request, "api/keys.html", context, status=status)
        response["Cache-Control"] = "no-store"
        return response


class ApiKeyRevokeView(TenantAdminMixin, View):
    def post(self, request: HttpRequest, key_id: int) -> HttpResponse:
        key = get_object_or_404(api_keys_for(request.user), pk=key_id)  # type: ignore[arg-type]
        try:
            api_key_revoke(actor=request.user, key=key)  # type: ignore[arg-type]
        except ApprovalError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"{key.name} was revoked; it stops working at once.")
        return redirect("api:admin-keys")
