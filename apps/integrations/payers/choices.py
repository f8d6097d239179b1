"""Statuses of a submission to a payer and the payer's answers, in users' words."""

from django.db import models


class SubmissionStatus(models.TextChoices):
    QUEUED = "queued", "Waiting to be sent"
    RETRYING = "retrying", "Payer unavailable, will retry"
    PENDED = "pended", "Pended by the payer"
    ANSWERED = "answered", "Answered, being recorded"
    DECIDED = "decided", "Decided by the payer"
    FAILED = "failed", "Could not be sent (gave up)"
    CANCELLED = "cancelled", "No longer needed"


# Statuses in which the payer still owes us an answer (delivery or follow-up continues).
OPEN_STATUSES = (
    SubmissionStatus.QUEUED,
    SubmissionStatus.RETRYING,
    SubmissionStatus.PENDED,
    SubmissionStatus.ANSWERED,
)


class PayerOutcome(models.TextChoices):
    """The payer's review action (X12 306) reduced to what it means for the step."""

    APPROVED = "approved", "Approved"
    PARTIAL = "partial", "Partially approved"
    DENIED = "denied", "Denied"
    PENDED = "pended", "Pended"
    CANCELLED = "cancelled", "Cancelled"
