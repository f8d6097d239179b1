"""SLA settings a tenant administrator changes: policy overrides, the business calendar and
closures."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from apps.accounts.models import User
from apps.approvals.exceptions import InvalidInput, NotAllowed
from apps.core.actions import action_service
from apps.sla.calendars import (
    WorkingCalendar,
)
from apps.sla.clocks import _parse_week
from apps.sla.models import (
    BreachAction,
    BusinessCalendar,
    CalendarKind,
    Closure,
    SlaOverride,
)
from apps.sla.policies import URGENCIES, regulatory_limit_exceeded
from apps.workflows.selectors import published_workflows

logger = logging.getLogger(__name__)

MIN_REASON = 10
CHAIN_ENTRY_HELP = '"manager", "admins", "role:<key>" or "user:<email>"'

# --- administration -------------------------------------------------------------------------------


def _check_admin(actor: User) -> None:
    if not actor.is_tenant_admin:
        raise NotAllowed("Only tenant administrators can change SLA settings.")


def _category_of(workflow_key: str) -> str:
    workflow = published_workflows().filter(key=workflow_key).first()
    return workflow.category if workflow is not None else ""


@action_service
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
    reason: str = "",
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
    regulatory = regulatory_limit_exceeded(
        category=_category_of(workflow_key), urgency=urgency, hours=hours, calendar=calendar
    )
    reason = reason.strip()
    if regulatory is not None and len(reason) < MIN_REASON:
        errors["reason"] = [
            f"This clock runs past the CMS-0057-F decision time of {regulatory:g} calendar hours "
            f"for {urgency} prior authorizations; give the reason (at least {MIN_REASON} "
            "characters). It is recorded and shown on the SLA board."
        ]
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
            "reason": reason if regulatory is not None else "",
            "regulatory_hours": regulatory,
            "updated_by": actor,
        },
    )
    return override


@action_service
def override_delete(*, actor: User, workflow_key: str, step_key: str, urgency: str) -> None:
    _check_admin(actor)
    SlaOverride.objects.filter(
        workflow_key=workflow_key, step_key=step_key, urgency=urgency
    ).delete()


@action_service
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


@action_service
def closure_add(*, actor: User, date: datetime.date | str, reason: str = "") -> Closure:
    """Close the tenant for a day (on top of public holidays)."""
    _check_admin(actor)
    row = BusinessCalendar.objects.filter(department__isnull=True).order_by("pk").first()
    if row is None:
        row = BusinessCalendar.objects.create(name="Business hours")
    closure, _ = Closure.objects.get_or_create(
        calendar=row, date=date, defaults={"reason": reason[:200]}
    )
    return closure
