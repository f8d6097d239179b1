"""The designer's preview: run the pure engine on a draft with sample data and approve every task
in order, to show which steps run and who is asked, without touching the database."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from apps.workflows.engine import (
    Claim,
    CreateTask,
    Decide,
    Directory,
    EngineError,
    InvalidSubmission,
    RaiseException,
    RequestState,
    Submit,
    WorkflowSpec,
    advance,
)

__all__ = ["Route", "RouteStep", "simulate_route"]


@dataclass
class RouteStep:
    stage: str
    step: str
    step_key: str
    status: str = "not reached"  # "approved", "skipped", "exception", "not reached"
    via: str | None = None
    assignees: list[str] = field(default_factory=list)  # emails, or "queue:<role>"
    approved_by: list[str] = field(default_factory=list)


@dataclass
class Route:
    steps: list[RouteStep]
    errors: dict[str, list[str]] = field(default_factory=dict)  # sample data problems
    exception: str | None = None
    exception_step: str | None = None
    problem: str | None = None  # a refusal while simulating the approvals
    status: str | None = None

    @property
    def runs(self) -> list[RouteStep]:
        return [s for s in self.steps if s.status not in ("skipped", "not reached")]


def _approve_next(
    state: RequestState, spec: WorkflowSpec, directory: Directory, now: datetime
) -> tuple[list[Any], RequestState]:
    """Approve the first pending task as its assignee (claiming queue tasks for a member)."""
    task = state.pending_tasks()[0]
    if task.assignee is not None:
        event = Decide(task.key, task.assignee, "approve")
        outcome = advance(state, event, spec=spec, directory=directory, now=now)
        return list(outcome.effects), outcome.state
    last_error: EngineError | None = None
    for member in directory.members(task.queue_role or ""):
        try:
            claimed = advance(
                state, Claim(task.key, member), spec=spec, directory=directory, now=now
            )
        except EngineError as exc:
            last_error = exc
            continue
        outcome = advance(
            claimed.state,
            Decide(task.key, member, "approve"),
            spec=spec,
            directory=directory,
            now=now,
        )
        return [*claimed.effects, *outcome.effects], outcome.state
    raise last_error or EngineError(f'Nobody in the "{task.queue_role}" queue can take this task.')


def simulate_route(
    spec: WorkflowSpec,
    *,
    requester: str,
    data: Mapping[str, object],
    urgency: str,
    department: str | None,
    directory: Directory,
    now: datetime,
    max_events: int = 200,
) -> Route:
    """Submit sample data and approve every task in order; report which steps run, who is
    assigned and who approves, stopping at the first exception. Nothing is stored."""
    route = Route(
        [RouteStep(st.name, s.name, s.key) for st in spec.stages for s in st.steps],
    )
    by_key = {s.step_key: s for s in route.steps}
    try:
        outcome = advance(
            None,
            Submit(requester, data, urgency, department),
            spec=spec,
            directory=directory,
            now=now,
        )
    except InvalidSubmission as exc:
        route.errors = exc.errors
        return route
    except EngineError as exc:
        route.problem = exc.message
        return route
    effects, state = list(outcome.effects), outcome.state
    for _ in range(max_events):
        for effect in effects:
            if isinstance(effect, CreateTask):
                who = effect.assignee or f"queue:{effect.queue_role}"
                by_key[effect.step_key].assignees.append(who)
            elif isinstance(effect, RaiseException):
                route.exception = effect.reason
                route.exception_step = effect.step_key
        if state.status != "in_review" or not state.pending_tasks():
            break
        try:
            effects, state = _approve_next(state, spec, directory, now)
        except EngineError as exc:
            route.problem = exc.message
            break
    route.status = state.status
    for step_state in state.steps:
        row = by_key[step_state.key]
        if step_state.status in ("approved", "skipped", "exception", "active"):
            row.status = step_state.status
        row.via = step_state.via
    for record in state.approvals:
        if record.email:
            by_key[record.step_key].approved_by.append(record.email)
    return route
