"""A hand-built prior-authorization data set (2019, fixed timestamps) with known answers."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from apps.approvals.models import ApprovalRequest, Decision, ReasonCode, Task, TimelineEntry
from apps.people.models import Department
from apps.sla.models import Clock, SlaEvent
from apps.workflows.models import WorkflowDefinition

T0 = datetime(2019, 1, 7, 9, 0, tzinfo=UTC)
NOW = datetime(2019, 3, 5, 0, 0, tzinfo=UTC)


def at(days: float = 0, hours: float = 0) -> datetime:
    return T0 + timedelta(days=days, hours=hours)


@dataclass
class World:
    requests: dict[str, ApprovalRequest] = field(default_factory=dict)
    tasks: dict[str, Task] = field(default_factory=dict)


def _request(
    world,
    name,
    *,
    carol,
    status,
    urgency="standard",
    submitted,
    hours=None,
    member=None,
    cpt="70553",
    touchless=False,
    department=None,
):
    version = WorkflowDefinition.objects.get(key="prior-auth-imaging").current_version
    request = ApprovalRequest.objects.create(
        reference=f"PA-TEST-{name}",
        workflow_version=version,
        requester=carol,
        urgency=urgency,
        status=status,
        data={"member_id": member or f"M-{name}", "cpt_code": cpt, "payer": "Acme Health"},
        touchless=touchless,
        department=department,
        submitted_at=submitted,
        completed_at=None if hours is None else submitted + timedelta(hours=hours),
    )
    ApprovalRequest.objects.filter(pk=request.pk).update(created_at=submitted)
    request.refresh_from_db()
    world.requests[name] = request
    return request


def _task(
    world,
    name,
    request,
    *,
    bob,
    opened,
    hours=None,
    step="utilization_review",
    outcome=None,
    reason=None,
):
    status = (
        "pending"
        if outcome is None
        else {"approve": "approved", "reject": "rejected", "request_info": "info_requested"}[
            outcome
        ]
    )
    task = Task.objects.create(
        request=request,
        key=name,
        step_key=step,
        step_name=step.replace("_", " ").title(),
        stage_index=0,
        assignee=bob,
        status=status,
        closed_at=None if hours is None else opened + timedelta(hours=hours),
    )
    Task.objects.filter(pk=task.pk).update(created_at=opened)
    if outcome:
        decision = Decision.objects.create(
            task=task, request=request, actor=bob, outcome=outcome, reason_code=reason
        )
        Decision.objects.filter(pk=decision.pk).update(decided_at=task.closed_at)
    world.tasks[name] = task
    return task


def _clock(request, *, breached=False, extended=False, escalated=False):
    clock = Clock.objects.create(
        request=request,
        scope="request",
        urgency=request.urgency,
        policy_source="cms-0057-f",
        hours=168,
        calendar="calendar",
        breach_action="notify",
        status="stopped",
        started_at=request.submitted_at,
        due_at=request.submitted_at + timedelta(days=7),
        total_seconds=7 * 86400,
        breached_at=request.completed_at if breached else None,
    )
    for kind, wanted in (("extended", extended), ("escalated", escalated)):
        if wanted:
            SlaEvent.objects.create(clock=clock, kind=kind, at=request.submitted_at)
    return clock


def build(*, carol, bob) -> World:
    world = World()
    necessity, _ = ReasonCode.objects.get_or_create(
        code="insights-test-necessity", defaults={"label": "Not medically necessary (test)"}
    )
    documents, _ = ReasonCode.objects.get_or_create(
        code="insights-test-documents", defaults={"label": "Missing documentation (test)"}
    )
    radiology = Department.objects.get(key="radiology")
    # Standard: cycle hours 10, 20, 30, 40, 50, 60.
    s1 = _request(
        world,
        "S1",
        carol=carol,
        status="approved",
        submitted=at(0),
        hours=10,
        touchless=True,
        department=radiology,
    )
    s2 = _request(world, "S2", carol=carol, status="approved", submitted=at(1), hours=20)
    s3 = _request(
        world,
        "S3",
        carol=carol,
        status="denied",
        submitted=at(2),
        hours=30,
        member="M1",
        cpt="72148",
    )
    s4 = _request(
        world,
        "S4",
        carol=carol,
        status="approved",
        submitted=at(10),
        hours=40,
        member="M1",
        cpt="72148",
    )
    ApprovalRequest.objects.filter(pk=s4.pk).update(appeal_of=s3)  # the appeal of S3
    s5 = _request(world, "S5", carol=carol, status="approved", submitted=at(11), hours=50)
    _request(world, "S6", carol=carol, status="partially_approved", submitted=at(12), hours=60)
    # Expedited: cycle hours 12, 24, 36.
    _request(
        world, "E1", carol=carol, status="approved", urgency="expedited", submitted=at(3), hours=12
    )
    e2 = _request(
        world, "E2", carol=carol, status="denied", urgency="expedited", submitted=at(4), hours=24
    )
    _request(
        world, "E3", carol=carol, status="approved", urgency="expedited", submitted=at(5), hours=36
    )
    # Open: one in review with two pending tasks, one in the exception queue.
    o1 = _request(
        world, "O1", carol=carol, status="in_review", submitted=datetime(2019, 3, 1, tzinfo=UTC)
    )
    o2 = _request(
        world, "O2", carol=carol, status="exception", submitted=datetime(2019, 3, 2, tzinfo=UTC)
    )
    TimelineEntry.objects.create(request=o2, kind="exception", summary="Needs an administrator")
    # Closed tasks: utilization review open 1, 2, 4, 6, 8 h; medical director 10 h.
    _task(world, "t1", s2, bob=bob, opened=s2.submitted_at, hours=2, outcome="request_info")
    _task(world, "t2", s2, bob=bob, opened=s2.submitted_at, hours=4, outcome="approve")
    _task(
        world,
        "t3",
        s3,
        bob=bob,
        opened=s3.submitted_at,
        hours=6,
        outcome="reject",
        reason=necessity,
    )
    _task(world, "t4", s4, bob=bob, opened=s4.submitted_at, hours=8, outcome="approve")
    _task(
        world,
        "t5",
        s5,
        bob=bob,
        opened=s5.submitted_at,
        hours=10,
        step="medical_director_review",
        outcome="approve",
    )
    _task(
        world,
        "t6",
        e2,
        bob=bob,
        opened=e2.submitted_at,
        hours=1,
        outcome="reject",
        reason=documents,
    )
    # Pending: 4 days old and 12 hours old at NOW.
    _task(world, "p1", o1, bob=bob, opened=datetime(2019, 3, 1, tzinfo=UTC))
    _task(world, "p2", o1, bob=bob, opened=datetime(2019, 3, 4, 12, tzinfo=UTC))
    # Request clocks: S3 breached, S5 extended, S2 escalated.
    _clock(s1)
    _clock(s2, escalated=True)
    _clock(s3, breached=True)
    _clock(s4)
    _clock(s5, extended=True)
    return world
