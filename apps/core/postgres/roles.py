"""The application role's rights, and the schema operations it may ask the owner role to do.

The owner role (migrations) owns every schema, table and function. The application role
(`DATABASE_APP_ROLE`: web, API, workers) owns nothing: it reads and writes rows, may only append
to the audit trail (no UPDATE, DELETE or TRUNCATE on audit entries, the chain head or
django-auditlog's records; the head moves by a trigger, `apps.audit` migration 0005), and cannot
alter a table, disable a trigger or set `session_replication_role`. Creating a tenant needs
schema DDL, so the owner installs four SECURITY DEFINER functions that do exactly that much:

- ``countersign_schema_clone(target)``: clone the template schema (no data) and grant the
  application role its rights there;
- ``countersign_schema_rename(pool_schema, target)``: give a ready pool schema a tenant's name;
- ``countersign_schema_drop(schema)``: drop a pool schema, or a tenant schema with no audit
  history (a creation that failed);
- ``countersign_schema_grant(schema)``: the grants and revocations for one schema (owner only).

`roles_install` runs after every migration of the public schema (post_migrate, as the owner);
`schema_grant` after every migration of a tenant schema. docs/security.md#database-roles.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import connection
from psycopg import sql

from apps.core.postgres.content_types import content_types_forget

logger = logging.getLogger(__name__)

# Audit tables the application role may only append to.
APPEND_ONLY_TABLES = ("audit_auditentry", "audit_auditchainhead", "auditlog_logentry")
NAME_PATTERN = "^[a-z_][a-z0-9_]{0,62}$"
POOL_PATTERN = "^pool_[0-9a-f]{16}$"

_GRANT = """
CREATE OR REPLACE FUNCTION public.countersign_schema_grant(target text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  app constant text := {app};
  item text;
BEGIN
  IF app = current_user THEN
    RETURN;  -- one role for everything: nothing to grant (production refuses to start so)
  END IF;
  EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', target, app);
  EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO %I',
                 target, app);
  EXECUTE format('GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA %I TO %I', target, app);
  FOREACH item IN ARRAY {append_only} LOOP
    IF to_regclass(format('%I.%I', target, item)) IS NOT NULL THEN
      EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON %I.%I FROM %I', target, item, app);
    END IF;
  END LOOP;
END;
$fn$;
REVOKE ALL ON FUNCTION public.countersign_schema_grant(text) FROM PUBLIC;
"""

_CLONE = """
CREATE OR REPLACE FUNCTION public.countersign_schema_clone(target text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog, pg_temp AS $fn$
DECLARE
  template constant text := {template};
BEGIN
  IF target !~ {name_pattern} OR target ~ '^pg_' OR target IN ('public', template) THEN
    RAISE EXCEPTION 'not a tenant schema name: %', target USING ERRCODE = 'invalid_schema_name';
  END IF;
  IF EXISTS (SELECT 1 FROM pg_namespace WHERE lower(nspname) = lower(target)) THEN
    RAISE EXCEPTION 'schema % exists', target USING ERRCODE = 'duplicate_schema';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = template) THEN
    RAISE EXCEPTION 'the template schema % is missing: run manage.py setup', template
      USING ERRCODE = 'invalid_schema_name';
  END IF;
  PERFORM public.clone_schema(template, target, 'NODATA');
  PERFORM public.countersign_schema_grant(target);
END;
$fn$;
REVOKE ALL ON FUNCTION public.countersign_schema_clone(text) FROM PUBLIC;
"""

_RENAME = """
CREATE OR REPLACE FUNCTION public.countersign_schema_rename(source text, target text)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
  IF source !~ {pool_pattern} THEN
    RAISE EXCEPTION 'only a pool schema can be renamed, not %', source
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF target !~ {name_pattern} OR target ~ '^pg_' OR target IN ('public', {template}) THEN
    RAISE EXCEPTION 'not a tenant schema name: %', target USING ERRCODE = 'invalid_schema_name';
  END IF;
  EXECUTE format('ALTER SCHEMA %I RENAME TO %I', source, target);
