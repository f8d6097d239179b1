"""Errors of approval services: the core error family with the approvals domain's codes."""

from enum import StrEnum

from apps.core.errors import Conflict, CountersignError, InvalidInput, NotAllowed, NotFound
from apps.workflows.engine import EngineError

# Every approvals error is a CountersignError; the old name stays for readability at call sites.
ApprovalError = CountersignError

__all__ = [
    "ApprovalError",
    "ApprovalErrorCode",
    "Conflict",
    "InvalidInput",
    "NotAllowed",
    "NotFound",
    "from_engine",
]


class ApprovalErrorCode(StrEnum):
    TASK_ALREADY_DECIDED = "task_already_decided"
    ACTION_BUSY = "busy"
    LINK_EXPIRED = "link_expired"
    LINK_USED = "link_used"
    LINK_REVOKED = "link_revoked"
    LINK_UNKNOWN = "link_unknown"
    REASON_CODE_INVALID = "reason_code_invalid"
    REASON_CODE_EXISTS = "reason_code_exists"
    NOT_APPEALABLE = "not_appealable"
    APPEAL_WINDOW_CLOSED = "appeal_window_closed"
    ALREADY_APPEALED = "already_appealed"
    APPEAL_WORKFLOW_MISSING = "appeal_workflow_missing"
    NOT_AN_APPEAL = "not_an_appeal"
    APPEAL_NEEDS_REQUEST = "appeal_needs_request"
    VERSION_MISMATCH = "version_mismatch"
    TOO_MANY_ITEMS = "too_many_items"
    VIEW_NAME_REQUIRED = "view_name_required"
    VIEW_NAME_TOO_LONG = "view_name_too_long"


def from_engine(error: EngineError) -> CountersignError:
    """The engine's refusal, in the service layer's terms (same code and status)."""
    fields = getattr(error, "errors", None)
    kind: type[CountersignError] = {403: NotAllowed, 404: NotFound, 409: Conflict}.get(
        error.http_status, InvalidInput
    )
    return kind(error.message, code=error.code, http_status=error.http_status, fields=fields)
