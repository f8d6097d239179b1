"""`manage.py audit_verify [--tenant SLUG]`: walk each audit chain, name the first broken link."""

from django.core.management.base import CommandError, CommandParser
from django_tenants.utils import get_tenant_model, schema_context

from apps.audit.verify import chain_verify
from apps.core.management.base import CountersignCommand


class Command(CountersignCommand):
    help = "Verify the hash chain of the audit trail of every tenant (or one) and the platform."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", help="slug of one tenant (default: all, plus platform)")

    def handle(self, *args: object, **options: str) -> None:
        tenants = get_tenant_model().objects.order_by("schema_name")
        if options["tenant"]:
            tenants = tenants.filter(slug=options["tenant"])
            if not tenants.exists():
                raise CommandError(f'No tenant "{options["tenant"]}".')
        broken = []
        for tenant in tenants:
            with schema_context(tenant.schema_name):
                report = chain_verify()
            name = "platform" if tenant.schema_name == "public" else tenant.slug
            if report.ok:
                self.stdout.write(f"{name}: {report.entries} entries, chain intact")
            else:
                broken.append(name)
                self.stdout.write(
                    self.style.ERROR(
                        f"{name}: BROKEN at entry #{report.broken_at}: {report.reason}"
                    )
                )
        if broken:
            raise CommandError(f"Audit chain broken for: {', '.join(broken)}")
