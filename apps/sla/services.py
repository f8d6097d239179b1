"""SLA clocks: started, paused, resumed, extended and stopped as requests move, with their
timers written to the public timer index in the same transaction; and what a fired timer does
(remind, record the breach, escalate).

The effect handler `on_state_change` runs inside the approvals service's transaction, after the
request, its tasks and its timeline are written. Reminders and escalations are timers fired by
`clock_timer_fire` in the tenant's schema: it locks the request, then the clock, and acts only
when the timer's generation is the clock's current one, so a second firing changes nothing.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Sequence
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.utils import timezone

from apps.accounts.models import User
from apps.approvals import effects as approval_effects
from apps.approvals.choices import TaskStatus
from apps.approvals.exceptions import ApprovalError, Conflict, InvalidInput, NotAllowed
from apps.approvals.models import ApprovalRequest, Task, TimelineEntry
from apps.core.actions import SLA, action
from apps.people.models import Department, Role
from apps.sla import notices
from apps.sla.calendars import (
    Hours,
    WorkingCalendar,
    advance_by,
    due_at,
    remaining_seconds,
)
from apps.sla.models import (
    DEFAULT_TIMEZONE,
    BreachAction,
    BusinessCalendar,
    CalendarKind,
    Clock,
    ClockStatus,
    Closure,
    SlaEvent,
    SlaEventKind,
    SlaOverride,
)
from apps.sla.policies import URGENCIES, EffectivePolicy, effective_policy
from apps.timers.models import Timer, TimerKind
from apps.timers.services import timer_schedule, timers_cancel
from apps.workflows import engine

logger = logging.getLogger(__name__)

TIMER_OBJECT = "sla_clock"
CHAIN_ENTRY_HELP = '"manager", "admins", "role:<key>" or "user:<email>"'


# --- calendars --------------------------------------------------------------------------------


def _parse_week(raw: Sequence[object]) -> tuple[Hours, ...]:
    week: list[Hours] = []
    for day in raw:
        if not day:
            week.append(None)
            continue
        opens, closes = day  # type: ignore[misc]
        week.append((time.fromisoformat(str(opens)), time.fromisoformat(str(closes))))
    return tuple(week)


def business_calendar_for(department: Department | None) -> BusinessCalendar | None:
    """The department's calendar, else the tenant's, else None (the built-in default)."""
    rows = BusinessCalendar.objects.filter(Q(department__isnull=True) | Q(department=department))
    found = sorted(rows, key=lambda c: (c.department_id is None, c.pk))
    return found[0] if found else None


def working_calendar(row: BusinessCalendar | None) -> WorkingCalendar:
    if row is None:
        return WorkingCalendar.build(timezone=DEFAULT_TIMEZONE, country="US")
    return WorkingCalendar.build(
        timezone=row.timezone,
        week=_parse_week(row.week),
        closures=row.closures.values_list("date", flat=True),
        country=row.country,
        subdivision=row.subdivision,
    )


def _calendar_of(clock: Clock) -> WorkingCalendar:
    return working_calendar(clock.business_calendar)


def _when(moment: datetime, cal: WorkingCalendar) -> str:
    return moment.astimezone(cal.tz).strftime("%Y-%m-%d %H:%M %Z")


# --- history ----------------------------------------------------------------------------------


def _event(
    clock: Clock,
    kind: str,
    now: datetime,
    *,
    actor: User | None = None,
    note: str = "",
    old_due_at: datetime | None = None,
    new_due_at: datetime | None = None,
) -> SlaEvent:
    return SlaEvent.objects.create(
        clock=clock,
        kind=kind,
        at=now,
        actor=actor,
        note=note[:300],
        old_due_at=old_due_at,
        new_due_at=new_due_at,
    )


def _timeline(request: ApprovalRequest, actor: User | None, summary: str) -> None:
    TimelineEntry.objects.create(request=request, actor=actor, kind="sla", summary=summary[:300])


def _clock_name(clock: Clock) -> str:
    return clock.task.step_name if clock.task_id and clock.task else "The request"


# --- starting, stopping, pausing ----------------------------------------------------------------


def _publish_due(clock: Clock, request: ApprovalRequest | None = None) -> None:
    """Copy the clock's due time to the request or task the inbox and pages sort by."""
    if clock.scope == "request":
        ApprovalRequest.objects.filter(pk=clock.request_id).update(due_at=clock.due_at)
        if request is not None:
            request.due_at = clock.due_at
    elif clock.task_id:
        Task.objects.filter(pk=clock.task_id).update(due_at=clock.due_at)
        if clock.task is not None:  # the instance other handlers of this change read
            clock.task.due_at = clock.due_at


