"""Errors raised by the workflow engine: spec problems (on save) and refused events (at runtime).

Each `EngineError` carries a stable `code` that services map to HTTP 400/403/409.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class SpecProblem:
    """One problem in a workflow spec, located by its path (`stages[1].steps[0].approvers`)."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class SpecError(ValueError):
    """A workflow spec is invalid; `problems` lists every problem found, in document order."""

    def __init__(self, problems: Sequence[SpecProblem]) -> None:
        self.problems: tuple[SpecProblem, ...] = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class EngineError(Exception):
    """An event the engine refuses. `code` is stable; `http_status` is the suggested status."""

    code = "engine_error"
    http_status = 400

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class InvalidTransition(EngineError):
    """The event is not allowed in the request's current status."""

    code = "invalid_transition"
    http_status = 409


class InvalidEvent(EngineError):
    """The event itself is malformed (unknown decision, urgency, ...)."""

    code = "invalid_event"


class InvalidSubmission(EngineError):
    """Submitted form data does not validate; `errors` maps field names to messages."""

    code = "invalid_submission"

    def __init__(self, errors: Mapping[str, Sequence[str]]) -> None:
        self.errors: dict[str, list[str]] = {k: list(v) for k, v in errors.items()}
        lines = [f"{name}: {msg}" for name, msgs in self.errors.items() for msg in msgs]
        super().__init__("Invalid submission: " + "; ".join(lines))


class UnknownTask(EngineError):
    code = "unknown_task"
    http_status = 404


class TaskAlreadyDecided(EngineError):
    """The task is no longer pending; `status` is its current status (a 409 with the state)."""

    code = "task_already_decided"
    http_status = 409

    def __init__(self, task_key: str, status: str) -> None:
        self.task_key = task_key
        self.status = status
        super().__init__(f"Task {task_key} is already {status}.")


class NotAnApprover(EngineError):
    code = "not_an_approver"
    http_status = 403


class RequesterCannotDecide(EngineError):
    code = "requester_cannot_decide"
    http_status = 403


class RepeatApprover(EngineError):
    """The actor already approved another step of this request and the step forbids repeats."""

    code = "repeat_approver"
    http_status = 403


class DecidedTheAppealedRequest(EngineError):
    """Segregation of duties: who decided a request does not review its appeal."""

    code = "decided_the_appealed_request"
    http_status = 403


class InsufficientAuthority(EngineError):
    code = "insufficient_authority"
    http_status = 403


class NotRequester(EngineError):
    code = "not_requester"
    http_status = 403


class ReasonRequired(EngineError):
    code = "reason_required"


class DelegationNotAllowed(EngineError):
    code = "delegation_not_allowed"
    http_status = 403


class InvalidAssignee(EngineError):
    code = "invalid_assignee"