END;
$fn$;
REVOKE ALL ON FUNCTION public.countersign_schema_rename(text, text) FROM PUBLIC;
"""

_DROP = """
CREATE OR REPLACE FUNCTION public.countersign_schema_drop(target text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  history boolean := false;
BEGIN
  IF target ~ '^pg_' OR target IN ('public', {template}) OR target !~ {name_pattern} THEN
    RAISE EXCEPTION 'schema % cannot be dropped', target USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = target) THEN
    RETURN;
  END IF;
  IF target !~ {pool_pattern}
     AND to_regclass(format('%I.audit_auditentry', target)) IS NOT NULL THEN
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I.audit_auditentry)', target) INTO history;
  END IF;
  IF history THEN
    RAISE EXCEPTION 'schema % holds audit history: only the owner role drops it', target
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  EXECUTE format('DROP SCHEMA %I CASCADE', target);
END;
$fn$;
REVOKE ALL ON FUNCTION public.countersign_schema_drop(text) FROM PUBLIC;
"""

_FOR_APP = """
GRANT EXECUTE ON FUNCTION public.countersign_schema_clone(text) TO {app_ident};
GRANT EXECUTE ON FUNCTION public.countersign_schema_rename(text, text) TO {app_ident};
GRANT EXECUTE ON FUNCTION public.countersign_schema_drop(text) TO {app_ident};
GRANT CONNECT, TEMPORARY ON DATABASE {database} TO {app_ident};
ALTER DEFAULT PRIVILEGES GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app_ident};
ALTER DEFAULT PRIVILEGES GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {app_ident};
ALTER DEFAULT PRIVILEGES GRANT USAGE ON SCHEMAS TO {app_ident};
"""


def app_role() -> str:
    return str(settings.DATABASE_APP_ROLE)


def _literal(value: str) -> str:
    return sql.Literal(value).as_string(None)


def _current_user_owns_schema(cursor: Any, schema: str) -> bool:
    cursor.execute(
        "SELECT pg_has_role(current_user, nspowner, 'USAGE') FROM pg_namespace WHERE nspname = %s",
        [schema],
    )
    row = cursor.fetchone()
    return bool(row and row[0])


def roles_install() -> None:
    """Install the schema functions and the application role's rights (as the owner)."""
    from django_tenants.clone import CloneSchema

    app = app_role()
    with connection.cursor() as cursor:
        if not _current_user_owns_schema(cursor, "public"):
            return  # the application role never installs anything
        # django-tenants' clone function, owned by the owner (it replaces it on each clone
        # otherwise, which the application role may not).
        CloneSchema()._create_clone_schema_function()
        values = {
            "app": _literal(app),
            "template": _literal(settings.TENANT_BASE_SCHEMA),
            "name_pattern": _literal(NAME_PATTERN),
            "pool_pattern": _literal(POOL_PATTERN),
            "append_only": _literal("{" + ",".join(APPEND_ONLY_TABLES) + "}") + "::text[]",
        }
        for statement in (_GRANT, _CLONE, _RENAME, _DROP):
            cursor.execute(statement.format(**values))
        cursor.execute("SELECT current_user")
        if app and cursor.fetchone()[0] != app:
            cursor.execute(
                _FOR_APP.format(
                    app_ident=sql.Identifier(app).as_string(None),
                    database=sql.Identifier(connection.settings_dict["NAME"]).as_string(None),
                )
            )
        # Every schema the owner has (tenants, template, pool), also those made before the
        # roles existed; later ones get the rights from the clone and the default privileges.
        cursor.execute(
            "SELECT public.countersign_schema_grant(nspname) FROM pg_namespace "
            "WHERE pg_has_role(current_user, nspowner, 'USAGE') "
            "AND nspname !~ '^(pg_|information_schema)'"
        )


def schema_grant(schema: str) -> None:
    """The application role's rights in one schema, after it was migrated (as the owner)."""
    with connection.cursor() as cursor:
        if not _current_user_owns_schema(cursor, schema):
            return  # `migrate_schemas --fake` of a new tenant runs as the application role
        cursor.execute("SELECT public.countersign_schema_grant(%s)", [schema])


def after_migrate(sender: Any, **kwargs: Any) -> None:
    """post_migrate: once per migrated schema (the audit app is in both schema lists)."""
    if getattr(sender, "label", None) != "audit":
        return
    schema = getattr(connection, "schema_name", "public")
    if schema == "public":
        roles_install()
    else:
        schema_grant(schema)


def schema_clone(schema_name: str) -> None:
    content_types_forget(schema_name)
    with connection.cursor() as cursor:
        cursor.execute("SELECT public.countersign_schema_clone(%s)", [schema_name])


def schema_rename(source: str, target: str) -> None:
    content_types_forget(source)
    content_types_forget(target)
    with connection.cursor() as cursor:
        cursor.execute("SELECT public.countersign_schema_rename(%s, %s)", [source, target])


def schema_drop(schema_name: str) -> None:
    """The owner drops any schema; the application role only what the owner's function allows."""
    content_types_forget(schema_name)
    with connection.cursor() as cursor:
        if _current_user_owns_schema(cursor, schema_name):
            cursor.execute(f"DROP SCHEMA {sql.Identifier(schema_name).as_string(None)} CASCADE")
        else:
            cursor.execute("SELECT public.countersign_schema_drop(%s)", [schema_name])


class DatabaseRoleRefused(RuntimeError):
    """The application would connect with rights that can undo the audit trail."""


def database_role_problem() -> str | None:
    """Why the current connection is not a least-privilege application role, or None."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user")
        user, superuser = cursor.fetchone()
        if superuser:
            return f"DATABASE_URL connects as {user}, a PostgreSQL superuser"
        cursor.execute(
            "SELECT pg_has_role(current_user, nspowner, 'USAGE') FROM pg_namespace "
            "WHERE nspname = 'public'"
        )
        row = cursor.fetchone()
        cursor.execute(
            "SELECT bool_or(pg_has_role(current_user, tableowner, 'USAGE')) FROM pg_tables "
            "WHERE tablename = 'audit_auditentry'"
        )
        owns_trail = cursor.fetchone()[0]
    if owns_trail or (row and row[0]):
        return f"DATABASE_URL connects as {user}, which owns the tables"
    return None


def database_role_check(*, process: str) -> None:
    """At the start of web, worker and beat processes: production refuses a superuser or owner
    DATABASE_URL unless DATABASE_ALLOW_SUPERUSER is on; development warns."""
    from django.db import OperationalError

    if settings.DATABASE_ROLE == "owner":
        return
    try:
        problem = database_role_problem()
    except OperationalError as unreachable:
        logger.warning("Database role not checked at %s start: %s", process, unreachable)
        return
    if problem is None:
        return
    advice = (
        f"{problem}: it can disable the audit trail's triggers. Connect the {process} as the "
        "application role (docs/security.md#database-roles)"
    )
    if settings.DATABASE_ROLE_ENFORCED and not settings.DATABASE_ALLOW_SUPERUSER:
        raise DatabaseRoleRefused(
            advice + ", or set DATABASE_ALLOW_SUPERUSER=true to start anyway."
        )
    logger.warning("%s.", advice)
