"""Timer sweep cost at 10, 100 and 1,000 tenants with the same number of due timers.

The sweep claims due rows of the public timer index (FOR UPDATE SKIP LOCKED, with a lease) and
dispatches them; it never loops over tenants, so its time should follow the due timers only.
Rows use fake schema names (no tenants are created); dispatch is replaced by a counter, so the
figure is claim + dispatch bookkeeping without the broker.

Run: .venv/bin/python bench/timer_sweep.py [--runs 7] [--due 500] [--future-per-tenant 50]
Uses its own database (countersign_bench_timers) and deletes the rows it creates.
Prints a Markdown table for docs/sla.md and docs/benchmarks.md.
"""

import argparse
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("COUNTERSIGN_DB_NAME", "countersign_bench_timers")

TENANT_COUNTS = (10, 100, 1000)
SCHEMA_PREFIX = "bench_sweep_"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--due", type=int, default=500)
    parser.add_argument("--future-per-tenant", type=int, default=50)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command

    from apps.timers.models import Timer
    from apps.timers.services import timers_sweep

    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    now = datetime.now(UTC)
    results = []
    for tenants in TENANT_COUNTS:
        Timer.objects.filter(schema_name__startswith=SCHEMA_PREFIX).delete()
        rows = [
            Timer(
                schema_name=f"{SCHEMA_PREFIX}{i % tenants}",
                object_kind="bench",
                object_id=i,
                kind="reminder",
                fire_at=now - timedelta(seconds=i % 600),
            )
            for i in range(args.due)
        ]
        rows += [  # not yet due: every tenant has clocks running
            Timer(
                schema_name=f"{SCHEMA_PREFIX}{t}",
                object_kind="bench",
                object_id=t * 1000 + n,
                kind="breach",
                fire_at=now + timedelta(hours=1 + n),
            )
            for t in range(tenants)
            for n in range(args.future_per_tenant)
        ]
        Timer.objects.bulk_create(rows, batch_size=5000)
        timings = []
        for _ in range(args.runs):
            Timer.objects.filter(schema_name__startswith=SCHEMA_PREFIX).update(
                claimed_until=None, attempts=0
            )
            dispatched = 0

            def count(batch: list[Timer]) -> None:
                nonlocal dispatched
                dispatched += len(batch)

            started = time.perf_counter()
            swept = timers_sweep(now=now, dispatch=count)
            timings.append(time.perf_counter() - started)
            assert swept == dispatched == args.due, (swept, dispatched)
        results.append((tenants, len(rows), timings))
    Timer.objects.filter(schema_name__startswith=SCHEMA_PREFIX).delete()

    cpu = platform.processor() or platform.machine()
    print(f"Machine: {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}, "
          f"PostgreSQL (embedded); {datetime.now(UTC):%Y-%m-%d}; {args.runs} runs each; "
          f"{args.due} due timers; {args.future_per_tenant} future timers per tenant")  # fmt: skip
    print()
    print("| tenants | timer rows | due timers | median (ms) | min (ms) | max (ms) |")
    print("|---|---|---|---|---|---|")
    for tenants, total, values in results:
        print(
            f"| {tenants:,} | {total:,} | {args.due} | {statistics.median(values) * 1000:.1f} | "
            f"{min(values) * 1000:.1f} | {max(values) * 1000:.1f} |"
        )


if __name__ == "__main__":
    main()
