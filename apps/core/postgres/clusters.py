"""Tenants on several PostgreSQL clusters: the directory stays on ``default``, a tenant's schema
lives on the cluster its ``Tenant.database`` names (docs/scaling.md#several-postgresql-clusters).

django-tenants knows one tenant connection (``TENANT_DB_ALIAS``, ``default``): its middleware,
``tenant_context``, tenant-schemas-celery and all our raw SQL use ``django.db.connection``. So
rather than threading ``using=`` through every query, selecting a cluster makes the ``default``
alias resolve to that cluster's connection in this thread, and the directory's own connection
(still the one that was ``default``) answers to the alias ``directory`` meanwhile:

* ORM queries of tenant apps, ``transaction.atomic()``, ``on_commit`` and raw SQL on
  ``connection`` reach the tenant's cluster unchanged;
* models of shared-only apps (tenants, domains, branding, the timer index, ...) are routed to
  the directory by `ClusterRouter`; raw SQL on public tables takes `directory_connection()`.

With one cluster nothing is ever swapped and the router always answers ``default``.

`tenant_activated(tenant)` is the one way into a tenant: it selects the tenant's cluster
(`Tenant.database`) and sets its schema on that cluster's connection. It replaces django-tenants'
`tenant_context`, which only knows ``default``; `schema_activated` replaces `schema_context` (it
finds the tenant in the directory) and `public_activated` the public schema's.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from functools import cache
from typing import Any

from django.apps import apps as django_apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django_tenants.utils import get_public_schema_name, get_tenant_model

DIRECTORY = "directory"  # the directory's connection while another cluster is selected
RESERVED = {DEFAULT_DB_ALIAS, DIRECTORY}

_selected: ContextVar[str] = ContextVar("tenant_cluster", default=DEFAULT_DB_ALIAS)


class UnknownCluster(LookupError):
    """A tenant names a cluster this process has no DATABASES entry for."""

    code = "cluster_unknown"


def cluster_aliases() -> list[str]:
    """Every cluster that can hold tenant schemas, ``default`` first."""
    others = sorted(alias for alias in connections.settings if alias not in RESERVED)
    return [DEFAULT_DB_ALIAS, *others]


def selected_cluster() -> str:
    return _selected.get()


def directory_alias() -> str:
    """The alias that reaches the directory (public schema of ``default``) right now."""
    return DEFAULT_DB_ALIAS if _selected.get() == DEFAULT_DB_ALIAS else DIRECTORY


def directory_connection() -> BaseDatabaseWrapper:
    return connections[directory_alias()]


@contextlib.contextmanager
def cluster_selected(alias: str) -> Iterator[BaseDatabaseWrapper]:
    """Make ``default`` (``django.db.connection``) this cluster's connection until the block
    ends, in this thread only; nested selections restore each other."""
    current = _selected.get()
    if alias == current:
        yield connections[DEFAULT_DB_ALIAS]
        return
    if alias != DEFAULT_DB_ALIAS and (alias in RESERVED or alias not in connections.settings):
        raise UnknownCluster(f"No database is configured for the cluster {alias!r}.")
    local = connections._connections  # type: ignore[attr-defined]  # Django's per-thread store
    previous_default = connections[DEFAULT_DB_ALIAS]
    previous_directory = getattr(local, DIRECTORY, None)
    directory = previous_default if current == DEFAULT_DB_ALIAS else previous_directory
    target = directory if alias == DEFAULT_DB_ALIAS else connections[alias]
    assert target is not None, "a selected cluster always keeps the directory's connection"
    setattr(local, DEFAULT_DB_ALIAS, target)
    if alias == DEFAULT_DB_ALIAS:
        if hasattr(local, DIRECTORY):
            delattr(local, DIRECTORY)
    else:
        setattr(local, DIRECTORY, directory)
    token = _selected.set(alias)
    try:
        yield target
    finally:
        _selected.reset(token)
        setattr(local, DEFAULT_DB_ALIAS, previous_default)
        if previous_directory is None:
            if hasattr(local, DIRECTORY):
                delattr(local, DIRECTORY)
        else:
            setattr(local, DIRECTORY, previous_directory)


def directory_atomic() -> contextlib.AbstractContextManager[Any]:
    """A transaction on the directory when a tenant cluster is selected (the timer index rows
    of an action, locked rows of shared tables); nothing to add on the directory's own cluster,
    where one transaction holds both."""
    if _selected.get() == DEFAULT_DB_ALIAS:
        return contextlib.nullcontext()
    return transaction.atomic(using=DIRECTORY)


@cache
def _shared_only(app_label: str) -> bool:
    name = django_apps.get_app_config(app_label).name
    return name in settings.SHARED_APPS and name not in settings.TENANT_APPS


class ClusterRouter:
    """Shared-only apps' models to the directory, everything else to ``default`` (the selected
    cluster). Explicit: an object read through ``directory`` is saved through the router again,
    never through an alias that exists only while a cluster is selected."""

    def _alias(self, model: type[Any]) -> str:
        if _shared_only(model._meta.app_label):
            return directory_alias()
        return DEFAULT_DB_ALIAS

    def db_for_read(self, model: type[Any], **hints: Any) -> str:
        return self._alias(model)

    def db_for_write(self, model: type[Any], **hints: Any) -> str:
        return self._alias(model)

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        return True  # the aliases name connections, not separate data sets

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        """django-tenants' rule (shared apps in public, tenant apps in tenant schemas) on every
        cluster: a selected cluster's connection keeps its own alias, which TenantSyncRouter
        (``default`` only) would refuse."""
        if db == DEFAULT_DB_ALIAS:
            return None  # TenantSyncRouter decides
        if db in RESERVED or db not in connections.settings:
            return False
        from django_tenants.routers import TenantSyncRouter

        public = connections[db].schema_name == get_public_schema_name()  # type: ignore[attr-defined]
        wanted = settings.SHARED_APPS if public else settings.TENANT_APPS
        return bool(TenantSyncRouter().app_in_list(app_label, wanted))


# --- tenants on their clusters ---------------------------------------------------------------


def tenant_database(tenant: Any) -> str:
    """The alias of the cluster holding the tenant's schema (the platform row: ``default``)."""
    return str(getattr(tenant, "database", "") or DEFAULT_DB_ALIAS)


