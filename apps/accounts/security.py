"""Session and sign-in rules: the tenant's security policy, sign-out after inactivity, the
"enrol MFA first" gate, and the page shown when django-axes locks a sign-in out."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from apps.accounts import mfa
from apps.accounts.models import SecurityPolicy
from apps.audit.models import AuditCategory
from apps.audit.services import audit_append
from apps.core.actions import action
from apps.core.context import SUPPORT_SESSION_KEY

IDLE_KEY = "idle_minutes"
LAST_SEEN_KEY = "last_seen"
IDLE_MINUTES_MIN = 5
IDLE_MINUTES_MAX = 720
# The last-seen time is written at most this often, so most requests do not save the session.
LAST_SEEN_RESOLUTION = 60


def security_policy_get() -> SecurityPolicy:
    """The current schema's policy (defaults when none was saved)."""
    return SecurityPolicy.objects.order_by("pk").first() or SecurityPolicy()


def security_policy_update(
    *, actor: Any, require_mfa_for_everyone: bool, session_idle_minutes: int
) -> SecurityPolicy:
    if not IDLE_MINUTES_MIN <= session_idle_minutes <= IDLE_MINUTES_MAX:
        raise ValueError("session_idle_minutes out of bounds")
    with action(actor=actor):
        policy = SecurityPolicy.objects.select_for_update().order_by("pk").first()
        policy = policy or SecurityPolicy()
        policy.require_mfa_for_everyone = require_mfa_for_everyone
        policy.session_idle_minutes = session_idle_minutes
        policy.save()
        audit_append(
            category=AuditCategory.SECURITY,
            action="security_policy.update",
            obj=policy,
            actor_id=actor.pk,
            actor_email=actor.email,
            detail={
                "require_mfa_for_everyone": require_mfa_for_everyone,
                "session_idle_minutes": session_idle_minutes,
            },
        )
    return policy


def idle_minutes_for_host() -> int:
    if connection.schema_name == "public":  # type: ignore[attr-defined]  # django-tenants' connection
        return int(settings.PARTNER_SESSION_IDLE_MINUTES)
    return int(security_policy_get().session_idle_minutes)


def session_start(request: HttpRequest) -> None:
    """Called once a sign-in completes: the inactivity limit is read once per session."""
    request.session[IDLE_KEY] = idle_minutes_for_host()
    request.session[LAST_SEEN_KEY] = int(time.time())


class SessionInactivityMiddleware:
    """Signs a user out after the host's inactivity limit (policy changes apply at next sign-in;
    sessions started without our sign-in use the partner default of 30 minutes)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            session = request.session
            last_seen = session.get(LAST_SEEN_KEY)
            limit = int(session.get(IDLE_KEY) or settings.PARTNER_SESSION_IDLE_MINUTES) * 60
            if last_seen is not None and now - int(last_seen) > limit:
                logout(request)
                messages.info(
                    request,
                    f"You were signed out after {limit // 60} minutes without activity. "
                    "Sign in again to continue.",
                )
                return redirect_to_login(request.get_full_path())
            if last_seen is None or now - int(last_seen) >= LAST_SEEN_RESOLUTION:
                session[LAST_SEEN_KEY] = now
        return self.get_response(request)


# Pages a user who still has to enrol may open.
ENROLMENT_OPEN_VIEWS = {
    "accounts:mfa-enrol",
    "logout",
    "healthz",
    "branding-logo",
    "branding-favicon",
}


class MfaEnrolmentRequiredMiddleware:
    """After the password, a user who must enrol sees only the enrolment page until done; a
    session that skipped the code step of a user who has a device is sent to sign in again."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Any, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        session = getattr(request, "session", None)
        if session is None or not request.user.is_authenticated:
            return None
        state = session.get(mfa.STATE_KEY)
        if state is None:
            state = self._state_of_new_session(request)
            session[mfa.STATE_KEY] = state
        if state == "ok" or request.user.is_verified():  # type: ignore[attr-defined]  # django-otp
            return None
        match = request.resolver_match
        if match is not None and match.view_name in ENROLMENT_OPEN_VIEWS:
            return None
        if state == "verify":
            logout(request)
            messages.info(request, "Sign in again with your authenticator app.")
            return redirect_to_login(request.get_full_path())
        if request.path.startswith("/api/"):
            return HttpResponse("Set up two-step sign-in first.", status=403)
        return redirect("accounts:mfa-enrol")

    @staticmethod
    def _state_of_new_session(request: HttpRequest) -> str:
        user = request.user
        if request.session.get(SUPPORT_SESSION_KEY) or user.is_verified():  # type: ignore[union-attr]
            return "ok"  # a partner support session: MFA was passed on the console
        if mfa.has_confirmed_device(user):
            return "verify"
        return "enrol" if mfa.mfa_required(user) else "ok"


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """django-axes: the clear page shown while a sign-in is locked out (audited)."""
    username = ""
    if isinstance(credentials, dict):
        username = str(credentials.get("username") or "")[:254]
    username = username or str(request.POST.get("username", ""))[:254]
    audit_append(
        category=AuditCategory.SECURITY,
        action="login_locked_out",
        object_type="accounts.user",
        actor_id=None,
        actor_email=username,
        detail={"failure_limit": settings.AXES_FAILURE_LIMIT},
    )
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(
        request,
        "accounts/locked_out.html",
        {"minutes": minutes, "failure_limit": settings.AXES_FAILURE_LIMIT},
        status=429,
    )
