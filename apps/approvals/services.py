"""Writes on approval requests. Each service locks the request row, asks the pure engine what
happens, and persists the new state, tasks, decision and timeline in one transaction."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.approvals import effects, line_decisions
from apps.approvals import timeline_sentences as sentences
from apps.approvals.choices import APPEAL_CATEGORY, RequestStatus, TaskStatus
from apps.approvals.discussion import attachment_store, upload_check
from apps.approvals.exceptions import (
    ApprovalErrorCode,
    Conflict,
    InvalidInput,
    NotAllowed,
    from_engine,
)
from apps.approvals.models import (
    ApprovalRequest,
    Decision,
    ReasonCode,
    ReferenceCounter,
    Task,
    TimelineEntry,
)
from apps.approvals.timeline_sentences import DECISION_WORDS
from apps.audit.known import audit_known
from apps.core.actions import (
    Channel,
    SystemActor,
    action,
    current_origin,
    retry_lock_conflict,
)
from apps.people.models import Department, Role
from apps.people.selectors import directory_snapshot, directory_version_query, known_names
from apps.workflows import engine
from apps.workflows.models import WorkflowDefinition
from apps.workflows.selectors import spec_of

# --- creating and submitting -----------------------------------------------------------------


def _next_reference(prefix: str, now: datetime) -> str:
    counter, _ = ReferenceCounter.objects.select_for_update().get_or_create(
        prefix=prefix, year=now.year
    )
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{prefix}-{now.year}-{counter.last:06d}"


def _validated(version_spec: engine.WorkflowSpec, data: Mapping[str, object]) -> engine.Cleaned:
    names = known_names()
    cleaned = engine.validate_submission(
        version_spec, data, known_users=names["users"], known_departments=names["departments"]
    )
    if not cleaned.is_valid:
        raise InvalidInput("Some answers need attention.", fields=cleaned.errors)
    return cleaned


def request_create(
    *,
    actor: User,
    workflow: WorkflowDefinition,
    data: Mapping[str, object],
    urgency: str = "standard",
    department: Department | None = None,
    submit: bool = True,
    uploads: Mapping[str, UploadedFile[bytes]] | None = None,
    appeal_of: ApprovalRequest | None = None,
) -> ApprovalRequest:
    """Create a request on the workflow's current version and (by default) submit it.
    An appeal (`appeal_of`, see apps.approvals.appeals) names the denial it appeals, and
    nobody who decided that request works it.
    `uploads` are the files of the form's file fields, by field name; a refused file refuses
    the whole request, with the message on that field."""
    version = workflow.current_version
    if version is None or not workflow.is_active:
        raise InvalidInput(f'The workflow "{workflow.name}" is not published.')
    if urgency not in ("standard", "expedited"):
        raise InvalidInput("Choose standard or expedited.", fields={"urgency": ["Choose one."]})
    # Every file is checked before anything is written, and the answers name exactly the
    # files that are stored: a refused file leaves no request, and no answer names a file
    # that is not attached.
    files = {
        name: (upload, upload_check(upload, field=name)) for name, upload in (uploads or {}).items()
    }
    data = {**data, **{name: f"upload:{upload.name}" for name, upload in (uploads or {}).items()}}
    spec = spec_of(version)
    if spec.category == APPEAL_CATEGORY and appeal_of is None:
        raise InvalidInput(
            "An appeal is filed from the decision it appeals (Appeal on the request's page, "
            "or POST /api/v1/requests/{id}/appeal).",
            code=ApprovalErrorCode.APPEAL_NEEDS_REQUEST,
        )
    cleaned = _validated(spec, data)
    if department is None:
        department = actor.departments.first()
    now = timezone.now()
    amount = cleaned.values.get(spec.amount_field) if spec.amount_field else None
    with action(actor=actor):
        request = ApprovalRequest.objects.create(
            reference=_next_reference(spec.reference_prefix, now),
            workflow_version=version,
            requester=actor,
            department=department,
            urgency=urgency,
            data=cleaned.to_json(),
            amount=amount if isinstance(amount, Decimal) else None,
            appeal_of=appeal_of,
        )
        _timeline(request, actor, "created", f"{actor.full_name} created the request.")
        if submit:
            _advance(
                request,
                engine.Submit(
                    requester=actor.email,
                    data=cleaned.to_json(),
                    urgency=urgency,
                    department=department.key if department else None,
                    excluded=deciders_of(appeal_of) if appeal_of is not None else (),
                ),
                actor=actor,
                now=now,
            )
        for upload, checked in files.values():
            attachment_store(actor=actor, approval=request, upload=upload, checked=checked)
    return request


def request_submit(*, actor: User, approval: ApprovalRequest) -> ApprovalRequest:
    """Submit a draft."""
    with action(actor=actor):
        approval = _locked(approval)
        if approval.requester_id != actor.pk:
            raise NotAllowed("Only the requester can submit this request.")
        if approval.status != RequestStatus.DRAFT:
            raise Conflict("This request has already been submitted.", current=_current(approval))
        _advance(
            approval,
            engine.Submit(
                requester=actor.email,
                data=approval.data,
                urgency=approval.urgency,
                department=approval.department.key if approval.department else None,
                excluded=deciders_of(approval.appeal_of) if approval.appeal_of else (),
            ),
            actor=actor,
        )
    return approval


# --- acting on a request ----------------------------------------------------------------------


def request_withdraw(
    *, actor: User, approval: ApprovalRequest, reason: str = ""
) -> ApprovalRequest:
    with action(actor=actor):
        approval = _locked(approval)
        _advance(approval, engine.Withdraw(actor=actor.email), actor=actor, note=reason)
    return approval


def request_resubmit(
    *, actor: User, approval: ApprovalRequest, data: Mapping[str, object] | None = None
) -> ApprovalRequest:
    """The requester answers a request for information (optionally changing the form)."""
    with action(actor=actor):
        approval = _locked(approval)
        cleaned = _validated(spec_of(approval.workflow_version), data) if data is not None else None
        _advance(
            approval,
            engine.Resubmit(actor=actor.email, data=cleaned.to_json() if cleaned else None),
            actor=actor,
        )
    return approval


def request_amend(
    *, actor: User, approval: ApprovalRequest, data: Mapping[str, object]
) -> ApprovalRequest:
    """Change the form while in review; a changed amount or scope re-routes to earlier approvers."""
    with action(actor=actor):
        approval = _locked(approval)
        cleaned = _validated(spec_of(approval.workflow_version), data)
        _advance(approval, engine.Amend(actor=actor.email, data=cleaned.to_json()), actor=actor)
    return approval


def request_cancel(*, actor: User, approval: ApprovalRequest, reason: str) -> ApprovalRequest:
    if not actor.is_tenant_admin:
        raise NotAllowed("Only tenant administrators can cancel a request.")
    if not reason.strip():
        raise InvalidInput("Say why the request is cancelled.", fields={"reason": ["Required."]})
    with action(actor=actor):
        approval = _locked(approval)
        _advance(approval, engine.Cancel(actor=actor.email, reason=reason), actor=actor)
    return approval


def exception_resolve(
    *, actor: User, approval: ApprovalRequest, assignee: User, step_key: str | None = None
) -> ApprovalRequest:
    """An administrator names the approver that routing could not find (for the step the
    request is stuck on, unless another step is named)."""
    if not actor.is_tenant_admin:
        raise NotAllowed("Only tenant administrators can resolve exceptions.")
    with action(actor=actor):
        approval = _locked(approval)
        step_key = step_key or approval.engine_state.get("exception_step") or ""
        _advance(
            approval,
            engine.ResolveException(actor=actor.email, step_key=step_key, assignee=assignee.email),
            actor=actor,
        )
    return approval


# --- tasks ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DecisionInput:
    """A decision on a task. With `lines` (a request with several lines), `decision` may be
    empty: it follows from the lines (apps.approvals.line_decisions), as `partial` does."""

    decision: str
    reason_code: str | None = None
    comment: str = ""
    partial: bool = False
    lines: tuple[engine.LineDecision, ...] = ()


def task_decide(
    *,
    actor: User,
    task: Task,
    decision: DecisionInput,
    channel: Channel | None = None,
    expected_version: datetime | None = None,
) -> Decision:
    """Approve, deny (reason code and text required) or ask for information. Race-free: the
    request row, then its task rows are locked and a task takes one decision; a second gets a
    409 with the state, and so does a lock conflict that outlived its one retry.
    `channel` defaults to the entry point's (web, api, email_link, ...).
    `expected_version`: the request's `updated_at` the caller decided on; a request changed
    since is refused with 409 `version_mismatch` (checked under the lock)."""
    try:
        return _task_decide(
            actor=actor,
            task=task,
            decision=decision,
            channel=channel,
            expected_version=expected_version,
        )
    except Conflict as error:
        if error.current or connection.in_atomic_block:  # the caller's transaction answers
            raise
        approval = ApprovalRequest.objects.get(pk=task.request_id)
        current = _current(approval, Task.objects.get(pk=task.pk))
        raise Conflict(error.message, code=error.code, current=current) from error


@retry_lock_conflict
def _task_decide(
    *,
    actor: User,
    task: Task,
    decision: DecisionInput,
    channel: Channel | None,
    expected_version: datetime | None = None,
) -> Decision:
    channel = channel or current_origin().channel
    if decision.lines:
        return _task_decide_lines(
            actor=actor,
            task=task,
            decision=decision,
            channel=channel,
            expected_version=expected_version,
        )
    errors: dict[str, list[str]] = {}
    if decision.decision not in DECISION_WORDS:
        errors["decision"] = ["Choose approve, deny or request information."]
    reason: ReasonCode | None = None
    if decision.decision == "reject":
        if not decision.reason_code:
            errors["reason_code"] = ["Choose a reason code for the denial."]
        else:
            reason = ReasonCode.objects.filter(code=decision.reason_code, is_active=True).first()
            if reason is None:
                errors["reason_code"] = [f'"{decision.reason_code}" is not a reason code here.']
        if not decision.comment.strip():
            errors["comment"] = ["Explain the denial to the requester."]
    if decision.decision == "request_info" and not decision.comment.strip():
        errors["comment"] = ["Say what information is needed."]
    if errors:
        raise InvalidInput("The decision is incomplete.", fields=errors)
    with action(actor=actor, channel=channel):
        approval, task, locked_tasks = _locked_for_decision(task, expected_version)
        return _record_decision(approval, task, locked_tasks, decision, reason, actor, channel)


def _task_decide_lines(
    *,
    actor: User,
    task: Task,
    decision: DecisionInput,
    channel: Channel,
    expected_version: datetime | None,
) -> Decision:
    """A decision line by line: checked against the request's lines under its lock, then the
    same engine event, records and side effects as a whole decision (one transaction)."""
    if decision.decision not in ("", "approve", "reject"):
        raise InvalidInput(
            "A decision line by line approves or denies; to ask for information, decide the "
            "whole request.",
            code=line_decisions.LineErrorCode.DECISION_MISMATCH,
            field="decision",
        )
    with action(actor=actor, channel=channel):
        approval, task, locked_tasks = _locked_for_decision(task, expected_version)
        prepared = line_decisions.prepare(
            approval, decision.lines, decision=decision.decision, comment=decision.comment
        )
        whole = replace(
            decision,
            decision=prepared.decision,
            partial=prepared.partial,
            reason_code=prepared.reason.code if prepared.reason else None,
            comment=prepared.comment,
        )
        recorded = _record_decision(
            approval,
            task,
            locked_tasks,
            whole,
            prepared.reason,
            actor,
            channel,
            approved_amount=prepared.approved_amount,
        )
        line_decisions.store(recorded, prepared)
        _timeline(approval, actor, "line_decisions", line_decisions.sentence(prepared))
        return recorded


def _locked_for_decision(
    task: Task, expected_version: datetime | None
) -> tuple[ApprovalRequest, Task, dict[int, Task]]:
    approval = _locked(task.request)
    if expected_version is not None and approval.updated_at != expected_version:
        raise Conflict(
            "The request changed since you saw it; reload it and decide again.",
            code=ApprovalErrorCode.VERSION_MISMATCH,
            current=_current(approval),
        )
    locked_tasks = _locked_tasks(approval)
    task = locked_tasks[task.pk]
    if task.status != TaskStatus.PENDING:
        raise Conflict(
            f"This task was already {task.get_status_display().lower()}.",
            code="task_already_decided",
            current=_current(approval, task),
        )
    return approval, task, locked_tasks


def _record_decision(
    approval: ApprovalRequest,
    task: Task,
    locked_tasks: dict[int, Task],
    decision: DecisionInput,
    reason: ReasonCode | None,
    actor: User,
    channel: Channel,
    approved_amount: Decimal | None = None,
) -> Decision:
    _advance(
        approval,
        engine.Decide(
            task_key=task.key,
            actor=actor.email,
            decision=decision.decision,
            reason_code=decision.reason_code,
            comment=decision.comment,
            partial=decision.partial,
            approved_amount=approved_amount,
        ),
        actor=actor,
        tasks=locked_tasks,
    )
    try:
        # No savepoint: a second decision fails the whole transaction anyway.
        with transaction.atomic(savepoint=False):
            return Decision.objects.create(
                task=task,
                request=approval,
                actor=actor,
                on_behalf_of=task.on_behalf_of,
                outcome=decision.decision,
                reason_code=reason,
                comment=decision.comment,
                partial=decision.partial,
                channel=channel,
            )
    except IntegrityError:  # the database's last word: one decision per task
        raise Conflict("This task was already decided.", code="task_already_decided") from None


def task_claim(*, actor: User, task: Task) -> Task:
    with action(actor=actor):
        approval = _locked(task.request)
        _advance(approval, engine.Claim(task_key=task.key, actor=actor.email), actor=actor)
    return Task.objects.get(pk=task.pk)


def task_delegate(*, actor: User, task: Task, to: User) -> Task:
    with action(actor=actor):
        approval = _locked(task.request)
        _advance(
            approval,
            engine.Delegate(task_key=task.key, actor=actor.email, to=to.email),
            actor=actor,
        )
    return Task.objects.get(pk=task.pk)


# --- for other apps: system events and row locks ----------------------------------------------


def request_lock(approval: ApprovalRequest) -> ApprovalRequest:
    """Lock the request row for the rest of the caller's transaction and return it fresh.
    Lock order everywhere: (timer,) request, then its task rows, then their action tokens."""
    return _locked(approval)


def tasks_lock(approval: ApprovalRequest) -> dict[int, Task]:
    """Lock the task rows of a request already locked with `request_lock`, by id."""
    return _locked_tasks(approval)


def request_apply_system_event(
    *,
    approval: ApprovalRequest,
    event: engine.Event,
    now: datetime | None = None,
    actor: User | SystemActor | None = None,
    channel: Channel | None = None,
) -> engine.Outcome:
    """Apply an event that no person triggered (an SLA escalation's Reassign / AddApprover, an
    expiry, a payer's answer) with the same locking, persistence and side effects as every
    other change. The audit names `actor` (an administrator whose action caused it) or the
    system part at work, through `channel` (default: the entry point's)."""
    with action(actor=actor, channel=channel):
        return _advance(_locked(approval), event, actor=None, now=now)


# --- persistence of the engine's outcome --------------------------------------------------------


def _locked(approval: ApprovalRequest) -> ApprovalRequest:
    locked = (
        ApprovalRequest.objects.select_for_update(of=("self",))
        .select_related("workflow_version__definition", "department", "requester")
        .annotate(directory_version=directory_version_query())  # read with the lock: one query
        .get(pk=approval.pk)
    )
    audit_known(locked)  # the audit trail diffs against this row instead of reading it again
    return locked


def _locked_tasks(approval: ApprovalRequest) -> dict[int, Task]:
    """The request's task rows, locked in id order after the request row (FOR NO KEY UPDATE:
    an action token being minted for a task only needs its key, so minting never waits)."""
    rows = (
        Task.objects.select_for_update(no_key=True, of=("self",))
        .select_related("on_behalf_of", "queue_role")
        .filter(request=approval)
        .order_by("pk")
    )
    return {row.pk: row for row in rows}


def _current(approval: ApprovalRequest, task: Task | None = None) -> dict[str, Any]:
    current: dict[str, Any] = {"reference": approval.reference, "status": approval.status}
    if task is not None:
        current["task"] = {"id": task.pk, "status": task.status}
    return current


def validated(version_spec: engine.WorkflowSpec, data: Mapping[str, object]) -> engine.Cleaned:
    """The answers checked against the form, or InvalidInput naming each field."""
    return _validated(version_spec, data)


def timeline_add(approval: ApprovalRequest, actor: User | None, kind: str, summary: str) -> None:
    _timeline(approval, actor, kind, summary)


APPEAL_OUTCOME_WORDS = {
    RequestStatus.APPROVED: "was approved",
    RequestStatus.PARTIALLY_APPROVED: "was partially approved",
    RequestStatus.DENIED: "was denied",
    RequestStatus.WITHDRAWN: "was withdrawn",
    RequestStatus.CANCELLED: "was cancelled",
}


def _appeal_outcome_note(appeal: ApprovalRequest) -> None:
    """The appealed request's timeline says how its appeal ended (apps.approvals.appeals)."""
    words = APPEAL_OUTCOME_WORDS.get(RequestStatus(appeal.status))
    if words is not None and appeal.appeal_of_id is not None:
        entry = TimelineEntry(
            request_id=appeal.appeal_of_id,
            kind="appeal_decided",
            summary=f"The appeal {appeal.reference} {words}.",
        )
        entry.save()


def deciders_of(approval: ApprovalRequest) -> tuple[str, ...]:
    """Everyone who decided a task of `approval` (for segregation of duties on its appeal)."""
    emails = Decision.objects.filter(request=approval).values_list("actor__email", flat=True)
    return tuple(dict.fromkeys(emails))


def _timeline(approval: ApprovalRequest, actor: User | None, kind: str, summary: str) -> None:
    _entry(approval, actor, kind, summary).save()


def _entry(approval: ApprovalRequest, actor: User | None, kind: str, summary: str) -> TimelineEntry:
    return TimelineEntry(request=approval, actor=actor, kind=kind, summary=summary[:300])


def _advance(
    approval: ApprovalRequest,
    event: engine.Event,
    *,
    actor: User | None,
    now: datetime | None = None,
    note: str = "",
    tasks: dict[int, Task] | None = None,
) -> engine.Outcome:
    now = now or timezone.now()
    spec = spec_of(approval.workflow_version)
    state = engine.state_from_dict(approval.engine_state) if approval.engine_state else None
    try:
        outcome = engine.advance(
            state,
            event,
            spec=spec,
            directory=directory_snapshot(
                now=now, version=getattr(approval, "directory_version", None)
            ),
            now=now,
        )
    except engine.EngineError as error:
        raise from_engine(error) from None
    _persist(approval, spec, outcome, event, actor=actor, now=now, note=note, tasks=tasks)
    return outcome


def _persist(
    approval: ApprovalRequest,
    spec: engine.WorkflowSpec,
    outcome: engine.Outcome,
    event: engine.Event,
    *,
    actor: User | None,
    now: datetime,
    note: str,
    tasks: dict[int, Task] | None = None,
) -> None:
    state = outcome.state
    timeline: list[TimelineEntry] = []  # written with one INSERT
    # The request's task rows as this change leaves them, when the caller holds them locked:
    # handed to the effect handlers instead of being read again.
    known = {row.key: row for row in tasks.values()} if tasks is not None else None
    step_names = {step.key: step.name for stage in spec.stages for step in stage.steps}
    # The people this change names: assignees of new tasks, whoever a decision was made on
    # behalf of, the new holder of a claimed or delegated task (read only when there are any).
    emails = {e.assignee for e in outcome.effects if isinstance(e, engine.CreateTask)}
    emails |= {e.on_behalf_of for e in outcome.effects if isinstance(e, engine.CreateTask)}
    if isinstance(event, engine.Decide) and (decided_task := state.task(event.task_key)):
        emails.add(decided_task.on_behalf_of)
    if isinstance(event, engine.Claim | engine.Delegate) and (held := state.task(event.task_key)):
        emails.add(held.assignee)
    emails.discard(None)
    users = {u.email: u for u in User.objects.filter(email__in=emails)} if emails else {}
    role_keys = {e.queue_role for e in outcome.effects if isinstance(e, engine.CreateTask)}
    roles = {r.key: r for r in Role.objects.filter(key__in=[k for k in role_keys if k])}

    if isinstance(event, engine.Decide):
        decided = state.task(event.task_key)
        words = DECISION_WORDS.get(event.decision, event.decision)
        on_behalf = ""
        if decided is not None and decided.on_behalf_of and decided.on_behalf_of in users:
            on_behalf = users[decided.on_behalf_of].full_name
        name = step_names.get(decided.step_key, "") if decided else ""
        sentence = sentences.decision_sentence(
            actor_name=actor.full_name if actor else None,
            on_behalf_name=on_behalf,
            words=words,
            step_name=name,
        )
        timeline.append(_entry(approval, actor, "decision", sentence))
    if isinstance(event, engine.PayerDecide) and (decided_task := state.task(event.task_key)):
        sentence = sentences.payer_decision_sentence(
            words=DECISION_WORDS.get(event.decision, event.decision),
            step_name=step_names.get(decided_task.step_key, ""),
            partial=event.partial,
        )
        timeline.append(_entry(approval, None, "payer_decision", sentence))

    for effect in outcome.effects:
        if isinstance(effect, engine.CreateTask):
            created = Task.objects.create(
                request=approval,
                key=effect.task_key,
                step_key=effect.step_key,
                step_name=step_names.get(effect.step_key, effect.step_key),
                stage_index=effect.stage_index,
                assignee=users.get(effect.assignee) if effect.assignee else None,
                queue_role=roles.get(effect.queue_role) if effect.queue_role else None,
                on_behalf_of=users.get(effect.on_behalf_of) if effect.on_behalf_of else None,
            )
            if known is not None:
                known[created.key] = created
            sentence = sentences.task_sent_sentence(
                step_name=step_names.get(effect.step_key),
                assignee_name=users[effect.assignee].full_name
                if effect.assignee in users
                else None,
                queue_name=roles[effect.queue_role].name if effect.queue_role in roles else None,
                external=effect.external,
            )
            timeline.append(_entry(approval, None, "task", sentence))
        elif isinstance(effect, engine.CloseTask):
            Task.objects.filter(request=approval, key=effect.task_key).update(
                status=effect.status, closed_at=now
            )
            if known is not None and effect.task_key in known:
                known[effect.task_key].status = effect.status
                known[effect.task_key].closed_at = now
        elif isinstance(effect, engine.StatusChanged):
            words = sentences.STATUS_WORDS.get(effect.new, effect.new)
            timeline.append(
                _entry(approval, actor, "status", sentences.status_sentence(words=words, note=note))
            )
        elif isinstance(effect, engine.RaiseException):
            timeline.append(
                _entry(approval, None, "exception", sentences.exception_sentence(effect.reason))
            )

    # Claims and delegations change who holds a pending task without closing it.
    assigned = {t.key: t for t in state.tasks}
    if isinstance(event, engine.Claim | engine.Delegate):
        task_state = assigned.get(event.task_key)
        if task_state is not None:
            holder = users.get(task_state.assignee) if task_state.assignee else None
            Task.objects.filter(request=approval, key=event.task_key).update(
                assignee=holder, status=task_state.status
            )
            if known is not None and event.task_key in known:
                known[event.task_key].assignee = holder
                known[event.task_key].status = task_state.status
            if isinstance(event, engine.Claim):
                sentence = sentences.claim_sentence(
                    actor_name=actor.full_name if actor else None,
                    step_name=step_names.get(task_state.step_key),
                )
                timeline.append(_entry(approval, actor, "claim", sentence))

    TimelineEntry.objects.bulk_create(timeline)
    approval.engine_state = engine.state_to_dict(state)
    approval.status = state.status
    approval.data = dict(state.data)
    approval.amount = state.amount
    approval.touchless = state.touchless
    approval.exception_reason = (state.exception_reason or "")[:300]
    if state.submitted_at and approval.submitted_at is None:
        approval.submitted_at = now
    closed_now = state.status in engine.FINAL_STATUSES and approval.completed_at is None
    if closed_now:
        approval.completed_at = now
    approval.save()
    if closed_now and approval.appeal_of_id is not None:
        _appeal_outcome_note(approval)
    effects.dispatch(
        effects.StateChange(
            request=approval,
            spec=spec,
            event=event,
            effects=outcome.effects,
            actor=actor,
            now=now,
            known_tasks=known,
        )
    )
