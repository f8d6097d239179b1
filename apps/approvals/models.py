"""Runtime records of approval requests: the request, its tasks, decisions, comments, files."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from apps.approvals.choices import (
    DecisionOutcome,
    LineOutcome,
    RequestStatus,
    TaskStatus,
    Urgency,
)


class ReasonCode(models.Model):
    """Why a request was denied; tenants keep their own list (seeded with standard codes)."""

    code = models.SlugField(max_length=60, unique=True)
    label = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["label"]

    def __str__(self) -> str:
        return self.label


class ReferenceCounter(models.Model):
    """Sequential, gap-tolerant numbers per prefix and year: CAP-2026-000123."""

    prefix = models.CharField(max_length=5)
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["prefix", "year"], name="one_counter_per_prefix_year")
        ]

    def __str__(self) -> str:
        return f"{self.prefix}-{self.year}: {self.last}"


class ApprovalRequest(models.Model):
    reference = models.CharField(max_length=30, unique=True)
    workflow_version = models.ForeignKey(
        "workflows.WorkflowVersion", on_delete=models.PROTECT, related_name="requests"
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="requests_made"
    )
    department = models.ForeignKey(
        "people.Department", on_delete=models.PROTECT, null=True, blank=True
    )
    urgency = models.CharField(max_length=20, choices=Urgency.choices, default=Urgency.STANDARD)
    status = models.CharField(
        max_length=30, choices=RequestStatus.choices, default=RequestStatus.DRAFT, db_index=True
    )
    data = models.JSONField(default=dict)
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    engine_state = models.JSONField(default=dict)
    exception_reason = models.CharField(max_length=300, blank=True)
    touchless = models.BooleanField(default=False)
    due_at = models.DateTimeField(
        null=True, blank=True, help_text="When the request-level clock (e.g. CMS-0057-F) is due."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    # An appeal is a request of its own (the appeal workflow) that names the denial it appeals.
    appeal_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="appeals"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["requester", "-created_at"]),
            models.Index(fields=["status", "-created_at"]),
            models.Index(fields=["submitted_at"]),  # dashboards and CMS reports by period
            models.Index(fields=["-created_at", "-id"]),  # newest-first lists (API cursor)
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status in {
            RequestStatus.SUBMITTED,
            RequestStatus.IN_REVIEW,
            RequestStatus.NEEDS_INFO,
            RequestStatus.EXCEPTION,
        }


class Task(models.Model):
    """One approval slot: assigned to a person, or waiting in a role's queue to be claimed."""

    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="tasks")
    key = models.CharField(max_length=20)
    step_key = models.CharField(max_length=80)
    step_name = models.CharField(max_length=200)
    stage_index = models.PositiveIntegerField()
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tasks",
    )
    queue_role = models.ForeignKey(
        "people.Role", on_delete=models.PROTECT, null=True, blank=True, related_name="queue_tasks"
    )
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        max_length=20, choices=TaskStatus.choices, default=TaskStatus.PENDING, db_index=True
    )
    due_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "key"], name="one_task_key_per_request")
        ]
        indexes = [
            models.Index(fields=["assignee", "status"]),
            models.Index(fields=["queue_role", "status"]),
            models.Index(fields=["step_key", "created_at"]),  # bottleneck and step metrics
            # GET /api/v1/tasks/mine: an approver's open tasks in the cursor's order.
            models.Index(
                F("assignee"),
                F("created_at"),
                F("id"),
                condition=Q(status="pending"),
                name="task_open_by_assignee",
            ),
            # The inbox: open tasks in due order, per assignee and per unclaimed queue.
            models.Index(
                F("assignee"),
                F("due_at").asc(nulls_last=True),
                F("created_at"),
                F("id"),
                condition=Q(status="pending"),
                name="task_inbox_assigned",
            ),
            models.Index(
                F("due_at").asc(nulls_last=True),
                F("created_at"),
                F("id"),
                condition=Q(status="pending", assignee__isnull=True),
                name="task_inbox_queues",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request.reference} {self.step_name}"


class Decision(models.Model):
    """What an approver decided on a task. One per task, enforced by the database."""

    task = models.OneToOneField(Task, on_delete=models.PROTECT, related_name="decision")
    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="decisions")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome = models.CharField(max_length=20, choices=DecisionOutcome.choices)
    reason_code = models.ForeignKey(ReasonCode, on_delete=models.PROTECT, null=True, blank=True)
    comment = models.TextField(blank=True)
    partial = models.BooleanField(default=False)
    decided_at = models.DateTimeField(auto_now_add=True)
    channel = models.CharField(max_length=20, default="web")

    class Meta:
        ordering = ["decided_at"]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} on task {self.task_id}"


class LineDecision(models.Model):
    """The decision on one line of a request with several lines (a CPT/HCPCS code of a prior
    authorization, an item of a purchase), part of its task's decision."""

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="lines")
    line = models.PositiveIntegerField(help_text="The line's number on the request's form.")
    outcome = models.CharField(max_length=20, choices=LineOutcome.choices)
    requested_quantity = models.PositiveIntegerField()
    approved_quantity = models.PositiveIntegerField()
    reason_code = models.ForeignKey(ReasonCode, on_delete=models.PROTECT, null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["decision", "line"]
        constraints = [
            models.UniqueConstraint(fields=["decision", "line"], name="one_outcome_per_line")
        ]

    def __str__(self) -> str:
        return f"Line {self.line}: {self.get_outcome_display()}"

    @property
    def request(self) -> ApprovalRequest:
        """The request decided (the audit trail files the row under its reference)."""
        return self.decision.request


class Comment(models.Model):
    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"Comment {self.pk} on request {self.request_id}"


class Attachment(models.Model):
    request = models.ForeignKey(
        ApprovalRequest, on_delete=models.CASCADE, related_name="attachments"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    file = models.FileField(upload_to="attachments/%Y/%m/")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.original_name


class TimelineEntry(models.Model):
    """What happened to a request, in order, as people read it on the detail page."""

    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=40)
    summary = models.CharField(max_length=300)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return self.summary


class BreakGlassGrant(models.Model):
    """Emergency access to a request its holder is not entitled to: given with a reason, for a
    bounded time, and reviewed afterwards by a privacy officer."""

    request = models.ForeignKey(
        ApprovalRequest, on_delete=models.CASCADE, related_name="break_glass_grants"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    opened_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-opened_at"]
        indexes = [models.Index(fields=["user", "request", "expires_at"])]

    def __str__(self) -> str:
        return f"Break glass on request {self.request_id} by user {self.user_id}"


class SavedInboxView(models.Model):
    """A user's named inbox: the query string (filters, search, sort) they saved under a name."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_inbox_views"
    )
    name = models.CharField(max_length=80)
    query = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="one_inbox_view_name_per_owner")
        ]

    def __str__(self) -> str:
        return self.name


class RequestWatch(models.Model):
    """A user follows a request: it is listed under "Watched" in their inbox."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="request_watches"
    )
    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="watches")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "request"], name="one_watch_per_user_request")
        ]

    def __str__(self) -> str:
        return f"User {self.user_id} watches request {self.request_id}"
