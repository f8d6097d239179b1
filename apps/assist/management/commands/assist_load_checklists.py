"""Loads the shipped criteria checklists into every tenant (or one, with --schema)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from apps.assist.checklists import checklists_load
from apps.core.postgres.clusters import tenant_activated
from apps.tenants.models import Tenant


class Command(BaseCommand):
    help = "Load the shipped criteria checklists into tenants that do not have them yet."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--schema", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        tenants = Tenant.objects.exclude(schema_name="public")
        if options["schema"]:
            tenants = tenants.filter(schema_name=options["schema"])
        for tenant in tenants:
            with tenant_activated(tenant):
                added = checklists_load()
            self.stdout.write(f"{tenant.schema_name}: {added} checklist(s) added")