def _schedule_timers(clock: Clock, cal: WorkingCalendar, now: datetime) -> None:
    """Replace the clock's unfired timers with those of its current due time."""
    timers_cancel(object_kind=TIMER_OBJECT, object_ids=[clock.pk])
    clock.generation += 1
    Clock.objects.filter(pk=clock.pk).update(generation=clock.generation)
    if clock.status != ClockStatus.RUNNING:
        return
    left = remaining_seconds(cal, clock.calendar, now, clock.due_at)

    def add(kind: str, fire_at: datetime, step: int) -> None:
        timer_schedule(
            object_kind=TIMER_OBJECT,
            object_id=clock.pk,
            kind=kind,
            fire_at=fire_at,
            step=step,
            generation=clock.generation,
        )

    for percent in sorted(set(clock.reminders)):
        if percent in clock.reminders_sent:
            continue
        offset = left - clock.total_seconds * (1 - percent / 100)
        if offset < 0:  # that point has passed (e.g. before an extension): not sent late
            continue
        add(
            TimerKind.REMINDER,
            clock.due_at if percent >= 100 else advance_by(cal, clock.calendar, now, offset),
            percent,
        )
    if clock.breached_at is None:
        add(TimerKind.BREACH, clock.due_at, 100)
    interval = timedelta(hours=clock.escalation_interval_hours)
    for level in range(clock.escalation_level + 1, len(clock.escalation_chain) + 1):
        add(TimerKind.ESCALATION, clock.due_at + interval * (level - 1), level)


def clock_start(
    *,
    request: ApprovalRequest,
    task: Task | None,
    step_key: str,
    policy: EffectivePolicy,
    now: datetime,
    actor: User | None = None,
) -> Clock:
    """Start a clock (inside the caller's transaction) and schedule its timers."""
    calendar_row = business_calendar_for(request.department)
    cal = working_calendar(calendar_row)
    due = due_at(cal, policy.calendar, now, policy.hours)
    clock = Clock.objects.create(
        request=request,
        task=task,
        scope="task" if task is not None else "request",
        step_key=step_key,
        urgency=request.urgency,
        policy_source=policy.source,
        hours=policy.hours,
        calendar=policy.calendar,
        business_calendar=calendar_row,
        reminders=list(policy.reminders),
        pause_on_needs_info=policy.pause_on_needs_info,
        escalation_chain=list(policy.escalation_chain),
        breach_action=policy.breach_action,
        escalation_interval_hours=policy.escalation_interval_hours,
        status=ClockStatus.RUNNING,
        started_at=now,
        due_at=due,
        total_seconds=remaining_seconds(cal, policy.calendar, now, due),
    )
    _schedule_timers(clock, cal, now)
    _publish_due(clock, request)
    basis = "business hours" if policy.calendar == CalendarKind.BUSINESS else "calendar time"
    _event(
        clock,
        SlaEventKind.STARTED,
        now,
        actor=actor,
        note=f"{policy.hours:g} h of {basis} ({policy.source})",
        new_due_at=due,
    )
    return clock


def clock_stop(*, clock: Clock, now: datetime, actor: User | None = None, note: str = "") -> None:
    if clock.status == ClockStatus.STOPPED:
        return
    clock.status = ClockStatus.STOPPED
    clock.stopped_at = now
    clock.save(update_fields=["status", "stopped_at"])
    timers_cancel(object_kind=TIMER_OBJECT, object_ids=[clock.pk])
    _event(clock, SlaEventKind.STOPPED, now, actor=actor, note=note)


def clock_pause(*, clock: Clock, now: datetime, actor: User | None = None, note: str = "") -> None:
    """Stop counting (where the policy pauses on needs-info); the time left is kept."""
    if clock.status != ClockStatus.RUNNING:
        return
    cal = _calendar_of(clock)
    clock.status = ClockStatus.PAUSED
    clock.paused_at = now
    clock.remaining_seconds = remaining_seconds(cal, clock.calendar, now, clock.due_at)
    clock.save(update_fields=["status", "paused_at", "remaining_seconds"])
    _schedule_timers(clock, cal, now)  # cancels them: a paused clock has no timers
    _event(clock, SlaEventKind.PAUSED, now, actor=actor, note=note, old_due_at=clock.due_at)


