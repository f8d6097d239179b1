"""Migrate every tenant cluster: its public schema, its template schema and its tenants, with
the executor asked for; clusters one after another, or at once (`--parallel`, one thread per
cluster, each on its own connections). Run as the owner role, like `migrate_schemas`."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.core.management import call_command
from django.core.management.base import CommandError, CommandParser
from django.db import connections

from apps.core.management.base import CountersignCommand
from apps.core.postgres.clusters import cluster_aliases, cluster_selected


def cluster_migrate(alias: str, *, executor: str, verbosity: int) -> str:
    from apps.tenants.services import template_schema_ensure

    try:
        with cluster_selected(alias):
            call_command("migrate_schemas", shared=True, interactive=False, verbosity=verbosity)
            template_schema_ensure(verbosity=verbosity)
            call_command(
                "migrate_schemas",
                tenant=True,
                interactive=False,
                verbosity=verbosity,
                executor=executor,
            )
    finally:
        connections.close_all()  # this thread's connections (a worker thread ends here)
    return alias


class Command(CountersignCommand):
    help = "Migrate each cluster's public schema, template schema and tenants."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cluster", action="append", help="only this cluster (repeatable)")
        parser.add_argument("--executor", default="standard", help="django-tenants executor")
        parser.add_argument(
            "--parallel", action="store_true", help="all clusters at once, a thread each"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        known = cluster_aliases()
        chosen = options["cluster"] or known
        if unknown := sorted(set(chosen) - set(known)):
            raise CommandError(f"Unknown cluster(s): {', '.join(unknown)}; known: {known}")
        verbosity = max(int(options["verbosity"]) - 1, 0)
        executor = options["executor"]
        if options["parallel"] and len(chosen) > 1:
            with ThreadPoolExecutor(max_workers=len(chosen)) as pool:
                futures = [
                    pool.submit(cluster_migrate, alias, executor=executor, verbosity=verbosity)
                    for alias in chosen
                ]
                for future in futures:
                    self.stdout.write(f"Cluster {future.result()} migrated.")
            return
        for alias in chosen:
            self.stdout.write(f"Migrating cluster {alias} ...")
            cluster_migrate(alias, executor=executor, verbosity=verbosity)
            self.stdout.write(f"Cluster {alias} migrated.")
