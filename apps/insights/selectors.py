"""Dashboard metrics of a tenant, each one SQL aggregate over requests, tasks, decisions and
SLA clocks. Every function takes the same `Filters` and returns rows (dicts) that the charts, the
tables and the CSV downloads share.

Definitions (also in docs/insights.md):
- a request is counted in the period of its submission (`submitted_at`); drafts never count;
- cycle time = `completed_at - submitted_at` of completed requests;
- decided = approved, partially approved or denied;
- approved after appeal = a request whose appeal (a linked request of the workflow's appeal
  workflow, `ApprovalRequest.appeal_of`) was approved or partially approved;
- first-pass approval = approved with no "request information" decision on the way;
- exception = the request has ever been routed to the exception queue (timeline kind
  "exception") or is there now.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import (
    Avg,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
)
from django.utils import timezone

from apps.accounts.models import User
from apps.approvals.choices import DecisionOutcome, RequestStatus, TaskStatus
from apps.approvals.models import ApprovalRequest, Decision, Task, TimelineEntry
from apps.insights.aggregates import P90, Median, Seconds
from apps.sla.models import Clock, SlaEvent, SlaEventKind

DECIDED = (RequestStatus.APPROVED, RequestStatus.PARTIALLY_APPROVED, RequestStatus.DENIED)
APPROVED = (RequestStatus.APPROVED, RequestStatus.PARTIALLY_APPROVED)
AGE_BUCKETS = (("< 1 day", 0, 1), ("1-3 days", 1, 3), ("3-7 days", 3, 7), ("> 7 days", 7, None))
HOUR = 3600.0


@dataclass(frozen=True)
class Filters:
    start: date | None = None
    end: date | None = None  # inclusive
    workflow: str = ""
    department: str = ""
    urgency: str = ""
    departments: tuple[int, ...] | None = field(default=None)  # a manager's scope; None = all

    def as_query(self) -> str:
        from urllib.parse import urlencode

        pairs = {
            "start": self.start.isoformat() if self.start else "",
            "end": self.end.isoformat() if self.end else "",
            "workflow": self.workflow,
            "department": self.department,
            "urgency": self.urgency,
        }
        return urlencode({k: v for k, v in pairs.items() if v})


def _aware(day: date, *, end: bool = False) -> datetime:
    moment = datetime.combine(day + timedelta(days=1) if end else day, time.min)
    return timezone.make_aware(moment, timezone.get_current_timezone())


def requests_in_scope(filters: Filters) -> QuerySet[ApprovalRequest]:
    qs = ApprovalRequest.objects.exclude(status=RequestStatus.DRAFT).exclude(
        submitted_at__isnull=True
    )
    if filters.start:
        qs = qs.filter(submitted_at__gte=_aware(filters.start))
    if filters.end:
        qs = qs.filter(submitted_at__lt=_aware(filters.end, end=True))
    if filters.workflow:
        qs = qs.filter(workflow_version__definition__key=filters.workflow)
    if filters.department:
        qs = qs.filter(department__key=filters.department)
    if filters.urgency:
        qs = qs.filter(urgency=filters.urgency)
    if filters.departments is not None:
        qs = qs.filter(department_id__in=filters.departments)
    return qs


def _hours(value: float | None) -> float | None:
    return None if value is None else round(value / HOUR, 2)


def _rate(part: int, whole: int) -> float | None:
    return None if not whole else round(100.0 * part / whole, 1)


def _cycle_stats(qs: QuerySet[Any], group: list[str]) -> list[dict[str, Any]]:
    completed = qs.filter(completed_at__isnull=False).annotate(
        seconds=Seconds("completed_at", "submitted_at")
    )
    rows = (
        completed.values(*group)
        .annotate(
            n=Count("pk"),
            mean=Avg("seconds"),
            median=Median("seconds"),
            p90=P90("seconds"),
        )
        .order_by(*group)
    )
    return [
        {
            **{k: r[k] for k in group},
            "completed": r["n"],
            "mean_hours": _hours(r["mean"]),
            "median_hours": _hours(r["median"]),
            "p90_hours": _hours(r["p90"]),
        }
        for r in rows
    ]


WORKFLOW = "workflow_version__definition__name"


def volume(filters: Filters) -> list[dict[str, Any]]:
    rows = (
        requests_in_scope(filters)
        .values(workflow=F(WORKFLOW), urg=F("urgency"))
        .annotate(
            submitted=Count("pk"),
            open=Count("pk", filter=Q(completed_at__isnull=True)),
            completed=Count("pk", filter=Q(completed_at__isnull=False)),
        )
        .order_by("workflow", "urg")
    )
    return [
        {
            "workflow": r["workflow"],
            "urgency": r["urg"],
            "submitted": r["submitted"],
            "open": r["open"],
            "completed": r["completed"],
        }
        for r in rows
    ]


def cycle_time_by_workflow(filters: Filters) -> list[dict[str, Any]]:
    qs = requests_in_scope(filters).annotate(workflow=F(WORKFLOW))
    return _cycle_stats(qs, ["workflow"])


def cycle_time_by_urgency(filters: Filters) -> list[dict[str, Any]]:
    return _cycle_stats(requests_in_scope(filters), ["urgency"])


def cycle_time_by_step(filters: Filters) -> list[dict[str, Any]]:
    """Time each step's tasks were open (created → closed), closed tasks only."""
    rows = (
        Task.objects.filter(request__in=requests_in_scope(filters), closed_at__isnull=False)
        .annotate(seconds=Seconds("closed_at", "created_at"))
        .values("step_key", "step_name")
        .annotate(n=Count("pk"), mean=Avg("seconds"), median=Median("seconds"), p90=P90("seconds"))
        .order_by("-median", "step_key")
    )
    return [
        {
            "step_key": r["step_key"],
            "step": r["step_name"],
            "closed_tasks": r["n"],
            "mean_hours": _hours(r["mean"]),
            "median_hours": _hours(r["median"]),
            "p90_hours": _hours(r["p90"]),
        }
        for r in rows
    ]


