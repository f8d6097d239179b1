"""Dashboard and report speed as requests grow: generates N synthetic requests (bench/dataset.py)
in a scratch tenant, then times each dashboard metric, the CMS-0057-F report, and the whole
dashboard and report pages as a tenant admin's browser gets them (median of several runs).

Run: .venv/bin/python bench/insights.py [--requests 1000000] [--runs 5]
Uses its own database (countersign_bench_data, shared with bench/inbox.py) and a scratch tenant
``bench-<N>``; rerunning adds rows only up to N. Prints Markdown for docs/benchmarks.md.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("COUNTERSIGN_DB_NAME", "countersign_bench_data")
os.environ.setdefault("MFA_ENFORCE", "false")
os.environ.setdefault("DEBUG", "false")
os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"


YEAR = (date(2025, 1, 1), date(2025, 12, 31))


def _timed(run, runs: int) -> tuple[float, float, float]:
    timings = []
    for _ in range(runs):
        t = time.perf_counter()
        run()
        timings.append(time.perf_counter() - t)
    return statistics.median(timings), min(timings), max(timings)


def _page(client, url: str):
    def get():
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        return response

    return get


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django_tenants.utils import tenant_context

    from bench.dataset import requests_ensure, tenant_ensure
    from bench.report import machine_line

    call_command("migrate_schemas", interactive=False, verbosity=0)  # scratch tenants too
    tenant = tenant_ensure(args.requests)
    with tenant_context(tenant):
        added, build = requests_ensure(args.requests)
        from apps.accounts.models import User
        from apps.approvals.models import ApprovalRequest
        from apps.insights import snapshots
        from apps.insights.cms import CmsSettings
        from apps.insights.datasets import DATASETS
        from apps.insights.selectors import Filters

        total = ApprovalRequest.objects.count()
        large = snapshots.is_large()
        admin = User.objects.get(email="admin@bench.test")
        views = {
            "all time (the default)": ("/admin/insights/", Filters()),
            "2025": ("/admin/insights/?start=2025-01-01&end=2025-12-31", Filters(*YEAR)),
            "Q1 2025, standard": (
                "/admin/insights/?start=2025-01-01&end=2025-03-31&urgency=standard",
                Filters(date(2025, 1, 1), date(2025, 3, 31), urgency="standard"),
            ),
        }
        # What the worker does for each view (or the page itself, below the threshold).
        builds = {
            f"dashboard, {label}": _timed(
                lambda f=f: snapshots.snapshot_build("dashboard", snapshots.filters_params(f)),
                args.runs,
            )
            for label, (_, f) in views.items()
        }
        cms = snapshots.cms_params(2025, CmsSettings())
        builds["CMS-0057-F report, 2025"] = _timed(
            lambda: snapshots.snapshot_build("cms", cms), args.runs
        )
        # Where a build's time goes: each chart's query once (2025).
        per_chart = {
            name: _timed(lambda d=d: d.rows(Filters(*YEAR)), 1)[0] for name, d in DATASETS.items()
        }
        client = Client(HTTP_HOST=tenant.get_primary_domain().domain)
        client.force_login(admin)

    pages = {f"dashboard page, {label}": url for label, (url, _) in views.items()}
    pages["CMS-0057-F report page, 2025"] = "/admin/insights/cms-0057-f/?year=2025"
    pages["CMS-0057-F CSV, 2025"] = "/admin/insights/cms-0057-f.csv?year=2025"
    pages["cycle time by workflow CSV, all time"] = "/admin/insights/data/cycle-workflow.csv"
    page_results = {}
    for label, url in pages.items():
        get = _page(client, url)
        reset_queries()  # the log keeps at most 9,000 queries; a full one counts nothing
        with CaptureQueriesContext(connection) as captured:
            get()  # warm-up, and the query count
        queries = len(captured)  # now: the next request empties the log it reads
        page_results[label] = (*_timed(get, args.runs), queries)

    print(
        f"\n### Insights at {total:,} requests in one tenant\n\n{machine_line()} "
        + (
            f"Generated {added:,} requests in {build:.0f} s (bench/dataset.py).\n"
            if added
            else "(Data generated by an earlier run.)\n"
        )
    )
    how = "from the snapshot" if large else "computed at page view"
    print(f"| page (tenant admin, {how}) | median (ms) | min (ms) | max (ms) | queries |")
    print("|---|---|---|---|---|")
    for label, (med, lo, hi, n) in page_results.items():
        print(f"| {label} | {med * 1000:.0f} | {lo * 1000:.0f} | {hi * 1000:.0f} | {n} |")
    print(
        f"\n| snapshot build ({'worker' if large else 'page'}) | median (s) | min (s) | max (s) |"
    )
    print("|---|---|---|---|")
    for label, (med, lo, hi) in builds.items():
        print(f"| {label} | {med:.1f} | {lo:.1f} | {hi:.1f} |")
    print("\n| chart query, 2025 (one run) | ms |")
    print("|---|---|")
    for name, seconds in per_chart.items():
        print(f"| {name} | {seconds * 1000:.0f} |")


if __name__ == "__main__":
    main()
