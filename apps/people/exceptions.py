"""Errors of people services (roles, departments, limits, delegation): the core error family
with this domain's codes."""

from enum import StrEnum

from apps.core.errors import InvalidInput, NotAllowed, NotFound, invalid_fields

__all__ = ["InvalidInput", "NotAllowed", "NotFound", "PeopleErrorCode", "invalid_fields"]


class PeopleErrorCode(StrEnum):
    INVALID = "invalid_input"
    ADMIN_ONLY = "admin_only"
    NOT_YOURS = "not_yours"
    KEY_TAKEN = "key_taken"
    DELEGATION_OVERLAP = "delegation_overlap"
