"""Sign-in forms: the tenant form and the partner console form."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from apps.accounts.models import User
from apps.accounts.sign_in_rules import password_refusal
from apps.core.text import email_normalise


class SignInForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )

    def clean_username(self) -> str:
        # Before authenticate(): the backend and the lockout (axes) both see one form of the
        # address, so `Alice@` and `alice@` are the same account and share one failure count.
        return email_normalise(self.cleaned_data.get("username") or "")

    def confirm_login_allowed(self, user: User) -> None:
        super().confirm_login_allowed(user)
        refusal = password_refusal(user)
        if refusal is not None:
            raise forms.ValidationError(refusal.message, code=refusal.code)


class PartnerSignInForm(SignInForm):
    """Only partner staff may use the console; other public-schema users are refused."""

    def confirm_login_allowed(self, user):  # type: ignore[no-untyped-def]
        super().confirm_login_allowed(user)
        if not hasattr(user, "partner_membership"):  # set up by the tenants app
            raise forms.ValidationError(
                "This account is not a partner account. Sign in on your organisation's own "
                "Countersign address.",
                code="not_partner",
            )


class MfaCodeForm(forms.Form):
    """The second step of signing in: a current app code or a recovery code."""

    code = forms.CharField(
        label="Code",
        max_length=32,
        widget=forms.TextInput(
            attrs={"autofocus": True, "autocomplete": "one-time-code", "inputmode": "text"}
        ),
    )


class MfaEnrolForm(forms.Form):
    code = forms.CharField(
        label="Code from your app",
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class SecurityPolicyForm(forms.Form):
    require_mfa_for_everyone = forms.BooleanField(
        label="Require two-step sign-in for everyone (admins always need it)", required=False
    )
    session_idle_minutes = forms.IntegerField(
        label="Sign out after this many minutes without activity",
        min_value=5,
        max_value=720,
    )
