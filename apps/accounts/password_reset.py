"""Forgotten passwords, with Django's own reset views: a tenant-branded email (no PHI, nothing but
the link), a single-use link (Django's token is bound to the password, so it stops working once
used), rate limits per address and per network, and the same answer whether or not the address
has an account. Setting the new password does not sign the person in: they sign in again, so
two-step sign-in applies as always."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.core.cache import cache
from django.core.mail import EmailMessage
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import reverse, reverse_lazy

from apps.accounts.models import SUPPORT_EMAIL_DOMAIN, User
from apps.core.actions import action
from apps.core.text import email_normalise, header_clean
from apps.tenants.senders import email_from

PER_ADDRESS = (3, 15 * 60)  # at most 3 emails to one address per 15 minutes
PER_NETWORK = (10, 60 * 60)  # at most 10 requests from one network address per hour
RESET_HOURS = 1  # PASSWORD_RESET_TIMEOUT in settings


def _over_limit(key: str, limit: tuple[int, int]) -> bool:
    """Count one more request under `key`; True once `limit` is exceeded. Fails open when the
    cache (Redis) is unreachable: a reset must not depend on it, and the email is harmless."""
    allowed, seconds = limit
    try:
        if cache.add(key, 1, timeout=seconds):
            return False
        return int(cache.incr(key)) > allowed
    except Exception:
        return False


class BrandedPasswordResetForm(PasswordResetForm):
    """Django's form, sending the tenant's own email, only to active tenant people."""

    def get_users(self, email: str) -> Any:
        email = email_normalise(email)
        if email.endswith(f"@{SUPPORT_EMAIL_DOMAIN}"):
            return []
        return [
            u for u in User.objects.filter(email=email, is_active=True) if u.has_usable_password()
        ]

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        tenant = connection.tenant  # type: ignore[attr-defined]  # django-tenants' connection
        brand = getattr(tenant, "branding", None)
        org = brand.display_name if brand else tenant.name
        if _over_limit(f"password-reset:address:{to_email}", PER_ADDRESS):
            return  # quietly: the page says the same either way
        path = reverse("accounts:password-reset-confirm", args=[context["uid"], context["token"]])
        link = f"{context['protocol']}://{context['domain']}{path}"
        body = (
            f"Someone asked to reset the password of your {org} account ({to_email}).\n\n"
            f"Choose a new password here:\n{link}\n\n"
            f"The link works once and expires in {RESET_HOURS} hour. If you did not ask for "
            "this, ignore this email: your password stays as it is.\n"
        )
        EmailMessage(
            subject=header_clean(f"Reset your {org} password"),
            body=body,
            from_email=email_from(brand),
            to=[to_email],
            reply_to=[header_clean(brand.email_reply_to)]
            if brand and brand.email_reply_to
            else None,
        ).send()


class ResetRequestView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset_form.html"
    form_class = BrandedPasswordResetForm
    success_url = reverse_lazy("accounts:password-reset-sent")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        network = request.META.get("REMOTE_ADDR", "")
        if _over_limit(f"password-reset:network:{network}", PER_NETWORK):
            form = self.get_form()
            form.add_error(None, "Too many reset requests from your network. Try again in an hour.")
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)


class ResetSentView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_sent.html"


class ResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password-reset-complete")
    post_reset_login = False  # sign in again, with the second step if required

    def form_valid(self, form: Any) -> HttpResponse:
        with action(actor=form.user):  # the audit trail names the person who reset it
            return super().form_valid(form)


class ResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"
