"""The deploy migration job over 100 and 500 tenants: nothing to apply, and one new migration.

The job is run as deployed (deploy/docker/entrypoint.sh `migrate`): `migrate_schemas --shared`,
the template schema (`template_schema_ensure`), then `migrate_schemas --tenant
--executor=multiprocessing`, each a `manage.py` process, timed from outside. Two cases:

* no-op: every schema is up to date (the cost paid by every release);
* one new migration: `accounts.0002_securitypolicy` (a CreateModel, the commonest shape of a
  release migration) is undone in public, the template and every bench tenant with the SQL Django
  generates for it backwards, and its content type and permissions are removed, so the forward
  run does what a release adding a model does in every schema: create the table, record the
  migration, create the content type and permissions (post_migrate).

Tenants are real tenant schemas. The first is made by `tenant_create` (a clone of
`tenant_template`); the others are restored from a `pg_dump` of it under their own schema name,
then registered by `tenant_create`, which adopts an existing schema without cloning: django-tenants'
`clone_schema` gets slower as the catalogue grows (the clone probe measures one real
`tenant_create` at each count, from the schema pool and with the pool empty, and what refilling
the pool costs), so cloning 500 would take hours. The pool is off elsewhere in the run
(TENANT_SCHEMA_POOL_SIZE=0), so bench tenants and the jobs are as before.
Tenants are kept between runs: asking for fewer than exist parks the rest (Tenant rows removed,
schemas kept, so `migrate_schemas` does not visit them) and asking for more adopts parked
schemas first.
`--profile` runs the tenant step in-process with the standard executor under cProfile (use a
small count) and prints where the time goes.

Run: .venv/bin/python bench/migrate_schemas.py --tenants 100 500
         [--executors multiprocessing standard] [--runs 1] [--profile] [--no-clone-probe]
(`--runs 0` skips the migration jobs: tenants and the probe only.)
Uses its own database (countersign_bench_migrate). Prints Markdown for docs/benchmarks.md.
"""

import argparse
import contextlib
import cProfile
import io
import os
import pstats
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("COUNTERSIGN_DB_NAME", "countersign_bench_migrate")
# As in production: no query log kept in memory by the migration processes.
os.environ["DEBUG"] = "false"
# Only the probe uses the schema pool (and queues its refill on a queue of its own).
os.environ.setdefault("TENANT_SCHEMA_POOL_SIZE", "0")
PROBE_QUEUE = "bench-migrate-probe"

SLUG_PREFIX = "bench-mig-"
PROBE_SLUG = "bench-clone-probe"
POOL_PROBE_SLUG = "bench-pool-probe"
APP, MIGRATION, MODEL = "accounts", "0002_securitypolicy", "securitypolicy"
TEMPLATE_STEP = (
    "from apps.tenants.services import platform_ensure, template_schema_ensure; "
    "template_schema_ensure(verbosity=1); platform_ensure()"
)
# Functions whose cumulative time the profile reports (they may nest: the shares overlap).
PROFILE_PARTS = (
    ("migrate command, per tenant (all of it)", "commands/migrate.py", "handle"),
    ("system checks (`check` on each run)", "core/management/base.py", "check"),
    ("migration graph loaded from disk", "migrations/loader.py", "build_graph"),
    ("does django_migrations exist? (table list)", "migrations/recorder.py", "has_table"),
    ("model states rendered (for post_migrate)", "migrations/state.py", "render_multiple"),
    ("post_migrate signal", "core/management/sql.py", "emit_post_migrate_signal"),
    ("… create_permissions", "auth/management/__init__.py", "create_permissions"),
    ("… create_contenttypes", "contenttypes/management/__init__.py", "create_contenttypes"),
    ("migrations applied (DDL, recorder)", "migrations/executor.py", "apply_migration"),
    ("model changes without migrations? (no-op only)", "migrations/autodetector.py", "changes"),
    ("database connections opened", "backends/base/base.py", "connect"),
    ("SQL round trips (all queries)", "psycopg/cursor.py", "execute"),
)


def slug_for(number: int) -> str:
    return f"{SLUG_PREFIX}{number:04d}"


