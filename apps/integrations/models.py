"""Outbox events (written with each state change) and webhook endpoints and deliveries.

Every table here lives in the tenant's schema. Events keep the request's id and reference as
plain values, not a foreign key: an event log is append-only and must not block a request's
deletion (nor be deleted with it).
"""

from __future__ import annotations

import os
import threading
import time
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Func, Q
from django.utils import timezone

from apps.integrations import crypto


class _Uuid7:
    """Time-ordered UUIDs (RFC 9562 version 7), strictly increasing within this process, so
    events of one transaction keep the order the engine emitted them in."""

    _lock = threading.Lock()
    _last = 0

    @classmethod
    def new(cls) -> uuid.UUID:
        with cls._lock:
            # 48 bits of milliseconds, then a 74-bit counter seeded at random each millisecond.
            now_ms = time.time_ns() // 1_000_000
            candidate = (now_ms << 74) | (int.from_bytes(os.urandom(8)) >> 2)
            value = max(candidate, cls._last + 1)
            cls._last = value
        ms, counter = value >> 74, value & ((1 << 74) - 1)
        rand_a, rand_b = counter >> 62, counter & ((1 << 62) - 1)
        as_int = (ms << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62) | rand_b
        return uuid.UUID(int=as_int)


def uuid7() -> uuid.UUID:
    return _Uuid7.new()


class TransactionId(Func):
    """The writing transaction's id: the outbox feed only shows rows whose transaction can no
    longer be in flight, so a cursor never skips an event that commits late."""

    function = "txid_current"
    template = "txid_current()"
    output_field = models.BigIntegerField()


class OutboxEvent(models.Model):
    """One engine event, written in the transaction of the state change that caused it."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    type = models.CharField(max_length=80, db_index=True)
    request_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    request_reference = models.CharField(max_length=30, blank=True)
    payload = models.JSONField(default=dict, help_text="Ids, types, statuses and links only.")
    created_at = models.DateTimeField(default=timezone.now)
    txid = models.BigIntegerField(db_default=TransactionId(), editable=False)
    dispatched_at = models.DateTimeField(
        null=True, blank=True, help_text="When webhook deliveries were created for this event."
    )

    class Meta:
        ordering = ["txid", "id"]
        indexes = [
            models.Index(fields=["txid", "id"], name="outbox_feed_order"),
            models.Index(
                fields=["created_at"],
                condition=Q(dispatched_at__isnull=True),
                name="outbox_not_dispatched",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.request_reference or ''}".strip()

    @property
    def delivery_state(self) -> str:
        return "dispatched" if self.dispatched_at else "pending"


class WebhookEndpoint(models.Model):
    """Where a tenant wants events sent, which ones, and the key that signs them."""

    url = models.URLField(max_length=500)
    events = models.JSONField(
        default=list, help_text='Event types or patterns such as "request.*" or "*".'
    )
    description = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    secret_encrypted = models.TextField(help_text="Fernet token (SECRETS_ENCRYPTION_KEYS).")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.url

    @property
    def secret(self) -> str:
        return crypto.decrypt(self.secret_encrypted)

    def set_secret(self, plaintext: str) -> None:
        self.secret_encrypted = crypto.encrypt(plaintext)

    def wants(self, event_type: str) -> bool:
        from apps.integrations.webhooks.filters import matches_any

        return matches_any(self.events, event_type)


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed (refused by the receiver)"
    DEAD = "dead", "Dead (gave up after retries)"


class WebhookDelivery(models.Model):
    """Sending one event to one endpoint, with every retry; a replay is a fresh delivery."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(OutboxEvent, on_delete=models.PROTECT, related_name="deliveries")
    replay_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replays"
    )
    state = models.CharField(
        max_length=20, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    response_ms = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(
        null=True, blank=True, help_text="A worker is sending until then (crash-safe claim)."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "id"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event"],
                condition=Q(replay_of__isnull=True),
                name="one_first_delivery_per_endpoint_event",
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(state="pending"),
                name="webhook_delivery_due",
            ),
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_log"),
        ]

    def __str__(self) -> str:
        return f"{self.event.type} → {self.endpoint.url} ({self.state})"