def bottlenecks(filters: Filters, limit: int = 5) -> list[dict[str, Any]]:
    """Steps with the longest median open time: where requests wait."""
    return cycle_time_by_step(filters)[:limit]


def sla_adherence(filters: Filters) -> list[dict[str, Any]]:
    """Per clock scope (request / task): clocks, breached, extended, escalated, adherence %."""
    clocks = Clock.objects.filter(request__in=requests_in_scope(filters))
    rows = (
        clocks.values("scope")
        .annotate(
            clocks=Count("pk"),
            breached=Count("pk", filter=Q(breached_at__isnull=False)),
        )
        .order_by("scope")
    )
    events = (
        SlaEvent.objects.filter(
            clock__in=clocks, kind__in=[SlaEventKind.EXTENDED, SlaEventKind.ESCALATED]
        )
        .values("clock__scope", "kind")
        .annotate(n=Count("clock", distinct=True))
    )
    clocks_with = {(e["clock__scope"], e["kind"]): e["n"] for e in events}
    return [
        {
            "scope": r["scope"],
            "clocks": r["clocks"],
            "breached": r["breached"],
            "extended": clocks_with.get((r["scope"], SlaEventKind.EXTENDED), 0),
            "escalated": clocks_with.get((r["scope"], SlaEventKind.ESCALATED), 0),
            "adherence_pct": _rate(r["clocks"] - r["breached"], r["clocks"]),
        }
        for r in rows
    ]


def breaches_by_step(filters: Filters) -> list[dict[str, Any]]:
    rows = (
        Clock.objects.filter(request__in=requests_in_scope(filters), breached_at__isnull=False)
        .values("scope", "step_key")
        .annotate(breaches=Count("pk"))
        .order_by("-breaches", "step_key")
    )
    return [
        {"scope": r["scope"], "step_key": r["step_key"] or "(request)", "breaches": r["breaches"]}
        for r in rows
    ]


