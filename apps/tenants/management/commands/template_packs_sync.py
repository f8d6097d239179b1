"""Load the shipped workflow template pack into the public-schema library."""

from apps.core.management.base import CountersignCommand
from apps.tenants.packs import template_pack_sync


class Command(CountersignCommand):
    help = "Store the healthcare template pack (apps/workflows/library) as a template pack."

    def handle(self, *args: object, **options: object) -> None:
        release = template_pack_sync()
        self.stdout.write(f"Template pack {release.pack.key} {release.version} is available.")
