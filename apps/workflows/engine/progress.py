"""How a request moves: starting stages, creating and closing tasks, applying a step's quorum,
and finishing the request. `Run` collects the effects of one `advance` call.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal

from .conditions import evaluate
from .directory import Directory
from .effects import (
    CloseTask,
    CreateTask,
    Effect,
    EmitEvent,
    Notify,
    PauseClock,
    RaiseException,
    RecordTouchless,
    ResumeClock,
    StartClock,
    StatusChanged,
    StopClock,
    SubmitToPayer,
)
from .fields import from_json
from .routing import Routing, Slot, resolve_step
from .spec import StepSpec, WorkflowSpec
from .state import ApprovalRecord, RequestState, StepState, TaskState

STATUS_EVENTS = {
    "in_review": None,
    "approved": "request.approved",
    "partially_approved": "request.partially_approved",
    "denied": "request.denied",
    "needs_info": "request.needs_info",
    "withdrawn": "request.withdrawn",
    "cancelled": "request.cancelled",
    "exception": "request.exception",
}
REQUESTER_NOTICES = {
    "approved": "request_approved",
    "partially_approved": "request_partially_approved",
    "denied": "request_denied",
    "needs_info": "request_needs_info",
    "cancelled": "request_cancelled",
}


@dataclass
class Run:
    spec: WorkflowSpec
    directory: Directory
    now: datetime
    effects: list[Effect] = field(default_factory=list)

    @property
    def stamp(self) -> str:
        return self.now.isoformat()

    def emit(self, type_: str, state: RequestState, **payload: object) -> None:
        self.effects.append(EmitEvent(type_, {"status": state.status, **payload}))

    # --- status ------------------------------------------------------------------------------

    def set_status(
        self, state: RequestState, new: str, *, reason: str | None = None
    ) -> RequestState:
        old = state.status
        if old == new:
            return state
        state = replace(state, status=new)
        self.effects.append(StatusChanged(old, new))
        request_sla = self.spec.sla.for_urgency(state.urgency) if self.spec.sla else None
        if old == "needs_info" and request_sla is not None and request_sla.pause_on_needs_info:
            self.effects.append(ResumeClock("request", None))
        if new == "needs_info" and request_sla is not None and request_sla.pause_on_needs_info:
            self.effects.append(PauseClock("request", None))
        event = STATUS_EVENTS.get(new)
        if event is not None:
            extra = {"reason": reason} if reason and new == "exception" else {}
            self.emit(event, state, **extra)
        if new in REQUESTER_NOTICES:
            self.effects.append(Notify(REQUESTER_NOTICES[new], (state.requester,)))
        if new == "exception":
            self.effects.append(Notify("request_exception", ()))
        return state

    def finish(self, state: RequestState, status: str) -> RequestState:
        """End the request: skip pending tasks, stop the request clock, record touchless."""
        for task in state.pending_tasks():
            state = self.close_task(state, task, "skipped")
        touchless = status == "approved" and state.human_decisions == 0
        if status == "approved" and state.partial:
            status = "partially_approved"
        state = replace(state, completed_at=self.stamp, touchless=touchless)
        state = self.set_status(state, status)
        self.effects.append(StopClock("request", None))
        if touchless:
            self.effects.append(RecordTouchless())
        return state

    def raise_exception(self, state: RequestState, step_key: str, reason: str) -> RequestState:
        state = replace(state, exception_reason=reason, exception_step=step_key)
        self.effects.append(RaiseException(reason, step_key))
        if state.status == "exception":
            return state
        return self.set_status(state, "exception", reason=reason)

    # --- tasks -------------------------------------------------------------------------------

    def create_task(
        self, state: RequestState, step: StepSpec, stage_index: int, slot: Slot
    ) -> RequestState:
        key = f"t{state.next_task_seq}"
        task = TaskState(
            key,
            step.key,
            stage_index,
            slot.assignee,
            slot.queue_role,
            slot.on_behalf_of,
            created_at=self.stamp,
            external=slot.external,
        )
        state = replace(state.with_task(task), next_task_seq=state.next_task_seq + 1)
        sla = step.sla.for_urgency(state.urgency) if step.sla else None
        self.effects.append(
            CreateTask(
                key,
                step.key,
                stage_index,
                slot.assignee,
                slot.queue_role,
                slot.on_behalf_of,
                sla,
                slot.external,
            )
        )
        if sla is not None:
            self.effects.append(StartClock("task", key, sla))
        self.emit("task.assigned", state, task=key, step=step.key)
        if slot.external == "payer":
            payer = state.data.get(step.payer_field) if step.payer_field else None
            self.effects.append(
                SubmitToPayer(key, step.key, payer if isinstance(payer, str) and payer else None)
            )
        elif slot.assignee is not None:
            self.effects.append(Notify("task_assigned", (slot.assignee,), key))
        elif slot.queue_role is not None:
            members = tuple(
                m for m in self.directory.members(slot.queue_role) if m != state.requester
            )
            self.effects.append(Notify("queue_task", members, key))
        return state

    def close_task(
        self, state: RequestState, task: TaskState, status: str, **changes: object
    ) -> RequestState:
        closed = replace(task, status=status, decided_at=self.stamp, **changes)  # type: ignore[arg-type]
        self.effects.append(CloseTask(task.key, status))
        if task.status == "pending" and self._has_task_clock(state, task):
            self.effects.append(StopClock("task", task.key))
        return state.with_task(closed)

    def _has_task_clock(self, state: RequestState, task: TaskState) -> bool:
        step = self.spec.step(task.step_key)[1]
        return step.sla is not None and step.sla.for_urgency(state.urgency) is not None

    def void_step_tasks(self, state: RequestState, step_key: str) -> RequestState:
        """Close the step's pending tasks as skipped and stop counting all its tasks."""
        for task in state.step_tasks(step_key):
            if task.status == "pending":
                state = self.close_task(state, task, "skipped")
            state = state.with_task(replace(state.task(task.key) or task, counts=False))
        approvals = tuple(a for a in state.approvals if a.step_key != step_key)
        return replace(state, approvals=approvals)

    # --- routing -----------------------------------------------------------------------------

    def context(self, state: RequestState) -> dict[str, object]:
        data = from_json(self.spec, state.data)
        data.update(amount=state.amount, urgency=state.urgency, department=state.department)
        return data

    def routing(
        self,
        state: RequestState,
        taken: frozenset[str] = frozenset(),
        amount: Decimal | None = None,
    ) -> Routing:
        """Who asks about what; `amount` (a per-line decision's approved total) replaces the
        request's amount for an authority check."""
        return Routing(
            state.requester,
            state.department,
            from_json(self.spec, state.data),
            state.amount if amount is None else amount,
            self.spec.category,
            state.approvers(),
            taken,
            state.excluded,
        )

    def start_stage(self, state: RequestState, index: int) -> RequestState:
        """Start stage `index`, passing over stages that complete at once; finish after the last."""
        while index < len(self.spec.stages):
            state = replace(state, stage_index=index)
            self.emit("stage.started", state, stage=self.spec.stages[index].key)
            for step in self.spec.stages[index].steps:
                state = self.start_step(state, step, index)
            if any(s.status == "exception" for s in self.stage_steps(state, index)):
                return state
            if any(s.status == "active" for s in self.stage_steps(state, index)):
                return self.set_status(state, "in_review")
            index += 1
        return self.finish(state, "approved")

    def stage_steps(self, state: RequestState, index: int) -> tuple[StepState, ...]:
        return tuple(s for s in state.steps if s.stage_index == index)

    def start_step(self, state: RequestState, step: StepSpec, index: int) -> RequestState:
        data = self.context(state)
        if step.when is not None and not evaluate(step.when, data):
            return self.end_step(state, step.key, "skipped", "condition")
        if step.auto.skip_when is not None and evaluate(step.auto.skip_when, data):
            return self.end_step(state, step.key, "skipped", "rule")
        if step.auto.approve_when is not None and evaluate(step.auto.approve_when, data):
            record = ApprovalRecord(step.key, None, None, "rule")
            state = replace(state, approvals=(*state.approvals, record))
            return self.end_step(state, step.key, "approved", "rule")
        taken = frozenset(
            t.assignee for t in state.tasks if t.counts and t.stage_index == index and t.assignee
        )
        resolution = resolve_step(step, self.routing(state, taken), self.directory, self.now)
        if resolution.problem is not None:
            state = state.with_step(StepState(step.key, index, "exception"))
            return self.raise_exception(state, step.key, resolution.problem)
        state = state.with_step(StepState(step.key, index, "active"))
        for slot in resolution.slots:
            state = self.create_task(state, step, index, slot)
        return state

    def end_step(self, state: RequestState, step_key: str, status: str, via: str) -> RequestState:
        current = state.step(step_key)
        assert current is not None
        for task in state.step_tasks(step_key):
            if task.status == "pending":
                state = self.close_task(state, task, "skipped")
        self.emit(f"step.{status}", state, step=step_key, via=via)
        return state.with_step(replace(current, status=status, via=via))

    # --- quorum ------------------------------------------------------------------------------

    def step_outcome(self, state: RequestState, step: StepSpec) -> str | None:
        """ "approved", "rejected", "exception" (can no longer be met) or None (still open)."""
        current = state.step(step.key)
        resolved = current is not None and current.resolved_by_admin
        # An admin's resolution replaces the tasks that expired; the quorum itself still holds.
        tasks = [
            t
            for t in state.step_tasks(step.key)
            if t.status != "skipped" and not (resolved and t.status == "expired")
        ]
        approved = sum(1 for t in tasks if t.status == "approved")
        rejected = sum(1 for t in tasks if t.status == "rejected")
        pending = sum(1 for t in tasks if t.status == "pending")
        quorum = step.quorum
        if quorum == "any":
            if approved:
                return "approved"
            if rejected:
                return "rejected"
            return None if pending else "exception"
        if quorum == "all":
            if rejected:
                return "rejected"
            if any(t.status == "expired" for t in tasks):
                return "exception"  # every task must approve, and one never will
            if pending:
                return None
            return "approved" if tasks and approved == len(tasks) else "exception"
        assert isinstance(quorum, int)
        if approved >= quorum:
            return "approved"
        if approved + pending < quorum:
            return "rejected" if rejected else "exception"
        return None

    def apply_outcome(
        self, state: RequestState, step: StepSpec, *, via: str = "human"
    ) -> RequestState:
        """Act on the step's quorum after a decision or an expiry."""
        outcome = self.step_outcome(state, step)
        if outcome is None:
            return state
        if outcome == "exception":
            state = state.with_step(
                replace(state.step(step.key) or StepState(step.key, 0), status="exception")
            )
            return self.raise_exception(
                state,
                step.key,
                f'step "{step.key}": its quorum can no longer be met (tasks expired)',
            )
        state = self.end_step(state, step.key, outcome, via)
        if outcome == "rejected":
            if step.on_reject == "deny":
                return self.finish(state, "denied")
            state = replace(state, returned_steps=(*state.returned_steps, step.key))
            return self.set_status(state, "needs_info")
        return self.continue_stage(state)

    def continue_stage(self, state: RequestState) -> RequestState:
        """Move on when every step of the current stage is done; otherwise keep the status."""
        if state.status not in ("in_review", "exception"):
            return state
        steps = self.stage_steps(state, state.stage_index)
        if any(s.status == "exception" for s in steps):
            return state
        if all(s.status in ("approved", "skipped") for s in steps):
            return self.start_stage(state, state.stage_index + 1)
        return self.set_status(state, "in_review")
