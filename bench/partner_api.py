"""Partner API and console speed: tenant creation through ``POST /api/partner/v1/tenants/`` and
the console's tenant list with 500 health summary rows.

Run: .venv/bin/python bench/partner_api.py [--runs 7] [--tenants 500]
Uses its own database (countersign_bench_partner) and drops the schemas it creates.
Prints Markdown for docs/partners.md and docs/benchmarks.md.
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
os.environ.setdefault("COUNTERSIGN_DB_NAME", "countersign_bench_partner")
os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
# Measures speed, not sign-in: the console step signs in without the two-step enrolment gate.
os.environ.setdefault("MFA_ENFORCE", "false")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--tenants", type=int, default=500)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import override_settings
    from django.utils import timezone

    from apps.accounts.models import User
    from apps.tenants.api_keys import partner_api_key_create
    from apps.tenants.choices import PartnerRole
    from apps.tenants.models import Branding, Domain, PartnerMembership, Tenant, TenantHealth
    from apps.tenants.packs import template_pack_sync
    from apps.tenants.services import partner_ensure, platform_ensure, template_schema_ensure

    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    template_schema_ensure()
    platform_ensure()
    template_pack_sync()
    partner = partner_ensure(name="Bench Partner API", slug="bench-api")
    user = User.objects.filter(email="bench@partner.test").first()
    if user is None:
        user = User.objects.create_user("bench@partner.test", "bench-password-123", full_name="B")
        PartnerMembership.objects.create(user=user, partner=partner, role=PartnerRole.ADMIN)
    _, raw = partner_api_key_create(actor=user, partner=partner, name="bench")
    api = Client(HTTP_HOST=settings.PLATFORM_DOMAIN, HTTP_AUTHORIZATION=f"Bearer {raw}")

    def create(slug: str, packs: list[str]) -> float:
        started = time.perf_counter()
        response = api.post(
            "/api/partner/v1/tenants/",
            {
                "slug": slug,
                "name": f"Bench {slug}",
                "branding": {"primary_colour": "#1e3a8a"},
                "admin_email": f"admin@{slug}.test",
                "template_packs": packs,
            },
            content_type="application/json",
        )
        elapsed = time.perf_counter() - started
        assert response.status_code == 201, response.content
        connection.set_schema_to_public()
        return elapsed

    stamp = int(time.time()) % 100000
    timings: dict[str, list[float]] = {"create (no templates)": [], "create + 1 template": []}
    created = []
    for run in range(args.runs):
        for label, packs in (
            ("create (no templates)", []),
            ("create + 1 template", ["prior-auth-imaging"]),
        ):
            slug = f"bapi-{stamp}-{run}-{len(packs)}"
            timings[label].append(create(slug, packs))
            created.append(slug)

    # The console with N tenants: rows only (no schemas), as the page reads only public tables.
    now = timezone.now()
    tenants = Tenant.objects.bulk_create(
        Tenant(
            schema_name=f"bconsole_{stamp}_{i}",
            slug=f"bconsole-{stamp}-{i}",
            name=f"Console tenant {i:04d}",
            partner=partner,
        )
        for i in range(args.tenants)
    )
    Branding.objects.bulk_create(Branding(tenant=t, display_name=t.name) for t in tenants)
    Domain.objects.bulk_create(
        Domain(tenant=t, domain=f"{t.slug}.{settings.PLATFORM_DOMAIN}", is_primary=True)
        for t in tenants
    )
    TenantHealth.objects.bulk_create(
        TenantHealth(tenant=t, open_requests=i % 40, exception_queue=i % 3, refreshed_at=now)
        for i, t in enumerate(tenants)
    )
    console = Client(HTTP_HOST=settings.PLATFORM_DOMAIN)
    console.force_login(user)
    page_times = []
    with override_settings(DEBUG=True):
        for _ in range(args.runs):
            reset_queries()
            started = time.perf_counter()
            response = console.get("/")
            page_times.append(time.perf_counter() - started)
            assert response.status_code == 200
            queries = len(connection.queries)
        health_times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            assert api.get("/api/partner/v1/health/").status_code == 200
            health_times.append(time.perf_counter() - started)

    # clean up
    Tenant.objects.filter(pk__in=[t.pk for t in tenants]).delete()
    for slug in created:
        Tenant.objects.get(slug=slug).delete(force_drop=True)
        connection.set_schema_to_public()

    cpu = platform.processor() or platform.machine()
    print(f"Machine: {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}; "
          f"{datetime.now(UTC):%Y-%m-%d}; {args.runs} runs each")  # fmt: skip
    print()
    print("| measurement | median (s) | min (s) | max (s) |")
    print("|---|---|---|---|")
    rows = {
        **{f"POST /api/partner/v1/tenants/ {k}": v for k, v in timings.items()},
        f"console tenant list, {args.tenants} tenants ({queries} queries)": page_times,
        f"GET /api/partner/v1/health/, {args.tenants} tenants": health_times,
    }
    for label, values in rows.items():
        print(
            f"| {label} | {statistics.median(values):.3f} | {min(values):.3f} | {max(values):.3f} |"
        )


if __name__ == "__main__":
    main()
