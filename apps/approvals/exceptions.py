"""Errors of approval services. Each carries a stable code, an HTTP status and field messages."""

from collections.abc import Mapping, Sequence

from apps.workflows.engine import EngineError


class ApprovalError(Exception):
    code = "approval_error"
    http_status = 400

    def __init__(
        self,
        message: str,
        *,
        fields: Mapping[str, Sequence[str]] | None = None,
        code: str | None = None,
        http_status: int | None = None,
        current: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fields = {key: list(value) for key, value in (fields or {}).items()}
        self.current = dict(current or {})
        if code:
            self.code = code
        if http_status:
            self.http_status = http_status


class InvalidInput(ApprovalError):
    code = "invalid_input"
    http_status = 400


class NotAllowed(ApprovalError):
    code = "not_allowed"
    http_status = 403


class NotFound(ApprovalError):
    code = "not_found"
    http_status = 404


class Conflict(ApprovalError):
    code = "conflict"
    http_status = 409


def from_engine(error: EngineError) -> ApprovalError:
    """The engine's refusal, in the service layer's terms (same code and status)."""
    fields = getattr(error, "errors", None)
    kind: type[ApprovalError] = {403: NotAllowed, 404: NotFound, 409: Conflict}.get(
        error.http_status, InvalidInput
    )
    return kind(error.message, code=error.code, http_status=error.http_status, fields=fields)
