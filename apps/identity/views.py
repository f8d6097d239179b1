"""Single sign-on pages: the tenant admin's settings (with the claims preview), the OpenID
Connect sign-in (start: to the IdP with state, nonce and PKCE; callback: the code exchanged,
the ID token checked, the account signed in), and the SAML service provider (metadata, start:
a signed AuthnRequest, ACS: the IdP's Response checked, the account signed in; IdP-initiated
answers too). Each refusal is one branded page with its code."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from apps.accounts import mfa
from apps.accounts.security import session_start
from apps.core.actions import Channel, acting
from apps.core.errors import CountersignError, form_errors_show
from apps.core.mixins import TenantAdminMixin
from apps.identity import oidc, saml, saml_logout
from apps.identity.claims import claims_map, group_roles_text
from apps.identity.exceptions import IdentityErrorCode, SsoRefused
from apps.identity.forms import IdentityProviderForm
from apps.identity.selectors import (
    identity_provider_active,
    identity_provider_get,
    sign_in_preview,
)
from apps.identity.services import (
    identity_provider_update,
    saml_logout_by_idp,
    saml_logout_failure_record,
    saml_logout_record,
    saml_sign_in,
    sso_failure_record,
    sso_link_forget,
    sso_sign_in,
)

PENDING_KEY = "sso_pending"
SSO_SESSION_KEY = "sso_idp"
NEXT_KEY = "sso_next"
ID_TOKEN_KEY = "sso_id_token"  # noqa: S105  # a session key; its value is the logout hint
SAML_SESSION_KEY = "sso_saml"  # the NameID and session index, for SAML single logout


def next_remember(request: HttpRequest) -> None:
    """The page the person asked for before signing in (`?next=`), kept for after the IdP's
    round trip; only a path on this host (never another site: no open redirect)."""
    wanted = request.GET.get("next", "")
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        request.session[NEXT_KEY] = wanted
    else:
        request.session.pop(NEXT_KEY, None)


class IdentitySettingsView(TenantAdminMixin, View):
    template_name = "identity/settings.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        provider = identity_provider_get()
        initial: dict[str, Any] = {}
        if provider is not None:
            initial = {
                field: getattr(provider, field)
                for field in IdentityProviderForm.base_fields
                if hasattr(provider, field) and field not in {"client_secret", "group_roles"}
            }
            initial["group_roles"] = group_roles_text(provider.group_roles)
            initial["break_glass_admins"] = list(provider.break_glass_admins.all())
        return self._page(request, IdentityProviderForm(initial=initial))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = IdentityProviderForm(request.POST, request.FILES)
        if not form.is_valid():
            return self._page(request, form, status=400)
        if "preview" in request.POST:
            return self._preview(request, form)
        try:
            identity_provider_update(
                actor=request.user,  # type: ignore[arg-type]
                values=form.provider_values(),
                client_secret=form.cleaned_data["client_secret"],
                break_glass_admins=list(form.cleaned_data["break_glass_admins"]),
                saml_metadata_xml=form.cleaned_data["saml_idp_metadata_file"],
            )
        except CountersignError as error:
            form_errors_show(form, error)
            return self._page(request, form, status=400)
        messages.success(request, "Single sign-on settings saved.")
        return redirect("identity:settings")

    def _preview(self, request: HttpRequest, form: IdentityProviderForm) -> HttpResponse:
        sample = form.cleaned_data["sample_claims"]
        if sample is None:
            form.add_error("sample_claims", "Paste sample claims to preview them.")
            return self._page(request, form, status=400)
        values = form.provider_values()
        mapping = _Mapping(values)
        preview = sign_in_preview(
            mapped=claims_map(mapping=mapping, claims=sample), jit_enabled=values["jit_enabled"]
        )
        return self._page(request, form, preview=preview)

    def _page(
        self, request: HttpRequest, form: IdentityProviderForm, status: int = 200, **extra: Any
    ) -> HttpResponse:
        provider = identity_provider_get()
        context = {
            "form": form,
            "provider": provider,
            "redirect_uri": request.build_absolute_uri(reverse("identity:oidc-callback")),
            "saml_urls": sp_urls(request),
            **extra,
        }
        return render(request, self.template_name, context, status=status)


class SsoUnlinkView(TenantAdminMixin, View):
    """Forget the IdP subject a person is linked to, so their next SSO sign-in links again."""

    def post(self, request: HttpRequest) -> HttpResponse:
        email = request.POST.get("email", "")[:254]
        count = sso_link_forget(actor=request.user, email=email)  # type: ignore[arg-type]
        if count:
            messages.success(request, f"{email} is unlinked; their next sign-in links again.")
        else:
            messages.info(request, f"{email} was not linked to the identity provider.")
        return redirect("identity:settings")


class _Mapping:
    """The form's unsaved claims mapping, in the shape `claims_map` reads."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.claim_email = str(values["claim_email"])
        self.claim_name = str(values["claim_name"])
        self.claim_department = str(values["claim_department"])
        self.claim_manager = str(values["claim_manager"])
        self.claim_groups = str(values["claim_groups"])
        self.group_roles = values["group_roles"]


