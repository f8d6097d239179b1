"""What a fired SLA timer does: remind, record the breach, escalate along the chain.

Timers are fired by `clock_timer_fire` in the tenant's schema: it locks the request, then the clock,
and acts only when the timer's generation is the clock's current one, so a second firing changes
nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from apps.accounts.models import User
from apps.approvals.choices import TaskStatus
from apps.approvals.exceptions import ApprovalError
from apps.approvals.models import Task
from apps.core.actions import SLA
from apps.core.text import email_normalise
from apps.people.models import Role
from apps.sla import notices
from apps.sla.clocks import _calendar_of, _clock_name, _event, _timeline, _when
from apps.sla.models import (
    BreachAction,
    Clock,
    ClockStatus,
    SlaEventKind,
)
from apps.timers.models import Timer, TimerKind
from apps.workflows import engine

# --- firing timers --------------------------------------------------------------------------------


def _queue_members(task: Task, requester_id: int) -> list[User]:
    if task.queue_role_id is None:
        return []
    return list(
        User.objects.filter(roles=task.queue_role_id, is_active=True).exclude(pk=requester_id)
    )


def _holders(clock: Clock) -> list[User]:
    """Who holds the work the clock times: the task's assignee (or queue), or for a request
    clock everyone holding one of its pending tasks."""
    if clock.task_id is not None:
        tasks = [clock.task] if clock.task else []
    else:
        tasks = list(
            Task.objects.filter(request=clock.request_id, status=TaskStatus.PENDING).select_related(
                "assignee"
            )
        )
    people: list[User] = []
    for task in tasks:
        assert task is not None
        if task.assignee is not None:
            people.append(task.assignee)
        else:
            people.extend(_queue_members(task, clock.request.requester_id))
    return people


def _admins() -> list[User]:
    return list(User.objects.filter(is_tenant_admin=True, is_active=True))


def _not_targets(clock: Clock) -> set[int | None]:
    """Never escalated to: the requester and the current holder of the task."""
    holder = clock.task.assignee if clock.task_id and clock.task else None
    return {clock.request.requester_id, holder.pk if holder else None}


def escalation_targets(clock: Clock, entry: str) -> list[User]:
    """The people one escalation-chain entry names, never the requester or the holder."""
    holder = clock.task.assignee if clock.task_id and clock.task else None
    exclude = _not_targets(clock)
    people: Iterable[User]
    if entry == "manager":
        people = [holder.manager] if holder is not None and holder.manager else []
    elif entry == "admins":
        people = _admins()
    elif entry.startswith("role:"):
        role = Role.objects.filter(key=entry.partition(":")[2]).first()
        people = role.members.filter(is_active=True).order_by("full_name") if role else []
    elif entry.startswith("user:"):
        people = User.objects.filter(email=email_normalise(entry.partition(":")[2]), is_active=True)
    else:
        people = []
    return [p for p in people if p.pk not in exclude and p.is_active]


def _remind(clock: Clock, timer: Timer, now: datetime) -> None:
    if timer.step in clock.reminders_sent:
        return
    clock.reminders_sent = [*clock.reminders_sent, timer.step]
    Clock.objects.filter(pk=clock.pk).update(reminders_sent=clock.reminders_sent)
    recipients = _holders(clock)
    _event(clock, SlaEventKind.REMINDED, now, note=f"{timer.step}% of the time used")
    notices.send(
        kind="reminder",
        recipients=recipients,
        approval=clock.request,
        task=clock.task,
        extra={"percent": timer.step, "due_at": clock.due_at.isoformat()},
    )


def _breach(clock: Clock, now: datetime) -> None:
    if clock.breached_at is not None:
        return
    clock.breached_at = now
    Clock.objects.filter(pk=clock.pk).update(breached_at=now)
    cal = _calendar_of(clock)
    _event(clock, SlaEventKind.BREACHED, now, note=f"due {_when(clock.due_at, cal)}")
    _timeline(
        clock.request,
        None,
        f"{_clock_name(clock)} is overdue (was due {_when(clock.due_at, cal)}).",
    )
    notices.send(
        kind="breached",
        recipients=[*_holders(clock), *_admins()],
        approval=clock.request,
        task=clock.task,
        extra={"due_at": clock.due_at.isoformat()},
    )


def _escalate(clock: Clock, level: int, now: datetime) -> None:
    """Escalation `level` (1-based) of the chain: notify, add an approver or reassign."""
    from apps.approvals.services import request_apply_system_event

    if clock.escalation_level >= level or level > len(clock.escalation_chain):
        return
    clock.escalation_level = level
    Clock.objects.filter(pk=clock.pk).update(escalation_level=level)
    entry = clock.escalation_chain[level - 1]
    targets = escalation_targets(clock, entry)
    action = clock.breach_action if clock.task_id else BreachAction.NOTIFY
    done, note = "", ""
    if action in (BreachAction.REASSIGN, BreachAction.ADD_APPROVER) and clock.task is not None:
        for target in targets:
            event: engine.Event = (
                engine.Reassign(task_key=clock.task.key, to=target.email, reason="sla escalation")
                if action == BreachAction.REASSIGN
                else engine.AddApprover(
                    step_key=clock.task.step_key, assignee=target.email, reason="sla escalation"
                )
            )
            try:
                # Its own action (a savepoint here): a refusal leaves nothing behind.
                request_apply_system_event(actor=SLA, approval=clock.request, event=event, now=now)
            except ApprovalError as error:
                note = f"{target.full_name} could not take it: {error.message}"
                continue
            verb = "reassigned to" if action == BreachAction.REASSIGN else "added approver"
            done = f"{verb} {target.full_name}"
            targets = [target]
            break
    if not targets:  # nobody in the chain entry: the (other) tenant admins hear of it
        targets = [admin for admin in _admins() if admin.pk not in _not_targets(clock)]
    if not done:
        done = "notified " + ", ".join(t.full_name for t in targets)
    _event(clock, SlaEventKind.ESCALATED, now, note=f"level {level} ({entry}): {done}. {note}")
    _timeline(clock.request, None, f"Escalated ({_clock_name(clock)}): {done}.")
    # The holder is told their task was escalated (so they know someone else now looks at it);
    # the targets are never the holder.
    notices.send(
        kind="escalated",
        recipients=[*targets, *_holders(clock)],
        approval=clock.request,
        task=clock.task,
        mandatory=True,
        extra={"level": level, "action": action},
    )


def clock_timer_fire(timer: Timer, now: datetime) -> None:
    """The timers app's handler for SLA clocks (runs inside its transaction and row lock)."""
    from apps.approvals.services import request_lock

    clock = Clock.objects.filter(pk=timer.object_id).select_related("request").first()
    if clock is None:
        return
    request_lock(clock.request)  # lock order everywhere: (timer,) request, clock
    clock = (
        Clock.objects.select_for_update(of=("self",))
        .select_related("request__requester", "task__assignee__manager", "business_calendar")
        .get(pk=clock.pk)
    )
    if clock.status != ClockStatus.RUNNING or timer.generation != clock.generation:
        return
    if clock.task is not None and clock.task.status != TaskStatus.PENDING:
        return
    if timer.kind == TimerKind.REMINDER:
        _remind(clock, timer, now)
    elif timer.kind == TimerKind.BREACH:
        _breach(clock, now)
    elif timer.kind == TimerKind.ESCALATION:
        _escalate(clock, timer.step, now)
