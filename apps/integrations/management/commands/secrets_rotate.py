"""Re-encrypt every secret at rest with the first key of SECRETS_ENCRYPTION_KEYS.

Rotation: put the new key first in SECRETS_ENCRYPTION_KEYS (keep the old one after it), deploy,
run `manage.py secrets_rotate`, then remove the old key.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import CommandError
from django_tenants.utils import get_public_schema_name, get_tenant_model

from apps.core.actions import action
from apps.core.management.base import CountersignCommand
from apps.core.postgres.clusters import schema_activated
from apps.integrations import crypto


class Command(CountersignCommand):
    help = "Re-encrypt secrets at rest (webhook keys, connector credentials) with the first key."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--schema", help="Only this tenant schema (default: every tenant).")

    def handle(self, *args: Any, **options: Any) -> None:
        public = get_public_schema_name()
        tenants = get_tenant_model().objects.exclude(schema_name=public)
        total = 0
        if options["schema"] in {None, public}:
            # The public schema holds the shared apps' secrets (a partner's console IdP).
            with schema_activated(public):
                total += rotate_current_schema(shared_only=True)
            if options["schema"] == public:
                self.stdout.write(self.style.SUCCESS(f"Done: {total} secret(s) re-encrypted."))
                return
        if options["schema"]:
            tenants = tenants.filter(schema_name=options["schema"])
            if not tenants.exists():
                raise CommandError(f"No tenant has the schema {options['schema']!r}.")
        for schema in tenants.values_list("schema_name", flat=True):
            with schema_activated(schema):
                count = rotate_current_schema()
            total += count
            self.stdout.write(f"{schema}: {count} secret(s) re-encrypted")
        self.stdout.write(self.style.SUCCESS(f"Done: {total} secret(s) re-encrypted."))


def rotate_current_schema(*, shared_only: bool = False) -> int:
    """Re-encrypt each registered column in the current schema (`shared_only`: the columns of
    the apps the public schema has); returns how many values."""
    from django.conf import settings

    shared = {
        config.label for config in apps.get_app_configs() if config.name in settings.SHARED_APPS
    }
    count = 0
    for label, field in crypto.encrypted_fields():
        model = apps.get_model(label)
        if shared_only and model._meta.app_label not in shared:
            continue
        with action(actor=None):
            for pk, token in model.objects.select_for_update().values_list("pk", field):
                if not token:
                    continue
                model.objects.filter(pk=pk).update(**{field: crypto.rotate(token)})
                count += 1
    return count
