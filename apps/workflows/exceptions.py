"""Errors of workflow services (definitions, drafts, publishing, template packs): the core
error family with this domain's codes."""

from enum import StrEnum

from apps.core.errors import InvalidInput, NotAllowed, NotFound, invalid_fields

__all__ = ["InvalidInput", "NotAllowed", "NotFound", "WorkflowErrorCode", "invalid_fields"]


class WorkflowErrorCode(StrEnum):
    INVALID = "invalid_input"
    SPEC_INVALID = "spec_invalid"
    ADMIN_ONLY = "admin_only"
    KEY_TAKEN = "key_taken"
    KEY_MISMATCH = "key_mismatch"
