"""Bring the database up to date: public schema, template schema, every tenant, the pool of ready
tenant schemas, demo data."""

from django.core.management import call_command
from django.core.management.base import CommandParser

from apps.core.management.base import CountersignCommand
from apps.tenants.health import tenant_health_refresh_all
from apps.tenants.schema_pool import schema_pool_fill
from apps.tenants.services import platform_ensure, template_schema_ensure


class Command(CountersignCommand):
    help = "Migrate the public schema, build or upgrade the template schema, migrate tenants."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--demo", action="store_true", help="also seed the demo data")

    def handle(self, *args: object, **options: object) -> None:
        verbosity = int(options.get("verbosity", 1))  # type: ignore[call-overload]
        self.stdout.write("Migrating the public schema ...")
        call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
        self.stdout.write("Building the tenant template schema ...")
        template_schema_ensure(verbosity=0)
        self.stdout.write("Migrating tenant schemas ...")
        call_command("migrate_schemas", tenant=True, interactive=False, verbosity=0)
        platform_ensure()
        # Ready schemas make the demo's tenants, and the next ones created, quick to provision.
        self.stdout.write("Filling the pool of ready tenant schemas ...")
        schema_pool_fill()
        if options["demo"]:
            call_command("seed_demo", verbosity=verbosity)
            schema_pool_fill()
            tenant_health_refresh_all()  # the partner console's health columns, from the start
        self.stdout.write(self.style.SUCCESS("Database ready."))
