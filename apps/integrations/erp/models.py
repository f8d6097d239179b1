"""ERP connections and postings, inbound callback sources and the callbacks they sent, and the
FHIR claim a prior-authorization request was imported from."""

from __future__ import annotations

from django.db import models

from apps.integrations.erp import secrets
from apps.integrations.erp.choices import (
    CallbackSourceKind,
    ConnectorKind,
    PostingKind,
    PostingStatus,
    Reconciliation,
)

DEFAULT_MAPPING = {
    "budget_check": {
        "costCenter": "data.cost_centre",
        "amount": "amount",
        "currency": "const:USD",
        "reference": "reference",
    },
    "requisition": {
        "externalReference": "reference",
        "description": "data.item_description",
        "supplier": "data.vendor",
        "amount": "amount",
        "currency": "const:USD",
        "costCenter": "data.cost_centre",
    },
}


class ErpConnection(models.Model):
    """How this tenant reaches its ERP. One active connection per tenant is used."""

    name = models.CharField(max_length=100)
    kind = models.CharField(
        max_length=30, choices=ConnectorKind.choices, default=ConnectorKind.GENERIC_REST
    )
    base_url = models.URLField(max_length=300)
    auth_header = models.CharField(max_length=100, default="Authorization")
    auth_token_encrypted = models.TextField(blank=True)
    field_mapping = models.JSONField(default=dict, blank=True)
    budget_check_path = models.CharField(max_length=200, default="/budgets/check")
    requisition_path = models.CharField(max_length=200, default="/requisitions")
    timeout_seconds = models.PositiveIntegerField(default=10)
    max_attempts = models.PositiveIntegerField(default=6)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def auth_token(self) -> str:
        return secrets.decrypt(self.auth_token_encrypted)

    @auth_token.setter
    def auth_token(self, value: str) -> None:
        self.auth_token_encrypted = secrets.encrypt(value)

    def mapping_for(self, kind: str) -> dict[str, str]:
        return dict((self.field_mapping or {}).get(kind) or DEFAULT_MAPPING[kind])


class ErpPosting(models.Model):
    """One thing sent to the ERP for a request: a budget check or a requisition."""

    connection = models.ForeignKey(ErpConnection, on_delete=models.PROTECT, related_name="postings")
    request = models.ForeignKey(
        "approvals.ApprovalRequest", on_delete=models.CASCADE, related_name="erp_postings"
    )
    kind = models.CharField(max_length=20, choices=PostingKind.choices)
    idempotency_key = models.CharField(max_length=120, unique=True)
    status = models.CharField(
        max_length=20, choices=PostingStatus.choices, default=PostingStatus.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    response = models.JSONField(default=dict, blank=True)
    external_id = models.CharField(max_length=120, blank=True)
    external_status = models.CharField(max_length=60, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)
    reconciliation = models.CharField(
        max_length=20, choices=Reconciliation.choices, default=Reconciliation.NOT_CHECKED
    )
    reconciled_at = models.DateTimeField(null=True, blank=True)
    reconciliation_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "kind"], name="one_erp_posting_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for request {self.request_id}"


class CallbackSource(models.Model):
    """A payer or ERP allowed to call back, with its shared signing secret (encrypted)."""

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=CallbackSourceKind.choices)
    secret_encrypted = models.TextField()
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.name

    @property
    def secret(self) -> str:
        return secrets.decrypt(self.secret_encrypted)

    @secret.setter
    def secret(self, value: str) -> None:
        self.secret_encrypted = secrets.encrypt(value)


class InboundCallback(models.Model):
    """A callback accepted from a source; the sender's event id makes replays harmless."""

    source = models.ForeignKey(CallbackSource, on_delete=models.PROTECT, related_name="callbacks")
    event_id = models.CharField(max_length=120)
    event_type = models.CharField(max_length=60)
    request = models.ForeignKey(
        "approvals.ApprovalRequest", on_delete=models.CASCADE, related_name="inbound_callbacks"
    )
    status = models.CharField(max_length=40)
    external_reference = models.CharField(max_length=120, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    replays = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["source", "event_id"], name="one_callback_per_event")
        ]

    def __str__(self) -> str:
        return f"{self.source_id}:{self.event_id}"


class ImportedClaim(models.Model):
    """The PAS Claim a prior-authorization request came from: its identifier (replays return
    the same request) and its items, so the ClaimResponse answers item by item."""

    request = models.OneToOneField(
        "approvals.ApprovalRequest", on_delete=models.CASCADE, related_name="imported_claim"
    )
    claim_system = models.CharField(max_length=200, blank=True)
    claim_identifier = models.CharField(max_length=120)
    items = models.JSONField(default=list)
    insurer_name = models.CharField(max_length=200, blank=True)
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["claim_system", "claim_identifier"], name="one_request_per_claim"
            )
        ]

    def __str__(self) -> str:
        return f"Claim {self.claim_identifier}"
