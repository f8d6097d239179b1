"""Reads for SLA pages: the admin board, the request panel and the effective policies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from apps.accounts.models import User
from apps.approvals.models import ApprovalRequest
from apps.sla.extensions import JUSTIFICATIONS, can_extend, extension_cap
from apps.sla.models import Clock, ClockStatus, SlaOverride
from apps.sla.policies import URGENCIES, EffectivePolicy, effective_policy
from apps.workflows.selectors import published_workflows, spec_of

OPEN = (ClockStatus.RUNNING, ClockStatus.PAUSED)


def open_task_clocks() -> QuerySet[Clock]:
    """Open task clocks, due soonest first (admins only: callers check)."""
    return (
        Clock.objects.filter(scope="task", status__in=OPEN)
        .select_related(
            "request__workflow_version__definition", "task__assignee", "task__queue_role"
        )
        .order_by("due_at", "id")
    )


@dataclass(frozen=True)
class Board:
    open: list[Clock]
    breached: list[Clock]
    escalated: list[Clock]
    request_clocks: list[Clock]
    now: datetime
    beyond_regulatory: list[SlaOverride]  # policies past a regulatory decision time


def board_for(user: User) -> Board:
    if not user.is_tenant_admin:
        raise PermissionError("The SLA board is for tenant administrators.")
    clocks = list(open_task_clocks()[:500])
    request_clocks = list(
        Clock.objects.filter(scope="request", status__in=OPEN)
        .select_related("request__workflow_version__definition")
        .order_by("due_at")[:200]
    )
    return Board(
        open=clocks,
        breached=[c for c in clocks + request_clocks if c.breached_at is not None],
        escalated=[c for c in clocks if c.escalation_level > 0],
        request_clocks=request_clocks,
        now=timezone.now(),
        beyond_regulatory=list(
            SlaOverride.objects.filter(regulatory_hours__isnull=False).select_related("updated_by")
        ),
    )


@dataclass(frozen=True)
class Panel:
    request_clock: Clock | None
    task_clocks: list[Clock]
    can_extend: bool
    now: datetime
    justifications: tuple[tuple[str, str], ...] = tuple(JUSTIFICATIONS.items())
    extension_cap_days: int = 0


def panel_for(user: User, approval: ApprovalRequest) -> Panel:
    """The request's clocks for its detail page (the caller has checked visibility)."""
    clocks = list(
        Clock.objects.filter(request=approval)
        .select_related("task__assignee", "task__queue_role")
        .order_by("-started_at", "-id")
    )
    request_clock = next((c for c in clocks if c.scope == "request"), None)
    open_tasks = [c for c in clocks if c.scope == "task" and c.status in OPEN]
    allowed = bool(
        request_clock is not None
        and request_clock.status == ClockStatus.RUNNING
        and can_extend(user, approval)
    )
    return Panel(
        request_clock,
        sorted(open_tasks, key=lambda c: c.due_at),
        allowed,
        timezone.now(),
        extension_cap_days=extension_cap(approval).days if allowed else 0,
    )


@dataclass(frozen=True)
class PolicyRow:
    workflow_key: str
    workflow_name: str
    step_key: str
    step_name: str
    urgency: str
    policy: EffectivePolicy | None
    override: SlaOverride | None = None


def effective_policies() -> list[PolicyRow]:
    """Every published workflow's request clock and steps, per urgency, as clocks would use."""
    overrides = {(o.workflow_key, o.step_key, o.urgency): o for o in SlaOverride.objects.all()}
    rows: list[PolicyRow] = []
    for workflow in published_workflows():
        assert workflow.current_version is not None
        spec = spec_of(workflow.current_version)
        targets = [("", "Request (from receipt)", spec.sla)]
        targets += [(s.key, s.name, s.sla) for stage in spec.stages for s in stage.steps]
        for step_key, step_name, sla in targets:
            for urgency in URGENCIES:
                policy = effective_policy(
                    workflow_key=spec.key,
                    category=spec.category,
                    step_key=step_key,
                    urgency=urgency,
                    spec_sla=sla.for_urgency(urgency) if sla else None,
                    overrides=overrides,
                )
                rows.append(
                    PolicyRow(
                        spec.key,
                        workflow.name,
                        step_key,
                        step_name,
                        urgency,
                        policy,
                        overrides.get((spec.key, step_key, urgency)),
                    )
                )
    return rows
