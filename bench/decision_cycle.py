"""Statements and CPU per decision, in one process: the request/decision cycle through the
services, and single decisions through the whole HTTP stack (API key, web form, emailed link),
each listed statement by statement kind so a change can be checked against the budgets of the
"decision in a handful of statements" issue.

Run: .venv/bin/python bench/decision_cycle.py [--runs 200]

Uses its own database (countersign_bench_cycle) and a scratch tenant (bench-cycle), created on
the first run and reused. Celery tasks are published to an in-memory broker (nothing runs them:
this bench measures the web side; bench/api_load.py measures the worker under load), so the
publish cost counted here is lower than through Redis. DEBUG is off. CPU is time.process_time()
of this process (which also runs Django's test client, a small share) and of its PostgreSQL
backend read from /proc; on a shared machine those are steadier than wall-clock times.

Prints Markdown for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("COUNTERSIGN_DB_NAME", "countersign_bench_cycle")
os.environ.setdefault("MFA_ENFORCE", "false")
os.environ.setdefault("DEBUG", "false")
os.environ["CELERY_BROKER_URL"] = "memory://"
os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"

# The budgets of the issue (statements; Python CPU in ms), for the verdict lines.
BUDGETS = {
    "API decision": (15, 8.0),
    "cycle (create + submit + decide)": (25, 10.0),
    "GET /api/v1/me": (None, 3.0),
}
PASSWORD = "bench password 1234"  # noqa: S105  # a scratch tenant's users


def statement_kind(sql: str) -> str:
    """`SELECT approvals_task`, `INSERT auditlog_logentry`, `SAVEPOINT`, … of one statement."""
    text = sql.strip()
    head = text.split(None, 1)[0].upper() if text else ""
    if head == "SELECT":
        table = re.search(r'FROM "([a-z_0-9]+)"', text)
        if table:
            return f"SELECT {table.group(1)}"
        function = re.match(r"SELECT\s+([a-z_]+)\(", text, re.I)
        return f"SELECT {function.group(1)}()" if function else "SELECT (other)"
    if head in ("INSERT", "UPDATE", "DELETE"):
        table = re.search(r'(?:INTO|UPDATE|FROM)\s+"?([a-z_0-9]+)"?', text)
        return f"{head} {table.group(1) if table else '?'}"
    if head == "SET":
        return "SET search_path" if "search_path" in text else "SET (other)"
    return head or "(empty)"


def _backend_cpu() -> float | None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _world():
    """The scratch tenant, a requester, a director (role director) and an API key."""
    from django_tenants.utils import tenant_context

    from apps.accounts.models import User
    from apps.api.services import api_key_create
    from apps.people.models import Role
    from apps.people.services import department_ensure
    from apps.tenants.models import Tenant
    from apps.tenants.services import (
        partner_ensure,
        platform_ensure,
        tenant_create,
    )
    from apps.workflows.services import template_pack_install

    platform_ensure()
    partner = partner_ensure(name="Bench", slug="bench-partner")
    tenant = Tenant.objects.filter(slug="bench-cycle").first() or tenant_create(
        partner=partner, slug="bench-cycle", name="Bench cycle", branding={}
    )
    with tenant_context(tenant):
        template_pack_install(actor=None)
        people = {}
        for email, name in (("req@bench.test", "Requester"), ("dir@bench.test", "Director")):
            people[email] = User.objects.filter(email=email).first() or User.objects.create_user(
                email, PASSWORD, full_name=name
            )
        Role.objects.get(key="director").members.add(people["dir@bench.test"])
        department_ensure(actor=None, key="radiology", name="Radiology")
        _, key = api_key_create(
            actor=None, name="bench", scopes=["requests:read", "tasks:decide"],
            owner=people["dir@bench.test"],
        )  # fmt: skip
    return tenant, people["req@bench.test"], people["dir@bench.test"], key


DATA = {
    "item_description": "Infusion pump",
    "vendor": "Acme Medical",
    "amount": "9000",  # under the director's 25,000: one approval completes the request
    "cost_centre": "4100-RAD",
    "owning_department": "radiology",
    "justification": "Replacement of a failed unit.",
}


def _pending_tasks(tenant, requester, n: int) -> list:
    from django_tenants.utils import tenant_context

    from apps.approvals.services import request_create
    from apps.workflows.models import WorkflowDefinition

    with tenant_context(tenant):
        workflow = WorkflowDefinition.objects.get(key="capital-purchase")
        tasks = []
        for _ in range(n):
            approval = request_create(actor=requester, workflow=workflow, data=dict(DATA))
            (task,) = approval.tasks.filter(status="pending")
            tasks.append(task)
    return tasks


def _measure(label: str, operation: Callable[[int], None], runs: int) -> dict:
    """Run `operation(i)` once for the statement list, then `runs` times for CPU."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    operation(0)  # warm-up: per-process caches
    with CaptureQueriesContext(connection) as captured:
        operation(1)
    statements = len(captured)  # now: the next request empties the log it reads
    kinds = Counter(statement_kind(q["sql"]) for q in captured.captured_queries)
    backend_before = _backend_cpu()
    cpu_before = time.process_time()
    wall_before = time.perf_counter()
    for i in range(runs):
        operation(i + 2)
    python_cpu = (time.process_time() - cpu_before) * 1000 / runs
    wall = (time.perf_counter() - wall_before) * 1000 / runs
    backend_after = _backend_cpu()
    postgres = None
    if backend_before is not None and backend_after is not None:
        postgres = (backend_after - backend_before) * 1000 / runs
    return {
        "label": label,
        "statements": statements,
        "kinds": kinds,
        "python_cpu": python_cpu,
        "postgres_cpu": postgres,
        "wall": wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument(
        "--profile", metavar="FILE", help="also profile the API decisions (cProfile stats to FILE)"
    )
    args = parser.parse_args()

    import django

    django.setup()
    from django.test import Client
    from django_tenants.utils import tenant_context

    from apps.approvals.models import Task
    from apps.approvals.services import DecisionInput, request_create, task_decide
    from apps.workflows.models import WorkflowDefinition
    from bench.report import machine_line

    # Migrations and the template schema are the database owner's (`manage.py setup`).
    subprocess.run(
        [sys.executable, "manage.py", "setup", "--verbosity", "0"],
        cwd=Path(__file__).resolve().parent.parent,
        check=True,
    )
    tenant, requester, director, key = _world()
    host = tenant.get_primary_domain().domain
    n = args.runs + 2
    results = []

    with tenant_context(tenant):
        workflow = WorkflowDefinition.objects.get(key="capital-purchase")

        def cycle(_: int) -> None:
            approval = request_create(actor=requester, workflow=workflow, data=dict(DATA))
            task = Task.objects.get(request=approval, status="pending")
            task_decide(actor=director, task=task, decision=DecisionInput("approve"))

        results.append(_measure("cycle (create + submit + decide)", cycle, args.runs))

    api = Client(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Bearer {key}")
    tasks = _pending_tasks(tenant, requester, n)

    def api_decision(i: int) -> None:
        response = api.post(
            f"/api/v1/tasks/{tasks[i].pk}/decide",
            {"decision": "approve"},
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=f"bench-{tasks[i].pk}",
        )
        if response.status_code != 200:
            raise SystemExit(f"decide answered {response.status_code}: {response.content[:300]}")

    results.append(_measure("API decision", api_decision, args.runs))
    if args.profile:
        import cProfile

        more = _pending_tasks(tenant, requester, args.runs)
        tasks[:] = more
        with cProfile.Profile(time.process_time) as profile:  # CPU, not wall time
            for i in range(args.runs):
                api_decision(i)
        profile.dump_stats(args.profile)

    def me(_: int) -> None:
        if api.get("/api/v1/me").status_code != 200:
            raise SystemExit("GET /api/v1/me failed")

    results.append(_measure("GET /api/v1/me", me, args.runs))

    browser = Client(HTTP_HOST=host)
    browser.force_login(director)
    form_tasks = _pending_tasks(tenant, requester, n)

    def web_decision(i: int) -> None:
        task = form_tasks[i]
        with tenant_context(tenant):
            reference = task.request.reference
        response = browser.post(
            f"/requests/{reference}/tasks/{task.pk}/decide", {"decision": "approve"}
        )
        if response.status_code not in (200, 302):
            raise SystemExit(f"web decision answered {response.status_code}")

    results.append(_measure("web form decision", web_decision, max(20, args.runs // 4)))

    print(f"\n### Statements and CPU per decision, in process ({args.runs} runs)\n")
    print(machine_line() + "\n")
    print("| operation | statements | Python CPU (ms) | PostgreSQL CPU (ms) | wall (ms) | budget |")
    print("|---|---|---|---|---|---|")
    for r in results:
        postgres = "n/a" if r["postgres_cpu"] is None else f"{r['postgres_cpu']:.1f}"
        budget = BUDGETS.get(r["label"])
        verdict = ""
        if budget is not None:
            statements, cpu = budget
            misses = []
            if statements is not None and r["statements"] > statements:
                misses.append(f"statements > {statements}")
            if r["python_cpu"] > cpu:
                misses.append(f"CPU > {cpu:g} ms")
            verdict = "MISS: " + ", ".join(misses) if misses else "met"
        print(
            f"| {r['label']} | {r['statements']} | {r['python_cpu']:.1f} | {postgres} | "
            f"{r['wall']:.1f} | {verdict} |"
        )
    for r in results:
        print(f"\n{r['label']}: {r['statements']} statements\n")
        for kind, count in sorted(r["kinds"].items(), key=lambda kv: (-kv[1], kv[0])):
            print(f"- {count} x `{kind}`")


if __name__ == "__main__":
    main()
