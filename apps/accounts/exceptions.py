"""Errors of accounts and invitations: the core error family with this domain's codes."""

from enum import StrEnum

from apps.core.errors import InvalidInput, NotAllowed, NotFound

__all__ = ["AccountErrorCode", "InvalidInput", "NotAllowed", "NotFound"]


class AccountErrorCode(StrEnum):
    EMAIL_INVALID = "email_invalid"
    EMAIL_TAKEN = "email_taken"
    NAME_MISSING = "name_missing"
    PASSWORD_WEAK = "password_weak"  # noqa: S105 (an error code)
    ADMIN_ONLY = "admin_only"
    INVALID = "invalid_input"
    SELF_DEACTIVATION = "self_deactivation"
    NOT_ACCEPTED = "invitation_not_accepted"
    TIME_ZONE_INVALID = "time_zone_invalid"
