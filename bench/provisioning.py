"""Tenant provisioning time: a ready schema from the pool vs a clone of the template vs replaying
every migration, and what refilling the pool costs in the background.

Run: .venv/bin/python bench/provisioning.py [--runs 7] [--no-migrations]
Uses its own database (countersign_bench) on the configured server and drops what it creates.
Each method runs in turn within a round, so load from other work hits them alike. "pool" is
`tenant_create` with one ready pool schema (filled beforehand, not timed); "clone" is
`tenant_create` with the pool empty (its fallback, what it always did before the pool);
"pool fill" is one pool schema cloned by `schema_pool_fill` (the worker's job after a claim).
Refill tasks queued by `tenant_create` go to a queue of the benchmark's own, purged at the end.
Prints a Markdown table for docs/benchmarks.md.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("COUNTERSIGN_DB_NAME", "countersign_bench")

QUEUE = "bench-provisioning"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--no-migrations", dest="migrations", action="store_false", help="skip the replay"
    )
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import override_settings

    from apps.tenants.models import PooledSchema, Tenant
    from apps.tenants.schema_pool import schema_pool_fill, schema_pool_prune
    from apps.tenants.services import (
        partner_ensure,
        platform_ensure,
        template_schema_ensure,
        tenant_create,
    )
    from bench.report import machine_line
    from config.celery import app

    app.conf.task_default_queue = QUEUE
    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    template_schema_ensure()
    platform_ensure()
    partner = partner_ensure(name="Bench Partner", slug="bench")
    schema_pool_prune(size=0)

    def create(slug: str) -> float:
        started = time.perf_counter()
        tenant_create(partner=partner, slug=slug, name=f"Bench {slug}")
        elapsed = time.perf_counter() - started
        connection.set_schema_to_public()
        return elapsed

    def oid_of(schema: str) -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT oid FROM pg_namespace WHERE nspname = %s", [schema])
            return cursor.fetchone()[0]

    def schemas() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_namespace WHERE nspname <> 'information_schema' "
                "AND nspname NOT LIKE 'pg\\_%'"
            )
            return cursor.fetchone()[0]

    timings: dict[str, list[float]] = {"pool": [], "clone": [], "pool fill": []}
    if args.migrations:
        timings["migrations"] = []
    slugs: list[str] = []
    machine = machine_line()
    schemas_at_start = schemas()
    try:
        for run in range(args.runs):
            started = time.perf_counter()
            assert schema_pool_fill(size=1) == 1
            timings["pool fill"].append(time.perf_counter() - started)
            ready = oid_of(PooledSchema.objects.get().schema_name)
            slugs.append(f"bench-pool-{run}")
            timings["pool"].append(create(slugs[-1]))
            taken = oid_of(Tenant.objects.get(slug=slugs[-1]).schema_name)
            assert taken == ready, "the tenant did not get the pool schema"
            slugs.append(f"bench-clone-{run}")
            timings["clone"].append(create(slugs[-1]))  # the pool is empty: the fallback
            if args.migrations:
                slugs.append(f"bench-migrate-{run}")
                with override_settings(TENANT_CREATION_FAKES_MIGRATIONS=False):
                    timings["migrations"].append(create(slugs[-1]))
    finally:
        for slug in slugs:
            for tenant in Tenant.objects.filter(slug=slug):
                tenant.delete(force_drop=True)
            connection.set_schema_to_public()
        schema_pool_prune(size=0)
        with app.connection_for_write() as broker:
            broker.default_channel.queue_purge(QUEUE)

    print(f"{machine} {args.runs} runs each; {schemas_at_start} schemas in the database "
          f"at the start (public and the template included); load average at the end "
          f"{os.getloadavg()[0]:.1f}.")  # fmt: skip
    print()
    print("| method | median (s) | min (s) | max (s) |")
    print("|---|---|---|---|")
    labels = {
        "pool": "`tenant_create`, schema from the pool (renamed)",
        "clone": "`tenant_create`, pool empty: clone of `tenant_template`",
        "migrations": "replaying every migration",
        "pool fill": "refill: one pool schema cloned (background, not in the request)",
    }
    for method, values in timings.items():
        print(
            f"| {labels[method]} | {statistics.median(values):.3f} | {min(values):.3f} | "
            f"{max(values):.3f} |"
        )
    ratio = statistics.median(timings["clone"]) / statistics.median(timings["pool"])
    print()
    print(f"From the pool is {ratio:.0f}x faster than the clone (median).")


if __name__ == "__main__":
    main()
