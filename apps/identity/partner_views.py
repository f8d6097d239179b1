"""Partner console pages of single sign-on (public URLconf): the partner admin's IdP settings,
and partner staff signing in through their partner's OpenID Connect IdP (start: by the
partner's sign-in address `/sso/<partner>/start/`; callback: the same checks as a tenant's).
Each refusal is the branded failure page with its code and an audit entry."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from apps.core.errors import CountersignError, form_errors_show
from apps.identity import oidc
from apps.identity.exceptions import IdentityErrorCode, SsoRefused
from apps.identity.forms import PartnerIdentityProviderForm
from apps.identity.partner import (
    PARTNER_FIELDS,
    is_partner_admin,
    partner_admins,
    partner_by_slug,
    partner_identity_provider_active,
    partner_identity_provider_get,
    partner_identity_provider_update,
    partner_sso_sign_in,
)
from apps.identity.views import ID_TOKEN_KEY, PENDING_KEY, failure_page, sign_in_complete

PARTNER_KEY = "sso_partner"


def _partner_id(request: HttpRequest) -> int:
    membership = getattr(request.user, "partner_membership", None)
    if membership is None:
        raise PermissionDenied("Only partner staff can use the console.")
    return int(membership.partner_id)


class PartnerSsoSettingsView(LoginRequiredMixin, View):
    """The partner admin's IdP for the partner console (staff may not see or change it)."""

    template_name = "identity/partner_settings.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.user.is_authenticated:
            partner_id = _partner_id(request)
            if not is_partner_admin(request.user, partner_id):
                raise PermissionDenied("Only the partner's administrators can do this.")
            self.partner_id = partner_id
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        provider = partner_identity_provider_get(self.partner_id)
        initial: dict[str, Any] = {}
        if provider is not None:
            initial = {name: getattr(provider, name) for name in PARTNER_FIELDS}
            initial["break_glass_admins"] = list(provider.break_glass_admins.all())
        form = PartnerIdentityProviderForm(initial=initial, admins=partner_admins(self.partner_id))
        return self._page(request, form)

    def post(self, request: HttpRequest) -> HttpResponse:
        form = PartnerIdentityProviderForm(request.POST, admins=partner_admins(self.partner_id))
        if not form.is_valid():
            return self._page(request, form, status=400)
        try:
            partner_identity_provider_update(
                actor=request.user,  # type: ignore[arg-type]
                partner_id=self.partner_id,
                values=form.provider_values(),
                client_secret=form.cleaned_data["client_secret"],
                break_glass_admins=list(form.cleaned_data["break_glass_admins"]),
            )
        except CountersignError as error:
            form_errors_show(form, error)
            return self._page(request, form, status=400)
        messages.success(request, "Single sign-on settings saved.")
        return redirect("partner-sso-settings")

    def _page(
        self, request: HttpRequest, form: PartnerIdentityProviderForm, status: int = 200
    ) -> HttpResponse:
        membership = getattr(request.user, "partner_membership", None)
        slug = membership.partner.slug if membership else ""
        context = {
            "form": form,
            "provider": partner_identity_provider_get(self.partner_id),
            "redirect_uri": request.build_absolute_uri(reverse("partner-sso-callback")),
            "sign_in_url": request.build_absolute_uri(reverse("partner-sso-start", args=[slug])),
        }
        return render(request, self.template_name, context, status=status)


def _not_configured() -> SsoRefused:
    return SsoRefused(
        "This partner does not sign in through an identity provider. Sign in with your email "
        "and password.",
        code=IdentityErrorCode.NOT_CONFIGURED,
        http_status=404,
    )


class PartnerSsoFindView(View):
    """The sign-in page's "Single sign-on" form: the partner's sign-in address by its ID."""

    def get(self, request: HttpRequest) -> HttpResponse:
        slug = request.GET.get("partner", "").strip().lower()[:50]
        if not slug or not slug.replace("-", "").isalnum():
            return failure_page(request, _not_configured(), None)
        return redirect("partner-sso-start", slug)


class PartnerSsoStartView(View):
    def get(self, request: HttpRequest, slug: str) -> HttpResponse:
        partner = partner_by_slug(slug)
        provider = partner_identity_provider_active(partner.pk) if partner else None
        if provider is None:
            return failure_page(request, _not_configured(), None)
        redirect_uri = request.build_absolute_uri(reverse("partner-sso-callback"))
        try:
            url, pending = oidc.authorization_start(provider=provider, redirect_uri=redirect_uri)
        except SsoRefused as refusal:
            return failure_page(request, refusal, provider)
        request.session[PENDING_KEY] = pending.as_dict()
        request.session[PARTNER_KEY] = provider.partner_id
        return redirect(url)


class PartnerSsoCallbackView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        partner_id = request.session.pop(PARTNER_KEY, None)
        pending = oidc.Pending.from_dict(request.session.pop(PENDING_KEY, None))
        provider = (
            partner_identity_provider_active(int(partner_id)) if partner_id is not None else None
        )
        if provider is None:
            refusal = SsoRefused(
                "This sign-in was not started in this browser, or it was already used. Start "
                "again from the sign-in page.",
                code=IdentityErrorCode.STATE_MISMATCH,
                http_status=400,
            )
            return failure_page(request, refusal, None)
        try:
            if request.GET.get("error"):
                raise SsoRefused(
                    "Your organisation's sign-in service did not sign you in. Start again from "
                    "the sign-in page; if it keeps happening, tell your administrator.",
                    code=IdentityErrorCode.IDP_ERROR,
                    http_status=400,
                )
            if pending is None or request.GET.get("state") != pending.state:
                raise SsoRefused(
                    "This sign-in was not started in this browser, or it was already used. "
                    "Start again from the sign-in page.",
                    code=IdentityErrorCode.STATE_MISMATCH,
                    http_status=400,
                )
            signed_in = oidc.code_exchange(
                provider=provider, pending=pending, code=request.GET.get("code", "")
            )
            user = partner_sso_sign_in(provider=provider, claims=signed_in.claims)
        except SsoRefused as refusal:
            return failure_page(request, refusal, provider)
        response = sign_in_complete(request, user, provider, home="home")
        request.session[ID_TOKEN_KEY] = signed_in.id_token
        return response
