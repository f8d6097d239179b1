"""tenant_backup / tenant_restore for real: pg_dump and pg_restore against the embedded server."""

import json

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django_tenants.utils import schema_exists, tenant_context
from psycopg import sql

from apps.core.management.commands.tenant_backup import pg_binary

RESTORED = "alpha-restored-ops"
RESTORED_SCHEMA = "alpha_restored_ops"


def _drop_schema_for_real(schema: str) -> None:
    """The test transaction rolls back the Tenant rows; the restored schema was committed by
    pg_restore, so drop it on a connection of its own."""
    params = dict(connection.get_connection_params())
    conninfo = {
        "dbname": params.get("dbname") or params.get("database"),
        "host": params.get("host"),
        "user": settings.DATABASE_OWNER["USER"],  # the restored schema is the owner's
    }
    if params.get("port"):
        conninfo["port"] = params["port"]
    if params.get("password"):
        conninfo["password"] = params["password"]
    with psycopg.connect(**conninfo, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def test_pg_binaries_are_found():
    assert pg_binary("pg_dump").endswith("pg_dump")
    assert pg_binary("pg_restore").endswith("pg_restore")


def _forget_restored() -> None:
    from apps.tenants.models import Tenant

    connection.set_schema_to_public()
    for tenant in Tenant.objects.filter(slug=RESTORED):
        tenant.domains.all().delete()
        tenant.delete()  # auto_drop_schema is off: the schema goes below
    _drop_schema_for_real(RESTORED_SCHEMA)


@pytest.mark.slow
def test_backup_and_restore_alpha_as_a_new_tenant(tmp_path, django_db_blocker):
    """Runs outside the per-test transaction (pg_dump/pg_restore are other sessions, and the
    restored schema must be dropped for real): everything it registers it removes itself."""
    from apps.accounts.models import User
    from apps.tenants.models import Branding, Domain, Tenant

    with django_db_blocker.unblock():
        _forget_restored()  # a previous crashed run
        tenant_a = Tenant.objects.get(slug="alpha")
        with tenant_context(tenant_a):
            alpha_users = sorted(User.objects.values_list("email", flat=True))
        assert "alice@alpha.test" in alpha_users

        dump = tmp_path / "alpha.dump"
        call_command("tenant_backup", tenant="alpha", out=str(dump))
        assert dump.stat().st_size > 1000
        meta = json.loads((tmp_path / "alpha.dump.json").read_text())
        assert meta["schema_name"] == "alpha"
        assert meta["partner"] == "partner-p"

        try:
            call_command("tenant_restore", file=str(dump), as_slug=RESTORED)
            restored = Tenant.objects.get(slug=RESTORED)
            assert restored.schema_name == RESTORED_SCHEMA
            assert restored.partner.slug == "partner-p"
            assert restored.name == "Alpha General Hospital (restored)"
            assert Domain.objects.filter(tenant=restored, domain=f"{RESTORED}.localhost").exists()
            assert Branding.objects.get(tenant=restored).primary_colour == "#1e3a8a"
            with tenant_context(restored):
                assert sorted(User.objects.values_list("email", flat=True)) == alpha_users
            # The original is untouched.
            with tenant_context(tenant_a):
                assert sorted(User.objects.values_list("email", flat=True)) == alpha_users
            # The slug and schema are now taken.
            with pytest.raises(CommandError, match="already exists"):
                call_command("tenant_restore", file=str(dump), as_slug=RESTORED)
        finally:
            _forget_restored()
        assert not schema_exists(RESTORED_SCHEMA)
        assert not Tenant.objects.filter(slug=RESTORED).exists()


@pytest.mark.django_db
def test_backup_refuses_unknown_tenant_and_restore_refuses_bad_slug(tmp_path):
    with pytest.raises(CommandError, match="No tenant"):
        call_command("tenant_backup", tenant="nope", out=str(tmp_path / "x.dump"))
    missing = tmp_path / "missing.dump"
    with pytest.raises(CommandError, match="does not exist"):
        call_command("tenant_restore", file=str(missing), as_slug="fine-slug")
    missing.write_bytes(b"not a dump")
    with pytest.raises(CommandError, match="reserved"):
        call_command("tenant_restore", file=str(missing), as_slug="admin")
