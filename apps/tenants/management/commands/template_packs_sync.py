"""Load the shipped workflow template pack into the public-schema library."""

from django.core.management.base import BaseCommand

from apps.tenants.packs import template_pack_sync


class Command(BaseCommand):
    help = "Store the healthcare template pack (apps/workflows/library) as a template pack."

    def handle(self, *args: object, **options: object) -> None:
        release = template_pack_sync()
        self.stdout.write(f"Template pack {release.pack.key} {release.version} is available.")
