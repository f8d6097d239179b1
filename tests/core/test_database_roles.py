"""Least-privilege database roles (docs/security.md#database-roles): connected as the
application role, PostgreSQL itself refuses every way of changing or removing audit history,
and the role owns nothing; tenant schemas made later carry the same rights."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from psycopg import errors

from apps.tenants.services import partner_ensure, tenant_create
from tests.fixtures.roles import owner_name

ROOT = Path(__file__).resolve().parents[2]
APPEND_ONLY = ("audit_auditentry", "audit_auditchainhead", "auditlog_logentry")


def app_connect() -> psycopg.Connection:
    """A connection of the application role itself (not the suite's test role) to the test
    database."""
    params = connection.get_connection_params()
    return psycopg.connect(
        dbname=params.get("dbname") or params.get("database"),
        host=params.get("host"),
        port=params.get("port"),
        user=settings.DATABASE_APP_ROLE,
        password=params.get("password"),
        autocommit=True,
    )


REFUSED = [
    *(" ".join(("UPDATE", "{schema}." + table, "SET id = id")) for table in APPEND_ONLY),
    *(" ".join(("DELETE FROM", "{schema}." + table)) for table in APPEND_ONLY),
    *(" ".join(("TRUNCATE", "{schema}." + table)) for table in APPEND_ONLY),
    "ALTER TABLE {schema}.audit_auditentry DISABLE TRIGGER audit_auditentry_append_only",
    "ALTER TABLE {schema}.audit_auditentry DISABLE TRIGGER USER",
    "ALTER TABLE {schema}.audit_auditchainhead DISABLE TRIGGER ALL",
    "SET session_replication_role = replica",
    "CREATE TABLE {schema}.scratch (id int)",
    "DROP TABLE {schema}.audit_auditentry",
    "CREATE SCHEMA intruder",
]


@pytest.mark.parametrize("schema", ["alpha", "public"])
@pytest.mark.parametrize("statement", REFUSED)
def test_the_application_role_is_refused_by_postgresql(tenant_a, schema, statement):
    with app_connect() as conn, pytest.raises(errors.InsufficientPrivilege):
        conn.execute(statement.format(schema=schema))


def test_the_application_role_owns_nothing_and_is_no_superuser(db):
    with app_connect() as conn:
        superuser, create_role, create_db = conn.execute(
            "SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
        owned = conn.execute(
            "SELECT (SELECT count(*) FROM pg_class WHERE relowner = r.oid)"
            " + (SELECT count(*) FROM pg_namespace WHERE nspowner = r.oid)"
            " + (SELECT count(*) FROM pg_proc WHERE proowner = r.oid)"
            " + (SELECT count(*) FROM pg_database WHERE datdba = r.oid)"
            " FROM pg_roles r WHERE r.rolname = current_user"
        ).fetchone()[0]
        members_of = conn.execute(
            "SELECT count(*) FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member "
            "WHERE r.rolname = current_user"
        ).fetchone()[0]
    assert (superuser, create_role, create_db) == (False, False, False)
    assert owned == 0
    assert members_of == 0  # it cannot SET ROLE to anything


def test_the_suite_runs_with_the_application_roles_rights(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_user, rolsuper, pg_has_role(current_user, %s, 'USAGE') "
            "FROM pg_roles WHERE rolname = current_user",
            [owner_name()],
        )
        user, superuser, has_owner_rights = cursor.fetchone()
    assert (user, superuser, has_owner_rights) == (settings.DATABASE_APP_ROLE, False, False)


def test_the_application_role_can_still_append_and_the_head_follows(tenant_a):
    with app_connect() as conn:
        conn.execute("SET search_path = alpha, public")
        last, head_hash = conn.execute(
            "SELECT last_sequence, last_hash FROM audit_auditchainhead"
        ).fetchone()
        with pytest.raises(errors.IntegrityConstraintViolation, match="continue the chain"):
            conn.execute(
                "INSERT INTO audit_auditentry (sequence, at, category, action, actor_email, "
                "object_type, object_id, object_repr, request_reference, request_id, channel, "
                "support_session, detail, prev_hash, hash) VALUES (%s, now(), 'security', "
                "'test.forged', '', '', '', '', '', '', '', '', '{}', %s, %s)",
                [last + 5, head_hash, "f" * 64],
            )
        assert conn.execute("SELECT last_sequence FROM audit_auditchainhead").fetchone()[0] == last


@pytest.fixture
def new_tenant(db):
    """A tenant made during the test (a fresh clone or a pool schema, as the app role)."""
    partner = partner_ensure(name="Partner P Health IT", slug="partner-p")
    tenant = tenant_create(partner=partner, slug="roles-later", name="Made Later")
    return tenant


def test_a_tenant_schema_made_later_has_the_same_rights(new_tenant):
    schema = new_tenant.schema_name
    app = settings.DATABASE_APP_ROLE
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT has_table_privilege(%s, %s, 'INSERT'), has_table_privilege(%s, %s, 'UPDATE'),"
            " has_table_privilege(%s, %s, 'UPDATE'), has_table_privilege(%s, %s, 'DELETE')",
            [app, f"{schema}.approvals_approvalrequest"] * 2
            + [app, f"{schema}.audit_auditentry", app, f"{schema}.auditlog_logentry"],
        )
        assert cursor.fetchone() == (True, True, False, False)
        cursor.execute("SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = %s",
                       [schema])  # fmt: skip
        assert cursor.fetchone()[0] == owner_name()


@pytest.mark.parametrize(
    ("call", "refusal"),
    [
        ("SELECT public.countersign_schema_drop('alpha')", "holds audit history"),
        ("SELECT public.countersign_schema_drop('public')", "cannot be dropped"),
        ("SELECT public.countersign_schema_rename('alpha', 'other')", "only a pool schema"),
        ("SELECT public.countersign_schema_clone('public')", "not a tenant schema name"),
        ("SELECT public.countersign_schema_clone('alpha')", "exists"),
        ("SELECT public.countersign_schema_grant('alpha')", "permission denied"),
        ("SELECT public.clone_schema('alpha', 'copy_of_alpha', 'DATA')", "permission denied"),
    ],
)
def test_the_owners_schema_functions_do_no_more_than_tenant_creation_needs(tenant_a, call, refusal):
    with app_connect() as conn, pytest.raises(psycopg.Error, match=refusal):
        conn.execute(call)
    with app_connect() as conn:
        assert conn.execute(
            "SELECT count(*) FROM pg_namespace WHERE nspname IN ('alpha', 'other', 'copy_of_alpha')"
        ).fetchone()[0] == 1  # fmt: skip


def _start_web(database_url: str, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DATABASE_URL": database_url,
        "REDIS_URL": "redis://127.0.0.1:1/0",
        "SECRET_KEY": "x" * 50,
        "SECRETS_ENCRYPTION_KEYS": "dGVzdC1vbmx5LWZlcm5ldC1rZXktMzItYnl0ZXMtbG8=",
        "AUDIT_SIGNING_KEY": "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=",
        "PLATFORM_DOMAIN": "example.test",
        **extra,
    }
    return subprocess.run(
        [sys.executable, "-c", "import config.wsgi"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def _url(user: str, password: str | None = None) -> str:
    params = connection.get_connection_params()
    host = str(params.get("host") or "").replace("/", "%2F")
    port = f":{params['port']}" if params.get("port") else ""
    secret = f":{password}" if password else ""
    return f"postgresql://{user}{secret}@{host}{port}/{params.get('dbname')}"


def test_production_refuses_a_superuser_or_owner_database_url(db):
    password = settings.DATABASE_OWNER["PASSWORD"]  # the suite's roles share one password
    urls = [_url(owner_name(), password)]
    if connection.settings_dict.get("EMBEDDED"):
        urls.append(_url("postgres"))
    elif settings.SUITE_SUPERUSER_DATABASE is not None:
        urls.append(os.environ["DATABASE_URL"])
    for url in urls:
        refused = _start_web(url)
        assert refused.returncode != 0
        assert "DATABASE_ALLOW_SUPERUSER" in refused.stderr, refused.stderr[-2000:]
    allowed = _start_web(urls[-1], DATABASE_ALLOW_SUPERUSER="true")
    assert allowed.returncode == 0, allowed.stderr[-2000:]
    app = _start_web(_url(settings.DATABASE_APP_ROLE, password))
    assert app.returncode == 0, app.stderr[-2000:]
