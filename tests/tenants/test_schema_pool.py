"""The pool of ready tenant schemas: a tenant created from the pool is the same as a clone and
works; stale or orphaned pool schemas are dropped; an empty, stale or disabled pool falls back to
a clone; pool schemas are never tenants; concurrent claims take different schemas; a failed
creation gives its schema back; a worker refills the pool after a claim."""

import logging
import secrets
import threading

import pytest
from django.db import DatabaseError, connection, connections, transaction
from django.test import Client
from django_tenants.utils import schema_exists, tenant_context
from psycopg import sql

from apps.accounts.models import User
from apps.approvals.services import DecisionInput, task_decide
from apps.audit.models import AuditEntry
from apps.core.errors import InvalidInput
from apps.tenants.health import tenant_health_refresh_all
from apps.tenants.models import Partner, PooledSchema, Tenant
from apps.tenants.schema_pool import (
    pool_schemas_present,
    schema_pool_claim,
    schema_pool_fill,
    schema_pool_prune,
    template_version,
)
from apps.tenants.selectors import tenants_visible_to
from apps.tenants.services import (
    schema_name_for,
    template_schema_ensure,
    tenant_create,
    tenant_provision,
    tenant_slug_problems,
)
from tests.approvals.helpers import pending, submit_capital
from tests.conftest import PASSWORD
from tests.fixtures.celery_worker import wait_for
from tests.fixtures.roles import as_owner
from tests.partners.helpers import paula_console

TEMPLATE = "tenant_template"


def oid_of(schema: str) -> int | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT oid FROM pg_namespace WHERE nspname = %s", [schema])
        row = cursor.fetchone()
    return row[0] if row else None


