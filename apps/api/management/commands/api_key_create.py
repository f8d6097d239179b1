"""Issue an API key on the command line: prints the key once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from apps.accounts.models import User
from apps.api.choices import ALL_SCOPES
from apps.api.services import api_key_create
from apps.approvals.exceptions import ApprovalError
from apps.core.management.base import CountersignCommand
from apps.core.postgres.clusters import tenant_activated
from apps.core.text import email_normalise
from apps.tenants.models import Tenant


class Command(CountersignCommand):
    help = "Create an API key for a person (or service account) of a tenant and print it once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", required=True, help="tenant slug, e.g. stbrigid")
        parser.add_argument("--owner", required=True, help="email of the user the key acts as")
        parser.add_argument(
            "--scopes",
            default=",".join(ALL_SCOPES),
            help=f"comma- or space-separated, from {', '.join(ALL_SCOPES)} (default: all)",
        )
        parser.add_argument("--name", default="", help="what the key is for (default: CLI key)")

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = Tenant.objects.filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"No tenant {options['tenant']!r}.")
        scopes = [s for s in options["scopes"].replace(",", " ").split() if s]
        with tenant_activated(tenant):
            owner = User.objects.filter(email=email_normalise(options["owner"])).first()
            if owner is None:
                raise CommandError(f"No user {options['owner']!r} in tenant {tenant.slug}.")
            try:
                key, text = api_key_create(
                    actor=None, name=options["name"] or "CLI key", scopes=scopes, owner=owner
                )
            except ApprovalError as error:
                details = "; ".join(f"{f}: {' '.join(m)}" for f, m in error.fields.items())
                raise CommandError(f"{error.message} {details}".strip()) from None
        self.stderr.write(
            f"Key {key.prefix} for {owner.email} on {tenant.slug} with {', '.join(key.scopes)}. "
            "It is shown once:"
        )
        self.stdout.write(text)
