"""In-app notifications, per-user delivery preferences, the email log, emailed action links
and the tenant's notification settings."""

from django.conf import settings
from django.db import models

from apps.notifications.choices import Delivery, EmailStatus


class NotificationSettings(models.Model):
    """One row per tenant (pk 1): how emailed action links behave."""

    link_expiry_hours = models.PositiveIntegerField(
        default=72, help_text="How long an emailed approve/deny link stays valid."
    )
    signin_above_amount = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Emailed decisions on requests above this amount need the approver to sign in.",
    )
    signin_workflows = models.JSONField(
        default=list, blank=True, help_text="Workflow keys whose emailed decisions need sign-in."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "notification settings"

    def __str__(self) -> str:
        return "Notification settings"


class NotificationPreference(models.Model):
    """How a user wants one family of notifications; no row means the default."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_prefs"
    )
    key = models.CharField(max_length=40)
    delivery = models.CharField(max_length=20, choices=Delivery.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="one_preference_per_user_key")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.key}: {self.delivery}"


class Notification(models.Model):
    """What a user sees under the bell. The title carries no PHI (reference, workflow, step)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=40)
    request = models.ForeignKey(
        "approvals.ApprovalRequest",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    task = models.ForeignKey(
        "approvals.Task", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    title = models.CharField(max_length=300)
    url = models.CharField(max_length=300, blank=True)
    delivery = models.CharField(max_length=20, choices=Delivery.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    digested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notif_recipient_unread"),
            models.Index(fields=["delivery", "digested_at"], name="notif_digest_pending"),
        ]

    def __str__(self) -> str:
        return self.title


class EmailLog(models.Model):
    """Every email, from queued to sent or failed. The message is rendered when it is sent
    (an action link's token must never be stored in clear), so the log keeps what is needed
    to render it: kind, request, task, recipient and non-PHI extras."""

    to = models.EmailField()
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=40)
    subject = models.CharField(max_length=300)
    request = models.ForeignKey(
        "approvals.ApprovalRequest",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    task = models.ForeignKey(
        "approvals.Task", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    extra = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=20, choices=EmailStatus.choices, default=EmailStatus.QUEUED, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to}: {self.status}"


class ActionToken(models.Model):
    """A one-time approve/deny link for one approver on one task. Only the SHA-256 of the
    token is stored; the token itself exists only in the email."""

    token_hash = models.CharField(max_length=64, unique=True)
    task = models.ForeignKey("approvals.Task", on_delete=models.CASCADE, related_name="+")
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    email_log = models.ForeignKey(
        EmailLog, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=100, blank=True)

    class Meta:
        indexes = [models.Index(fields=["task", "revoked_at"], name="token_task_open")]

    def __str__(self) -> str:
        return f"Action link for task {self.task_id}"
