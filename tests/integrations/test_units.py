"""Backoff bounds, event filter wildcards, transport error classes, secrets at rest."""

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from apps.integrations import crypto
from apps.integrations.models import WebhookEndpoint, uuid7
from apps.integrations.webhooks import transport
from apps.integrations.webhooks.delivery import RetryPolicy, backoff_seconds
from apps.integrations.webhooks.filters import is_valid_pattern, matches, matches_any
from apps.integrations.webhooks.services import webhook_endpoint_create

POLICY = RetryPolicy(max_attempts=8, base_seconds=10, max_seconds=3600, jitter=0.2)


@pytest.mark.parametrize("attempt", range(1, 12))
def test_backoff_stays_within_twenty_percent_of_base_times_two_to_the_attempt(attempt):
    nominal = 10 * 2 ** (attempt - 1)
    low = backoff_seconds(attempt, POLICY, rand=lambda: 0.0)
    high = backoff_seconds(attempt, POLICY, rand=lambda: 0.999999)
    middle = backoff_seconds(attempt, POLICY, rand=lambda: 0.5)
    assert low == pytest.approx(min(3600, nominal * 0.8))
    assert high == pytest.approx(min(3600, nominal * 1.2), rel=1e-5)
    assert middle == pytest.approx(min(3600, nominal))
    for _ in range(50):
        assert low <= backoff_seconds(attempt, POLICY) <= high <= 3600


def test_backoff_first_retries_and_cap():
    assert 8 <= backoff_seconds(1, POLICY) <= 12
    assert 16 <= backoff_seconds(2, POLICY) <= 24
    assert backoff_seconds(30, POLICY) <= 3600


@pytest.mark.parametrize(
    ("pattern", "event_type", "expected"),
    [
        ("*", "request.approved", True),
        ("request.*", "request.approved", True),
        ("request.*", "request.exception_resolved", True),
        ("request.*", "task.decided", False),
        ("request.*", "requests.approved", False),
        ("request.*", "request", False),
        ("request.approved", "request.approved", True),
        ("request.approved", "request.approved_late", False),
        ("task.*", "task.decided", True),
        ("step.*", "step.approved", True),
    ],
)
def test_event_filter_wildcards(pattern, event_type, expected):
    assert matches(pattern, event_type) is expected


def test_filter_lists_and_validation():
    assert matches_any(["task.decided", "request.*"], "request.denied")
    assert not matches_any(["task.decided"], "request.denied")
    assert not matches_any([], "request.denied")
    for good in ("*", "request.*", "request.approved", "step.*"):
        assert is_valid_pattern(good)
    for bad in ("", "request*", "*.approved", "Request.Approved", "request..x", "request.*.x"):
        assert not is_valid_pattern(bad)


@pytest.mark.parametrize(
    ("status", "retry"),
    [(408, True), (429, True), (500, True), (502, True), (503, True),
     (400, False), (401, False), (404, False), (410, False), (301, False)],
)  # fmt: skip
def test_transport_errors_say_whether_to_retry(status, retry):
    assert transport.classify(204, 5).status == 204
    with pytest.raises(transport.TransportError) as caught:
        transport.classify(status, 5)
    assert caught.value.retry is retry
    assert caught.value.status == status


def test_connection_refused_is_retryable():
    import socket

    with socket.socket() as probe:  # a port that nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sender = transport.HttpTransport(allow_private_hosts=True)
    with pytest.raises(transport.RetryableError, match="connection error"):
        sender.post(f"http://127.0.0.1:{port}/", b"{}", {}, timeout=2)


def test_private_hosts_refused_at_send_time_by_default():
    sender = transport.HttpTransport(allow_private_hosts=False)
    with pytest.raises(transport.PermanentError, match="private"):
        sender.post("http://127.0.0.1:9/", b"{}", {}, timeout=2)


def test_uuid7_ids_increase():
    ids = [uuid7() for _ in range(2000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert all(i.version == 7 for i in ids)


def test_secret_is_encrypted_in_the_database(in_tenant_a, alice, loopback_allowed):
    endpoint, secret = webhook_endpoint_create(
        actor=alice, url="https://hooks.example.org/in", events=["request.*"]
    )
    assert secret.startswith("whsec_")
    assert len(secret) > 40
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT secret_encrypted FROM integrations_webhookendpoint WHERE id = %s",
            [endpoint.pk],
        )
        (raw,) = cursor.fetchone()
    assert secret not in raw
    assert raw != secret
    assert crypto.decrypt(raw) == secret
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).secret == secret


def test_rotation_reencrypts_with_the_first_key(in_tenant_a, alice, settings):
    old_key = settings.SECRETS_ENCRYPTION_KEYS
    old_key = old_key if isinstance(old_key, str) else ",".join(old_key)
    endpoint, secret = webhook_endpoint_create(
        actor=alice, url="https://hooks.example.org/in", events=["*"]
    )
    before = WebhookEndpoint.objects.get(pk=endpoint.pk).secret_encrypted
    new_key = Fernet.generate_key().decode()
    settings.SECRETS_ENCRYPTION_KEYS = f"{new_key},{old_key}"
    call_command("secrets_rotate", schema="alpha", stdout=open("/dev/null", "w"))  # noqa: SIM115
    after = WebhookEndpoint.objects.get(pk=endpoint.pk).secret_encrypted
    assert after != before
    assert Fernet(new_key.encode()).decrypt(after.encode()).decode() == secret
    settings.SECRETS_ENCRYPTION_KEYS = new_key  # the old key is gone: still readable
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).secret == secret
    settings.SECRETS_ENCRYPTION_KEYS = old_key  # the new token cannot be read with the old key
    with pytest.raises(crypto.InvalidToken):
        crypto.decrypt(after)
