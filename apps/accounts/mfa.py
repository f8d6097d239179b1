"""Two-factor sign-in with an authenticator app (TOTP, django-otp) and single-use recovery codes.

Who must enrol: tenant admins and partner staff (when ``MFA_ENFORCE``), and everyone on a tenant
whose security policy says so. Whoever has a confirmed device is always asked for a code.
Each state change is one service here and writes its "security" audit entry in its transaction.
"""

from __future__ import annotations

import time
from base64 import b32encode
from typing import Any

import segno
from django.conf import settings
from django.db import connection
from django.http import HttpRequest
from django_otp.plugins.otp_static.models import StaticDevice as StaticDevice
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.audit.models import AuditCategory
from apps.audit.services import audit_append
from apps.core.actions import action

PENDING_KEY = "mfa_pending"
# Per session: "ok", "enrol" (must enrol before anything else) or "verify" (has a device but
# this session never gave a code: sign in again). Set by the sign-in views, or worked out once
# on the first request of a session started elsewhere (invitation acceptance, tests).
STATE_KEY = "mfa_state"
PENDING_SECONDS = 300
MAX_CODE_FAILURES = 5
RECOVERY_CODE_COUNT = 10
TOTP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"


# --- Reads -----------------------------------------------------------------------------------


def confirmed_totp_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def has_confirmed_device(user: Any) -> bool:
    return bool(TOTPDevice.objects.filter(user=user, confirmed=True).exists())


def recovery_codes_left(user: Any) -> int:
    return int(StaticToken.objects.filter(device__user=user, device__confirmed=True).count())


def mfa_required(user: Any) -> bool:
    """Must this user enrol before using anything? Reads the schema of the current host."""
    if connection.schema_name == "public":  # type: ignore[attr-defined]  # django-tenants' connection
        # Partner staff (a membership, from the tenants app) enrol when MFA is enforced.
        return bool(settings.MFA_ENFORCE) and hasattr(user, "partner_membership")
    if settings.MFA_ENFORCE and user.is_tenant_admin:
        return True
    from apps.accounts.security import security_policy_get

    return security_policy_get().require_mfa_for_everyone


def secret_text(device: TOTPDevice) -> str:
    """The base32 secret as people type it into an app: groups of four."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// URL as an inline SVG (no external image, no JavaScript)."""
    return segno.make(device.config_url, error="m").svg_inline(scale=4, dark="#111", light="#fff")


# --- Services --------------------------------------------------------------------------------


def mfa_enrolment_start(*, user: Any) -> TOTPDevice:
    """The unconfirmed device shown on the enrolment page (the same one until confirmed)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def mfa_enrolment_confirm(*, actor: Any, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm the device with a current code; returns the new recovery codes, or None when the
    code is wrong."""
    if device.user_id != actor.pk or device.confirmed:
        return None
    if not device.verify_token(_digits(code)):
        return None
    with action(actor=actor):
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=actor).exclude(pk=device.pk).delete()
        codes = _recovery_codes_replace(user=actor)
        audit_append(
            category=AuditCategory.SECURITY,
            action="mfa.enrolled",
            obj=actor,
            actor_id=actor.pk,
            actor_email=actor.email,
            detail={"device": "totp", "recovery_codes": len(codes)},
        )
    return codes


def mfa_recovery_codes_regenerate(*, actor: Any) -> list[str]:
    with action(actor=actor):
        codes = _recovery_codes_replace(user=actor)
        audit_append(
            category=AuditCategory.SECURITY,
            action="mfa.recovery_codes_regenerated",
            obj=actor,
            actor_id=actor.pk,
            actor_email=actor.email,
            detail={"recovery_codes": len(codes)},
        )
    return codes


def mfa_remove(*, actor: Any, user: Any) -> None:
    with action(actor=actor):
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        audit_append(
            category=AuditCategory.SECURITY,
            action="mfa.removed",
            obj=user,
            actor_id=actor.pk,
            actor_email=actor.email,
        )


def mfa_code_check(*, user: Any, code: str) -> TOTPDevice | StaticDevice | None:
    """The device that accepts this code (a recovery code is used up), or None."""
    code = (code or "").strip()
    totp = confirmed_totp_device(user)
    if totp is not None and _digits(code).isdigit() and totp.verify_token(_digits(code)):
        return totp
    recovery = code.replace(" ", "").replace("-", "").lower()
    if not recovery:
        return None
    for device in StaticDevice.objects.filter(user=user, confirmed=True):
        with action(actor=None):
            if device.verify_token(recovery):  # deletes the token
                audit_append(
                    category=AuditCategory.SECURITY,
                    action="mfa.recovery_code_used",
                    obj=user,
                    actor_id=user.pk,
                    actor_email=user.email,
                    detail={"codes_left": device.token_set.count()},
                )
                return device
    return None


def _recovery_codes_replace(*, user: Any) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


def _digits(code: str) -> str:
    return "".join((code or "").split())


# --- The half-signed-in state between password and code --------------------------------------


def pending_start(request: HttpRequest, *, user: Any, backend: str, next_url: str) -> None:
    request.session.cycle_key()
    request.session[PENDING_KEY] = {
        "user_id": user.pk,
        "backend": backend,
        "next": next_url,
        "since": int(time.time()),
        "failures": 0,
    }


def pending_get(request: HttpRequest) -> dict[str, Any] | None:
    pending: dict[str, Any] | None = request.session.get(PENDING_KEY)
    if not pending:
        return None
    if int(time.time()) - int(pending.get("since", 0)) > PENDING_SECONDS:
        request.session.pop(PENDING_KEY, None)
        return None
    return pending


def pending_user(pending: dict[str, Any]) -> Any:
    from apps.accounts.models import User

    return User.objects.filter(pk=pending["user_id"], is_active=True).first()
