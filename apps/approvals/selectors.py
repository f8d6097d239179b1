"""Reads of approval requests, always through one permission filter (`requests_visible_to`).

Who may see a request: its requester, anyone who holds or held one of its tasks (or on whose
behalf one was held), members of a role whose queue holds one of its tasks, users it was shared
with (guardian object permission), members of its department's viewer role, break-glass users
while their access lasts (see `apps.approvals.grants`), and tenant admins.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet

from apps.accounts.models import User
from apps.approvals.choices import TaskStatus
from apps.approvals.exceptions import NotFound
from apps.approvals.grants import break_glass_open_for, department_granted_to, shared_with
from apps.approvals.models import (
    ApprovalRequest,
    Attachment,
    Comment,
    Decision,
    LineDecision,
    Task,
    TimelineEntry,
)

# What list pages never show and would otherwise load once per row: the request's answers and
# engine state, and the workflow's whole specification (tens of kB of JSON each).
LIST_DEFERRED = (
    "data",
    "engine_state",
    "workflow_version__spec",
    "workflow_version__definition__draft_spec",
)


def _involvement(user: User) -> Q:
    # The user's roles as a small subquery, not a join through every role's members.
    roles = User.roles.through.objects.filter(user=user).values("role_id")
    holds = Q(assignee=user) | Q(on_behalf_of=user) | Q(queue_role__in=roles)
    tasks = Task.objects.filter(request=OuterRef("pk")).filter(holds)
    # Who reviews an appeal reads the request it appeals.
    appeal_tasks = Task.objects.filter(request__appeal_of=OuterRef("pk")).filter(holds)
    return (
        Q(requester=user)
        | Q(Exists(tasks))
        | Q(Exists(appeal_tasks))
        | shared_with(user)
        | department_granted_to(user)
        | break_glass_open_for(user)
    )


def requests_visible_to(user: User) -> QuerySet[ApprovalRequest]:
    """The one permission filter every read of requests goes through."""
    if not user.is_authenticated or not user.is_active:
        return ApprovalRequest.objects.none()
    base = ApprovalRequest.objects.all()
    if user.is_tenant_admin:
        return base
    return base.filter(_involvement(user))


def can_view_request(user: User, approval: ApprovalRequest) -> bool:
    return requests_visible_to(user).filter(pk=approval.pk).exists()


def is_approver_of(user: User, approval: ApprovalRequest) -> bool:
    """Has `user` a task on this request: assigned, on someone's behalf, or through a queue?"""
    return (
        Task.objects.filter(request=approval)
        .filter(Q(assignee=user) | Q(on_behalf_of=user) | Q(queue_role__members=user))
        .exists()
    )


def request_for(user: User, reference: str) -> ApprovalRequest:
    """A request the user may see, with everything the detail page shows, in a fixed number
    of queries. Outsiders get NotFound (the request's existence is not revealed)."""
    queryset = requests_visible_to(user).select_related(
        "workflow_version__definition", "requester", "department"
    )
    approval = (
        queryset.prefetch_related(
            Prefetch(
                "tasks",
                queryset=Task.objects.select_related(
                    "assignee",
                    "queue_role",
                    "on_behalf_of",
                    "decision__reason_code",
                    "decision__actor",
                ),
            ),
            Prefetch(
                "decisions",
                queryset=Decision.objects.select_related("actor", "reason_code", "task"),
            ),
            Prefetch(
                "tasks__decision__lines",
                queryset=LineDecision.objects.select_related("reason_code"),
            ),
            Prefetch("comments", queryset=Comment.objects.select_related("author")),
            Prefetch("attachments", queryset=Attachment.objects.select_related("uploaded_by")),
            Prefetch("timeline", queryset=TimelineEntry.objects.select_related("actor")),
        )
        .filter(reference=reference)
        .first()
    )
    if approval is None:
        raise NotFound(f"No request {reference} that you can see.")
    return approval


def _plainly_visible(user: User, task: Task) -> bool:
    """Clauses of `requests_visible_to` that the loaded task answers without a query: tenant
    admins, the request's requester, and whoever holds the task or holds it on behalf of."""
    if not user.is_authenticated or not user.is_active:
        return False
    return bool(
        user.is_tenant_admin
        or task.request.requester_id == user.pk
        or task.assignee_id == user.pk
        or task.on_behalf_of_id == user.pk
    )


