"""Extending an SLA clock: who may extend a request's clock, and the extension itself."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from apps.accounts.models import User
from apps.approvals.choices import TaskStatus
from apps.approvals.exceptions import Conflict, InvalidInput, NotAllowed
from apps.approvals.models import ApprovalRequest, Task
from apps.core.actions import action
from apps.sla import notices
from apps.sla.calendars import (
    remaining_seconds,
)
from apps.sla.clocks import _calendar_of, _event, _publish_due, _schedule_timers, _timeline, _when
from apps.sla.models import (
    Clock,
    ClockStatus,
    SlaEventKind,
)

# --- extension ----------------------------------------------------------------------------------

# Why a due time may move (the structured justification every extension needs). CMS-0057-F
# lets a payer extend a prior-authorization decision by up to 14 days when the patient asks or
# more information is needed; other workflows use the tenant-wide cap SLA_EXTENSION_MAX_DAYS.
JUSTIFICATIONS = {
    "information_needed": "More clinical information is needed",
    "patient_requested": "The patient or their representative asked for more time",
    "peer_review": "A peer-to-peer or specialist review is scheduled",
    "waiting_on_others": "Waiting on the payer or another organisation",
}
REGULATORY_CAP = timedelta(days=14)
REGULATED_CATEGORIES = frozenset({"prior_auth"})


def extension_cap(approval: ApprovalRequest) -> timedelta:
    """How far past its original due time a request clock may be extended in all."""
    if approval.workflow_version.spec.get("category") in REGULATED_CATEGORIES:
        return REGULATORY_CAP
    return timedelta(days=settings.SLA_EXTENSION_MAX_DAYS)


def _original_due(clock: Clock) -> datetime:
    first = clock.events.filter(kind=SlaEventKind.EXTENDED).order_by("at", "pk").first()
    return first.old_due_at if first is not None and first.old_due_at else clock.due_at


def can_extend(actor: User, approval: ApprovalRequest) -> bool:
    """Tenant admins and the request's current approvers may extend its clock."""
    if not actor.is_authenticated or not actor.is_active:
        return False
    if actor.is_tenant_admin:
        return True
    return (
        Task.objects.filter(request=approval, status=TaskStatus.PENDING)
        .filter(Q(assignee=actor) | Q(assignee__isnull=True, queue_role__members=actor))
        .exists()
    )


def request_extend(
    *,
    actor: User,
    approval: ApprovalRequest,
    new_due_at: datetime,
    reason: str,
    justification: str,
) -> Clock:
    """Move the request clock's due time later, with a justification from JUSTIFICATIONS, a
    reason, an audit trail and a notice to the requester; never past the cap (14 days after the
    original due time for prior authorizations). Never a silent pause: the clock keeps running
    toward the new due time."""
    from apps.approvals.services import request_lock

    errors: dict[str, list[str]] = {}
    if justification not in JUSTIFICATIONS:
        errors["justification"] = [
            "Choose why the due time is extended: " + ", ".join(JUSTIFICATIONS) + "."
        ]
    if not reason.strip():
        errors["reason"] = ["Say why the due time is extended."]
    if timezone.is_naive(new_due_at):
        errors["new_due_at"] = ["Give the new due time with its time zone."]
    if errors:
        raise InvalidInput("The extension is incomplete.", fields=errors)
    now = timezone.now()
    with action(actor=actor):
        approval = request_lock(approval)
        if not can_extend(actor, approval):
            raise NotAllowed("Only tenant administrators and current approvers can extend.")
        clock = (
            Clock.objects.select_for_update(of=("self",))
            .select_related("business_calendar")
            .filter(request=approval, scope="request")
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
        original = _original_due(clock)
        cap = extension_cap(approval)
        if new_due_at - original > cap:
            raise InvalidInput(
                f"Extensions of this clock stop {cap.days} days after its original due time.",
                fields={
                    "new_due_at": [f"Choose {_when(original + cap, cal)} or earlier."],
                },
            )
        note = f"{JUSTIFICATIONS[justification]}. {reason.strip()}"[:300]
        old = clock.due_at
        left_before = remaining_seconds(cal, clock.calendar, now, old)
        left_after = remaining_seconds(cal, clock.calendar, now, new_due_at)
        clock.total_seconds = clock.total_seconds - left_before + left_after
        clock.due_at = new_due_at
        clock.breached_at = None  # the new due time can be breached (and escalated) again
        clock.escalation_level = 0
        clock.save(update_fields=["total_seconds", "due_at", "breached_at", "escalation_level"])
        _schedule_timers(clock, cal, now)
        _publish_due(clock, approval)
        _event(
            clock,
            SlaEventKind.EXTENDED,
            now,
            actor=actor,
            note=note,
            old_due_at=old,
            new_due_at=new_due_at,
        )
        _timeline(
            approval,
            actor,
            f"{actor.full_name} extended the due time from {_when(old, cal)} to "
            f"{_when(new_due_at, cal)}: {note}",
        )
        notices.send(
            kind="extension",
            recipients=[approval.requester],
            approval=approval,
            mandatory=True,
            extra={"old_due_at": old.isoformat(), "new_due_at": new_due_at.isoformat()},
        )
    return clock
