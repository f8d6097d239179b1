"""SLA records of a tenant: business calendars and closures, policy overrides, one clock per
timed request or task, and each clock's history (started, paused, ... breached, stopped)."""

from django.conf import settings
from django.db import models

DEFAULT_TIMEZONE = "America/New_York"


def default_week() -> list[list[str] | None]:
    return [["09:00", "17:00"]] * 5 + [None, None]


class BusinessCalendar(models.Model):
    """Working hours of the tenant (department empty) or of one department."""

    name = models.CharField(max_length=100, default="Business hours")
    department = models.OneToOneField(
        "people.Department",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="business_calendar",
    )
    timezone = models.CharField(max_length=64, default=DEFAULT_TIMEZONE)
    week = models.JSONField(
        default=default_week,
        help_text='Monday first: ["09:00", "17:00"] or null (closed) for each of 7 days.',
    )
    country = models.CharField(max_length=2, default="US", blank=True)
    subdivision = models.CharField(max_length=10, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["department__name", "id"]

    def __str__(self) -> str:
        return self.name


class Closure(models.Model):
    """A date the tenant (or department) is closed besides public holidays."""

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="closures"
    )
    date = models.DateField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="one_closure_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.reason}"


class CalendarKind(models.TextChoices):
    CALENDAR = "calendar", "Calendar time"
    BUSINESS = "business", "Business hours"


class BreachAction(models.TextChoices):
    NOTIFY = "notify", "Notify the escalation contact"
    ADD_APPROVER = "add_approver", "Add the escalation contact as an approver"
    REASSIGN = "reassign", "Reassign the task to the escalation contact"


class SlaOverride(models.Model):
    """A tenant admin's policy for one workflow + step (empty: the request clock) + urgency."""

    workflow_key = models.SlugField(max_length=80)
    step_key = models.CharField(max_length=80, blank=True)
    urgency = models.CharField(max_length=20)
    hours = models.FloatField()
    calendar = models.CharField(max_length=20, choices=CalendarKind.choices)
    reminders = models.JSONField(default=list)
    pause_on_needs_info = models.BooleanField(default=False)
    escalation_chain = models.JSONField(
        default=list, help_text='"manager", "role:<key>", "user:<email>" or "admins", in order.'
    )
    breach_action = models.CharField(
        max_length=20, choices=BreachAction.choices, default=BreachAction.NOTIFY
    )
    escalation_interval_hours = models.FloatField(default=24)
    reason = models.TextField(
        blank=True, help_text="Why the clock runs past a regulatory decision time (required then)."
    )
    regulatory_hours = models.FloatField(
        null=True, blank=True, help_text="The regulatory decision time this override exceeds."
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["workflow_key", "step_key", "urgency"]
        constraints = [
            models.UniqueConstraint(
                fields=["workflow_key", "step_key", "urgency"], name="one_sla_override"
            )
        ]

    def __str__(self) -> str:
        return f"{self.workflow_key}/{self.step_key or 'request'}/{self.urgency}"


class ClockStatus(models.TextChoices):
    RUNNING = "running", "Running"
    PAUSED = "paused", "Paused"
    STOPPED = "stopped", "Stopped"


class Clock(models.Model):
    """One SLA clock: the request's (scope "request") or one task's."""

    request = models.ForeignKey(
        "approvals.ApprovalRequest", on_delete=models.CASCADE, related_name="sla_clocks"
    )
    task = models.ForeignKey(
        "approvals.Task", on_delete=models.CASCADE, null=True, blank=True, related_name="sla_clocks"
    )
    scope = models.CharField(max_length=10)
    step_key = models.CharField(max_length=80, blank=True)
    urgency = models.CharField(max_length=20)
    policy_source = models.CharField(max_length=20)
    hours = models.FloatField()
    calendar = models.CharField(max_length=20, choices=CalendarKind.choices)
    business_calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reminders = models.JSONField(default=list)
    reminders_sent = models.JSONField(default=list)
    pause_on_needs_info = models.BooleanField(default=False)
    escalation_chain = models.JSONField(default=list)
    breach_action = models.CharField(max_length=20, choices=BreachAction.choices)
    escalation_interval_hours = models.FloatField(default=24)
    status = models.CharField(max_length=10, choices=ClockStatus.choices, db_index=True)
    started_at = models.DateTimeField()
    due_at = models.DateTimeField(db_index=True)
    total_seconds = models.FloatField(help_text="Clock time of the whole window.")
    paused_at = models.DateTimeField(null=True, blank=True)
    remaining_seconds = models.FloatField(null=True, blank=True, help_text="Set while paused.")
    breached_at = models.DateTimeField(null=True, blank=True)
    escalation_level = models.PositiveIntegerField(default=0)
    generation = models.PositiveIntegerField(
        default=0, help_text="Bumped on every reschedule; older timers are ignored."
    )
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["request", "scope"])]

    def __str__(self) -> str:
        return f"{self.scope} clock {self.pk} due {self.due_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.status != ClockStatus.STOPPED


class SlaEventKind(models.TextChoices):
    STARTED = "started", "Started"
    PAUSED = "paused", "Paused"
    RESUMED = "resumed", "Resumed"
    EXTENDED = "extended", "Extended"
    REMINDED = "reminded", "Reminder sent"
    ESCALATED = "escalated", "Escalated"
    BREACHED = "breached", "Breached"
    STOPPED = "stopped", "Stopped"


class SlaEvent(models.Model):
    clock = models.ForeignKey(Clock, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=SlaEventKind.choices)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)
    old_due_at = models.DateTimeField(null=True, blank=True)
    new_due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} at {self.at:%Y-%m-%d %H:%M}"