def failure_page(
    request: HttpRequest, refusal: SsoRefused, provider: Any, *, record: bool = True
) -> HttpResponse:
    if record:
        sso_failure_record(refusal=refusal, provider=provider)
    return render(
        request,
        "identity/sso_failed.html",
        {"code": refusal.code, "message": refusal.message, "provider": provider},
        status=refusal.http_status,
    )


def _not_configured() -> SsoRefused:
    return SsoRefused(
        "This organisation does not sign in through an identity provider. Sign in with your "
        "email and password.",
        code=IdentityErrorCode.NOT_CONFIGURED,
        http_status=404,
    )


class SsoStartView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        provider = identity_provider_active()
        if provider is not None and provider.is_saml:
            start = reverse("identity:saml-start")
            query = request.GET.urlencode()
            return redirect(f"{start}?{query}" if query else start)
        if provider is None:
            return failure_page(request, _not_configured(), None)
        redirect_uri = request.build_absolute_uri(reverse("identity:oidc-callback"))
        try:
            url, pending = oidc.authorization_start(provider=provider, redirect_uri=redirect_uri)
        except SsoRefused as refusal:
            return failure_page(request, refusal, provider)
        request.session[PENDING_KEY] = pending.as_dict()
        next_remember(request)
        return redirect(url)


class SsoCallbackView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        provider = identity_provider_active()
        if provider is None or provider.is_saml:
            return failure_page(request, _not_configured(), None)
        pending = oidc.Pending.from_dict(request.session.pop(PENDING_KEY, None))
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
            user = sso_sign_in(provider=provider, claims=signed_in.claims)
        except SsoRefused as refusal:
            return failure_page(request, refusal, provider)
        response = sign_in_complete(request, user, provider)
        request.session[ID_TOKEN_KEY] = signed_in.id_token
        return response


def sp_urls(request: HttpRequest) -> saml.SpUrls:
    """This tenant's SAML SP addresses, on the host the request came to."""
    return saml.SpUrls(
        metadata=request.build_absolute_uri(reverse("identity:saml-metadata")),
        acs=request.build_absolute_uri(reverse("identity:saml-acs")),
        slo=request.build_absolute_uri(reverse("identity:saml-slo")),
    )


def _saml_provider() -> Any:
    provider = identity_provider_active()
    return provider if provider is not None and provider.is_saml else None


def sign_in_complete(
    request: HttpRequest, user: Any, provider: Any, home: str = "approvals:inbox"
) -> HttpResponse:
    with acting(user, Channel.SSO):
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    # The IdP did the second step (its own MFA): no Countersign code is asked for.
    request.session[mfa.STATE_KEY] = "ok"
    wanted = request.session.pop(NEXT_KEY, "")
    request.session[SSO_SESSION_KEY] = provider.name
    session_start(request)
    return redirect(wanted or home)


class SamlMetadataView(View):
    """The SP metadata the IdP is given (public, as SAML metadata is)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        provider = identity_provider_get()
        if provider is None or not provider.is_saml or not provider.saml_sp_certificate:
            return failure_page(request, _not_configured(), None, record=False)
        xml = saml.sp_metadata(provider, sp_urls(request))
        return HttpResponse(xml, content_type="application/samlmetadata+xml")


class SamlStartView(View):
    """SP-initiated sign-in: to the IdP with a signed AuthnRequest (HTTP-Redirect)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        provider = _saml_provider()
        if provider is None:
            return failure_page(request, _not_configured(), None)
        try:
            url, request_id = saml.authn_request(provider, sp_urls(request), relay_state="")
        except SsoRefused as refusal:
            return failure_page(request, refusal, provider)
        saml.request_remember(request_id)
        next_remember(request)
        return redirect(url)


@method_decorator(csrf_exempt, name="dispatch")
class SamlAcsView(View):
    """The assertion consumer service (HTTP-POST): the IdP's cross-site POST carries its
    signed Response instead of a CSRF token, and answers our AuthnRequest or none (IdP-
    initiated)."""

    def post(self, request: HttpRequest) -> HttpResponse:
        provider = _saml_provider()
        if provider is None:
            return failure_page(request, _not_configured(), None)
        saml_response = request.POST.get("SAMLResponse", "")
        try:
            if not saml_response:
                raise SsoRefused(
                    "No sign-in came with this request. Start again from the sign-in page.",
                    code=IdentityErrorCode.INVALID_TOKEN,
                    http_status=400,
                )
            user, assertion = saml_sign_in(
                provider=provider, urls=sp_urls(request), saml_response=saml_response
            )
        except SsoRefused as refusal:
            return failure_page(request, refusal, provider)
        response = sign_in_complete(request, user, provider)
        session = saml_logout.SamlSession(
            name_id=assertion.name_id,
            name_id_format=assertion.name_id_format,
            session_index=assertion.session_index,
        )
        request.session[SAML_SESSION_KEY] = session.as_dict()
        if request.session.session_key:
            saml_logout.session_remember(
                provider.sso_issuer, assertion.name_id, request.session.session_key
            )
        return response


