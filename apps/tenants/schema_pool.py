"""A pool of ready tenant schemas, so creating a tenant does not wait for a clone of the template.

django-tenants' `clone_schema` reads every schema's catalogue and slows down as tenants are added
(see docs/benchmarks.md). A background task clones the
template ahead of time into schemas named ``pool_<hex>``, exactly as `tenant_create` would (clone,
then the migrations recorded as applied); `tenant_create` then claims one and renames it, which is
a catalogue update of a few milliseconds. Pool schemas are not tenants (no `Tenant` row), so
`migrate_schemas` never visits them: each records the template version it was cloned from and is
claimed only while the template still has that version; `template_schema_ensure` drops the rest
after migrating the template.
"""

import contextlib
import hashlib
import logging
import secrets

from django.conf import settings
from django.db import DatabaseError, connection
from django_tenants.utils import schema_exists
from psycopg import sql

from apps.core.actions import action
from apps.core.postgres.roles import schema_drop, schema_rename
from apps.tenants.models import PooledSchema, Tenant

logger = logging.getLogger(__name__)

PREFIX = "pool_"
# Serialises filling, pruning and template upgrades (claims do not take it: they lock rows).
_LOCK_KEY = "countersign.tenant_schema_pool"


def is_pool_schema(schema_name: str) -> bool:
    return schema_name.startswith(PREFIX)


def _quoted(schema_name: str) -> str:
    return sql.Identifier(schema_name).as_string(None)


def _migrations_version(schema_name: str) -> str | None:
    """A stable hash of the migrations recorded as applied in a schema (None: no such table)."""
    with connection.cursor() as cursor:
        table = f"{_quoted(schema_name)}.django_migrations"
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [table])
        if not cursor.fetchone()[0]:
            return None
        cursor.execute(f"SELECT app, name FROM {table} ORDER BY app, name")  # noqa: S608 (quoted)
        applied = "\n".join(f"{app}.{name}" for app, name in cursor.fetchall())
    return hashlib.sha256(applied.encode()).hexdigest()


def template_version() -> str | None:
    """The version of the template schema: its applied migrations (None if it is missing)."""
    return _migrations_version(settings.TENANT_BASE_SCHEMA)


def lock_take(*, session: bool = False) -> None:
    """The pool's advisory lock: to the end of the transaction, or of the session's hold."""
    function = "pg_advisory_lock" if session else "pg_advisory_xact_lock"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(hashtext(%s))", [_LOCK_KEY])


def lock_release() -> None:
    """Release the session's hold (a lost connection released it already)."""
    with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))", [_LOCK_KEY])


def schema_pool_claim(*, schema_name: str) -> bool:
    """Rename a ready pool schema of the current template version to `schema_name`.

    Runs in the caller's transaction, so a failure after the claim rolls the rename back and
    the pool row returns. Concurrent claims skip each other's rows (SKIP LOCKED). False when
    the pool is off, empty or stale, or the schema name is taken: the caller clones instead."""
    if settings.TENANT_SCHEMA_POOL_SIZE <= 0 or schema_exists(schema_name):
        return False
    version = template_version()
    if version is None:
        return False
    ready = PooledSchema.objects.select_for_update(skip_locked=True).filter(
        template_version=version
    )
    while (entry := ready.order_by("created_at").first()) is not None:
        entry.delete()
        if not schema_exists(entry.schema_name):
            logger.warning("Pool schema %s was missing; row removed", entry.schema_name)
            continue
        schema_rename(entry.schema_name, schema_name)
        logger.info("Schema %s taken from the pool as %s", entry.schema_name, schema_name)
        return True
    return False


class _PoolSchemaUnusable(Exception):
    """A fresh clone does not record the template's migrations (code and template differ)."""


def _pool_schema_create(version: str) -> str:
    """One clone of the template, as TenantMixin.create_schema makes it for a new tenant:
    `clone_schema`, then `migrate_schemas --fake` records the migrations (and post_migrate runs)."""
    schema_name = f"{PREFIX}{secrets.token_hex(8)}"
    Tenant(schema_name=schema_name).create_schema(check_if_exists=False, verbosity=0)
    recorded = _migrations_version(schema_name)
    if recorded != version:
        raise _PoolSchemaUnusable(
            f"the migrations recorded in a clone ({recorded}) differ from the template's "
            f"({version}); run `manage.py setup` (or the migration job) so the template "
            "matches the code"
        )
    PooledSchema.objects.create(schema_name=schema_name, template_version=version)
    return schema_name


def schema_pool_fill(*, size: int | None = None) -> int:
    """Drop unusable pool schemas, then clone until `size` (default TENANT_SCHEMA_POOL_SIZE)
    are ready. One schema per transaction, under the pool's lock: safe to run twice at once.
    Returns how many were created."""
    size = settings.TENANT_SCHEMA_POOL_SIZE if size is None else size
    connection.set_schema_to_public()  # type: ignore[attr-defined]  # django-tenants' connection
    schema_pool_prune(size=size)
    created = 0
    while True:
        try:
            with action(actor=None):
                lock_take()
                version = template_version()
                if version is None:
                    return created
                if PooledSchema.objects.filter(template_version=version).count() >= size:
                    return created
                schema_name = _pool_schema_create(version)
        except _PoolSchemaUnusable as problem:
            logger.warning("Tenant schema pool not filled: %s", problem)
            return created
        finally:
            connection.set_schema_to_public()  # type: ignore[attr-defined]  # django-tenants' connection
        created += 1
        logger.info("Pool schema %s ready", schema_name)


def schema_pool_prune(*, size: int | None = None) -> int:
    """Drop pool schemas that cannot be claimed: cloned from another template version, beyond
    `size` (0 drops them all), or without a pool row. Rows being claimed are skipped.
    Returns how many schemas were dropped."""
    size = settings.TENANT_SCHEMA_POOL_SIZE if size is None else size
    dropped = 0
    while True:
        # One schema per transaction: dropping one takes a lock per relation (about 400).
        with action(actor=None):
            lock_take()
            doomed = _prune_next(size=size)
            if doomed is None:
                return dropped
            schema_drop(doomed)
            PooledSchema.objects.filter(schema_name=doomed).delete()
        dropped += 1
        logger.info("Pool schema %s dropped", doomed)


def _prune_next(*, size: int) -> str | None:
    version = template_version()
    entries = list(PooledSchema.objects.select_for_update(skip_locked=True).order_by("created_at"))
    current = [entry for entry in entries if entry.template_version == version]
    for entry in entries:
        if entry.template_version != version:
            return entry.schema_name
    if len(current) > size:
        return current[-1].schema_name
    known = set(PooledSchema.objects.values_list("schema_name", flat=True))
    orphans = sorted(set(pool_schemas_present()) - known)
    return orphans[0] if orphans else None


def pool_schemas_present() -> list[str]:
    """Pool schemas in the database, whether or not a pool row names them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s ORDER BY nspname",
            [PREFIX.replace("_", "\\_") + "%"],
        )
        return [row[0] for row in cursor.fetchall()]
