"""Errors of the API layer that are not approval errors (same shape: code, message, fields)."""

from apps.approvals.exceptions import ApprovalError


class IdempotencyKeyReused(ApprovalError):
    code = "idempotency_key_reused"
    http_status = 422


class IdempotencyInProgress(ApprovalError):
    code = "idempotency_in_progress"
    http_status = 409