def _logoutfailure_page(request: HttpRequest, refusal: SsoRefused, provider: Any) -> HttpResponse:
    saml_logout_failure_record(refusal=refusal, provider=provider)
    return render(
        request,
        "identity/sso_failed.html",
        {
            "code": refusal.code,
            "message": refusal.message,
            "provider": provider,
            "heading": "We could not complete the sign-out",
        },
        status=refusal.http_status,
    )


@method_decorator(csrf_exempt, name="dispatch")
class SamlSloView(View):
    """The single logout service (HTTP-Redirect or HTTP-POST, cross-site from the IdP, signed
    instead of a CSRF token): the IdP's LogoutResponse to our sign-out, or its LogoutRequest
    (IdP-initiated) that ends the person's Countersign sessions and is answered."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._handle(request, {key: request.GET[key] for key in request.GET})

    def post(self, request: HttpRequest) -> HttpResponse:
        return self._handle(request, {key: request.POST[key] for key in request.POST})

    def _handle(self, request: HttpRequest, query: dict[str, str]) -> HttpResponse:
        provider = _saml_provider()
        if provider is None:
            return failure_page(request, _not_configured(), None, record=False)
        method = request.method or "GET"
        urls = sp_urls(request)
        try:
            if query.get("SAMLResponse"):
                user_id, confirmed = saml_logout.logout_response_check(
                    provider, urls, query, method=method
                )
                return self._answered(request, provider, user_id, confirmed)
            if query.get("SAMLRequest"):
                asked = saml_logout.logout_request_check(provider, urls, query, method=method)
                return self._asked(request, provider, asked)
            raise SsoRefused(
                "No sign-out message came with this request.",
                code=IdentityErrorCode.INVALID_TOKEN,
                http_status=400,
            )
        except SsoRefused as refusal:
            return _logoutfailure_page(request, refusal, provider)

    def _answered(
        self, request: HttpRequest, provider: Any, user_id: int, confirmed: bool
    ) -> HttpResponse:
        from apps.identity.selectors import user_get

        saml_logout_record(
            provider=provider,
            user=user_get(user_id),
            initiated_by="countersign",
            idp_confirmed=confirmed,
        )
        if confirmed:
            messages.info(request, f"You are signed out of Countersign and of {provider.name}.")
        else:
            messages.info(
                request,
                f"You are signed out of Countersign. {provider.name} did not confirm its own "
                "sign-out: close the browser to end that session.",
            )
        return redirect("login")

    def _asked(
        self, request: HttpRequest, provider: Any, asked: saml_logout.LogoutAsked
    ) -> HttpResponse:
        here = saml_logout.SamlSession.from_dict(request.session.get(SAML_SESSION_KEY))
        mine = here is not None and here.name_id == asked.name_id
        saml_logout_by_idp(
            provider=provider,
            name_id=asked.name_id,
            keep_session=str(request.session.session_key or "") if mine else "",
        )
        if mine:
            logout(request)
        return redirect(asked.answer_url)


class SignOutView(auth_views.LogoutView):
    """Sign out of Countersign; after an OpenID Connect sign-in, then to the IdP's
    `end_session_endpoint` (single logout) and back to this tenant's sign-in page. Without one
    (an IdP without RP-initiated or SAML single logout, or one that does not answer) the
    Countersign session still ends and the sign-in page says the IdP session may remain.
    After a SAML sign-in, to the IdP's SingleLogoutService with a signed LogoutRequest when its
    metadata has one (the answer comes back to `SamlSloView`)."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        idp_name = request.session.get(SSO_SESSION_KEY)
        id_token = str(request.session.get(ID_TOKEN_KEY) or "")
        saml_session = saml_logout.SamlSession.from_dict(request.session.get(SAML_SESSION_KEY))
        user_id = request.user.pk
        response = super().post(request, *args, **kwargs)
        if not idp_name:
            return response
        provider = identity_provider_active()
        url: str | None = None
        if provider is not None and not provider.is_saml:
            after = request.build_absolute_uri(reverse("login"))
            url = oidc.logout_url(provider=provider, id_token=id_token, after=after)
        elif provider is not None and saml_session is not None and user_id is not None:
            url = saml_logout.logout_request(
                provider, sp_urls(request), saml_session, user_id=int(user_id)
            )
        if url is not None:
            return redirect(url)
        messages.info(
            request,
            f"You are signed out of Countersign. You may still be signed in to {idp_name}: "
            "close the browser to end that session.",
        )
        return response
