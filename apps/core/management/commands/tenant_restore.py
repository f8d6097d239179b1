"""Restore a tenant backup (``tenant_backup --tenant``) as a tenant with a new slug.

    manage.py tenant_restore --file alpha.dump --as-slug alpha-restored [--name "..."]

PostgreSQL cannot restore a schema under another name directly, so:

* when the dumped schema name is free in this database (disaster recovery into a fresh or
  cleaned database), pg_restore runs here in one transaction and the schema is renamed;
* when it is taken (the original tenant still exists), the dump is restored into a scratch
  database on the same server, renamed there, dumped again and restored here; the scratch
  database is dropped afterwards. This needs the CREATEDB privilege (see docs/operations.md
  for the manual procedure without it).

Then the Tenant, its primary Domain and Branding rows are registered in the public schema. The
timer index and uploaded files are not part of a schema dump: see docs/operations.md.
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import tempfile
from pathlib import Path
from typing import Any

import psycopg
from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.db import connection
from django_tenants.utils import schema_exists
from psycopg import sql

from apps.core.actions import action
from apps.core.management.base import CountersignCommand
from apps.core.management.commands.tenant_backup import (
    libpq_args,
    run_pg,
    sidecar_path,
)

_SCHEMA_ENTRY = re.compile(r"^\d+; \d+ \d+ SCHEMA - (\S+) ")


def dumped_schemas(dump: Path) -> list[str]:
    """Schema names created by a custom-format dump (from pg_restore --list)."""
    _, env = libpq_args()
    listing = run_pg("pg_restore", ["--list", str(dump)], env).stdout
    return [m.group(1) for line in listing.splitlines() if (m := _SCHEMA_ENTRY.match(line))]


def _owner_params() -> dict[str, Any]:
    """This database's connection, as the owner role: restoring creates and renames schemas
    (docs/security.md#database-roles)."""
    params = dict(connection.get_connection_params())
    params["user"] = settings.DATABASE_OWNER["USER"]
    params["password"] = settings.DATABASE_OWNER["PASSWORD"] or params.get("password")
    params.pop("options", None)  # a `role=` of the application role is not the owner's
    return params


def _admin_connect(dbname: str) -> psycopg.Connection[Any]:
    params = _owner_params()
    params.pop("database", None)
    params["dbname"] = dbname
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.pop("prepare_threshold", None)
    params.pop("server_side_binding", None)
    return psycopg.connect(**params, autocommit=True)


class Command(CountersignCommand):
    help = "Restore a tenant schema backup under a new slug and register the tenant."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--file", required=True, help="dump written by tenant_backup")
        parser.add_argument("--as-slug", required=True, help="slug of the restored tenant")
        parser.add_argument("--name", help="display name (default: the original's + restored)")
        parser.add_argument("--partner", help="partner slug (default: the original's)")

    def handle(self, *args: object, **options: Any) -> None:
        from apps.tenants.models import Branding, Domain, Partner, Tenant
        from apps.tenants.schema_pool import is_pool_schema
        from apps.tenants.services import schema_name_for, tenant_slug_problems

        dump = Path(options["file"]).resolve()
        if not dump.is_file():
            raise CommandError(f"{dump} does not exist.")
        meta: dict[str, Any] = {}
        if sidecar_path(dump).is_file():
            meta = json.loads(sidecar_path(dump).read_text())

        slug = options["as_slug"].strip()
        if problems := tenant_slug_problems(slug):
            raise CommandError(f'"{slug}": {" ".join(problems)}')
        if Tenant.objects.filter(slug=slug).exists():
            raise CommandError(f'A tenant called "{slug}" already exists.')
        target = schema_name_for(slug)
        if schema_exists(target):
            raise CommandError(f"The schema {target} already exists.")

        schemas = dumped_schemas(dump)
        if len(schemas) != 1:
            raise CommandError(f"Expected a dump of one schema, found {schemas or 'none'}.")
        source = schemas[0]
        if source in {"public", settings.TENANT_BASE_SCHEMA} or is_pool_schema(source):
            raise CommandError(f"{dump} is a dump of {source}, not of a tenant.")

        partner_slug = options.get("partner") or meta.get("partner")
        partner = Partner.objects.filter(slug=partner_slug).first() if partner_slug else None
        if partner_slug and partner is None:
            raise CommandError(f'No partner with the slug "{partner_slug}".')
        name = options.get("name") or f"{meta.get('name') or source} (restored)"

        if schema_exists(source):
            self._restore_via_scratch(dump, source, target)
        else:
            self._restore_here(dump, source, target)
        # Restored without privileges: the application role's rights in the new schema.
        owner = _owner_params()
        with _admin_connect(str(owner.get("dbname") or owner.get("database"))) as admin:
            admin.execute("SELECT public.countersign_schema_grant(%s)", [target])

        with action(actor=None):
            tenant = Tenant(schema_name=target, slug=slug, name=name[:200], partner=partner)
            tenant.auto_create_schema = False  # the schema came from the dump
            tenant.save(verbosity=0)
            Domain.objects.create(
                domain=f"{slug}.{settings.PLATFORM_DOMAIN}", tenant=tenant, is_primary=True
            )
            original = Tenant.objects.filter(schema_name=source).first()
            brand = Branding.objects.filter(tenant=original).first() if original else None
            if brand is not None:
                brand.pk = None
                brand.tenant = tenant
                brand.display_name = name[:200]
                brand.save()
            else:
                Branding.objects.create(tenant=tenant, display_name=name[:200])
        self.stdout.write(
            self.style.SUCCESS(f"Restored schema {source} as tenant {slug} (schema {target}).")
        )

    # --- the two ways to a renamed schema ----------------------------------------------------

    def _restore_here(self, dump: Path, source: str, target: str) -> None:
        params = _owner_params()
        args, env = libpq_args(params)
        restore = ["--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error"]
        run_pg("pg_restore", [*args, *restore, str(dump)], env)
        with _admin_connect(str(params.get("dbname") or params.get("database"))) as admin:
            admin.execute(
                sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(
                    sql.Identifier(source), sql.Identifier(target)
                )
            )

    def _restore_via_scratch(self, dump: Path, source: str, target: str) -> None:
        params = _owner_params()
        main_db = params.get("dbname") or params.get("database")
        scratch = f"cs_restore_{secrets.token_hex(6)}"
        with _admin_connect(str(main_db)) as admin:
            admin.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(scratch))
            )
            # Tenant tables use extensions and trigger functions that live in public.
            extensions = admin.execute(
                "SELECT extname FROM pg_extension WHERE extname <> 'plpgsql'"
            ).fetchall()
            functions = admin.execute(
                "SELECT pg_get_functiondef(p.oid) FROM pg_proc p "
                "JOIN pg_namespace n ON n.oid = p.pronamespace "
                "LEFT JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e' "
                "WHERE n.nspname = 'public' AND p.prokind = 'f' AND d.objid IS NULL"
            ).fetchall()
        try:
            with _admin_connect(scratch) as conn:
                for (extension,) in extensions:
                    conn.execute(
                        sql.SQL("CREATE EXTENSION IF NOT EXISTS {}").format(
                            sql.Identifier(extension)
                        )
                    )
                for (definition,) in functions:
                    # Some public functions (django-tenants' clone helpers) need types the
                    # scratch database lacks; tenant tables only use the trigger functions.
                    with contextlib.suppress(psycopg.Error):
                        conn.execute(definition)
            scratch_params = {**params, "dbname": scratch}
            scratch_args, env = libpq_args(scratch_params)
            restore = ["--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error"]
            run_pg("pg_restore", [*scratch_args, *restore, str(dump)], env)
            with _admin_connect(scratch) as conn:
                conn.execute(
                    sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(
                        sql.Identifier(source), sql.Identifier(target)
                    )
                )
            with tempfile.TemporaryDirectory() as tmp:
                renamed = Path(tmp) / "renamed.dump"
                run_pg(
                    "pg_dump",
                    [*scratch_args, "--format=custom", "--schema", target, "--file", str(renamed)],
                    env,
                )
                main_args, env = libpq_args(params)
                run_pg("pg_restore", [*main_args, *restore, str(renamed)], env)
        finally:
            with _admin_connect(str(main_db)) as admin:
                admin.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                        sql.Identifier(scratch)
                    )
                )
