"""Refresh the partner console's per-tenant health summary."""

from apps.core.management.base import CountersignCommand
from apps.tenants.health import tenant_health_refresh_all


class Command(CountersignCommand):
    help = "Recount open requests, exceptions and last activity of every tenant."

    def handle(self, *args: object, **options: object) -> None:
        count = tenant_health_refresh_all()
        self.stdout.write(f"Refreshed health of {count} tenant(s).")
