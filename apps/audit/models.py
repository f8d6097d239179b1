"""The append-only, hash-chained audit trail of a schema (a tenant's, or the platform's).

Every entry carries the SHA-256 of its own content and of the entry before it, so removing or
editing one breaks the chain (`manage.py audit_verify`). Database triggers refuse UPDATE,
DELETE and TRUNCATE on these rows.
"""

from django.db import models


class AuditCategory(models.TextChoices):
    CHANGE = "change", "Data change"
    PHI_ACCESS = "phi_access", "Access to patient data"
    SECURITY = "security", "Sign-in and security"
    SUPPORT = "support", "Partner support access"


class AuditEntry(models.Model):
    sequence = models.PositiveBigIntegerField(unique=True)
    at = models.DateTimeField(db_index=True)
    category = models.CharField(max_length=20, choices=AuditCategory.choices, db_index=True)
    action = models.CharField(max_length=60, db_index=True)
    actor_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    actor_email = models.CharField(max_length=254, blank=True)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    request_reference = models.CharField(max_length=30, blank=True, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    channel = models.CharField(max_length=20, blank=True)
    support_session = models.CharField(max_length=64, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["sequence"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action} {self.object_type}:{self.object_id}"


class AuditChainHead(models.Model):
    """One row per schema: the last sequence and hash. Locked while appending so the chain
    stays a single line even under concurrent writers."""

    last_sequence = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"audit head #{self.last_sequence}"
