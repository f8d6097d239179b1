"""Effects returned by `advance`: plain data describing what services must persist or send."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .spec import SlaSpec
from .state import RequestState


@dataclass(frozen=True)
class CreateTask:
    task_key: str
    step_key: str
    stage_index: int
    assignee: str | None
    queue_role: str | None
    on_behalf_of: str | None
    sla: SlaSpec | None
    external: str | None = None  # "payer" for the task of a payer step


@dataclass(frozen=True)
class SubmitToPayer:
    """Send the request to the payer named `payer` (the form's answer; None when blank); its
    answer comes back as a `PayerDecide` on `task_key`."""

    task_key: str
    step_key: str
    payer: str | None


@dataclass(frozen=True)
class CloseTask:
    task_key: str
    status: str


@dataclass(frozen=True)
class StatusChanged:
    old: str
    new: str


@dataclass(frozen=True)
class EmitEvent:
    """An outbox event; the payload carries ids and statuses only, never PHI."""

    type: str
    payload: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Notify:
    """`kind` names the message; an empty `recipients` means the tenant admins (exceptions)."""

    kind: str
    recipients: tuple[str, ...]
    task_key: str | None = None


@dataclass(frozen=True)
class StartClock:
    scope: str  # "request" | "task"
    task_key: str | None
    sla: SlaSpec


@dataclass(frozen=True)
class StopClock:
    scope: str
    task_key: str | None


@dataclass(frozen=True)
class PauseClock:
    scope: str
    task_key: str | None


@dataclass(frozen=True)
class ResumeClock:
    scope: str
    task_key: str | None


@dataclass(frozen=True)
class RaiseException:
    reason: str
    step_key: str | None = None


@dataclass(frozen=True)
class RecordTouchless:
    pass


Effect = (
    CreateTask
    | CloseTask
    | StatusChanged
    | EmitEvent
    | Notify
    | StartClock
    | StopClock
    | PauseClock
    | ResumeClock
    | RaiseException
    | RecordTouchless
    | SubmitToPayer
)


@dataclass(frozen=True)
class Outcome:
    state: RequestState
    effects: tuple[Effect, ...] = ()
