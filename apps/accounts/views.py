"""Sign in and out, on tenant hosts and on the partner console, with the second step (a code
from an authenticator app or a recovery code) and the MFA pages of one's own account."""

from __future__ import annotations

from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.contrib import messages
from django.contrib.auth import login, user_login_failed
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django_otp import login as otp_login

from apps.accounts import mfa
from apps.accounts.forms import (
    MfaCodeForm,
    MfaEnrolForm,
    PartnerSignInForm,
    SecurityPolicyForm,
    SignInForm,
)
from apps.accounts.security import (
    lockout_response,
    security_policy_get,
    security_policy_update,
    session_start,
)
from apps.core.mixins import TenantAdminMixin


class MfaLoginMixin:
    """After the password: a user with a device gives a code before being signed in; a user
    who must enrol is signed in but can open only the enrolment page."""

    request: HttpRequest

    def form_valid(self, form: Any) -> HttpResponse:
        user = form.get_user()
        if mfa.has_confirmed_device(user):
            mfa.pending_start(
                self.request,
                user=user,
                backend=getattr(user, "backend", "django.contrib.auth.backends.ModelBackend"),
                next_url=self.get_success_url(),  # type: ignore[attr-defined]
            )
            return redirect("accounts:mfa-verify")
        response: HttpResponse = super().form_valid(form)  # type: ignore[misc]
        session_start(self.request)
        if mfa.mfa_required(user):
            self.request.session[mfa.STATE_KEY] = "enrol"
            return redirect("accounts:mfa-enrol")
        self.request.session[mfa.STATE_KEY] = "ok"
        return response


class TenantLoginView(MfaLoginMixin, auth_views.LoginView):
    form_class = SignInForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class PartnerLoginView(MfaLoginMixin, auth_views.LoginView):
    form_class = PartnerSignInForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


class MfaVerifyView(View):
    """Step two of signing in."""

    template_name = "accounts/mfa_verify.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        if mfa.pending_get(request) is None:
            return self._start_again(request)
        return render(request, self.template_name, {"form": MfaCodeForm()})

    def post(self, request: HttpRequest) -> HttpResponse:
        pending = mfa.pending_get(request)
        user = mfa.pending_user(pending) if pending else None
        if pending is None or user is None:
            return self._start_again(request)
        credentials = {"username": user.email}
        if AxesProxyHandler.is_locked(request, credentials):
            request.session.pop(mfa.PENDING_KEY, None)
            return lockout_response(request, None, credentials)
        form = MfaCodeForm(request.POST)
        device = mfa.mfa_code_check(user=user, code=form.data.get("code", ""))
        if device is None:
            pending["failures"] = int(pending.get("failures", 0)) + 1
            request.session[mfa.PENDING_KEY] = pending
            # Counts towards the lockout (django-axes) and is audited as a failed sign-in.
            user_login_failed.send(sender=__name__, credentials=credentials, request=request)
            if pending["failures"] >= mfa.MAX_CODE_FAILURES:
                request.session.pop(mfa.PENDING_KEY, None)
                messages.error(request, "Too many wrong codes. Sign in again.")
                return redirect("login")
            form.add_error(
                "code",
                "That code is not right. Enter the 6-digit code your authenticator app shows "
                "now, or one of your recovery codes.",
            )
            return render(request, self.template_name, {"form": form}, status=400)
        next_url = pending.get("next") or ""
        login(request, user, backend=pending["backend"])
        otp_login(request, device)
        request.session.pop(mfa.PENDING_KEY, None)
        request.session[mfa.STATE_KEY] = "ok"
        session_start(request)
        if isinstance(device, mfa.StaticDevice):
            left = mfa.recovery_codes_left(user)
            messages.warning(
                request,
                f"You used a recovery code; {left} left. Create new ones on your "
                "two-step sign-in page if you are running low.",
            )
        if not url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            next_url = "/"
        return redirect(next_url or "/")

    @staticmethod
    def _start_again(request: HttpRequest) -> HttpResponse:
        messages.info(request, "Your sign-in timed out. Sign in again.")
        return redirect("login")


