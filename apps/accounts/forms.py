"""Sign-in forms: the tenant form and the partner console form."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from apps.tenants.models import PartnerMembership


class SignInForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )


class PartnerSignInForm(SignInForm):
    """Only partner staff may use the console; other public-schema users are refused."""

    def confirm_login_allowed(self, user):  # type: ignore[no-untyped-def]
        super().confirm_login_allowed(user)
        if not PartnerMembership.objects.filter(user=user).exists():
            raise forms.ValidationError(
                "This account is not a partner account. Sign in on your organisation's own "
                "Countersign address.",
                code="not_partner",
            )
