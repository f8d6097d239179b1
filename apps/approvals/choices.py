from django.db import models

# The workflow category of appeals: filed from a denial, never on their own.
APPEAL_CATEGORY = "appeal"


class RequestStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    IN_REVIEW = "in_review", "In review"
    NEEDS_INFO = "needs_info", "Needs information"
    APPROVED = "approved", "Approved"
    PARTIALLY_APPROVED = "partially_approved", "Partially approved"
    DENIED = "denied", "Denied"
    WITHDRAWN = "withdrawn", "Withdrawn"
    CANCELLED = "cancelled", "Cancelled"
    EXCEPTION = "exception", "Exception (needs an administrator)"


OPEN_STATUSES = (
    RequestStatus.SUBMITTED,
    RequestStatus.IN_REVIEW,
    RequestStatus.NEEDS_INFO,
    RequestStatus.EXCEPTION,
)


class TaskStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Denied"  # the API value stays "rejected"; people read "denied"
    INFO_REQUESTED = "info_requested", "Information requested"
    DELEGATED = "delegated", "Delegated"
    SKIPPED = "skipped", "Skipped"
    EXPIRED = "expired", "Expired"


class Urgency(models.TextChoices):
    STANDARD = "standard", "Standard"
    EXPEDITED = "expedited", "Expedited"


class DecisionOutcome(models.TextChoices):
    APPROVE = "approve", "Approve"
    REJECT = "reject", "Deny"
    REQUEST_INFO = "request_info", "Request information"


class LineOutcome(models.TextChoices):
    """A per-line decision (apps.workflows.engine.lines)."""

    APPROVED = "approved", "Approved"
    REDUCED = "reduced", "Approved with a reduced quantity"
    DENIED = "denied", "Denied"
