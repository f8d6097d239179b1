"""Inbox and request-list latency and query count as one tenant grows: 10k, 100k and 1M
requests (bench/dataset.py, one tenant per size), each page fetched many times as its user's
browser or API client gets it (through the whole middleware stack, DEBUG off), p50/p95/max, the
number of SQL queries per page, and the CPU time per page of this process and of its PostgreSQL
backend (steadier than wall-clock times when other work shares the machine).

Run: .venv/bin/python bench/inbox.py [--sizes 10000 100000 1000000] [--runs 50]
Uses its own database (countersign_bench_data, shared with bench/insights.py); data generated
once and reused. Prints Markdown for docs/benchmarks.md. Budget (issue 9): inbox p95 under 50 ms
with at most a dozen queries at 1M requests.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("COUNTERSIGN_DB_NAME", "countersign_bench_data")
os.environ.setdefault("MFA_ENFORCE", "false")
os.environ.setdefault("DEBUG", "false")
os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"

BUDGET_P95_MS = 50
BUDGET_QUERIES = 12


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _backend_cpu() -> tuple[int, float] | None:
    """(pid, CPU seconds so far) of this connection's PostgreSQL backend; None unless the
    server runs on this machine (it reads /proc)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return pid, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _measure(get, runs: int) -> dict:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    get()  # warm-up: per-process caches (content types, templates) are not the page's cost
    reset_queries()  # the query log keeps at most 9,000 entries; a full one counts nothing
    with CaptureQueriesContext(connection) as captured:
        first = get()
    queries = len(captured)  # now: the next request empties the log it reads
    timings = []
    # CPU time per page, of this process (the page's Python, as in a web worker, plus the test
    # client) and of its PostgreSQL backend: unlike the wall-clock times, barely changed by
    # other work on a shared machine.
    backend_before = _backend_cpu()
    cpu_before = time.process_time()
    for _ in range(runs):
        started = time.perf_counter()
        get()
        timings.append((time.perf_counter() - started) * 1000)
    python_cpu = (time.process_time() - cpu_before) * 1000 / runs
    backend_after = _backend_cpu()
    postgres_cpu = None
    if backend_before and backend_after and backend_before[0] == backend_after[0]:
        postgres_cpu = (backend_after[1] - backend_before[1]) * 1000 / runs
    return {
        "rows": first,
        "queries": queries,
        "p50": statistics.median(timings),
        "p95": _percentile(timings, 0.95),
        "max": max(timings),
        "python_cpu": python_cpu,
        "postgres_cpu": postgres_cpu,
    }


def _pages(tenant) -> dict:
    """Each measured page: a callable returning how many rows it listed."""
    from django.test import Client
    from django_tenants.utils import tenant_context

    from apps.accounts.models import User
    from apps.api.services import api_key_create
    from apps.approvals.models import Task

    host = tenant.get_primary_domain().domain
    with tenant_context(tenant):
        approver = User.objects.get(email="ap0@bench.test")
        requester = User.objects.get(email="req0@bench.test")
        browser = {}
        for user in (approver, requester):
            browser[user.email] = Client(HTTP_HOST=host)
            browser[user.email].force_login(user)
        _, secret = api_key_create(
            actor=None, name="bench", scopes=["requests:read"], owner=approver
        )
        pending = Task.objects.filter(status="pending", assignee=approver).count()
    api = Client(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Bearer {secret}")

    def page(client, url: str, marker: str, **headers):
        def get() -> int:
            response = client.get(url, **headers)
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}")
            if marker == "json":
                body = response.json()
                return len(body["results"] if isinstance(body, dict) else body)
            return response.content.decode().count(marker)

        return get

    inbox = browser[approver.email]
    mine = browser[requester.email]
    return {
        "pending_for_approver": pending,
        f"inbox page (approver, {pending:,} pending of theirs + queue)": page(
            inbox, "/inbox/", 'data-testid="task-'
        ),
        "inbox rows, htmx filter (expedited)": page(
            inbox, "/inbox/?urgency=expedited", 'data-testid="task-', HTTP_HX_REQUEST="true"
        ),
        "my requests page (requester)": page(mine, "/requests/", 'href="/requests/BN-'),
        "API GET /api/v1/tasks/mine": page(api, "/api/v1/tasks/mine", "json"),
        "API GET /api/v1/requests (first page)": page(api, "/api/v1/requests", "json"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django_tenants.utils import tenant_context

    from bench.dataset import requests_ensure, tenant_ensure
    from bench.report import machine_line

    call_command("migrate_schemas", interactive=False, verbosity=0)  # scratch tenants too
    results: dict[int, dict] = {}
    pending: dict[int, int] = {}
    for size in args.sizes:
        tenant = tenant_ensure(size)
        with tenant_context(tenant):
            requests_ensure(size)
        pages = _pages(tenant)
        pending[size] = pages.pop("pending_for_approver")
        results[size] = {label: _measure(get, args.runs) for label, get in pages.items()}

    print(f"\n### Inbox and request lists, {args.runs} fetches per page\n\n{machine_line()}\n")
    print(
        "| requests in the tenant | page | rows shown | queries | p50 (ms) | p95 (ms) | max (ms) "
        "| CPU per page: Python + PostgreSQL (ms) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    misses = []
    for size, pages in results.items():
        for label, r in pages.items():
            postgres = "n/a" if r["postgres_cpu"] is None else f"{r['postgres_cpu']:.1f}"
            print(
                f"| {size:,} | {label} | {r['rows']} | {r['queries']} | {r['p50']:.1f} | "
                f"{r['p95']:.1f} | {r['max']:.1f} | {r['python_cpu']:.1f} + {postgres} |"
            )
            if r["p95"] > BUDGET_P95_MS or r["queries"] > BUDGET_QUERIES:
                misses.append(f"{label} at {size:,}")
    verdict = "every page within budget" if not misses else "MISS: " + "; ".join(misses)
    print(f"\nBudget p95 < {BUDGET_P95_MS} ms and ≤ {BUDGET_QUERIES} queries: {verdict}.")


if __name__ == "__main__":
    main()
