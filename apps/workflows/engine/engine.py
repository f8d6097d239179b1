"""`advance`: the engine's one entry point. It applies an event to a request's state and returns
the new state with the effects services must carry out. Deterministic: no clock, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from .conditions import URGENCIES, condition_fields
from .directory import Directory
from .effects import Outcome, StartClock
from .errors import (
    DecidedTheAppealedRequest,
    DelegationNotAllowed,
    InsufficientAuthority,
    InvalidAssignee,
    InvalidEvent,
    InvalidSubmission,
    InvalidTransition,
    NotAnApprover,
    NotRequester,
    ReasonRequired,
    RepeatApprover,
    RequesterCannotDecide,
    TaskAlreadyDecided,
    UnknownTask,
)
from .events import (
    DECISIONS,
    PAYER_DECISIONS,
    AddApprover,
    Amend,
    Cancel,
    Claim,
    Decide,
    Delegate,
    Event,
    ExpireTask,
    PayerDecide,
    Reassign,
    ResolveException,
    Resubmit,
    Submit,
    Withdraw,
)
from .fields import validate_submission
from .progress import Run
from .routing import Slot, has_authority, may_take, upward_with_authority
from .spec import StepSpec, WorkflowSpec
from .state import ApprovalRecord, RequestState, StepState, TaskState

OPEN_STATUSES = frozenset({"submitted", "in_review", "needs_info", "exception"})


def advance(
    state: RequestState | None,
    event: Event,
    *,
    spec: WorkflowSpec,
    directory: Directory,
    now: datetime,
) -> Outcome:
    """Apply `event` to `state` (None before submission); raise an `EngineError` to refuse it."""
    run = Run(spec, directory, now)
    if isinstance(event, Submit):
        if state is not None:
            raise InvalidTransition("The request has already been submitted.")
        return Outcome(_submit(run, event), tuple(run.effects))
    if state is None:
        raise InvalidTransition("The request has not been submitted yet.")
    return Outcome(_dispatch(run, state, event), tuple(run.effects))


def _dispatch(run: Run, state: RequestState, event: Event) -> RequestState:
    if isinstance(event, Decide):
        return _decide(run, state, event)
    if isinstance(event, Withdraw):
        return _withdraw(run, state, event)
    if isinstance(event, Cancel):
        return _cancel(run, state, event)
    if isinstance(event, Amend):
        return _amend(run, state, event)
    if isinstance(event, Resubmit):
        return _resubmit(run, state, event)
    if isinstance(event, Delegate):
        return _delegate(run, state, event)
    if isinstance(event, Claim):
        return _claim(run, state, event)
    if isinstance(event, ExpireTask):
        return _expire(run, state, event)
    if isinstance(event, ResolveException):
        return _resolve(run, state, event)
    if isinstance(event, Reassign):
        return _reassign(run, state, event)
    if isinstance(event, AddApprover):
        return _add_approver(run, state, event)
    if isinstance(event, PayerDecide):
        return _payer_decide(run, state, event)
    raise InvalidEvent(f"Unknown event {type(event).__name__}.")


def _clean(
    spec: WorkflowSpec, data: Mapping[str, object]
) -> tuple[dict[str, object], Decimal | None]:
    cleaned = validate_submission(spec, data)
    if not cleaned.is_valid:
        raise InvalidSubmission(cleaned.errors)
    amount = cleaned.values.get(spec.amount_field) if spec.amount_field else None
    return cleaned.to_json(), amount if isinstance(amount, Decimal) else None


def _submit(run: Run, event: Submit) -> RequestState:
    if event.urgency not in URGENCIES:
        raise InvalidEvent(f'Unknown urgency "{event.urgency}" (expected standard or expedited).')
    data, amount = _clean(run.spec, event.data)
    steps = tuple(
        StepState(s.key, i) for i, stage in enumerate(run.spec.stages) for s in stage.steps
    )
    state = RequestState(
        status="draft",
        requester=event.requester,
        urgency=event.urgency,
        department=event.department,
        data=data,
        amount=amount,
        steps=steps,
        submitted_at=run.stamp,
        excluded=tuple(dict.fromkeys(event.excluded)),
    )
    state = run.set_status(state, "submitted")
    run.emit("request.submitted", state)
    request_sla = run.spec.sla.for_urgency(event.urgency) if run.spec.sla else None
    if request_sla is not None:
        run.effects.append(StartClock("request", None, request_sla))
    return run.start_stage(state, 0)


def _task(state: RequestState, key: str) -> TaskState:
    task = state.task(key)
    if task is None:
        raise UnknownTask(f"No task {key} on this request.")
    return task


def _pending_task(state: RequestState, key: str) -> TaskState:
    task = _task(state, key)
    if task.status != "pending":
        raise TaskAlreadyDecided(task.key, task.status)
    return task


def _holds_slot(state: RequestState, step_key: str, email: str, *, besides: str) -> bool:
    return any(
        t.key != besides
        and email in (t.assignee, t.on_behalf_of)
        and t.status in ("pending", "approved")
        for t in state.step_tasks(step_key)
    )


def _prior_approver(state: RequestState, step: StepSpec, email: str) -> bool:
    if step.allow_repeat_approver:
        return False
    return any(a.email == email and a.step_key != step.key for a in state.approvals)


def _claim_check(
    run: Run, state: RequestState, task: TaskState, step: StepSpec, actor: str
) -> None:
    if actor == state.requester:
        raise RequesterCannotDecide("The requester cannot work their own request.")
    if task.queue_role is None or actor not in run.directory.members(task.queue_role):
        raise NotAnApprover(f"{actor} is not a member of the queue for this task.")
    if actor in state.excluded:
        raise DecidedTheAppealedRequest(f"{actor} decided the appealed request; not its appeal.")
    if not may_take(actor, step, run.routing(state), run.directory) or _prior_approver(
        state, step, actor
    ):
        raise RepeatApprover(f"{actor} already approved another step of this request.")
    if _holds_slot(state, step.key, actor, besides=task.key):
        raise NotAnApprover(f"{actor} already holds a task in this step.")
    if not has_authority(actor, step, run.routing(state), run.directory):
        raise InsufficientAuthority(
            f"{actor}'s {run.spec.category} authority does not cover {state.amount}."
        )


def _decide(run: Run, state: RequestState, event: Decide) -> RequestState:
    task = _pending_task(state, event.task_key)
    if state.status != "in_review":
        raise InvalidTransition(f"Decisions are not possible while the request is {state.status}.")
    if event.decision not in DECISIONS:
        raise InvalidEvent(f'Unknown decision "{event.decision}".')
    if event.actor == state.requester:
        raise RequesterCannotDecide("The requester cannot decide their own request.")
    if task.external is not None:
        raise NotAnApprover(f"The {task.external} decides this step, not a person.")
    _, step = run.spec.step(task.step_key)
    if task.assignee is None:
        _claim_check(run, state, task, step, event.actor)
        task = replace(task, assignee=event.actor)
    elif event.actor != task.assignee:
        raise NotAnApprover(f"Task {task.key} is assigned to someone else.")
    if event.decision == "approve" and _prior_approver(state, step, event.actor):
        raise RepeatApprover(f"{event.actor} already approved another step of this request.")
    principal = task.on_behalf_of or event.actor
    routing = run.routing(state, amount=event.approved_amount)
    if event.decision == "approve" and not has_authority(principal, step, routing, run.directory):
        # The directory changed since the task was routed (a lowered limit, a raised amount).
        raise InsufficientAuthority(
            f"{principal}'s {run.spec.category} authority does not cover {routing.amount}: "
            "an administrator can reassign the task."
        )
    if event.partial and event.decision != "approve":
        raise InvalidEvent("Only an approval can be partial.")
    if event.decision == "reject" and (
        not (event.reason_code or "").strip() or not event.comment.strip()
    ):
        raise ReasonRequired("A rejection needs a reason code and an explanation.")
    if event.decision == "request_info" and not event.comment.strip():
        raise ReasonRequired("Say what information is needed.")
    status = {"approve": "approved", "reject": "rejected", "request_info": "info_requested"}[
        event.decision
    ]
    state = state.with_task(task)
    state = run.close_task(
        state,
        task,
        status,
        decided_by=event.actor,
        decision=event.decision,
        reason_code=event.reason_code,
        comment=event.comment,
        partial=event.partial,
        counts=event.decision != "request_info",
    )
    state = replace(state, human_decisions=state.human_decisions + 1)
    run.emit("task.decided", state, task=task.key, step=step.key, decision=event.decision)
    if event.decision == "approve":
        record = ApprovalRecord(step.key, event.actor, task.key)
        state = replace(
            state, approvals=(*state.approvals, record), partial=state.partial or event.partial
        )
    if event.decision == "request_info":
        state = replace(state, info_tasks=(*state.info_tasks, task.key))
        return run.set_status(state, "needs_info")
    return run.apply_outcome(state, step)


def _withdraw(run: Run, state: RequestState, event: Withdraw) -> RequestState:
    if event.actor != state.requester:
        raise NotRequester("Only the requester can withdraw a request.")
    if state.status not in OPEN_STATUSES:
        raise InvalidTransition(f"A request that is {state.status} cannot be withdrawn.")
    return run.finish(state, "withdrawn")


def _cancel(run: Run, state: RequestState, event: Cancel) -> RequestState:
    if state.status not in OPEN_STATUSES:
        raise InvalidTransition(f"A request that is {state.status} cannot be cancelled.")
    if not event.reason.strip():
        raise ReasonRequired("Cancelling a request needs a reason.")
    return run.finish(replace(state, cancel_reason=event.reason), "cancelled")


def _reroute(
    run: Run, state: RequestState, data: Mapping[str, object], amount: Decimal | None
) -> RequestState:
    """Start over from the first stage with new data: earlier tasks and approvals stop counting."""
    for task in state.tasks:
        if task.status == "pending":
            state = run.close_task(state, task, "skipped")
    tasks = tuple(replace(t, counts=False) for t in state.tasks)
    steps = tuple(StepState(s.key, s.stage_index) for s in state.steps)
    state = replace(
        state,
        data=data,
        amount=amount,
        tasks=tasks,
        steps=steps,
        approvals=(),
        partial=False,
        info_tasks=(),
        returned_steps=(),
        exception_reason=None,
        exception_step=None,
    )
    run.emit("request.rerouted", state)
    return run.start_stage(state, 0)


def _routing_fields(spec: WorkflowSpec) -> set[str]:
    names = {spec.amount_field} if spec.amount_field else set()
    for stage in spec.stages:
        for step in stage.steps:
            for cond in (step.when, step.auto.approve_when, step.auto.skip_when):
                if cond is not None:
                    names |= condition_fields(cond)
            names |= {s.partition(":")[2] for s in step.approvers if s.startswith("field:")}
    return names


def _amend(run: Run, state: RequestState, event: Amend) -> RequestState:
    if event.actor != state.requester:
        raise NotRequester("Only the requester can amend a request.")
    if state.status != "in_review":
        raise InvalidTransition(f"A request that is {state.status} cannot be amended.")
    data, amount = _clean(run.spec, event.data)
    if data == dict(state.data):
        return state
    return _reroute(run, state, data, amount)


def _resubmit(run: Run, state: RequestState, event: Resubmit) -> RequestState:
    if event.actor != state.requester:
        raise NotRequester("Only the requester can resubmit a request.")
    if state.status != "needs_info":
        raise InvalidTransition(f"A request that is {state.status} cannot be resubmitted.")
    data, amount = dict(state.data), state.amount
    if event.data is not None:
        data, amount = _clean(run.spec, event.data)
    changed = {k for k in set(data) | set(state.data) if data.get(k) != state.data.get(k)}
    run.emit("request.resubmitted", state)
    if changed & _routing_fields(run.spec) and state.approvals:
        return _reroute(run, run.set_status(state, "in_review"), data, amount)
    state = replace(state, data=data, amount=amount)
    state = run.set_status(state, "in_review")
    for key in state.info_tasks:
        asked = _task(state, key)
        _, step = run.spec.step(asked.step_key)
        slot = Slot(asked.decided_by, asked.queue_role, asked.on_behalf_of)
        state = run.create_task(state, step, asked.stage_index, slot)
    returned, state = state.returned_steps, replace(state, info_tasks=(), returned_steps=())
    for step_key in returned:
        index, step = run.spec.step(step_key)
        state = run.void_step_tasks(state, step_key)
        state = state.with_step(StepState(step_key, index))
        state = run.start_step(state, step, index)
    if state.exception_step is not None and state.status == "exception":
        return state
    return run.continue_stage(state)


def _delegate(run: Run, state: RequestState, event: Delegate) -> RequestState:
    task = _pending_task(state, event.task_key)
    if state.status not in ("in_review", "needs_info", "exception"):
        raise InvalidTransition(f"Tasks cannot be delegated while the request is {state.status}.")
    if task.assignee is None or event.actor != task.assignee:
        raise NotAnApprover("Only the task's assignee can delegate it.")
    _, step = run.spec.step(task.step_key)
    principal = task.on_behalf_of or task.assignee
    to = event.to
    if to == state.requester:
        raise DelegationNotAllowed("A task cannot be delegated to the requester.")
    if to in (event.actor, principal) or not run.directory.is_active(to):
        raise DelegationNotAllowed(f"The task cannot be delegated to {to}.")
    if _holds_slot(state, step.key, to, besides=task.key) or _prior_approver(state, step, to):
        raise DelegationNotAllowed(f"{to} already fills an approval slot on this request.")
    if not has_authority(principal, step, run.routing(state), run.directory):
        raise DelegationNotAllowed("Delegation cannot exceed the delegator's authority.")
    state = run.close_task(state, task, "delegated", decided_by=event.actor, counts=False)
    run.emit("task.delegated", state, task=task.key, step=step.key)
    return run.create_task(state, step, task.stage_index, Slot(to, task.queue_role, principal))


def _claim(run: Run, state: RequestState, event: Claim) -> RequestState:
    task = _pending_task(state, event.task_key)
    if state.status != "in_review":
        raise InvalidTransition(f"Tasks cannot be claimed while the request is {state.status}.")
    if task.assignee is not None:
        raise InvalidTransition(f"Task {task.key} has already been claimed.")
    if task.external is not None:
        raise NotAnApprover(f"The {task.external} decides this step; it cannot be claimed.")
    _, step = run.spec.step(task.step_key)
    _claim_check(run, state, task, step, event.actor)
    state = state.with_task(replace(task, assignee=event.actor))
    run.emit("task.claimed", state, task=task.key, step=step.key)  # nobody is notified
    return state


def _expire(run: Run, state: RequestState, event: ExpireTask) -> RequestState:
    task = _pending_task(state, event.task_key)
    if state.status not in OPEN_STATUSES:
        raise InvalidTransition(f"Tasks cannot expire while the request is {state.status}.")
    state = run.close_task(state, task, "expired")
    run.emit("task.expired", state, task=task.key, step=task.step_key)
    _, step = run.spec.step(task.step_key)
    current = state.step(step.key)
    if current is None or current.status != "active":
        return state
    return run.apply_outcome(state, step)


def _resolve(run: Run, state: RequestState, event: ResolveException) -> RequestState:
    """An admin names who works a stuck step. The rules of every other path hold: never the
    requester, a previous approver or someone already in the step; never the admin resolving;
    authority short of the amount goes up the assignee's manager chain (refused when nobody
    there has it); and the step's quorum still counts -- while it cannot be met the request
    stays in the exception queue for another approver."""
    if state.status != "exception":
        raise InvalidTransition("The request is not in the exception queue.")
    current = state.step(event.step_key)
    if current is None or current.status != "exception":
        raise InvalidEvent(
            f'Step "{event.step_key}" is not waiting for an exception to be resolved.'
        )
    _, step = run.spec.step(event.step_key)
    who = event.assignee
    if who == event.actor:
        raise InvalidAssignee("You cannot resolve an exception by assigning the step to yourself.")
    _escalation_target_check(run, state, step, who, besides="", upward=True)
    routing = run.routing(state)
    chosen = upward_with_authority(who, step, routing, run.directory)
    if chosen is None or chosen == event.actor:
        raise InsufficientAuthority(
            f"Neither {who} nor a manager up their chain may approve {state.amount} of "
            f"{run.spec.category} on this request."
        )
    if chosen != who:
        _escalation_target_check(run, state, step, chosen, besides="")
    state = state.with_step(replace(current, status="active", resolved_by_admin=True))
    state = run.create_task(state, step, current.stage_index, Slot(chosen))
    run.emit("request.exception_resolved", state, step=step.key, routed_upward=chosen != who)
    if short := _short_of_quorum(state, step):
        current = state.step(step.key)
        assert current is not None
        state = state.with_step(replace(current, status="exception"))
        return replace(
            state,
            exception_step=step.key,
            exception_reason=(
                f'step "{step.key}": quorum {step.quorum} needs {short} more approver(s)'
            ),
        )
    remaining = [s for s in state.steps if s.status == "exception"]
    if remaining:
        return replace(state, exception_step=remaining[0].key)
    state = replace(state, exception_reason=None, exception_step=None)
    waiting_on_requester = bool(state.info_tasks or state.returned_steps)
    return run.set_status(state, "needs_info" if waiting_on_requester else "in_review")


def _short_of_quorum(state: RequestState, step: StepSpec) -> int:
    """How many more approvers a numeric quorum needs beyond those approved or pending."""
    if not isinstance(step.quorum, int):
        return 0
    live = [t for t in state.step_tasks(step.key) if t.status in ("approved", "pending")]
    return max(0, step.quorum - len(live))


# --- escalation: the system acts on an overdue task ---------------------------------------------

ESCALATION_STATUSES = frozenset({"in_review", "needs_info"})


def _escalation_target_check(
    run: Run, state: RequestState, step: StepSpec, who: str, *, besides: str, upward: bool = False
) -> None:
    """An escalation never gives the requester, an inactive person, someone who already fills a
    slot, or someone short of the step's authority a task (`upward`: the caller goes up the
    manager chain instead of refusing)."""
    if who == state.requester:
        raise InvalidAssignee("The requester cannot approve their own request.")
    if not run.directory.is_active(who) or _prior_approver(state, step, who):
        raise InvalidAssignee(f"{who} cannot fill an approval slot on this request.")
    if _holds_slot(state, step.key, who, besides=besides):
        raise InvalidAssignee(f"{who} already holds a task in this step.")
    if not upward and not has_authority(who, step, run.routing(state), run.directory):
        raise InsufficientAuthority(
            f"{who}'s {run.spec.category} authority does not cover {state.amount}."
        )


def _reassign(run: Run, state: RequestState, event: Reassign) -> RequestState:
    task = _pending_task(state, event.task_key)
    if state.status not in ESCALATION_STATUSES:
        raise InvalidTransition(f"Tasks cannot be reassigned while the request is {state.status}.")
    if task.external is not None:
        raise InvalidAssignee(f"The {task.external} decides this step; it cannot be reassigned.")
    if event.to == task.assignee:
        raise InvalidAssignee(f"Task {task.key} is already assigned to {event.to}.")
    _, step = run.spec.step(task.step_key)
    _escalation_target_check(run, state, step, event.to, besides=task.key)
    state = run.close_task(state, task, "delegated", counts=False)
    run.emit("task.reassigned", state, task=task.key, step=step.key, reason=event.reason)
    return run.create_task(state, step, task.stage_index, Slot(event.to))


def _add_approver(run: Run, state: RequestState, event: AddApprover) -> RequestState:
    if state.status not in ESCALATION_STATUSES:
        raise InvalidTransition(f"Approvers cannot be added while the request is {state.status}.")
    current = state.step(event.step_key)
    if current is None or current.status != "active":
        raise InvalidEvent(f'Step "{event.step_key}" is not waiting for approvers.')
    _, step = run.spec.step(event.step_key)
    if step.is_payer:
        raise InvalidAssignee("The payer decides this step; no approver can be added.")
    _escalation_target_check(run, state, step, event.assignee, besides="")
    run.emit("step.approver_added", state, step=step.key, reason=event.reason)
    return run.create_task(state, step, current.stage_index, Slot(event.assignee))


# --- the payer answers a payer step -------------------------------------------------------------

PAYER_STATUSES = frozenset({"in_review", "needs_info"})


def _payer_decide(run: Run, state: RequestState, event: PayerDecide) -> RequestState:
    """The payer's answer decides its step as a system party: no person, no authority check,
    never the requester. A denial carries the payer's reason code and text like any other."""
    task = _pending_task(state, event.task_key)
    if task.external != "payer":
        raise NotAnApprover(f"Task {task.key} is not waiting for a payer.")
    if state.status not in PAYER_STATUSES:
        raise InvalidTransition(f"The payer cannot decide while the request is {state.status}.")
    if event.decision not in PAYER_DECISIONS:
        raise InvalidEvent(f'Unknown payer decision "{event.decision}".')
    if event.partial and event.decision != "approve":
        raise InvalidEvent("Only an approval can be partial.")
    if event.decision == "reject" and (
        not (event.reason_code or "").strip() or not event.comment.strip()
    ):
        raise ReasonRequired("A payer denial needs the payer's reason code and text.")
    _, step = run.spec.step(task.step_key)
    status = "approved" if event.decision == "approve" else "rejected"
    state = run.close_task(
        state,
        task,
        status,
        decided_by="payer",
        decision=event.decision,
        reason_code=event.reason_code,
        comment=event.comment,
        partial=event.partial,
    )
    run.emit(
        "task.decided", state, task=task.key, step=step.key, decision=event.decision, via="payer"
    )
    if event.decision == "approve":
        record = ApprovalRecord(step.key, None, task.key, "payer")
        state = replace(
            state, approvals=(*state.approvals, record), partial=state.partial or event.partial
        )
    return run.apply_outcome(state, step, via="payer")
