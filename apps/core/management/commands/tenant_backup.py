"""Back up one tenant's schema (or the whole database) with pg_dump in custom format.

    manage.py tenant_backup --tenant alpha --out alpha.dump     # pg_dump -n alpha -Fc
    manage.py tenant_backup --all --out countersign.dump        # the whole database, -Fc

A tenant backup writes a small JSON sidecar (``<out>.json``) with the tenant's slug, name,
schema and partner, which ``tenant_restore`` uses to register the restored copy. The dump holds
patient data: store it encrypted, with the same controls as the database itself.

pg_dump comes from ``PG_BIN_DIR`` when set, else the ``pgserver`` wheel (development), else PATH.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.db import connection
from django.utils import timezone

from apps.core.management.base import CountersignCommand


def pg_binary(name: str) -> str:
    """Path of a PostgreSQL client binary: PG_BIN_DIR, the pgserver wheel, or PATH."""
    configured = getattr(settings, "PG_BIN_DIR", "") or os.environ.get("PG_BIN_DIR", "")
    candidates: list[Path] = []
    if configured:
        candidates.append(Path(configured) / name)
    else:
        try:
            import pgserver

            candidates.append(Path(pgserver.__file__).parent / "pginstall" / "bin" / name)
        except ImportError:
            pass
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    where = f"PG_BIN_DIR={configured}" if configured else "the pgserver wheel or PATH"
    raise CommandError(f"{name} was not found in {where}; install the PostgreSQL client tools.")


def libpq_args(params: dict[str, Any] | None = None) -> tuple[list[str], dict[str, str]]:
    """Connection arguments and environment for pg_dump/pg_restore from Django's connection."""
    if params is None:
        params = connection.get_connection_params()
    args = ["--dbname", str(params.get("dbname") or params.get("database") or "")]
    if params.get("host"):
        args += ["--host", str(params["host"])]
    if params.get("port"):
        args += ["--port", str(params["port"])]
    if params.get("user"):
        args += ["--username", str(params["user"])]
    env = dict(os.environ)
    if params.get("password"):
        env["PGPASSWORD"] = str(params["password"])
    if params.get("sslmode"):
        env["PGSSLMODE"] = str(params["sslmode"])
    if params.get("options"):
        env["PGOPTIONS"] = str(params["options"])
    return args, env


def run_pg(binary: str, args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(  # noqa: S603 - PostgreSQL client binary, arguments built here
        [pg_binary(binary), *args], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        problem = result.stderr.strip()[-2000:]
        raise CommandError(f"{binary} failed ({result.returncode}): {problem}")
    return result


def sidecar_path(dump: Path) -> Path:
    return dump.with_name(dump.name + ".json")


class Command(CountersignCommand):
    help = "Back up one tenant schema (pg_dump -n <schema> -Fc) or the whole database (--all)."

    def add_arguments(self, parser: CommandParser) -> None:
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--tenant", help="slug of the tenant to back up")
        target.add_argument("--all", action="store_true", help="dump the whole database")
        parser.add_argument("--out", required=True, help="file to write (custom format)")

    def handle(self, *args: object, **options: Any) -> None:
        out = Path(options["out"]).resolve()
        out.parent.mkdir(parents=True, exist_ok=True)
        conn_args, env = libpq_args()
        if options["all"]:
            run_pg("pg_dump", [*conn_args, "--format=custom", "--file", str(out)], env)
            self.stdout.write(self.style.SUCCESS(f"Database written to {out}"))
            return

        from apps.tenants.models import Tenant

        tenant = Tenant.objects.filter(slug=options["tenant"]).first()
        if tenant is None or tenant.schema_name in {"public", settings.TENANT_BASE_SCHEMA}:
            raise CommandError(f'No tenant with the slug "{options["tenant"]}".')
        run_pg(
            "pg_dump",
            [
                *conn_args,
                "--format=custom",
                "--schema",
                tenant.schema_name,
                "--no-owner",
                "--no-privileges",
                "--file",
                str(out),
            ],
            env,
        )
        domains = list(tenant.domains.values_list("domain", flat=True))
        meta = {
            "format": "countersign-tenant-backup/1",
            "slug": tenant.slug,
            "name": tenant.name,
            "schema_name": tenant.schema_name,
            "partner": tenant.partner.slug if tenant.partner else None,
            "domains": domains,
            "created_at": timezone.now().isoformat(),
        }
        sidecar_path(out).write_text(json.dumps(meta, indent=2) + "\n")
        self.stdout.write(
            self.style.SUCCESS(f"Tenant {tenant.slug} ({tenant.schema_name}) written to {out}")
        )