@contextlib.contextmanager
def tenant_activated(tenant: Any) -> Iterator[Any]:
    """Run the block in the tenant's schema on the tenant's cluster; restores what was active."""
    with cluster_selected(tenant_database(tenant)):
        previous = getattr(connection, "tenant", None)
        connection.set_tenant(tenant)  # type: ignore[attr-defined]  # django-tenants' connection
        try:
            yield tenant
        finally:
            if previous is None or tenant_database(previous) != tenant_database(tenant):
                connection.set_schema_to_public()  # type: ignore[attr-defined]
            else:
                connection.set_tenant(previous)  # type: ignore[attr-defined]


@contextlib.contextmanager
def public_activated() -> Iterator[None]:
    """The directory's public schema, whichever cluster was selected."""
    with cluster_selected(DEFAULT_DB_ALIAS):
        previous = getattr(connection, "tenant", None)
        connection.set_schema_to_public()  # type: ignore[attr-defined]
        try:
            yield
        finally:
            if previous is not None and previous.schema_name != get_public_schema_name():
                connection.set_tenant(previous)  # type: ignore[attr-defined]


@contextlib.contextmanager
def schema_activated(schema_name: str) -> Iterator[None]:
    """`schema_context` across clusters: the tenant with this schema, on its cluster."""
    if schema_name == get_public_schema_name():
        with public_activated():
            yield
        return
    tenant = get_tenant_model().objects.get(schema_name=schema_name)
    with tenant_activated(tenant):
        yield