def clock_resume(*, clock: Clock, now: datetime, actor: User | None = None) -> None:
    if clock.status != ClockStatus.PAUSED:
        return
    cal = _calendar_of(clock)
    old = clock.due_at
    clock.due_at = advance_by(cal, clock.calendar, now, max(clock.remaining_seconds or 0, 0))
    clock.status = ClockStatus.RUNNING
    clock.paused_at = None
    clock.remaining_seconds = None
    clock.save(update_fields=["due_at", "status", "paused_at", "remaining_seconds"])
    _schedule_timers(clock, cal, now)
    _publish_due(clock)
    _event(clock, SlaEventKind.RESUMED, now, actor=actor, old_due_at=old, new_due_at=clock.due_at)


# --- the effect handler ---------------------------------------------------------------------------


def on_state_change(change: approval_effects.StateChange) -> None:
    """Start, stop, pause and resume clocks for one applied engine outcome."""
    request, spec, now = change.request, change.spec, change.now
    created = [e for e in change.effects if isinstance(e, engine.CreateTask)]
    clock_effects = (engine.StopClock, engine.PauseClock, engine.ResumeClock, engine.StatusChanged)
    if (
        not created
        and not isinstance(change.event, engine.Submit)
        and not any(isinstance(e, clock_effects) for e in change.effects)
    ):
        return

    @functools.cache  # read when a policy is first needed (a plain approval needs none)
    def overrides() -> dict[tuple[str, str, str], SlaOverride]:
        return {
            (o.workflow_key, o.step_key, o.urgency): o
            for o in SlaOverride.objects.filter(workflow_key=spec.key)
        }

    def policy_for(step_key: str, sla: engine.SlaSpec | None) -> EffectivePolicy | None:
        return effective_policy(
            workflow_key=spec.key,
            category=spec.category,
            step_key=step_key,
            urgency=request.urgency,
            spec_sla=sla,
            overrides=overrides(),
        )

    if isinstance(change.event, engine.Submit):  # the request clock runs from receipt
        request_sla = spec.sla.for_urgency(request.urgency) if spec.sla else None
        policy = policy_for("", request_sla)
        if policy is not None:
            clock_start(request=request, task=None, step_key="", policy=policy, now=now)

    tasks = change.tasks if created else {}
    open_clocks: list[Clock] = list(
        Clock.objects.select_for_update(of=("self",))
        .select_related("task", "business_calendar")
        .filter(request=request)
        .exclude(status=ClockStatus.STOPPED)
    )
    for clock in open_clocks:
        clock.request = request  # the locked row in hand; the audit trail reads its reference

    def matching(scope: str, task_key: str | None) -> list[Clock]:
        return [
            c
            for c in open_clocks
            if c.scope == scope and (scope == "request" or (c.task and c.task.key == task_key))
        ]

    for effect in change.effects:
        if isinstance(effect, engine.CreateTask):
            task = tasks.get(effect.task_key)
            policy = policy_for(effect.step_key, effect.sla)
            if task is not None and policy is not None:
                open_clocks.append(
                    clock_start(
                        request=request, task=task, step_key=effect.step_key, policy=policy, now=now
                    )
                )
        elif isinstance(effect, engine.StopClock):
            for clock in matching(effect.scope, effect.task_key):
                clock_stop(clock=clock, now=now, actor=change.actor)
        elif isinstance(effect, engine.PauseClock):
            for clock in matching(effect.scope, effect.task_key):
                clock_pause(clock=clock, now=now, actor=change.actor, note="needs information")
        elif isinstance(effect, engine.ResumeClock):
            for clock in matching(effect.scope, effect.task_key):
                clock_resume(clock=clock, now=now, actor=change.actor)
        elif isinstance(effect, engine.StatusChanged):
            # Policies (admin overrides included) decide which clocks pause while the request
            # waits for the requester; pausing and resuming are idempotent.
            for clock in open_clocks:
                if not clock.pause_on_needs_info:
                    continue
                if effect.new == "needs_info":
                    clock_pause(clock=clock, now=now, actor=change.actor, note="needs information")
                elif effect.old == "needs_info":
                    clock_resume(clock=clock, now=now, actor=change.actor)


# --- extension ----------------------------------------------------------------------------------


def can_extend(actor: User, request: ApprovalRequest) -> bool:
    """Tenant admins and the request's current approvers may extend its clock."""
    if not actor.is_authenticated or not actor.is_active:
        return False
    if actor.is_tenant_admin:
        return True
    return (
        Task.objects.filter(request=request, status=TaskStatus.PENDING)
        .filter(Q(assignee=actor) | Q(assignee__isnull=True, queue_role__members=actor))
        .exists()
    )