def queue_ageing(filters: Filters, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """Open (pending) tasks by how long they have been waiting."""
    now = now or timezone.now()
    pending = Task.objects.filter(request__in=requests_in_scope(filters), status=TaskStatus.PENDING)
    counts = {}
    for i, (_, low, high) in enumerate(AGE_BUCKETS):
        condition = Q(created_at__lte=now - timedelta(days=low))
        if high is not None:
            condition &= Q(created_at__gt=now - timedelta(days=high))
        counts[f"bucket{i}"] = Count("pk", filter=condition)
    result = pending.aggregate(**counts)
    return [
        {"age": label, "open_tasks": result[f"bucket{i}"]}
        for i, (label, _, _) in enumerate(AGE_BUCKETS)
    ]


def approved_after_appeal(qs: QuerySet[ApprovalRequest]) -> QuerySet[ApprovalRequest]:
    """The requests of `qs` an appeal of which was approved (real appeals, linked by
    `appeal_of`: nothing is guessed from matching answers)."""
    approved_appeal = ApprovalRequest.objects.filter(appeal_of=OuterRef("pk"), status__in=APPROVED)
    return qs.filter(Exists(approved_appeal))


def outcome_rates(filters: Filters) -> dict[str, Any]:
    """Headline rates over the requests of the period. The EXISTS tests sit in WHERE clauses
    of their own counts so PostgreSQL runs them as (hashed) semi-joins, not once per row."""
    qs = requests_in_scope(filters)
    info = Decision.objects.filter(request=OuterRef("pk"), outcome=DecisionOutcome.REQUEST_INFO)
    exception = TimelineEntry.objects.filter(request=OuterRef("pk"), kind="exception")
    r = qs.aggregate(
        total=Count("pk"),
        decided=Count("pk", filter=Q(status__in=DECIDED)),
        approved=Count("pk", filter=Q(status=RequestStatus.APPROVED)),
        partial=Count("pk", filter=Q(status=RequestStatus.PARTIALLY_APPROVED)),
        denied=Count("pk", filter=Q(status=RequestStatus.DENIED)),
        touchless=Count("pk", filter=Q(status__in=APPROVED, touchless=True)),
        in_exception=Count("pk", filter=Q(status=RequestStatus.EXCEPTION)),
    )
    approved = qs.filter(status__in=APPROVED)
    r["first_pass"] = r["approved"] + r["partial"] - approved.filter(Exists(info)).count()
    r["appeals_approved"] = approved_after_appeal(qs).count()
    r["exceptions"] = r["in_exception"] + (
        qs.exclude(status=RequestStatus.EXCEPTION).filter(Exists(exception)).count()
    )
    return {
        **r,
        "denial_rate": _rate(r["denied"], r["decided"]),
        "approval_rate": _rate(r["approved"] + r["partial"], r["decided"]),
        "touchless_rate": _rate(r["touchless"], r["decided"]),
        "first_pass_rate": _rate(r["first_pass"], r["decided"]),
        "exception_rate": _rate(r["exceptions"], r["total"]),
        "approved_after_appeal_rate": _rate(r["appeals_approved"], r["decided"]),
    }


def denial_reasons(filters: Filters) -> list[dict[str, Any]]:
    rows = (
        Decision.objects.filter(
            request__in=requests_in_scope(filters), outcome=DecisionOutcome.REJECT
        )
        .values(code=F("reason_code__code"), label=F("reason_code__label"))
        .annotate(denials=Count("pk"))
        .order_by("-denials", "code")
    )
    total = sum(r["denials"] for r in rows)
    return [
        {
            "reason_code": r["code"] or "(none)",
            "reason": r["label"] or "(none)",
            "denials": r["denials"],
            "share_pct": _rate(r["denials"], total),
        }
        for r in rows
    ]


def approver_workload(filters: Filters) -> list[dict[str, Any]]:
    """Decisions per approver and the time from task creation to their decision, plus what is
    waiting in their name now."""
    scope = requests_in_scope(filters)
    rows = (
        Decision.objects.filter(request__in=scope)
        .annotate(seconds=Seconds("decided_at", "task__created_at"))
        .values("actor_id", name=F("actor__full_name"), email=F("actor__email"))
        .annotate(decisions=Count("pk"), median=Median("seconds"), mean=Avg("seconds"))
        .order_by("-decisions", "email")
    )
    pending = dict(
        Task.objects.filter(request__in=scope, status=TaskStatus.PENDING, assignee__isnull=False)
        .values_list("assignee_id")
        .annotate(n=Count("pk"))
        .values_list("assignee_id", "n")
    )
    return [
        {
            "approver": r["name"] or r["email"],
            "email": r["email"],
            "decisions": r["decisions"],
            "pending_now": pending.get(r["actor_id"], 0),
            "median_hours_to_decide": _hours(r["median"]),
            "mean_hours_to_decide": _hours(r["mean"]),
        }
        for r in rows
    ]


def manager_departments(user: User) -> tuple[int, ...]:
    return tuple(user.departments_headed.values_list("pk", flat=True))