class MfaSettingsView(LoginRequiredMixin, View):
    """Two-step sign-in of one's own account: status, new recovery codes, removal."""

    def get(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        return render(
            request,
            "accounts/mfa_settings.html",
            {
                "enrolled": mfa.has_confirmed_device(user),
                "codes_left": mfa.recovery_codes_left(user),
                "required": mfa.mfa_required(user),
                "is_tenant_host": connection.schema_name != "public",  # type: ignore[attr-defined]  # django-tenants' connection
            },
        )


class MfaEnrolView(LoginRequiredMixin, View):
    template_name = "accounts/mfa_enrol.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        if mfa.has_confirmed_device(request.user):
            return redirect("accounts:mfa")
        return self._page(request, MfaEnrolForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        if mfa.has_confirmed_device(request.user):
            return redirect("accounts:mfa")
        form = MfaEnrolForm(request.POST)
        device = mfa.mfa_enrolment_start(user=request.user)
        codes = None
        if form.is_valid():
            codes = mfa.mfa_enrolment_confirm(
                actor=request.user, device=device, code=form.cleaned_data["code"]
            )
        if codes is None:
            form.add_error(
                "code",
                "That code is not right. Check that your phone's clock is set automatically "
                "and enter the code shown now.",
            )
            return self._page(request, form, status=400)
        device.refresh_from_db()
        otp_login(request, device)
        request.session[mfa.STATE_KEY] = "ok"
        return render(
            request, "accounts/mfa_recovery_codes.html", {"codes": codes, "enrolled_now": True}
        )

    def _page(self, request: HttpRequest, form: MfaEnrolForm, status: int = 200) -> HttpResponse:
        device = mfa.mfa_enrolment_start(user=request.user)
        return render(
            request,
            self.template_name,
            {
                "form": form,
                "qr_svg": mfa.qr_svg(device),
                "secret": mfa.secret_text(device),
                "required": request.session.get(mfa.STATE_KEY) == "enrol",
            },
            status=status,
        )


class VerifiedRequiredMixin(LoginRequiredMixin):
    """Changing MFA needs a session that passed the second step."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.user.is_authenticated and not request.user.is_verified():  # type: ignore[attr-defined]  # django-otp
            messages.error(request, "Sign in with your authenticator app first.")
            return redirect("accounts:mfa")
        return super().dispatch(request, *args, **kwargs)


class MfaRecoveryCodesView(VerifiedRequiredMixin, View):
    def post(self, request: HttpRequest) -> HttpResponse:
        codes = mfa.mfa_recovery_codes_regenerate(actor=request.user)
        return render(
            request, "accounts/mfa_recovery_codes.html", {"codes": codes, "enrolled_now": False}
        )


class MfaRemoveView(VerifiedRequiredMixin, View):
    def post(self, request: HttpRequest) -> HttpResponse:
        if mfa.mfa_required(request.user):
            messages.error(request, "Your account must keep two-step sign-in.")
            return redirect("accounts:mfa")
        mfa.mfa_remove(actor=request.user, user=request.user)
        messages.success(request, "Two-step sign-in is off for your account.")
        return redirect("accounts:mfa")


class SecurityPolicyView(TenantAdminMixin, View):
    """The tenant's sign-in rules (admins only)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        policy = security_policy_get()
        form = SecurityPolicyForm(
            initial={
                "require_mfa_for_everyone": policy.require_mfa_for_everyone,
                "session_idle_minutes": policy.session_idle_minutes,
            }
        )
        return render(request, "accounts/security_policy.html", {"form": form})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = SecurityPolicyForm(request.POST)
        if not form.is_valid():
            return render(request, "accounts/security_policy.html", {"form": form}, status=400)
        security_policy_update(actor=request.user, **form.cleaned_data)
        messages.success(request, "Security settings saved. They apply from each next sign-in.")
        return redirect("accounts:security-policy")
