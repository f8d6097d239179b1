"""Why a single sign-on was refused: one stable code per failure page (docs/identity.md)."""

from __future__ import annotations

from enum import StrEnum

from apps.core.errors import CountersignError, InvalidInput

__all__ = ["IdentityErrorCode", "InvalidInput", "SsoRefused"]


class IdentityErrorCode(StrEnum):
    INVALID = "invalid_input"
    NOT_CONFIGURED = "sso_not_configured"
    IDP_UNREACHABLE = "sso_idp_unreachable"
    IDP_ERROR = "sso_idp_error"
    STATE_MISMATCH = "sso_state_mismatch"
    TOKEN_EXPIRED = "sso_token_expired"  # noqa: S105 (an error code, not a secret)
    WRONG_AUDIENCE = "sso_wrong_audience"
    WRONG_ISSUER = "sso_wrong_issuer"
    BAD_SIGNATURE = "sso_bad_signature"
    UNSIGNED = "sso_unsigned"
    WRONG_RECIPIENT = "sso_wrong_recipient"
    REPLAYED = "sso_replayed"
    NONCE_MISMATCH = "sso_nonce_mismatch"
    INVALID_TOKEN = "sso_invalid_token"  # noqa: S105 (an error code, not a secret)
    EMAIL_MISSING = "sso_email_missing"
    UNKNOWN_USER = "sso_unknown_user"
    USER_INACTIVE = "sso_user_inactive"
    SUBJECT_MISMATCH = "sso_subject_mismatch"
    SSO_REQUIRED = "sso_required"


class SsoRefused(CountersignError):
    """A sign-in through the IdP that must not sign anyone in. `email` is who the IdP said it
    was (when known), for the audit entry; never shown to anyone else."""

    def __init__(
        self, message: str, *, code: IdentityErrorCode, http_status: int, email: str = ""
    ) -> None:
        super().__init__(message, code=code, http_status=http_status)
        self.email = email
