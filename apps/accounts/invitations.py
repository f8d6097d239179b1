"""Invitations to a tenant: an opaque, expiring, single-use link (a random token whose SHA-256
is kept in `Invitation`; nothing of the tenant or the person can be read from it), sent as the
tenant's branded HTML email with a plain-text part. The invited person exists as an inactive
user without a password until they accept on the tenant's host (a person the directory created
through SCIM is active already and uses the link to choose a password)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import login, password_validation
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views import View

from apps.accounts.exceptions import AccountErrorCode, InvalidInput, NotAllowed
from apps.accounts.models import Invitation, User
from apps.accounts.sign_in_rules import password_refusal
from apps.core.actions import action_service
from apps.core.errors import form_errors_show
from apps.core.text import email_normalise, header_clean
from apps.tenants.senders import email_brand

INVITATION_MAX_AGE = timedelta(days=7)
TOKEN_PREFIX = "inv_"  # noqa: S105  # marks the format so logs can redact it (apps/core/redaction)


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


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_token(user: User) -> str:
    """A new link token for `user` (earlier unused ones of theirs stop working)."""
    now = timezone.now()
    Invitation.objects.filter(user=user, used_at__isnull=True, expires_at__gt=now).update(
        expires_at=now
    )
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    Invitation.objects.create(
        user=user, token_hash=_token_hash(token), expires_at=now + INVITATION_MAX_AGE
    )
    return token


def _invitation_email(
    *, user: User, link: str, invited_by: str, base_url: str
) -> EmailMultiAlternatives:
    # The tenant's own look (django-tenants puts the tenant on the connection).
    tenant = connection.tenant  # type: ignore[attr-defined]
    look = email_brand(tenant, base=base_url.rstrip("/"))
    reply_to = getattr(getattr(tenant, "branding", None), "email_reply_to", "")
    org = look["display_name"]
    subject = header_clean(f"You are invited to {org}")
    context = {
        "subject": subject,
        "org": org,
        "link": link,
        "invited_by": invited_by or "An administrator",
        "days": INVITATION_MAX_AGE.days,
        "recipient_name": user.full_name,
        "brand": look,
    }
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("emails/invitation.txt", context),
        from_email=look["from_email"],
        to=[user.email],
        reply_to=[header_clean(reply_to)] if reply_to else None,
    )
    message.attach_alternative(render_to_string("emails/invitation.html", context), "text/html")
    return message


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
        user=user,
        link=link,
        invited_by=invited_by or (actor.full_name if actor else ""),
        base_url=base_url,
    )
    transaction.on_commit(message.send)
    return link


def _invitation_of(token: str, *, lock: bool = False) -> Invitation:
    """The usable invitation `token` names (with its person; both rows locked with `lock`)."""
    found = Invitation.objects.select_related("user").filter(token_hash=_token_hash(token))
    invitation = (found.select_for_update() if lock else found).first() if token else None
    if invitation is None:  # also every link of the old signed format, and other tenants'
        raise InvitationError("invalid")
    user = invitation.user
    # An active person without a password (created by the directory through SCIM) may use
    # their link to choose one; deactivation ends every open link (`user_deactivate`).
    if invitation.used_at is not None or user.has_usable_password():
        raise InvitationError("used")
    if invitation.expires_at <= timezone.now():
        raise InvitationError("expired")
    return invitation


def invitation_read(token: str) -> User:
    return _invitation_of(token).user


@action_service
def invitation_accept(*, token: str, full_name: str, password: str) -> User:
    invitation = _invitation_of(token, lock=True)
    user = invitation.user
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
    invitation.used_at = timezone.now()
    invitation.save(update_fields=["used_at"])
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
