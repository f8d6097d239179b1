"""Dashboard query speed as requests grow: bulk-creates N synthetic prior-authorization and
capital requests (with tasks, decisions and SLA clocks) in a scratch tenant, then times each
dashboard metric and the CMS-0057-F report (median of several runs).

Run: .venv/bin/python bench/insights.py [--requests 100000] [--runs 5]
Uses its own database (countersign_bench_insights) and a scratch tenant ``bench-insights``;
rerunning adds rows only up to N. Prints Markdown for docs/insights.md.
"""

import argparse
import os
import platform
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("COUNTERSIGN_DB_NAME", "countersign_bench_insights")
os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"

BATCH = 5000


def _tenant():
    from apps.tenants.models import Tenant
    from apps.tenants.services import (
        partner_ensure,
        platform_ensure,
        template_schema_ensure,
        tenant_create,
    )

    template_schema_ensure()
    platform_ensure()
    partner = partner_ensure(name="Bench Insights", slug="bench-insights-partner")
    return Tenant.objects.filter(slug="bench-insights").first() or tenant_create(
        partner=partner, slug="bench-insights", name="Bench Insights", branding={}
    )


def generate(n: int, rng: random.Random) -> int:
    """Bulk-create requests up to `n` in the current tenant; returns how many were added."""
    from apps.accounts.models import User
    from apps.approvals.models import ApprovalRequest, Decision, ReasonCode, Task
    from apps.sla.models import Clock, SlaEvent
    from apps.workflows.models import WorkflowDefinition
    from apps.workflows.services import template_pack_install

    template_pack_install(actor=None)
    have = ApprovalRequest.objects.count()
    if have >= n:
        return 0
    requester = User.objects.filter(email="req@bench.test").first() or User.objects.create_user(
        "req@bench.test", "bench-password-123", full_name="Requester"
    )
    approvers = [
        User.objects.filter(email=f"ap{i}@bench.test").first()
        or User.objects.create_user(f"ap{i}@bench.test", "bench-password-123", full_name=f"A{i}")
        for i in range(20)
    ]
    reason = ReasonCode.objects.first() or ReasonCode.objects.create(code="X", label="X")
    versions = [
        WorkflowDefinition.objects.get(key=key).current_version
        for key in ("prior-auth-imaging", "capital-purchase")
    ]
    start = datetime(2025, 1, 1, tzinfo=UTC)
    added = 0
    while have + added < n:
        size = min(BATCH, n - have - added)
        requests = []
        for i in range(size):
            submitted = start + timedelta(minutes=rng.randint(0, 60 * 24 * 365))
            status = rng.choices(
                ["approved", "denied", "partially_approved", "in_review"], [70, 15, 5, 10]
            )[0]
            hours = rng.lognormvariate(3, 0.8)
            requests.append(
                ApprovalRequest(
                    reference=f"BN-{have + added + i:08d}",
                    workflow_version=rng.choice(versions),
                    requester=requester,
                    urgency=rng.choices(["standard", "expedited"], [85, 15])[0],
                    status=status,
                    data={"member_id": f"M{rng.randint(0, 20000)}", "cpt_code": "72148"},
                    touchless=rng.random() < 0.1,
                    submitted_at=submitted,
                    completed_at=None
                    if status == "in_review"
                    else submitted + timedelta(hours=hours),
                )
            )
        created = ApprovalRequest.objects.bulk_create(requests)
        tasks, clocks = [], []
        for r in created:
            closed = r.completed_at
            tasks.append(
                Task(
                    request=r,
                    key="t1",
                    step_key="review",
                    step_name="Review",
                    stage_index=0,
                    assignee=rng.choice(approvers),
                    status="pending" if closed is None else "approved",
                    created_at=r.submitted_at,
                    closed_at=closed,
                )
            )
            clocks.append(
                Clock(
                    request=r,
                    scope="request",
                    urgency=r.urgency,
                    policy_source="bench",
                    hours=168,
                    calendar="calendar",
                    breach_action="notify",
                    status="stopped" if closed else "running",
                    started_at=r.submitted_at,
                    due_at=r.submitted_at + timedelta(days=7),
                    total_seconds=7 * 86400,
                    breached_at=closed
                    if closed and closed - r.submitted_at > timedelta(days=7)
                    else None,
                )
            )
        Task.objects.bulk_create(tasks)
        Clock.objects.bulk_create(clocks)
        ApprovalRequest.objects.filter(pk__in=[r.pk for r in created]).update(
            created_at=models_f("submitted_at")
        )
        decisions = [
            Decision(
                task=t,
                request=t.request,
                actor=t.assignee,
                outcome="reject" if t.request.status == "denied" else "approve",
                reason_code=reason if t.request.status == "denied" else None,
                partial=t.request.status == "partially_approved",
            )
            for t in tasks
            if t.closed_at
        ]
        Decision.objects.bulk_create(decisions)
        SlaEvent.objects.bulk_create(
            SlaEvent(clock=c, kind="extended", at=c.started_at) for c in clocks[::20]
        )
        added += size
        _backdate()
        print(f"  … {have + added} requests", file=sys.stderr)
    return added


def _backdate() -> None:
    """auto_now_add stamps bulk-created rows with now: move them to their synthetic times."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE approvals_task t SET created_at = r.submitted_at FROM "
            "approvals_approvalrequest r WHERE t.request_id = r.id AND t.created_at > "
            "r.submitted_at + interval '1 day' AND r.reference LIKE 'BN-%%'"
        )
        cursor.execute(
            "UPDATE approvals_decision d SET decided_at = t.closed_at FROM approvals_task t "
            "WHERE d.task_id = t.id AND d.decided_at > t.closed_at + interval '1 day'"
        )


def models_f(name):
    from django.db.models import F

    return F(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django_tenants.utils import tenant_context

    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    tenant = _tenant()
    with tenant_context(tenant):
        started = time.perf_counter()
        added = generate(args.requests, random.Random(57))
        build = time.perf_counter() - started
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        from datetime import date

        from apps.insights.cms import cms_report
        from apps.insights.datasets import DATASETS
        from apps.insights.selectors import Filters, outcome_rates

        year = Filters(start=date(2025, 1, 1), end=date(2025, 12, 31))
        quarter = Filters(start=date(2025, 1, 1), end=date(2025, 3, 31), urgency="standard")
        cases = {f"{name} (year)": (lambda d=d: d.rows(year)) for name, d in DATASETS.items()}
        cases["outcome rates (quarter, standard)"] = lambda: outcome_rates(quarter)
        cases["CMS-0057-F report (year)"] = lambda: cms_report(year=2025)
        results = {}
        for label, run in cases.items():
            timings = []
            for _ in range(args.runs):
                t = time.perf_counter()
                run()
                timings.append(time.perf_counter() - t)
            results[label] = statistics.median(timings)
    print(
        f"\n### Insights queries, {args.requests:,} requests "
        f"({platform.processor() or platform.machine()}, {os.cpu_count()} CPUs)\n"
    )
    print(f"Generated {added:,} requests in {build:.1f} s (bulk_create, batches of {BATCH}).\n")
    print(f"| query | median of {args.runs} runs |")
    print("|---|---|")
    total = 0.0
    for label, seconds in results.items():
        total += seconds
        print(f"| {label} | {seconds * 1000:.0f} ms |")
    print(f"| whole dashboard (sum) | {total * 1000:.0f} ms |")


if __name__ == "__main__":
    main()