def request_extend(
    *, actor: User, request: ApprovalRequest, new_due_at: datetime, reason: str
) -> Clock:
    """Move the request clock's due time later, with a reason, an audit trail and a notice to
    the requester. Never a silent pause: the clock keeps running toward the new due time."""
    from apps.approvals.services import request_lock

    errors: dict[str, list[str]] = {}
    if not reason.strip():
        errors["reason"] = ["Say why the due time is extended."]
    if timezone.is_naive(new_due_at):
        errors["new_due_at"] = ["Give the new due time with its time zone."]
    if errors:
        raise InvalidInput("The extension is incomplete.", fields=errors)
    now = timezone.now()
    with action(actor=actor):
        request = request_lock(request)
        if not can_extend(actor, request):
            raise NotAllowed("Only tenant administrators and current approvers can extend.")
        clock = (
            Clock.objects.select_for_update(of=("self",))
            .select_related("business_calendar")
            .filter(request=request, scope="request")
            .exclude(status=ClockStatus.STOPPED)
            .first()
        )
        if clock is None:
            raise Conflict("This request has no running clock to extend.", code="no_clock")
        if clock.status == ClockStatus.PAUSED:
            raise Conflict("The clock is paused; extend it once it runs again.", code="paused")
        if new_due_at <= max(now, clock.due_at):
            raise InvalidInput(
                "An extension moves the due time later.",
                fields={"new_due_at": ["Choose a time after the current due time."]},
            )
        cal = _calendar_of(clock)
        old = clock.due_at
        left_before = remaining_seconds(cal, clock.calendar, now, old)
        left_after = remaining_seconds(cal, clock.calendar, now, new_due_at)
        clock.total_seconds = clock.total_seconds - left_before + left_after
        clock.due_at = new_due_at
        clock.breached_at = None  # the new due time can be breached (and escalated) again
        clock.escalation_level = 0
        clock.save(update_fields=["total_seconds", "due_at", "breached_at", "escalation_level"])
        _schedule_timers(clock, cal, now)
        _publish_due(clock, request)
        _event(
            clock,
            SlaEventKind.EXTENDED,
            now,
            actor=actor,
            note=reason.strip(),
            old_due_at=old,
            new_due_at=new_due_at,
        )
        _timeline(
            request,
            actor,
            f"{actor.full_name} extended the due time from {_when(old, cal)} to "
            f"{_when(new_due_at, cal)}: {reason.strip()}",
        )
        notices.send(
            kind="extension",
            recipients=[request.requester],
            request=request,
            mandatory=True,
            extra={"old_due_at": old.isoformat(), "new_due_at": new_due_at.isoformat()},
        )
    return clock


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


