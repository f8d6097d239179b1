"""Seed the demo partner and tenants (safe to run again) and print where to sign in."""

from django.conf import settings

from apps.core.demo import DEMO_PASSWORD, DEMO_TENANTS, PARTNER_ADMIN, demo_seed
from apps.core.management.base import CountersignCommand


class Command(CountersignCommand):
    help = "Create the demo partner, tenants and people (idempotent) and print the logins."

    def handle(self, *args: object, **options: object) -> None:
        demo_seed()
        port = getattr(settings, "DEMO_PORT", 8000)
        domain = settings.PLATFORM_DOMAIN
        out = self.stdout.write
        out("")
        out(self.style.SUCCESS("Countersign demo"))
        out(f"  Partner console  http://{domain}:{port}/   {PARTNER_ADMIN.email}")
        for tenant in DEMO_TENANTS:
            out(f"  {tenant.name:<28} http://{tenant.slug}.{domain}:{port}/")
            for person in tenant.people:
                out(f"      {person.email:<30} {person.job_title}")
        out(f"  Password for every demo account: {DEMO_PASSWORD}")
        out("")
