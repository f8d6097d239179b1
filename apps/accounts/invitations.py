"""Invitations to a tenant: a signed, expiring, single-use link (no table needed). The invited
person exists as an inactive user without a password until they accept on the tenant's host."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import login, password_validation
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views import View

from apps.accounts.exceptions import AccountErrorCode, InvalidInput, NotAllowed
from apps.accounts.models import User
from apps.accounts.sign_in_rules import password_refusal
from apps.core.actions import action_service
from apps.core.errors import form_errors_show
from apps.core.text import email_normalise, header_clean
from apps.tenants.senders import email_from

INVITATION_SALT = "countersign.accounts.invitation"
INVITATION_MAX_AGE = timedelta(days=7)


class InvitationError(Exception):
    """Why a link cannot be used: ``expired``, ``invalid`` or ``used``."""

    MESSAGES = {
        "expired": "This invitation has expired. Ask your administrator to invite you again.",
        "invalid": "This invitation link is not valid here. Check that you opened the whole link.",
        "used": "This invitation has already been accepted. Sign in instead.",
    }

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(self.MESSAGES[code])


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=INVITATION_SALT)


def invitation_token(user: User) -> str:
    # The schema is part of the token: user ids repeat across tenants.
    return _signer().sign_object({"s": connection.schema_name, "u": user.pk, "e": user.email})  # type: ignore[attr-defined]  # django-tenants' connection


def _invitation_email(*, user: User, link: str, invited_by: str) -> EmailMessage:
    # The tenant's own look (django-tenants puts the tenant on the connection).
    tenant = connection.tenant  # type: ignore[attr-defined]
    brand = getattr(tenant, "branding", None)
    org = brand.display_name if brand else tenant.name
    body = (
        f"{invited_by or 'An administrator'} invited you to {org}.\n\n"
        f"Accept the invitation and choose your password:\n{link}\n\n"
        f"The link works once and expires in {INVITATION_MAX_AGE.days} days.\n"
    )
    return EmailMessage(
        subject=header_clean(f"You are invited to {org}"),
        body=body,
        from_email=email_from(brand),
        to=[user.email],
        reply_to=[header_clean(brand.email_reply_to)] if brand and brand.email_reply_to else None,
    )


def invitation_email_check(email: str) -> str:
    """The address, normalised, once it is a valid email address."""
    email = email_normalise(email)
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidInput(
            "Enter a valid email address.", code=AccountErrorCode.EMAIL_INVALID, field="email"
        ) from None
    return email


@action_service
def invitation_create(
    *,
    actor: User | None,
    email: str,
    full_name: str = "",
    is_tenant_admin: bool = False,
    base_url: str,
    invited_by: str = "",
) -> str:
    """Invite ``email`` to the current tenant; returns the link (the email goes after commit).

    ``actor`` None means the platform (the partner wizard); otherwise a tenant admin.
    """
    if actor is not None and not actor.is_tenant_admin:
        raise NotAllowed(
            "Only tenant administrators can invite people.", code=AccountErrorCode.ADMIN_ONLY
        )
    email = invitation_email_check(email)
    user = User.objects.filter(email=email).first()
    if user is not None and user.has_usable_password():
        raise InvalidInput(
            f"{email} already has an account here.",
            code=AccountErrorCode.EMAIL_TAKEN,
            field="email",
        )
    if user is None:
        user = User.objects.create_user(email, None, full_name=full_name.strip(), is_active=False)
    user.is_tenant_admin = user.is_tenant_admin or is_tenant_admin
    user.save(update_fields=["is_tenant_admin"])
    link = f"{base_url.rstrip('/')}/invitations/{invitation_token(user)}/"
    message = _invitation_email(
        user=user, link=link, invited_by=invited_by or (actor.full_name if actor else "")
    )
    transaction.on_commit(message.send)
    return link


def invitation_read(token: str) -> User:
    try:
        data = _signer().unsign_object(token, max_age=INVITATION_MAX_AGE)
    except signing.SignatureExpired:
        raise InvitationError("expired") from None
    except signing.BadSignature:
        raise InvitationError("invalid") from None
    if data.get("s") != connection.schema_name:  # type: ignore[attr-defined]  # django-tenants' connection
        raise InvitationError("invalid")
    user = User.objects.filter(pk=data.get("u"), email=data.get("e")).first()
    if user is None:
        raise InvitationError("invalid")
    if user.has_usable_password() or user.is_active:
        raise InvitationError("used")
    return user


@action_service
def invitation_accept(*, token: str, full_name: str, password: str) -> User:
    user = invitation_read(token)
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.has_usable_password():
        raise InvitationError("used")
    full_name = full_name.strip()
    if not full_name:
        raise InvalidInput(
            "Tell us your name.", code=AccountErrorCode.NAME_MISSING, field="full_name"
        )
    user.full_name = full_name
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput(
            " ".join(exc.messages),
            code=AccountErrorCode.PASSWORD_WEAK,
            fields={"password": exc.messages},
        ) from None
    user.set_password(password)
    user.is_active = True
    user.save()
    return user


class AcceptForm(forms.Form):
    full_name = forms.CharField(label="Your name", max_length=200)
    password = forms.CharField(label="Choose a password", widget=forms.PasswordInput)


class InvitationAcceptView(View):
    """GET shows the form (never changes anything); POST accepts and signs the person in."""

    template_name = "accounts/invitation_accept.html"

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        try:
            user = invitation_read(token)
        except InvitationError as exc:
            return render(request, "accounts/invitation_problem.html", {"error": exc}, status=410)
        form = AcceptForm(initial={"full_name": user.full_name})
        return render(request, self.template_name, {"form": form, "invitee": user})

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        try:
            user = invitation_read(token)
        except InvitationError as exc:
            return render(request, "accounts/invitation_problem.html", {"error": exc}, status=410)
        form = AcceptForm(request.POST)
        if form.is_valid():
            try:
                user = invitation_accept(
                    token=token,
                    full_name=form.cleaned_data["full_name"],
                    password=form.cleaned_data["password"],
                )
            except InvalidInput as exc:
                form_errors_show(form, exc)
            except InvitationError as exc:
                return render(
                    request, "accounts/invitation_problem.html", {"error": exc}, status=410
                )
            else:
                refusal = password_refusal(user)
                if refusal is not None:  # "Require SSO": the account is ready, sign in there
                    messages.info(request, f"Your account is ready. {refusal.message}")
                    return redirect("login")
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                return redirect("home")
        context: dict[str, Any] = {"form": form, "invitee": user}
        return render(request, self.template_name, context, status=400)
