"""The routing state of one request as frozen dataclasses, with a JSON round-trip for storage.

Services keep `state_to_dict(state)` in a JSONField and hand `state_from_dict(...)` back to
`advance`. Times are ISO 8601 strings; amounts are decimal strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from decimal import Decimal
from typing import Any

REQUEST_STATUSES = (
    "draft",
    "submitted",
    "in_review",
    "needs_info",
    "approved",
    "partially_approved",
    "denied",
    "withdrawn",
    "cancelled",
    "exception",
)
FINAL_STATUSES = frozenset({"approved", "partially_approved", "denied", "withdrawn", "cancelled"})
TASK_STATUSES = (
    "pending",
    "approved",
    "rejected",
    "info_requested",
    "delegated",
    "skipped",
    "expired",
)
STEP_STATUSES = ("waiting", "active", "approved", "rejected", "skipped", "exception")


@dataclass(frozen=True)
class TaskState:
    key: str
    step_key: str
    stage_index: int
    assignee: str | None
    queue_role: str | None = None
    on_behalf_of: str | None = None
    status: str = "pending"
    decided_by: str | None = None
    decision: str | None = None
    reason_code: str | None = None
    comment: str | None = None
    partial: bool = False
    created_at: str | None = None
    decided_at: str | None = None
    counts: bool = True  # False once a restart or re-route makes this task's outcome void
    external: str | None = None  # "payer": an outside party decides this task, no person


@dataclass(frozen=True)
class StepState:
    key: str
    stage_index: int
    status: str = "waiting"
    via: str | None = None  # how it ended: "human", "rule", "condition", "admin"
    resolved_by_admin: bool = False  # after ResolveException: its new tasks replace expired ones


@dataclass(frozen=True)
class ApprovalRecord:
    """One counted approval: who filled which step's slot (`rule` approvals have no email)."""

    step_key: str
    email: str | None
    task_key: str | None
    via: str = "human"


@dataclass(frozen=True)
class RequestState:
    status: str
    requester: str
    urgency: str
    department: str | None
    data: Mapping[str, object]  # JSON form of the cleaned submission (see fields.to_json)
    amount: Decimal | None
    stage_index: int = 0
    steps: tuple[StepState, ...] = ()
    tasks: tuple[TaskState, ...] = ()
    approvals: tuple[ApprovalRecord, ...] = ()
    next_task_seq: int = 1
    exception_reason: str | None = None
    exception_step: str | None = None
    touchless: bool = False
    partial: bool = False
    human_decisions: int = 0
    info_tasks: tuple[str, ...] = ()  # tasks whose request_info sent the request to needs_info
    returned_steps: tuple[str, ...] = ()  # steps rejected with return_to_requester
    submitted_at: str | None = None
    completed_at: str | None = None
    cancel_reason: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    excluded: tuple[str, ...] = ()  # nobody of these works the request (see Submit.excluded)

    def task(self, key: str) -> TaskState | None:
        return next((t for t in self.tasks if t.key == key), None)

    def step(self, key: str) -> StepState | None:
        return next((s for s in self.steps if s.key == key), None)

    def step_tasks(self, step_key: str) -> tuple[TaskState, ...]:
        return tuple(t for t in self.tasks if t.step_key == step_key and t.counts)

    def pending_tasks(self) -> tuple[TaskState, ...]:
        return tuple(t for t in self.tasks if t.status == "pending")

    def approvers(self) -> frozenset[str]:
        return frozenset(a.email for a in self.approvals if a.email is not None)

    def with_task(self, task: TaskState) -> RequestState:
        tasks = tuple(task if t.key == task.key else t for t in self.tasks)
        if self.task(task.key) is None:
            tasks = (*tasks, task)
        return replace(self, tasks=tasks)

    def with_step(self, step: StepState) -> RequestState:
        return replace(self, steps=tuple(step if s.key == step.key else s for s in self.steps))


def state_to_dict(state: RequestState) -> dict[str, object]:
    """A JSON-ready dict (only str/int/bool/None/list/dict) for a JSONField."""
    out = asdict(state)
    out["amount"] = str(state.amount) if state.amount is not None else None
    out["data"] = dict(state.data)
    out["extra"] = dict(state.extra)
    for key in ("info_tasks", "returned_steps", "excluded"):
        out[key] = list(out[key])
    return out


def state_from_dict(raw: Mapping[str, Any]) -> RequestState:
    """The inverse of `state_to_dict`."""
    values = dict(raw)
    values["amount"] = Decimal(values["amount"]) if values.get("amount") is not None else None
    values["steps"] = tuple(StepState(**s) for s in values.get("steps", ()))
    values["tasks"] = tuple(TaskState(**t) for t in values.get("tasks", ()))
    values["approvals"] = tuple(ApprovalRecord(**a) for a in values.get("approvals", ()))
    values["info_tasks"] = tuple(values.get("info_tasks", ()))
    values["returned_steps"] = tuple(values.get("returned_steps", ()))
    values["excluded"] = tuple(values.get("excluded", ()))
    values["data"] = dict(values.get("data", {}))
    values["extra"] = dict(values.get("extra", {}))
    return RequestState(**values)
