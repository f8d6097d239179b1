"""End to end with a real Celery worker, the real Redis and a real HTTP receiver on loopback:
a decision's webhook arrives signed, survives three 500s, and an event committed while the
broker could not be reached is delivered once the sweep runs."""

import json
import os
import time
import uuid
from contextlib import contextmanager

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from apps.accounts.models import User
from apps.approvals.services import DecisionInput, task_decide
from apps.integrations.models import DeliveryState, OutboxEvent, WebhookDelivery
from apps.integrations.webhooks.services import webhook_endpoint_create
from apps.tenants.models import Tenant
from tests.approvals.helpers import pending, submit_capital
from tests.fixtures.celery_worker import WorkerProcess, wait_for
from tests.integrations.cleanup import committed_requests_delete
from tests.integrations.conftest import documented_verify
from tests.integrations.receiver import Receiver

DEAD_BROKER = "redis+socket:///tmp/countersign-no-broker-here.sock"


class HooksWorker(WorkerProcess):
    """The shared worker process, started with tests/integrations/worker_settings.py (tiny
    backoff, immediate sweep, loopback receivers allowed)."""

    settings_module = "tests.integrations.worker_settings"


@pytest.fixture(scope="module")
def hooks_worker(django_db_setup, django_db_blocker):
    """Like `celery_worker` (one per module here, to save its start-up time), with the test
    database set up even when this file runs alone."""
    from config.celery import app

    queue = f"test-hooks-{uuid.uuid4().hex[:8]}"
    app.conf.task_default_queue = queue
    with django_db_blocker.unblock():
        worker = HooksWorker(connection.settings_dict["NAME"], queue)
    worker.start()
    yield worker
    worker.stop()
    app.conf.task_default_queue = os.environ.get("COUNTERSIGN_TEST_QUEUE", "countersign-test")


@contextmanager
def broker_unreachable():
    """Point this process's Celery publisher at a socket nobody listens on (a real failed
    connection, not a mock), then restore the real broker."""
    from config.celery import app

    real = app.conf.broker_url

    def reset_pools() -> None:
        app._pool = None
        app.amqp._producer_pool = None

    app.conf.broker_url = DEAD_BROKER
    reset_pools()
    try:
        yield
    finally:
        app.conf.broker_url = real
        reset_pools()


@pytest.fixture
def world(hooks_worker, open_db, settings):
    """Committed data in tenant A (the worker needs it), removed afterwards."""
    settings.CELERY_TASK_DEFAULT_QUEUE = hooks_worker.queue
    settings.WEBHOOKS_ALLOW_PRIVATE_HOSTS = True
    tenant = Tenant.objects.get(slug="alpha")
    made: dict[str, list[int]] = {"requests": [], "endpoints": []}
    with tenant_context(tenant):
        people = {u.email.split("@")[0]: u for u in User.objects.all()}
    yield tenant, people, made
    committed_requests_delete(tenant, made)


@pytest.mark.django_db
def test_the_worker_runs_with_tiny_backoff_and_loopback_allowed():
    """Also makes pytest-django set up the test database when this file runs alone (the
    end-to-end tests commit data and carry no django_db mark of their own)."""
    from tests.integrations import worker_settings

    assert worker_settings.WEBHOOKS_RETRY_BASE_SECONDS <= 0.5
    assert worker_settings.WEBHOOKS_ALLOW_PRIVATE_HOSTS is True
    assert connection.settings_dict["NAME"].startswith("test_")


def approved_posts(receiver):
    return [r for r in receiver.received if r.headers["Countersign-Event"] == "request.approved"]


def approved_delivery(tenant, request_id, endpoint_id):
    with tenant_context(tenant):
        return (
            WebhookDelivery.objects.filter(
                endpoint_id=endpoint_id,
                event__request_id=request_id,
                event__type="request.approved",
                state=DeliveryState.SUCCEEDED,
            )
            .select_related("event")
            .first()
        )


@pytest.mark.slow
def test_decision_delivers_a_signed_webhook_after_three_server_errors(world):
    tenant, people, made = world
    with Receiver([500, 500, 500]) as receiver:
        with tenant_context(tenant):
            endpoint, secret = webhook_endpoint_create(
                actor=people["alice"], url=receiver.url, events=["request.approved"]
            )
            made["endpoints"].append(endpoint.pk)
            request = submit_capital(people["carol"], "9000")
            made["requests"].append(request.pk)
            (task,) = pending(request)
            task_decide(actor=people["bob"], task=task, decision=DecisionInput("approve"))

        delivery = wait_for(lambda: approved_delivery(tenant, request.pk, endpoint.pk), timeout=60)
        time.sleep(0.5)  # anything extra would have arrived by now
        posts = [
            r for r in receiver.received if r.headers["Countersign-Event"] == "request.approved"
        ]

    assert [p.status for p in posts] == [500, 500, 500, 200]
    assert delivery.attempts == 4
    assert delivery.last_status_code == 200
    with tenant_context(tenant):
        assert WebhookDelivery.objects.filter(event=delivery.event).count() == 1
    verify = documented_verify()
    for post in posts:
        assert verify(secret, post.body, post.headers["Countersign-Signature"])
        assert post.headers["Countersign-Delivery"] == str(delivery.pk)
    body = json.loads(posts[-1].body)
    assert body["id"] == str(delivery.event.pk)
    assert body["type"] == "request.approved"
    assert body["data"]["request"]["id"] == request.pk
    assert body["data"]["request"]["status"] == "approved"
    assert "CT scanner" not in posts[-1].body.decode()


@pytest.mark.slow
def test_event_committed_while_the_broker_is_unreachable_is_delivered_by_the_sweep(world):
    from apps.integrations.tasks import outbox_sweep

    tenant, people, made = world
    with Receiver() as receiver:
        with tenant_context(tenant):
            endpoint, secret = webhook_endpoint_create(
                actor=people["alice"], url=receiver.url, events=["request.approved"]
            )
            made["endpoints"].append(endpoint.pk)
            request = submit_capital(people["carol"], "9000")
            made["requests"].append(request.pk)
            (task,) = pending(request)
            with broker_unreachable():
                # The decision commits although its after-commit publish fails.
                task_decide(actor=people["bob"], task=task, decision=DecisionInput("approve"))
            request.refresh_from_db()
            assert request.status == "approved"
            event = OutboxEvent.objects.get(request_id=request.pk, type="request.approved")
        time.sleep(2)  # a worker is running, but nothing was enqueued for this event
        with tenant_context(tenant):
            event.refresh_from_db()
            assert event.dispatched_at is None
            assert not WebhookDelivery.objects.filter(event=event).exists()
        assert receiver.received == []

        connection.set_schema_to_public()
        outbox_sweep.delay()  # what beat sends every 15 s, from the public schema
        delivery = wait_for(lambda: approved_delivery(tenant, request.pk, endpoint.pk), timeout=60)
        time.sleep(0.5)
        posts = [
            r for r in receiver.received if r.headers["Countersign-Event"] == "request.approved"
        ]

    assert len(posts) == 1
    assert delivery.attempts == 1
    assert documented_verify()(secret, posts[0].body, posts[0].headers["Countersign-Signature"])
    assert json.loads(posts[0].body)["id"] == str(event.pk)
