"""`manage.py audit_verify [--tenant SLUG] [--all-checkpoints]`: walk each audit chain, name the
first broken link, and compare the chain with its stored head and its newest signed checkpoint
(naming missing entries: "entries after #N are missing; the checkpoint of <time> covers #M")."""

from django.core.management.base import CommandError, CommandParser
from django_tenants.utils import get_tenant_model

from apps.audit.checkpoints import when
from apps.audit.verify import trail_verify
from apps.core.management.base import CountersignCommand
from apps.core.postgres.clusters import tenant_activated


class Command(CountersignCommand):
    help = (
        "Verify the hash chain of the audit trail of every tenant (or one) and the platform, "
        "against its chain head and its newest signed checkpoint."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", help="slug of one tenant (default: all, plus platform)")
        parser.add_argument(
            "--all-checkpoints",
            action="store_true",
            help="check the signature of every checkpoint file, not only the newest",
        )

    def handle(self, *args: object, **options: object) -> None:
        tenants = get_tenant_model().objects.order_by("schema_name")
        if options["tenant"]:
            tenants = tenants.filter(slug=options["tenant"])
            if not tenants.exists():
                raise CommandError(f'No tenant "{options["tenant"]}".')
        broken = []
        for tenant in tenants:
            with tenant_activated(tenant):
                report = trail_verify(
                    schema=tenant.schema_name, every_checkpoint=bool(options["all_checkpoints"])
                )
            name = "platform" if tenant.schema_name == "public" else tenant.slug
            chain = report.chain
            if not chain.ok:
                self.stdout.write(
                    self.style.ERROR(f"{name}: BROKEN at entry #{chain.broken_at}: {chain.reason}")
                )
            for problem in report.problems:
                self.stdout.write(self.style.ERROR(f"{name}: {problem}"))
            if not report.ok:
                broken.append(name)
                continue
            anchor = (
                f"checkpoint of {when(report.checkpoint.at)} (#{report.checkpoint.sequence})"
                if report.checkpoint
                else "no checkpoint yet"
            )
            self.stdout.write(
                f"{name}: {chain.entries} entries, chain intact, head #{chain.last_sequence}, "
                f"{anchor}"
            )
        if broken:
            raise CommandError(f"Audit chain broken for: {', '.join(broken)}")
