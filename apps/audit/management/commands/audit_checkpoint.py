"""`manage.py audit_checkpoint [--tenant SLUG] [--show-key]`: sign each audit chain's head now
and write it as a checkpoint file (beat does this every AUDIT_CHECKPOINT_MINUTES; see
`apps.audit.checkpoints`). `--show-key` prints the public key and key id that verify them."""

from django.core.management.base import CommandError, CommandParser
from django_tenants.utils import get_tenant_model

from apps.audit.checkpoints import checkpoint_write, when
from apps.audit.signing import public_key_encode, signing_key, signing_key_id
from apps.core.errors import CountersignError
from apps.core.management.base import CountersignCommand
from apps.core.postgres.clusters import tenant_activated


class Command(CountersignCommand):
    help = "Write a signed checkpoint of the audit chain of every tenant (or one) and the platform."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", help="slug of one tenant (default: all, plus platform)")
        parser.add_argument(
            "--show-key", action="store_true", help="print the verifying public key and stop"
        )

    def handle(self, *args: object, **options: object) -> None:
        if options["show_key"]:
            public = public_key_encode(signing_key().public_key())
            self.stdout.write(f"key id {signing_key_id()}\npublic key {public}")
            return
        tenants = get_tenant_model().objects.order_by("schema_name")
        if options["tenant"]:
            tenants = tenants.filter(slug=options["tenant"])
            if not tenants.exists():
                raise CommandError(f'No tenant "{options["tenant"]}".')
        refused = []
        for tenant in tenants:
            name = "platform" if tenant.schema_name == "public" else tenant.slug
            try:
                with tenant_activated(tenant):
                    written = checkpoint_write(force=True)
            except CountersignError as error:
                refused.append(name)
                self.stdout.write(self.style.ERROR(f"{name}: {error.message}"))
                continue
            if written is None:  # forced: always written
                continue
            self.stdout.write(
                f"{name}: checkpoint #{written.sequence} of {when(written.at)} -> {written.path}"
            )
        if refused:
            raise CommandError(f"No checkpoint for: {', '.join(refused)} (run audit_verify)")
