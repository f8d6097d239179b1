"""Tenant provisioning time: clone of the template schema vs replaying every migration.

Run: .venv/bin/python bench/provisioning.py [--runs 5]
Uses its own database (countersign_bench) on the configured server and drops what it creates.
Prints a Markdown table for docs/benchmarks.md.
"""

import argparse
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("COUNTERSIGN_DB_NAME", "countersign_bench")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import override_settings

    from apps.tenants.models import Tenant
    from apps.tenants.services import (
        partner_ensure,
        platform_ensure,
        template_schema_ensure,
        tenant_create,
    )

    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    template_schema_ensure()
    platform_ensure()
    partner = partner_ensure(name="Bench Partner", slug="bench")

    def create(slug: str) -> float:
        started = time.perf_counter()
        tenant_create(partner=partner, slug=slug, name=f"Bench {slug}")
        return time.perf_counter() - started

    def drop(slug: str) -> None:
        tenant = Tenant.objects.get(slug=slug)
        tenant.delete(force_drop=True)
        connection.set_schema_to_public()

    timings: dict[str, list[float]] = {"clone": [], "migrations": []}
    for run in range(args.runs):
        timings["clone"].append(create(f"bench-clone-{run}"))
        with override_settings(TENANT_CREATION_FAKES_MIGRATIONS=False):
            timings["migrations"].append(create(f"bench-migrate-{run}"))
    for run in range(args.runs):
        drop(f"bench-clone-{run}")
        drop(f"bench-migrate-{run}")

    cpu = platform.processor() or platform.machine()
    print(f"Machine: {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}; "
          f"{datetime.now(UTC):%Y-%m-%d}; {args.runs} runs each")  # fmt: skip
    print()
    print("| method | median (s) | min (s) | max (s) |")
    print("|---|---|---|---|")
    for method, values in timings.items():
        print(
            f"| {method} | {statistics.median(values):.2f} | {min(values):.2f} | "
            f"{max(values):.2f} |"
        )
    ratio = statistics.median(timings["migrations"]) / statistics.median(timings["clone"])
    print()
    print(f"Clone is {ratio:.1f}x faster than replaying migrations (median).")


if __name__ == "__main__":
    main()
