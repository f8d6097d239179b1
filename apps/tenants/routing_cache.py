"""What every request needs about its tenant, kept per process: the tenant (with its branding)
of each host, and each tenant's primary host.

Without it every request began with ``SET search_path = public`` and a domain query, and every
notification with another domain query. Entries are dropped in this process the moment a
tenant, domain or branding row is saved or deleted (and on any rollback, so data of a rolled
back transaction is never kept); other processes learn of the change from a version number in
Redis, moved after the commit and checked at most once a second. If Redis cannot be reached
the entries are not trusted for longer than `MAX_AGE` seconds.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

VERSION_KEY = "countersign:tenant-routing-version"  # one key for all tenants (not schema-keyed)
CHECK_EVERY = 1.0  # seconds between version checks in a process
MAX_AGE = 30.0  # seconds an entry is trusted when the version cannot be read
MAX_ENTRIES = 4096

_lock = threading.Lock()
_hosts: dict[str, Any] = {}
_primary_hosts: dict[str, str] = {}
_state = {"version": None, "checked_at": 0.0, "filled_at": 0.0}


def _redis() -> Any:
    return cache._cache.get_client(write=True)  # type: ignore[attr-defined]  # Django's RedisCache


def _read_version() -> int | None:
    try:
        raw = _redis().get(VERSION_KEY)
    except Exception:  # Redis down: fall back to the age limit
        return None
    return int(raw) if raw is not None else 0


def routing_forget() -> None:
    """Drop this process's entries (a change here, or a rollback)."""
    with _lock:
        _hosts.clear()
        _primary_hosts.clear()
        _state["filled_at"] = time.monotonic()


def routing_changed() -> None:
    """A tenant, domain or branding row changed: forget now, tell other processes on commit."""
    routing_forget()
    transaction.on_commit(_bump)


def _bump() -> None:
    routing_forget()
    try:
        _redis().incr(VERSION_KEY)
    except Exception:  # other processes stop trusting their entries after MAX_AGE
        logger.warning("tenant routing version not moved: Redis unreachable")


def _fresh() -> None:
    """Forget the entries when another process changed something (checked once a second)."""
    now = time.monotonic()
    if now - _state["checked_at"] < CHECK_EVERY:  # type: ignore[operator]
        return
    version = _read_version()
    with _lock:
        _state["checked_at"] = now
        stale = version is None and now - _state["filled_at"] > MAX_AGE  # type: ignore[operator]
        if stale or version != _state["version"]:
            _hosts.clear()
            _primary_hosts.clear()
            _state["filled_at"] = now
        _state["version"] = version


def _copy(tenant: Any) -> Any:
    """Each request gets its own instances (views may change them)."""
    clone = copy.copy(tenant)
    branding = tenant._state.fields_cache.get("branding")
    if branding is not None:
        clone._state.fields_cache["branding"] = copy.copy(branding)
    return clone


def tenant_for_host(hostname: str, load: Callable[[], Any]) -> Any:
    """The tenant of `hostname`, from `load()` (which may raise DoesNotExist) when not kept."""
    _fresh()
    tenant = _hosts.get(hostname)
    if tenant is None:
        tenant = load()
        with _lock:
            if len(_hosts) >= MAX_ENTRIES:
                _hosts.clear()
            _hosts[hostname] = tenant
    return _copy(tenant)


def primary_host_for(schema_name: str, load: Callable[[], str]) -> str:
    _fresh()
    host = _primary_hosts.get(schema_name)
    if host is None:
        host = load()
        with _lock:
            if len(_primary_hosts) >= MAX_ENTRIES:
                _primary_hosts.clear()
            _primary_hosts[schema_name] = host
    return host
