"""Create a tenant from the command line: `manage.py tenant_create --partner northwind ...`."""

import time

from django.core.management.base import CommandError, CommandParser

from apps.core.errors import CountersignError
from apps.core.management.base import CountersignCommand
from apps.tenants.exceptions import ProvisioningError
from apps.tenants.models import Partner
from apps.tenants.services import tenant_create


class Command(CountersignCommand):
    help = "Create a tenant (cloned from the template schema) with its domain and branding."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--partner", required=True, help="slug of the owning partner")
        parser.add_argument("--slug", required=True, help="lowercase name used in the hostname")
        parser.add_argument("--name", required=True, help="the organisation's display name")
        parser.add_argument("--primary-colour", default=None)
        parser.add_argument("--accent-colour", default=None)

    def handle(self, *args: object, **options: str) -> None:
        try:
            partner = Partner.objects.get(slug=options["partner"])
        except Partner.DoesNotExist:
            raise CommandError(f'No partner with slug "{options["partner"]}".') from None
        branding = {
            key: value
            for key, value in {
                "primary_colour": options["primary_colour"],
                "accent_colour": options["accent_colour"],
            }.items()
            if value
        }
        started = time.perf_counter()
        try:
            tenant = tenant_create(
                partner=partner, slug=options["slug"], name=options["name"], branding=branding
            )
        except ProvisioningError as exc:
            raise CommandError(exc.message) from None
        except CountersignError as exc:
            lines = [f"{field}: {' '.join(msgs)}" for field, msgs in exc.fields.items()]
            raise CommandError("Cannot create the tenant. " + "; ".join(lines)) from None
        elapsed = time.perf_counter() - started
        host = tenant.domains.get(is_primary=True).domain
        self.stdout.write(f"Created {tenant.name} at http://{host}/ in {elapsed:.2f} s")
