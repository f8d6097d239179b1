"""Placing new tenants on clusters (docs/scaling.md). Reaching a tenant on its cluster is
`tenant_activated` in apps.core.postgres.clusters (re-exported here), so every app may use it."""

from __future__ import annotations

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Count
from django_tenants.utils import get_public_schema_name

from apps.core.errors import InvalidInput
from apps.core.postgres.clusters import (
    cluster_aliases,
    public_activated,
    schema_activated,
    tenant_activated,
    tenant_database,
)
from apps.tenants.exceptions import TenantErrorCode

__all__ = [
    "cluster_for_new_tenant",
    "cluster_loads",
    "public_activated",
    "schema_activated",
    "tenant_activated",
    "tenant_database",
]


def cluster_loads() -> dict[str, int]:
    """Tenants per configured cluster (the platform row not counted)."""
    from apps.tenants.models import Tenant

    counts = dict(
        Tenant.objects.exclude(schema_name=get_public_schema_name())
        .values_list("database")
        .annotate(n=Count("id"))
        .values_list("database", "n")
    )
    return {alias: int(counts.get(alias, 0)) for alias in cluster_aliases()}


def cluster_for_new_tenant(requested: str = "") -> str:
    """The named cluster (checked), else the one holding the fewest tenants (``default`` on a
    tie) among those open to new tenants (not in TENANT_CLUSTERS_CLOSED)."""
    aliases = cluster_aliases()
    if requested:
        if requested not in aliases:
            raise InvalidInput(
                f"There is no cluster called {requested!r}.",
                code=TenantErrorCode.CLUSTER_UNKNOWN,
                field="database",
            )
        return requested
    closed = set(getattr(settings, "TENANT_CLUSTERS_CLOSED", ()))
    candidates = [alias for alias in aliases if alias not in closed] or [DEFAULT_DB_ALIAS]
    loads = cluster_loads()
    return min(candidates, key=lambda alias: (loads[alias], alias != DEFAULT_DB_ALIAS, alias))