def load_average() -> str:
    return "/".join(f"{value:.1f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tenants", type=int, nargs="+", default=[100, 500])
    parser.add_argument(
        "--executors",
        nargs="+",
        default=["multiprocessing"],
        choices=["multiprocessing", "standard"],
    )
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--no-clone-probe", dest="clone_probe", action="store_false", help="skip the clone probe"
    )
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test.utils import override_settings
    from django_tenants.clone import CloneSchema

    from apps.core.management.commands.tenant_backup import libpq_args, pg_binary, run_pg
    from apps.tenants.models import PooledSchema, Tenant
    from apps.tenants.schema_pool import schema_pool_fill, schema_pool_prune
    from apps.tenants.services import (
        partner_ensure,
        platform_ensure,
        schema_name_for,
        template_schema_ensure,
        tenant_create,
    )
    from bench.report import machine_line

    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    template_schema_ensure()
    platform_ensure()
    partner = partner_ensure(name="Bench Migrate", slug="bench-migrate")
    template = settings.TENANT_BASE_SCHEMA
    machine = machine_line()

    def existing_schemas(prefix: str = schema_name_for(SLUG_PREFIX)) -> set[str]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s",
                [prefix.replace("_", "\\_") + "%"],
            )
            return {row[0] for row in cursor.fetchall()}

    seed = slug_for(1)
    dump_cache: list[str] = []

    def seed_dump() -> str:
        """SQL of the first bench tenant's schema (a real clone, brought up to date first)."""
        if not dump_cache:
            call_command(
                "migrate_schemas",
                tenant=True,
                schema_name=schema_name_for(seed),
                interactive=False,
                verbosity=0,
            )
            connection.set_schema_to_public()
            args, env = libpq_args()
            dump = run_pg("pg_dump", [*args, "--schema", schema_name_for(seed)], env).stdout
            dump_cache.append(dump)
        return dump_cache[0]

    def schema_restore(schema: str) -> None:
        """The seed's dump under another schema name: same tables, indexes, constraints,
        triggers, sequences and bookkeeping rows (migrations, content types, permissions)."""
        args, env = libpq_args()
        sql = seed_dump().replace(schema_name_for(seed), schema)
        subprocess.run(
            [pg_binary("psql"), *args, "--quiet", "--no-psqlrc", "--single-transaction",
             "-v", "ON_ERROR_STOP=1"],
            input=sql, env=env, capture_output=True, text=True, check=True,
        )  # fmt: skip

    def relations(schema: str) -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = %s",
                [schema],
            )
            return cursor.fetchone()[0]

    def tenants_ensure(count: int) -> dict[str, list[float]]:
        """Exactly `count` bench tenants visible to migrate_schemas. The first is cloned by
        tenant_create; the others are restored from its dump (clone_schema slows down as the
        catalogue grows, see the probe) and registered by tenant_create, which adopts an
        existing schema as it is. Returns the seconds spent per tenant, by method."""
        wanted = {slug_for(n) for n in range(1, count + 1)}
        # Parked tenants keep their schema but lose their rows (migrate_schemas visits rows).
        Tenant.objects.filter(slug__startswith=SLUG_PREFIX).exclude(slug__in=wanted).delete()
        present = set(
            Tenant.objects.filter(slug__startswith=SLUG_PREFIX).values_list("slug", flat=True)
        )
        parked = existing_schemas()
        spent: dict[str, list[float]] = {"cloned": [], "restored": [], "adopted": []}
        for number in range(1, count + 1):
            slug = slug_for(number)
            if slug in present:
                continue
            schema = schema_name_for(slug)
            started = time.perf_counter()
            method = "adopted" if schema in parked else "cloned" if slug == seed else "restored"
            if method == "restored":
                schema_restore(schema)
            tenant_create(partner=partner, slug=slug, name=f"Bench {slug}")
            connection.set_schema_to_public()
            spent[method].append(time.perf_counter() - started)
            if method == "restored" and len(spent["restored"]) == 1:
                assert relations(schema) == relations(schema_name_for(seed)), schema
        return spent

    def schema_count() -> int:
        """Schemas other than public and PostgreSQL's own: the size of the catalogue."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_namespace WHERE nspname <> 'public' AND nspname <> "
                "'information_schema' AND nspname NOT LIKE 'pg\\_%'"
            )
            return cursor.fetchone()[0]

    def pool_probe() -> tuple[float, float]:
        """One pool schema cloned (what the worker does after a claim) and one real
        tenant_create that takes it, then dropped: seconds of each."""
        from config.celery import app

        app.conf.task_default_queue = PROBE_QUEUE
        with override_settings(TENANT_SCHEMA_POOL_SIZE=1):
            schema_pool_prune(size=0)
            started = time.perf_counter()
            assert schema_pool_fill(size=1) == 1
            fill = time.perf_counter() - started
            started = time.perf_counter()
            probe = tenant_create(partner=partner, slug=POOL_PROBE_SLUG, name="Bench pool probe")
            pooled = time.perf_counter() - started
            assert not PooledSchema.objects.exists(), "the probe did not take the pool schema"
        connection.set_schema_to_public()
        probe.delete(force_drop=True)
        connection.set_schema_to_public()
        with app.connection_for_write() as broker:
            broker.default_channel.queue_purge(PROBE_QUEUE)
        return fill, pooled

    def clone_probe() -> tuple[float, float, int, float, float]:
        """One real tenant_create (clone of the template) at the current number of schemas,
        then dropped: total seconds, the part spent in clone_schema, the schemas in the
        database, and the pool probe's fill and creation seconds."""
        for slug in (PROBE_SLUG, POOL_PROBE_SLUG):
            for leftover in Tenant.objects.filter(slug=slug):
                leftover.delete(force_drop=True)
            if schema_name_for(slug) in existing_schemas(prefix=schema_name_for(slug)):
                with connection.cursor() as cursor:
                    cursor.execute(f'DROP SCHEMA "{schema_name_for(slug)}" CASCADE')
        fill, pooled = pool_probe()
        cloning = 0.0
        real_clone = CloneSchema.clone_schema

        def timed_clone(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            nonlocal cloning
            started = time.perf_counter()
            try:
                return real_clone(self, *args, **kwargs)
            finally:
                cloning += time.perf_counter() - started

        CloneSchema.clone_schema = timed_clone  # type: ignore[method-assign]
        try:
            started = time.perf_counter()
            probe = tenant_create(partner=partner, slug=PROBE_SLUG, name="Bench clone probe")
            total = time.perf_counter() - started
        finally:
            CloneSchema.clone_schema = real_clone  # type: ignore[method-assign]
        connection.set_schema_to_public()
        probe.delete(force_drop=True)
        connection.set_schema_to_public()
        return total, cloning, schema_count(), fill, pooled

    def bench_schemas() -> list[str]:
        return sorted(
            Tenant.objects.filter(slug__startswith=SLUG_PREFIX).values_list(
                "schema_name", flat=True
            )
        )

    connection.set_schema(template)
    backwards = io.StringIO()
    call_command("sqlmigrate", APP, MIGRATION, backwards=True, stdout=backwards)
    connection.set_schema_to_public()
    undo_sql = [
        line
        for line in backwards.getvalue().splitlines()
        if line.strip() and not line.startswith("--") and line not in ("BEGIN;", "COMMIT;")
    ]

    def applied_in(schema: str) -> bool:
        connection.set_schema(schema, include_public=False)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM django_migrations WHERE app = %s AND name = %s", [APP, MIGRATION]
            )
            found = cursor.fetchone() is not None
        connection.set_schema_to_public()
        return found

    def release_simulate(schemas: list[str]) -> float:
        """Undo the migration in every schema, as if the release introduced it."""
        started = time.perf_counter()
        for schema in schemas:
            if not applied_in(schema):
                continue
            connection.set_schema(schema, include_public=False)
            with transaction.atomic(), connection.cursor() as cursor:
                for statement in undo_sql:
                    cursor.execute(statement)
                cursor.execute(
                    "DELETE FROM django_migrations WHERE app = %s AND name = %s", [APP, MIGRATION]
                )
                cursor.execute(
                    "DELETE FROM auth_permission WHERE content_type_id IN (SELECT id FROM "
                    "django_content_type WHERE app_label = %s AND model = %s)",
                    [APP, MODEL],
                )
                cursor.execute(
                    "DELETE FROM django_content_type WHERE app_label = %s AND model = %s",
                    [APP, MODEL],
                )
            connection.set_schema_to_public()
        return time.perf_counter() - started

    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    manage = [sys.executable, str(ROOT / "manage.py")]

    def cpu_of_children() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    def step(command: list[str]) -> tuple[float, str, float]:
        """Wall seconds, output, and CPU seconds of the process and its pool workers (robust
        to other work on the machine; PostgreSQL's own CPU is not included)."""
        with tempfile.TemporaryFile(mode="w+") as output:
            cpu = cpu_of_children()
            started = time.perf_counter()
            finished = subprocess.run(
                manage + command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
            )
            elapsed = time.perf_counter() - started
            cpu = cpu_of_children() - cpu
            output.seek(0)
            log = output.read()
        if finished.returncode:
            sys.exit(f"manage.py {' '.join(command)} failed:\n{log[-3000:]}")
        return elapsed, log, cpu

    def job(executor: str) -> dict[str, float | int | str]:
        load_before = load_average()
        shared, _, _ = step(["migrate_schemas", "--shared", "--noinput"])
        template_seconds, _, _ = step(["shell", "--no-imports", "-c", TEMPLATE_STEP])
        tenants, log, cpu = step(
            ["migrate_schemas", "--tenant", "--noinput", f"--executor={executor}"]
        )
        applied = len(re.findall(rf"Applying {APP}\.{MIGRATION}\b", log))
        return {
            "shared": shared,
            "template": template_seconds,
            "tenants": tenants,
            "cpu": cpu,
            "applied": applied,
            "load": f"{load_before} → {load_average()}",
        }

    def startup_seconds() -> float:
        """A manage.py process that only sets Django up (`shell -c pass`): the fixed cost."""
        return step(["shell", "--no-imports", "-c", "pass"])[0]

    results = []
    creation: dict[int, dict[str, list[float]]] = {}
    probes: dict[int, tuple[float, float, int, float, float]] = {}
    for count in sorted(args.tenants):
        creation[count] = tenants_ensure(count)
        schemas = bench_schemas()
        assert len(schemas) == count, (len(schemas), count)
        if args.clone_probe:
            probes[count] = clone_probe()
        for executor in args.executors:
            for _ in range(args.runs):
                undo = release_simulate(["public", template, *schemas])
                applied = job(executor)
                missing = [s for s in schemas if not applied_in(s)]
                assert not missing, missing[:5]
                assert applied["applied"] == count, applied
                results.append((count, executor, "one new migration", applied, undo))
                results.append((count, executor, "nothing to apply", job(executor), 0.0))
    startup = statistics.median(startup_seconds() for _ in range(3))

    profile_rows = []
    if args.profile:
        release_simulate(["public", template, *bench_schemas()])
        call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
        template_schema_ensure()
        for case in ("one new migration", "nothing to apply"):
            profiler = cProfile.Profile()
            started = time.perf_counter()
            profiler.enable()
            # As from the command line: checks on, verbosity 1 (a no-op migrate then looks for
            # model changes without migrations); the per-tenant lines go to sys.stdout.
            with contextlib.redirect_stdout(io.StringIO()):
                call_command(
                    "migrate_schemas",
                    tenant=True,
                    interactive=False,
                    verbosity=1,
                    executor="standard",
                    skip_checks=False,
                )
            profiler.disable()
            total = time.perf_counter() - started
            connection.set_schema_to_public()
            stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
            parts = []
            for label, path, function in PROFILE_PARTS:
                seconds = sum(
                    value[3]
                    for (filename, _, name), value in stats.items()
                    if name == function and filename.endswith(path)
                )
                parts.append((label, seconds))
            profile_rows.append((case, len(bench_schemas()), total, parts))

    print_report(args, machine, results, creation, probes, startup, profile_rows)