def _rows(sql: str, params: list[object]) -> list[tuple[object, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return sorted(cursor.fetchall(), key=repr)


def catalogue(schema: str) -> dict[str, list[tuple[str, ...]]]:
    """What a tenant schema is made of and the bookkeeping rows it starts with, with its own
    name written as S (definitions name other schemas' objects with the schema)."""
    table = sql.Identifier(schema).as_string(None) + "."
    parts = {
        "relations": "SELECT relname, relkind FROM pg_class WHERE relnamespace = %s::regnamespace",
        "columns": "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), "
        "a.attnotnull, a.attidentity, pg_get_expr(d.adbin, d.adrelid) FROM pg_attribute a "
        "JOIN pg_class c ON c.oid = a.attrelid LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid "
        "AND d.adnum = a.attnum WHERE c.relnamespace = %s::regnamespace AND a.attnum > 0 "
        "AND NOT a.attisdropped",
        "constraints": "SELECT c.relname, con.conname, pg_get_constraintdef(con.oid) FROM "
        "pg_constraint con JOIN pg_class c ON c.oid = con.conrelid "
        "WHERE con.connamespace = %s::regnamespace",
        "indexes": "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = %s",
        "triggers": "SELECT c.relname, t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
        "JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relnamespace = %s::regnamespace "
        "AND NOT t.tgisinternal",
        "sequences": "SELECT sequencename, start_value, increment_by, last_value "
        "FROM pg_sequences WHERE schemaname = %s",
        "functions": "SELECT proname, prosrc FROM pg_proc WHERE pronamespace = %s::regnamespace",
        "migrations": "SELECT app, name FROM {t}django_migrations",
        "content types": "SELECT app_label, model FROM {t}django_content_type",
        "permissions": "SELECT t.app_label, p.codename FROM {t}auth_permission p "
        "JOIN {t}django_content_type t ON t.id = p.content_type_id",
    }
    result = {}
    for part, query in parts.items():
        rows = _rows(query.replace("{t}", table), [schema] * query.count("%s"))
        result[part] = sorted(
            tuple(str(v).replace(table, "S.").replace(f"{schema}.", "S.") for v in row)
            for row in rows
        )
    return result


def tables(schema: str) -> set[str]:
    return {name for name, kind in catalogue(schema)["relations"] if kind == "r"}


def partner_p() -> Partner:
    return Partner.objects.get(slug="partner-p")


def the_only_pool_schema() -> PooledSchema:
    (entry,) = PooledSchema.objects.all()
    return entry


def put_people_and_workflows_in(tenant: Tenant) -> tuple[User, User]:
    """A requester and an approver with the capital-purchase workflow (as tests.conftest)."""
    from apps.people.models import Role
    from apps.people.services import department_ensure
    from apps.workflows.services import template_pack_install

    with tenant_context(tenant):
        requester = User.objects.create_user(
            "rhea@pooled.test", PASSWORD, full_name="Rhea Requester"
        )
        approver = User.objects.create_user("adam@pooled.test", PASSWORD, full_name="Adam Approver")
        template_pack_install(actor=None)
        Role.objects.get(key="director").members.add(approver)
        department_ensure(actor=None, key="radiology", name="Radiology", head=approver).members.add(
            requester
        )
    return requester, approver


# --- in the test's transaction (rolled back, schemas included: DDL is transactional) ----------


def test_a_tenant_from_the_pool_is_the_same_as_a_clone_and_works(db):
    assert schema_pool_fill(size=1) == 1
    ready = the_only_pool_schema()
    assert ready.schema_name.startswith("pool_")
    assert ready.template_version == template_version()
    pool_oid = oid_of(ready.schema_name)

    pooled = tenant_create(partner=partner_p(), slug="pooled-care", name="Pooled Care")
    # The pool schema itself, renamed: same namespace, no clone made.
    assert oid_of("pooled_care") == pool_oid
    assert not schema_exists(ready.schema_name)
    assert not PooledSchema.objects.exists()

    cloned = tenant_create(partner=partner_p(), slug="cloned-care", name="Cloned Care")
    assert oid_of("cloned_care") != pool_oid  # the pool was empty: cloned as before
    pooled_catalogue = catalogue(pooled.schema_name)
    assert pooled_catalogue == catalogue(cloned.schema_name)
    assert tables(pooled.schema_name) == tables(TEMPLATE)
    assert len(pooled_catalogue["migrations"]) > 0
    # Nothing kept the pool name as text (a function body, a default, a definition).
    assert ready.schema_name not in repr(pooled_catalogue)
    leftovers = _rows(
        "SELECT proname FROM pg_proc WHERE prosrc LIKE %s "
        "OR array_to_string(proconfig, ',') LIKE %s",
        [f"%{ready.schema_name}%"] * 2,
    )
    assert leftovers == []

    requester, approver = put_people_and_workflows_in(pooled)
    with tenant_context(pooled):
        request = submit_capital(requester, "9000")
        (task,) = pending(request)
        task_decide(actor=approver, task=task, decision=DecisionInput("approve"))
        request.refresh_from_db()
        assert request.status == "approved"
        assert AuditEntry.objects.filter(request_reference=request.reference).exists()
        # The audit trail and published workflow versions stay immutable after the rename.
        for statement in (
            "UPDATE audit_auditentry SET action = 'x'",
            "DELETE FROM audit_auditentry",
            "DELETE FROM auditlog_logentry",
            "UPDATE workflows_workflowversion SET number = number + 100",
        ):
            with (
                pytest.raises(DatabaseError, match=r"immutable|permission denied"),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute(statement)
    with tenant_context(cloned):
        assert User.objects.count() == 0  # the other tenant's people stayed in their schema


def test_template_upgrade_drops_stale_and_orphaned_pool_schemas(db, caplog):
    assert schema_pool_fill(size=1) == 1
    stale = the_only_pool_schema()
    stale_oid = oid_of(stale.schema_name)
    with as_owner(), connection.cursor() as cursor:
        # A release migrated the template (pool schemas are not tenants: nothing migrates them).
        cursor.execute(
            "INSERT INTO tenant_template.django_migrations (app, name, applied) "
            "VALUES ('tenants', '9999_next_release', now())"
        )
        cursor.execute('CREATE SCHEMA "pool_0123456789abcdef"')  # a pool schema without a row
    assert template_version() != stale.template_version

    tenant = tenant_create(partner=partner_p(), slug="after-upgrade", name="After Upgrade")
    assert oid_of(tenant.schema_name) != stale_oid  # the stale schema was not taken
    assert schema_exists(stale.schema_name)

    with as_owner():  # the migration job's work
        template_schema_ensure()
    assert not schema_exists(stale.schema_name)
    assert not schema_exists("pool_0123456789abcdef")
    assert not PooledSchema.objects.exists()
    assert pool_schemas_present() == []

    # The code does not know the template's newest migration: a clone would record other
    # migrations than the template's, so the pool stays empty and says why.
    with caplog.at_level(logging.WARNING, logger="apps.tenants.schema_pool"):
        assert schema_pool_fill(size=1) == 0
    assert "differ from the template's" in caplog.text
    assert pool_schemas_present() == []


def test_an_empty_or_disabled_pool_falls_back_to_a_clone(db, settings):
    assert not PooledSchema.objects.exists()
    first = tenant_create(partner=partner_p(), slug="empty-pool", name="Empty Pool")
    assert tables(first.schema_name) == tables(TEMPLATE)

    assert schema_pool_fill(size=1) == 1
    ready = the_only_pool_schema()
    settings.TENANT_SCHEMA_POOL_SIZE = 0
    second = tenant_create(partner=partner_p(), slug="disabled-pool", name="Disabled Pool")
    assert tables(second.schema_name) == tables(TEMPLATE)
    assert oid_of(second.schema_name) != oid_of(ready.schema_name)
    assert the_only_pool_schema() == ready
    # A disabled pool is emptied by the next fill (the beat task).
    assert schema_pool_fill() == 0
    assert pool_schemas_present() == []


def test_pool_schemas_are_never_tenants(db):
    assert schema_pool_fill(size=1) == 1
    ready = the_only_pool_schema().schema_name
    paula = User.objects.get(email="paula@partner-p.test")
    assert not Tenant.objects.filter(schema_name__startswith="pool_").exists()
    assert all(not t.schema_name.startswith("pool_") for t in tenants_visible_to(paula))
    home = paula_console().get("/")
    assert home.status_code == 200
    assert b"Alpha General Hospital" in home.content
    assert ready.encode() not in home.content
    tenants = Tenant.objects.exclude(schema_name="public").exclude(status="archived")
    assert tenant_health_refresh_all() == tenants.count()
    assert Client(HTTP_HOST="localhost").get("/readyz").json()["status"] == "ok"
    # No host leads to it, and no slug can ever name it.
    assert Client(HTTP_HOST=f"{ready}.localhost").get("/login/").status_code == 404
    pool_slug = ready.replace("_", "-")
    assert tenant_slug_problems(pool_slug) == [f'"{pool_slug}" is reserved; choose another name.']
    assert tenant_slug_problems("poolside-clinic") == []


# --- committed, as in production (other connections, threads, a worker) ------------------------


@pytest.fixture
def committed_pool(django_db_setup, open_db):
    """An empty pool to start from. Afterwards drops the tenants whose slugs the test adds to
    the list, schemas named "claimed_*", and every pool schema."""
    connection.set_schema_to_public()
    schema_pool_prune(size=0)
    slugs: list[str] = []
    yield slugs
    connection.set_schema_to_public()
    with as_owner():  # dropping tenants with audit history is the owner's
        for tenant in Tenant.objects.filter(slug__in=slugs):
            tenant.delete(force_drop=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'claimed\\_%'")
            for (name,) in cursor.fetchall():
                cursor.execute(f"DROP SCHEMA {sql.Identifier(name).as_string(None)} CASCADE")
    schema_pool_prune(size=0)
    assert pool_schemas_present() == []


def test_a_failed_creation_gives_the_schema_back_to_the_pool(committed_pool, monkeypatch):
    assert schema_pool_fill(size=1) == 1
    ready = the_only_pool_schema()
    pool_oid = oid_of(ready.schema_name)
    paula = User.objects.get(email="paula@partner-p.test")
    slug = f"rollback-{secrets.token_hex(3)}"
    committed_pool.append(slug)
    # The wizard refuses an unknown template before it claims and renames a pool schema.
    with pytest.raises(InvalidInput, match="Unknown templates"):
        tenant_provision(
            actor=paula, partner=partner_p(), slug=slug, name="Rolled Back",
            template_keys=["no-such-template"],
        )  # fmt: skip
    assert not Tenant.objects.filter(slug=slug).exists()
    assert not schema_exists(schema_name_for(slug))
    assert the_only_pool_schema() == ready
    assert oid_of(ready.schema_name) == pool_oid

    # A step that fails after the schema was claimed and renamed rolls all of it back too.
    import apps.tenants.packs

    def broken_install(**kwargs: object) -> list[str]:
        raise InvalidInput("The pack could not be installed.", code="pack_unknown")

    monkeypatch.setattr(apps.tenants.packs, "template_packs_install", broken_install)
    with pytest.raises(InvalidInput, match="could not be installed"):
        tenant_provision(
            actor=paula, partner=partner_p(), slug=slug, name="Rolled Back",
            template_keys=["prior-auth-imaging"], admin_email=f"admin@{slug}.test",
        )  # fmt: skip
    monkeypatch.undo()
    assert not Tenant.objects.filter(slug=slug).exists()
    assert not schema_exists(schema_name_for(slug))
    assert the_only_pool_schema() == ready
    assert oid_of(ready.schema_name) == pool_oid

    tenant = tenant_create(partner=partner_p(), slug=slug, name="Second Try")
    assert oid_of(tenant.schema_name) == pool_oid


def test_a_dump_of_a_pool_schema_is_not_restored_as_a_tenant(committed_pool, tmp_path):
    from django.core.management import CommandError, call_command

    from apps.core.management.commands.tenant_backup import libpq_args, run_pg

    assert schema_pool_fill(size=1) == 1
    ready = the_only_pool_schema().schema_name
    dump = tmp_path / "pool.dump"
    args, env = libpq_args()
    run_pg("pg_dump", [*args, "--format=custom", "--schema", ready, "--file", str(dump)], env)
    slug = f"restored-{secrets.token_hex(3)}"
    committed_pool.append(slug)  # dropped afterwards should the restore go through
    with pytest.raises(CommandError, match=f"is a dump of {ready}, not of a tenant"):
        call_command("tenant_restore", file=str(dump), as_slug=slug)


def _in_threads(work, names: list[str]) -> dict[str, object]:
    """Run work(name) in one thread each, on their own connections; results or errors."""
    outcome: dict[str, object] = {}

    def run(name: str) -> None:
        try:
            outcome[name] = work(name)
        except Exception as error:  # reported by the caller's assertion
            outcome[name] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcome


@pytest.mark.slow
def test_concurrent_claims_take_different_schemas(committed_pool):
    assert schema_pool_fill(size=2) == 2
    pool_oids = {oid_of(entry.schema_name) for entry in PooledSchema.objects.all()}
    both_claimed = threading.Barrier(2)

    def claim(schema_name: str) -> int | None:
        with transaction.atomic():
            assert schema_pool_claim(schema_name=schema_name)
            # Both hold their claim before either commits: without SKIP LOCKED the second
            # would wait for the first's row while the first waits here.
            both_claimed.wait(timeout=30)
        return oid_of(schema_name)

    outcome = _in_threads(claim, ["claimed_one", "claimed_two"])
    assert set(outcome.values()) == pool_oids, outcome  # one pool schema each
    assert not PooledSchema.objects.exists()


@pytest.mark.slow
def test_concurrent_tenant_creations_take_different_schemas(committed_pool):
    assert schema_pool_fill(size=2) == 2
    pool_oids = {oid_of(entry.schema_name) for entry in PooledSchema.objects.all()}
    slugs = [f"race-{secrets.token_hex(3)}" for _ in range(2)]
    committed_pool.extend(slugs)
    start = threading.Barrier(2)

    def create(slug: str) -> int | None:
        start.wait(timeout=30)
        tenant = tenant_create(partner=partner_p(), slug=slug, name=slug)
        return oid_of(tenant.schema_name)

    outcome = _in_threads(create, slugs)
    assert set(outcome.values()) == pool_oids, outcome
    assert Tenant.objects.filter(slug__in=slugs).count() == 2
    assert not PooledSchema.objects.exists()


@pytest.mark.slow
def test_a_worker_refills_the_pool_after_a_claim(committed_pool, celery_worker, settings):
    size = settings.TENANT_SCHEMA_POOL_SIZE
    assert size > 0
    assert schema_pool_fill() == size
    before = {entry.schema_name: oid_of(entry.schema_name) for entry in PooledSchema.objects.all()}
    slug = f"refill-{secrets.token_hex(3)}"
    committed_pool.append(slug)

    tenant = tenant_create(partner=partner_p(), slug=slug, name="Refill Care")
    (taken,) = [name for name, oid in before.items() if oid == oid_of(tenant.schema_name)]
    assert not PooledSchema.objects.filter(schema_name=taken).exists()

    def refilled() -> set[str]:
        names = set(PooledSchema.objects.values_list("schema_name", flat=True))
        return names if len(names) == size else set()

    names = wait_for(refilled, timeout=120)
    (new,) = names - set(before)
    assert schema_exists(new)
    assert PooledSchema.objects.get(schema_name=new).template_version == template_version()
    assert tables(new) == tables(TEMPLATE)


def test_a_refill_request_without_a_broker_only_logs(monkeypatch, caplog):
    """After a creation or a migration job the refill is asked for; a broker outage must not
    fail either (the beat fills the pool later)."""
    from apps.tenants import tasks
    from apps.tenants.services import schema_pool_refill_request

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.schema_pool_fill, "delay", broker_down)
    with caplog.at_level("WARNING", logger="apps.tenants.services"):
        schema_pool_refill_request()
    assert "Schema pool refill not queued (ConnectionError)" in caplog.text
