"""`manage.py audit_purge --tenant SLUG --before YYYY-MM-DD --confirm`: remove a tenant's audit
entries older than its retention, leaving a signed checkpoint (see `apps.audit.retention`).

Runs as a database role that may switch off the audit triggers for its own transaction (the
embedded development server's superuser; in production, the migration/owner role)."""

from datetime import date

from django.core.management.base import CommandError, CommandParser
from django_tenants.utils import get_tenant_model

from apps.audit.retention import RetentionError, audit_purge, retention_years
from apps.audit.verify import chain_verify
from apps.core.management.base import CountersignCommand
from apps.core.postgres.clusters import tenant_activated


class Command(CountersignCommand):
    help = "Purge one tenant's audit entries older than --before (outside retention only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", required=True, help="slug of the tenant")
        parser.add_argument("--before", required=True, help="YYYY-MM-DD: purge entries before")
        parser.add_argument("--confirm", action="store_true", help="really delete")

    def handle(self, *args: object, **options: object) -> None:
        tenant = get_tenant_model().objects.filter(slug=options["tenant"]).first()
        if tenant is None or tenant.schema_name == "public":
            raise CommandError(f'No tenant "{options["tenant"]}".')
        try:
            before = date.fromisoformat(str(options["before"]))
        except ValueError:
            raise CommandError("--before must be a date, YYYY-MM-DD.") from None
        if not options["confirm"]:
            raise CommandError("Nothing purged: add --confirm to delete audit entries.")
        with tenant_activated(tenant):
            try:
                result = audit_purge(before=before, actor_email="manage.py audit_purge")
            except RetentionError as error:
                raise CommandError(str(error)) from None
            report = chain_verify()
        self.stdout.write(
            f"{tenant.slug}: purged {result.purged} audit entries before {before.isoformat()} "
            f"(retention {retention_years()} years); checkpoint #{result.checkpoint.sequence}; "
            f"chain {'intact' if report.ok else 'BROKEN at #' + str(report.broken_at)}"
        )
        if not report.ok:
            raise CommandError(f"Audit chain broken after purge: {report.reason}")