def task_for(user: User, task_id: int) -> Task:
    """A task of a request the user may see.

    The task is read on its own first: when it plainly admits the user (the common case of an
    approver acting on their own task) no permission query is built; otherwise the request goes
    through `requests_visible_to` like every other read."""
    task = (
        Task.objects.select_related("request__workflow_version", "queue_role", "assignee")
        .filter(pk=task_id)
        .first()
    )
    if task is None or not (
        _plainly_visible(user, task)
        or requests_visible_to(user).filter(pk=task.request_id).exists()
    ):
        raise NotFound("No such task that you can see.")
    return task


@dataclass(frozen=True)
class InboxFilters:
    workflow: str | None = None
    urgency: str | None = None
    scope: str = "all"  # all | mine | queues


INBOX_ORDER = (F("due_at").asc(nulls_last=True), "created_at", "id")


def inbox_for(
    user: User, filters: InboxFilters | None = None, *, first: int | None = None
) -> QuerySet[Task]:
    """Pending tasks assigned to the user and unclaimed tasks in their roles' queues, due
    soonest (overdue) first, then oldest first; tasks without a due time come last.
    Every task listed is one `requests_visible_to` admits through its involvement clause, so no
    second filter is run.

    `first`: only the first N in that order are wanted (a page). Each of the two parts is then
    read in order from its partial index (`task_inbox_assigned`, `task_inbox_queues`) and cut at
    N, and the two cuts are merged in the same order and cut at N again, all in one small query
    (UNION ALL) — instead of sorting every open task of a busy queue (at 1M requests, tens of
    thousands). The rows are then joined for those N tasks only, not the 2N ids of the two cuts,
    because planning that seven-table join grows with the ids it is given."""
    filters = filters or InboxFilters()
    member_of_queue = User.objects.filter(pk=user.pk, roles=OuterRef("queue_role"))
    mine = Q(assignee=user)
    queues = Q(assignee__isnull=True) & Q(Exists(member_of_queue))
    parts = {"mine": [mine], "queues": [queues]}.get(filters.scope, [mine, queues])
    open_tasks = Task.objects.filter(status=TaskStatus.PENDING)
    if filters.workflow:
        open_tasks = open_tasks.filter(request__workflow_version__definition__key=filters.workflow)
    if filters.urgency:
        open_tasks = open_tasks.filter(request__urgency=filters.urgency)
    if first is None:
        scope = parts[0] if len(parts) == 1 else parts[0] | parts[1]
        tasks = open_tasks.filter(scope)
    else:
        heads = [
            open_tasks.filter(part)
            .order_by(*INBOX_ORDER)
            .values_list("due_at", "created_at", "id")[:first]
            for part in parts
        ]
        if len(heads) == 2:
            heads = [heads[0].union(heads[1], all=True).order_by(*INBOX_ORDER)[:first]]
        tasks = Task.objects.filter(pk__in=[pk for _, _, pk in heads[0]])
    return (
        tasks.select_related(
            "request__workflow_version__definition",
            "request__requester",
            "queue_role",
            "on_behalf_of",
        )
        .defer(*(f"request__{name}" for name in LIST_DEFERRED))
        .order_by(*INBOX_ORDER)
    )


def requests_made_by(user: User) -> QuerySet[ApprovalRequest]:
    return (
        requests_visible_to(user)
        .filter(requester=user)
        .select_related("workflow_version__definition")
        .defer(*LIST_DEFERRED)
        .order_by("-created_at")
    )


def requests_made_by_rows(user: User) -> QuerySet[ApprovalRequest, Any]:  # rows are dicts
    """`requests_made_by` with only what "My requests" shows, one dict per request (as the
    inbox's rows, `apps.approvals.inbox`): building model instances per row cost more than the
    query."""
    return requests_made_by(user).values(
        "reference",
        "status",
        "amount",
        "created_at",
        workflow_name=F("workflow_version__definition__name"),
    )


def exception_queue(user: User) -> QuerySet[ApprovalRequest]:
    if not user.is_tenant_admin:
        return ApprovalRequest.objects.none()
    return (
        ApprovalRequest.objects.filter(status="exception")
        .select_related("workflow_version__definition", "requester")
        .order_by("created_at")
    )
