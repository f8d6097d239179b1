"""A tenant's payers (where and how to reach their PAS endpoints) and each prior authorization
submitted to one, with the payer's answer item by item.

The credential is stored encrypted (`apps.integrations.crypto`, rotated by `secrets_rotate`).
A submission holds ids, statuses, the payer's tracking number and the reason it gave; the
claim bundle itself is rebuilt from the request when sent, never stored here.
"""

from __future__ import annotations

from django.db import models

from apps.integrations import crypto
from apps.integrations.payers.choices import PayerOutcome, SubmissionStatus


class Payer(models.Model):
    """One health plan this tenant submits prior authorizations to. `name` is what the
    request form's payer field says (e.g. "Acme Health")."""

    name = models.CharField(max_length=120, unique=True)
    base_url = models.URLField(
        max_length=300, help_text="The payer's PAS FHIR base; we POST Claim/$submit under it."
    )
    auth_header = models.CharField(max_length=100, default="Authorization")
    credential_encrypted = models.TextField(blank=True)
    timeout_seconds = models.PositiveIntegerField(default=15)
    max_attempts = models.PositiveIntegerField(default=6)
    inquiry_interval_minutes = models.PositiveIntegerField(
        default=60, help_text="How often a pended request is followed up with $inquire."
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def credential(self) -> str:
        return crypto.decrypt(self.credential_encrypted) if self.credential_encrypted else ""

    @credential.setter
    def credential(self, value: str) -> None:
        self.credential_encrypted = crypto.encrypt(value) if value else ""

    @property
    def has_credential(self) -> bool:
        return bool(self.credential_encrypted)


class PayerSubmission(models.Model):
    """A request's payer step sent to a payer: delivery (attempts, errors, retries), then the
    answer (pended with a tracking number and followed up, or decided)."""

    request = models.ForeignKey(
        "approvals.ApprovalRequest", on_delete=models.CASCADE, related_name="payer_submissions"
    )
    task_key = models.CharField(max_length=20)
    step_key = models.CharField(max_length=80)
    payer = models.ForeignKey(
        Payer, on_delete=models.PROTECT, null=True, blank=True, related_name="submissions"
    )
    payer_name = models.CharField(max_length=120, blank=True, help_text="As the form named it.")
    idempotency_key = models.CharField(max_length=160, unique=True)
    claim_identifier = models.CharField(max_length=120)
    status = models.CharField(
        max_length=20,
        choices=SubmissionStatus.choices,
        default=SubmissionStatus.QUEUED,
        db_index=True,
    )
    attempts = models.PositiveIntegerField(default=0)
    inquiries = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=PayerOutcome.choices, blank=True)
    tracking_number = models.CharField(max_length=120, blank=True)
    reason_code = models.CharField(max_length=60, blank=True)
    reason_text = models.CharField(max_length=1000, blank=True)
    items = models.JSONField(
        default=list,
        blank=True,
        help_text='Per item: {"sequence": 1, "code": "72148", "outcome": "approved"}.',
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "task_key"], name="one_payer_submission_per_task"
            )
        ]

    def __str__(self) -> str:
        return f"Payer submission {self.pk} for request {self.request_id}"

    @property
    def is_open(self) -> bool:
        return self.status in (
            SubmissionStatus.QUEUED,
            SubmissionStatus.RETRYING,
            SubmissionStatus.PENDED,
            SubmissionStatus.ANSWERED,
        )