def print_report(args, machine, results, creation, probes, startup, profile_rows) -> None:  # type: ignore[no-untyped-def]
    counts = " ".join(str(n) for n in args.tenants)
    executors = " ".join(args.executors)
    print("## `migrate_schemas` at " + " and ".join(f"{n:,}" for n in sorted(args.tenants))
          + " tenants")  # fmt: skip
    print()
    print(machine)
    print()
    print(f"Command: `.venv/bin/python bench/migrate_schemas.py --tenants {counts} "
          f"--executors {executors} --runs {args.runs}"
          f"{' --profile' if args.profile else ''}"
          f"{'' if args.clone_probe else ' --no-clone-probe'}` (own database "
          "`countersign_bench_migrate`; "
          "`DEBUG=false` in the timed processes).")  # fmt: skip
    print()
    print("Each row is the deploy migration job (`deploy/docker/entrypoint.sh migrate`), three "
          "`manage.py` processes timed from outside: public schema, template schema, then every "
          f"tenant. Starting a `manage.py` process costs {startup:.1f} s by itself (median of 3 "
          "`shell -c pass`), paid by each of the three steps. \"One new migration\" is "
          f"`{APP}.{MIGRATION}` (CreateModel) undone beforehand in public, the template and "
          "every tenant (table dropped; migration record, content type and permissions "
          "deleted).")  # fmt: skip
    print()
    print("| tenants | case | executor | tenant step (s) | per tenant (ms) | tenant step, "
          "Python CPU (s) | public + template steps (s) | whole job (s) | load average before "
          "→ after |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    for count, executor, case, run, _ in results:
        fixed = run["shared"] + run["template"]
        print(
            f"| {count:,} | {case} | {executor} | {run['tenants']:.1f} | "
            f"{run['tenants'] / count * 1000:.0f} | {run['cpu']:.1f} | {fixed:.1f} | "
            f"{run['tenants'] + fixed:.1f} | {run['load']} |"
        )
    counts_sorted = sorted(args.tenants)
    if len(counts_sorted) >= 2 and results:
        low, high = counts_sorted[0], counts_sorted[-1]
        print()
        print(f"Scaling from {low:,} to {high:,} tenants (tenant step; marginal = extra time per "
              "extra tenant, fixed = what is left at zero tenants):")  # fmt: skip
        print()
        print("| case | executor | marginal per tenant (ms) | fixed (s) | ratio of times |")
        print("|---|---|---|---|---|")
        for executor in args.executors:
            for case in ("nothing to apply", "one new migration"):
                times = {
                    count: statistics.median(
                        r["tenants"]
                        for c, e, k, r, _ in results
                        if c == count and e == executor and k == case
                    )
                    for count in (low, high)
                }
                marginal = (times[high] - times[low]) / (high - low)
                fixed = times[low] - marginal * low
                print(
                    f"| {case} | {executor} | {marginal * 1000:.0f} | {fixed:.1f} | "
                    f"{times[high] / times[low]:.2f}x for {high / low:.0f}x tenants |"
                )
    print()
    print("Bench tenants: the first is a real `tenant_create` (clone of `tenant_template`); the "
          "others are restored from a `pg_dump` of it under their own schema name (same "
          "tables, indexes, constraints, triggers and migration, content-type and permission "
          "rows; checked by relation count) and registered by `tenant_create`, which adopts an "
          "existing schema without cloning. Cloning them all was not practical: see the probe "
          "below. Made by this run:")  # fmt: skip
    print()
    print("| tenants | restored (median s) | cloned | adopted (parked earlier) |")
    print("|---|---|---|---|")
    for count, spent in creation.items():
        restored = spent["restored"]
        median = f"{len(restored)} ({statistics.median(restored):.2f})" if restored else "0"
        print(f"| {count:,} | {median} | {len(spent['cloned'])} | {len(spent['adopted'])} |")
    if probes:
        print()
        print("Clone probe: one real `tenant_create` with a ready schema in the pool (renamed), "
              "one with the pool empty (clone of the template, then the migrations recorded), "
              "and one pool schema cloned as the worker refills the pool; all dropped "
              "afterwards. Clone times follow the number of schemas in the database (parked "
              "ones included), not of Tenant rows. Issue 9 budget: tenant creation under "
              "1 s.")  # fmt: skip
        print()
        print("| tenants migrated | schemas in the database | `tenant_create` from the pool (s) "
              "| `tenant_create`, pool empty (s) | of which `clone_schema` (s) | pool refill, "
              "one schema (s) |")  # fmt: skip
        print("|---|---|---|---|---|---|")
        for count, (total, cloning, schemas, fill, pooled) in probes.items():
            print(f"| {count:,} | {schemas:,} | {pooled:.2f} | {total:.1f} | {cloning:.1f} | "
                  f"{fill:.1f} |")  # fmt: skip
    for case, count, total, parts in profile_rows:
        print()
        print(f"Profile, {case}, standard executor in-process, {count} tenants: {total:.1f} s "
              f"({total / count * 1000:.0f} ms per tenant). Cumulative time; rows nest, so shares "
              "overlap:")  # fmt: skip
        print()
        print("| part | s | per tenant (ms) | share |")
        print("|---|---|---|---|")
        for label, seconds in parts:
            print(
                f"| {label} | {seconds:.2f} | {seconds / count * 1000:.0f} | "
                f"{seconds / total:.0%} |"
            )


if __name__ == "__main__":
    main()
