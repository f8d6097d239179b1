"""Effective SLA policies: an admin override, else the workflow spec, else (request clocks of
prior-authorization workflows) the CMS-0057-F defaults."""

from __future__ import annotations

from dataclasses import dataclass, field

from apps.sla.models import BreachAction, SlaOverride
from apps.workflows.engine import SlaSpec
from apps.workflows.engine.spec import DEFAULT_REMINDERS

URGENCIES = ("standard", "expedited")
DEFAULT_CHAIN = ("manager",)
DEFAULT_INTERVAL_HOURS = 24.0
PRIOR_AUTH_CATEGORY = "prior_auth"
# CMS-0057-F: payers decide expedited prior-authorization requests within 72 hours and
# standard ones within 7 calendar days of receipt, on any channel.
CMS_0057_F = {"expedited": 72.0, "standard": 168.0}


@dataclass(frozen=True)
class EffectivePolicy:
    hours: float
    calendar: str
    reminders: tuple[int, ...] = DEFAULT_REMINDERS
    pause_on_needs_info: bool = False
    escalation_chain: tuple[str, ...] = DEFAULT_CHAIN
    breach_action: str = BreachAction.NOTIFY
    escalation_interval_hours: float = DEFAULT_INTERVAL_HOURS
    source: str = "spec"  # "spec" | "override" | "cms-0057-f"
    extra: dict[str, object] = field(default_factory=dict, compare=False)


def from_override(row: SlaOverride) -> EffectivePolicy:
    return EffectivePolicy(
        hours=row.hours,
        calendar=row.calendar,
        reminders=tuple(int(p) for p in row.reminders),
        pause_on_needs_info=row.pause_on_needs_info,
        escalation_chain=tuple(row.escalation_chain),
        breach_action=row.breach_action,
        escalation_interval_hours=row.escalation_interval_hours,
        source="override",
    )


def from_spec(sla: SlaSpec) -> EffectivePolicy:
    return EffectivePolicy(
        hours=float(sla.hours),
        calendar=sla.calendar,
        reminders=tuple(sla.reminders),
        pause_on_needs_info=sla.pause_on_needs_info,
    )


def effective_policy(
    *,
    workflow_key: str,
    category: str,
    step_key: str,
    urgency: str,
    spec_sla: SlaSpec | None,
    overrides: dict[tuple[str, str, str], SlaOverride] | None = None,
) -> EffectivePolicy | None:
    """The policy of one clock (`step_key` empty: the request clock); None means no clock."""
    key = (workflow_key, step_key, urgency)
    if overrides is not None:
        row = overrides.get(key)
    else:
        row = SlaOverride.objects.filter(
            workflow_key=workflow_key, step_key=step_key, urgency=urgency
        ).first()
    if row is not None:
        return from_override(row)
    if spec_sla is not None:
        return from_spec(spec_sla)
    if not step_key and category == PRIOR_AUTH_CATEGORY:
        return EffectivePolicy(hours=CMS_0057_F[urgency], calendar="calendar", source="cms-0057-f")
    return None


def regulatory_limit_exceeded(
    *, category: str, urgency: str, hours: float, calendar: str
) -> float | None:
    """The CMS-0057-F decision time (hours) a clock of this policy would run past, or None.

    Prior-authorization clocks (the request's and each step's) longer than the regulation's
    decision time, or counted in business hours (which stretch it in wall-clock time), need a
    recorded reason and show as a warning on the SLA board."""
    if category != PRIOR_AUTH_CATEGORY:
        return None
    limit = CMS_0057_F.get(urgency)
    if limit is None:
        return None
    return limit if hours > limit or calendar != "calendar" else None
