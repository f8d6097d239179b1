"""django-tenants' migration executors limited to the tenants of the selected cluster.

`migrate_schemas` lists every tenant of the directory and migrates each on ``default``; with
several clusters it must visit only the schemas that live on the cluster it runs against (see
`apps.core.postgres.clusters`). GET_EXECUTOR_FUNCTION points here: the executor asked for
(standard, multiprocessing, ...) runs unchanged on the tenants whose ``Tenant.database`` is the
selected cluster, plus schemas that are no tenant (public, the template, an explicit
``--schema``). `manage.py migrate_clusters` selects each cluster in turn.
"""

from __future__ import annotations

from typing import Any

from django_tenants.migration_executors import get_executor

from apps.core.postgres.clusters import selected_cluster


def _here(schemas: Any) -> list[Any]:
    from django_tenants.utils import get_public_schema_name, get_tenant_model

    items = list(schemas or [])
    names = [item[0] if isinstance(item, tuple) else item for item in items]
    if not set(names) - {get_public_schema_name()}:
        return items  # the public schema (on a new database the directory does not exist yet)
    elsewhere = set(
        get_tenant_model()
        .objects.filter(schema_name__in=names)
        .exclude(schema_name=get_public_schema_name())  # every cluster has its public schema
        .exclude(database=selected_cluster())
        .values_list("schema_name", flat=True)
    )
    return [item for item, name in zip(items, names, strict=True) if name not in elsewhere]


def cluster_executor(codename: str | None = None) -> type[Any]:
    base = get_executor(codename)

    class ClusterExecutor(base):  # type: ignore[misc, valid-type]  # django-tenants is untyped
        def run_migrations(self, tenants: Any = None) -> Any:
            return super().run_migrations(tenants=_here(tenants))

        def run_multi_type_migrations(self, tenants: Any) -> Any:
            return super().run_multi_type_migrations(tenants=_here(tenants))

    ClusterExecutor.__name__ = f"Cluster{base.__name__}"
    return ClusterExecutor
