"""Delivering to a real HTTP receiver on loopback: signed success, retries with backoff,
dead-letter after N attempts, refusal on other 4xx, replay, the lease that stops double sends."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.core.errors import InvalidInput
from apps.integrations.models import DeliveryState, OutboxEvent, WebhookDelivery
from apps.integrations.outbox import dispatch_events
from apps.integrations.webhooks.delivery import RetryPolicy, deliver
from apps.integrations.webhooks.services import (
    webhook_delivery_replay,
    webhook_endpoint_create,
    webhook_endpoint_update,
)
from tests.integrations.conftest import documented_verify

POLICY = RetryPolicy(max_attempts=4, base_seconds=10, max_seconds=60, jitter=0.2, timeout_seconds=5)


@pytest.fixture
def hook(in_tenant_a, alice, receiver, loopback_allowed):
    endpoint, secret = webhook_endpoint_create(
        actor=alice, url=receiver.url, events=["request.approved"]
    )
    event = OutboxEvent.objects.create(
        type="request.approved",
        request_id=1,
        request_reference="CAP-2026-000001",
        payload={"request": {"id": 1, "status": "approved"}},
    )
    dispatch_events([event.pk])
    delivery = WebhookDelivery.objects.get(event=event, endpoint=endpoint)
    return endpoint, secret, delivery


def test_success_is_signed_and_logged(hook, receiver):
    _endpoint, secret, delivery = hook
    result = deliver(delivery.pk, policy=POLICY)
    assert result.state == DeliveryState.SUCCEEDED
    assert result.attempts == 1
    assert result.last_status_code == 200
    assert result.response_ms is not None
    assert result.completed_at
    (got,) = receiver.received
    assert got.headers["Countersign-Event"] == "request.approved"
    assert got.headers["Countersign-Delivery"] == str(delivery.pk)
    assert got.headers["Content-Type"] == "application/json"
    assert documented_verify()(secret, got.body, got.headers["Countersign-Signature"])
    # Running the task again (duplicate message, sweep) sends nothing more.
    assert deliver(delivery.pk, policy=POLICY) is None
    assert len(receiver.received) == 1


def test_retryable_failures_back_off_then_dead_letter(hook, receiver):
    _, _, delivery = hook
    receiver.script(500, 503, 429, 502, 200)
    now = timezone.now()
    for attempt in range(1, 4):
        result = deliver(delivery.pk, policy=POLICY, now=now)
        assert result.state == DeliveryState.PENDING
        assert result.attempts == attempt
        assert result.last_error.startswith("HTTP ")
        wait = (result.next_attempt_at - result.last_attempt_at).total_seconds()
        nominal = 10 * 2 ** (attempt - 1)
        assert nominal * 0.8 - 0.01 <= wait <= nominal * 1.2 + 0.01
        assert deliver(delivery.pk, policy=POLICY, now=now) is None  # not due yet
        now = result.next_attempt_at
    result = deliver(delivery.pk, policy=POLICY, now=now)
    assert result.state == DeliveryState.DEAD
    assert result.attempts == 4
    assert result.last_status_code == 502
    assert result.next_attempt_at is None
    assert deliver(delivery.pk, policy=POLICY, now=now + timedelta(hours=1)) is None
    assert len(receiver.received) == 4


def test_dead_letter_uses_the_max_attempts_setting(hook, receiver, settings):
    _, _, delivery = hook
    settings.WEBHOOKS_MAX_ATTEMPTS = 2
    receiver.script(500, 500, 500)
    first = deliver(delivery.pk, now=timezone.now())
    assert first.state == DeliveryState.PENDING
    second = deliver(delivery.pk, now=first.next_attempt_at)
    assert second.state == DeliveryState.DEAD
    assert second.attempts == 2


def test_other_client_errors_give_up_at_once(hook, receiver):
    _, _, delivery = hook
    receiver.script(410)
    result = deliver(delivery.pk, policy=POLICY)
    assert result.state == DeliveryState.FAILED
    assert result.attempts == 1
    assert result.last_status_code == 410
    assert result.last_error == "HTTP 410"


def test_connection_errors_are_retried_without_leaking_details(hook, alice):
    endpoint, _, delivery = hook
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    webhook_endpoint_update(actor=alice, endpoint=endpoint, url=f"http://127.0.0.1:{port}/x")
    result = deliver(delivery.pk, policy=POLICY)
    assert result.state == DeliveryState.PENDING
    assert result.last_status_code is None
    assert result.last_error.startswith("connection error")


def test_a_leased_delivery_is_not_sent_twice(hook, receiver):
    _, _, delivery = hook
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        lease_until=timezone.now() + timedelta(seconds=30)
    )
    assert deliver(delivery.pk, policy=POLICY) is None
    assert receiver.received == []
    # A crashed worker's lease expires and the delivery goes out.
    later = timezone.now() + timedelta(minutes=1)
    assert deliver(delivery.pk, policy=POLICY, now=later).state == DeliveryState.SUCCEEDED


def test_replay_creates_a_fresh_delivery_with_the_same_body(hook, receiver, alice):
    _endpoint, secret, delivery = hook
    receiver.script(404)
    failed = deliver(delivery.pk, policy=POLICY)
    assert failed.state == DeliveryState.FAILED
    replay = webhook_delivery_replay(actor=alice, delivery=failed)
    assert replay.pk != failed.pk
    assert replay.replay_of_id == failed.pk
    assert replay.event_id == failed.event_id
    assert replay.state == DeliveryState.PENDING
    assert replay.attempts == 0
    assert replay.created_by == alice
    done = deliver(replay.pk, policy=POLICY)
    assert done.state == DeliveryState.SUCCEEDED
    first, second = receiver.received
    assert first.body == second.body
    assert first.headers["Countersign-Delivery"] != second.headers["Countersign-Delivery"]
    assert documented_verify()(secret, second.body, second.headers["Countersign-Signature"])
    failed.refresh_from_db()
    assert failed.state == DeliveryState.FAILED  # the log keeps the original outcome


def test_deactivated_endpoint_gets_nothing_and_cannot_be_replayed_to(hook, receiver, alice):
    endpoint, _, delivery = hook
    webhook_endpoint_update(actor=alice, endpoint=endpoint, is_active=False)
    result = deliver(delivery.pk, policy=POLICY)
    assert result.state == DeliveryState.FAILED
    assert result.last_error == "endpoint is inactive"
    assert receiver.received == []

    with pytest.raises(InvalidInput):
        webhook_delivery_replay(actor=alice, delivery=result)
