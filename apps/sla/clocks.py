"""SLA clocks: the working calendar a clock runs on, its history, and starting, stopping,
pausing and resuming it, with its timers written to the public timer index in the same transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, time, timedelta
from typing import cast

from django.db.models import Q

from apps.accounts.models import User
from apps.approvals.models import ApprovalRequest, Task, TimelineEntry
from apps.people.models import Department
from apps.sla.calendars import (
    Hours,
    WorkingCalendar,
    advance_by,
    due_at,
    remaining_seconds,
)
from apps.sla.models import (
    DEFAULT_TIMEZONE,
    BusinessCalendar,
    CalendarKind,
    Clock,
    ClockStatus,
    SlaEvent,
    SlaEventKind,
)
from apps.sla.policies import EffectivePolicy
from apps.timers.models import TimerKind
from apps.timers.services import timer_schedule, timers_cancel

logger = logging.getLogger(__name__)

TIMER_OBJECT = "sla_clock"


# --- calendars --------------------------------------------------------------------------------


def _parse_week(raw: Sequence[object]) -> tuple[Hours, ...]:
    week: list[Hours] = []
    for day in raw:
        if not day:
            week.append(None)
            continue
        opens, closes = cast("Sequence[object]", day)
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


def _timeline(approval: ApprovalRequest, actor: User | None, summary: str) -> None:
    TimelineEntry.objects.create(request=approval, actor=actor, kind="sla", summary=summary[:300])


def _clock_name(clock: Clock) -> str:
    return clock.task.step_name if clock.task_id and clock.task else "The request"


# --- starting, stopping, pausing ----------------------------------------------------------------


def _publish_due(clock: Clock, approval: ApprovalRequest | None = None) -> None:
    """Copy the clock's due time to the request or task the inbox and pages sort by."""
    if clock.scope == "request":
        ApprovalRequest.objects.filter(pk=clock.request_id).update(due_at=clock.due_at)
        if approval is not None:
            approval.due_at = clock.due_at
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
    approval: ApprovalRequest,
    task: Task | None,
    step_key: str,
    policy: EffectivePolicy,
    now: datetime,
    actor: User | None = None,
) -> Clock:
    """Start a clock (inside the caller's transaction) and schedule its timers."""
    calendar_row = business_calendar_for(approval.department)
    cal = working_calendar(calendar_row)
    due = due_at(cal, policy.calendar, now, policy.hours)
    clock = Clock.objects.create(
        request=approval,
        task=task,
        scope="task" if task is not None else "request",
        step_key=step_key,
        urgency=approval.urgency,
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
    _publish_due(clock, approval)
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