def escalation_targets(clock: Clock, entry: str) -> list[User]:
    """The people one escalation-chain entry names, never the requester or the holder."""
    holder = clock.task.assignee if clock.task_id and clock.task else None
    exclude = {clock.request.requester_id, holder.pk if holder else None}
    people: Iterable[User]
    if entry == "manager":
        people = [holder.manager] if holder is not None and holder.manager else []
    elif entry == "admins":
        people = _admins()
    elif entry.startswith("role:"):
        role = Role.objects.filter(key=entry.partition(":")[2]).first()
        people = role.members.filter(is_active=True).order_by("full_name") if role else []
    elif entry.startswith("user:"):
        people = User.objects.filter(email=entry.partition(":")[2].lower(), is_active=True)
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
        request=clock.request,
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
        request=clock.request,
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
                request_apply_system_event(actor=SLA, request=clock.request, event=event, now=now)
            except ApprovalError as error:
                note = f"{target.full_name} could not take it: {error.message}"
                continue
            verb = "reassigned to" if action == BreachAction.REASSIGN else "added approver"
            done = f"{verb} {target.full_name}"
            targets = [target]
            break
    if not targets:
        targets = _admins()  # nobody in the chain entry: the tenant admins hear of it
    if not done:
        done = "notified " + ", ".join(t.full_name for t in targets)
    _event(clock, SlaEventKind.ESCALATED, now, note=f"level {level} ({entry}): {done}. {note}")
    _timeline(clock.request, None, f"Escalated ({_clock_name(clock)}): {done}.")
    notices.send(
        kind="escalated",
        recipients=[*targets, *_holders(clock)],
        request=clock.request,
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


# --- administration -------------------------------------------------------------------------------


def _check_admin(actor: User) -> None:
    if not actor.is_tenant_admin:
        raise NotAllowed("Only tenant administrators can change SLA settings.")


def override_save(
    *,
    actor: User,
    workflow_key: str,
    step_key: str,
    urgency: str,
    hours: float,
    calendar: str,
    reminders: Sequence[int],
    pause_on_needs_info: bool,
    escalation_chain: Sequence[str],
    breach_action: str,
    escalation_interval_hours: float,
) -> SlaOverride:
    """Set a tenant's policy for a workflow step (or its request clock) and urgency. New clocks
    use it; running clocks keep the policy they started with."""
    _check_admin(actor)
    errors: dict[str, list[str]] = {}
    if urgency not in URGENCIES:
        errors["urgency"] = ["Choose standard or expedited."]
    if not 0 < hours <= 24 * 365:
        errors["hours"] = ["Give a duration between 0 and 8,760 hours."]
    if calendar not in CalendarKind.values:
        errors["calendar"] = ["Choose calendar time or business hours."]
    if any(not 0 < p <= 100 for p in reminders):
        errors["reminders"] = ["Reminders are percentages between 1 and 100."]
    for entry in escalation_chain:
        if entry not in ("manager", "admins") and not entry.startswith(("role:", "user:")):
            errors["escalation_chain"] = [f'"{entry}" is not one of {CHAIN_ENTRY_HELP}.']
    if breach_action not in BreachAction.values:
        errors["breach_action"] = ["Choose notify, add approver or reassign."]
    if escalation_interval_hours <= 0:
        errors["escalation_interval_hours"] = ["Give a positive number of hours."]
    if errors:
        raise InvalidInput("The policy needs attention.", fields=errors)
    override, _ = SlaOverride.objects.update_or_create(
        workflow_key=workflow_key,
        step_key=step_key,
        urgency=urgency,
        defaults={
            "hours": hours,
            "calendar": calendar,
            "reminders": sorted({int(p) for p in reminders}),
            "pause_on_needs_info": pause_on_needs_info,
            "escalation_chain": list(escalation_chain),
            "breach_action": breach_action,
            "escalation_interval_hours": escalation_interval_hours,
            "updated_by": actor,
        },
    )
    return override


def override_delete(*, actor: User, workflow_key: str, step_key: str, urgency: str) -> None:
    _check_admin(actor)
    SlaOverride.objects.filter(
        workflow_key=workflow_key, step_key=step_key, urgency=urgency
    ).delete()


def calendar_save(
    *,
    actor: User,
    timezone_name: str,
    week: Sequence[list[str] | None],
    country: str,
    subdivision: str = "",
) -> BusinessCalendar:
    """Set the tenant's business hours (clocks started afterwards use them)."""
    _check_admin(actor)
    errors: dict[str, list[str]] = {}
    try:
        ZoneInfo(timezone_name)
    except (ValueError, KeyError, OSError):
        errors["timezone"] = [f'"{timezone_name}" is not a time zone.']
    try:
        parsed = _parse_week(week)
        if len(parsed) != 7 or any(h is not None and h[0] >= h[1] for h in parsed):
            raise ValueError
    except (ValueError, TypeError):
        errors["week"] = ["Give opening and closing times (opening first) for each day."]
    if country:
        try:
            WorkingCalendar.build(timezone="UTC", country=country.upper(), subdivision=subdivision)
            from apps.sla.calendars import public_holidays

            public_holidays(country.upper(), subdivision)
        except (NotImplementedError, KeyError, ValueError):
            errors["country"] = ["Unknown country or subdivision for public holidays."]
    if errors:
        raise InvalidInput("The calendar needs attention.", fields=errors)
    row = BusinessCalendar.objects.filter(department__isnull=True).order_by("pk").first()
    row = row or BusinessCalendar(name="Business hours")
    row.timezone = timezone_name
    row.week = list(week)
    row.country = country.upper()
    row.subdivision = subdivision
    row.save()
    return row


def closure_add(*, actor: User, date: object, reason: str = "") -> Closure:
    """Close the tenant for a day (on top of public holidays)."""
    _check_admin(actor)
    row = BusinessCalendar.objects.filter(department__isnull=True).order_by("pk").first()
    if row is None:
        row = BusinessCalendar.objects.create(name="Business hours")
    closure, _ = Closure.objects.get_or_create(
        calendar=row, date=date, defaults={"reason": reason[:200]}
    )
    return closure
