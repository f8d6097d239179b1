"""Codes for the MFA tests, computed the way an authenticator app does."""

from django_otp.oath import totp


def code_for(device, steps_ahead: int = 0) -> str:
    """The TOTP code of ``device`` now (or ``steps_ahead`` 30-second steps later)."""
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits,
                 drift=steps_ahead)  # fmt: skip
    return str(value).zfill(device.digits)


def enrol(user) -> tuple[object, list[str]]:
    """A confirmed device and recovery codes for ``user`` (inside the user's tenant)."""
    from apps.accounts.mfa import mfa_enrolment_confirm, mfa_enrolment_start

    device = mfa_enrolment_start(user=user)
    codes = mfa_enrolment_confirm(actor=user, device=device, code=code_for(device))
    device.refresh_from_db()
    return device, codes
