"""Content types cached per schema instead of cleared on every tenant switch.

django-tenants clears Django's content-type cache whenever a connection changes tenant, because
the public schema and the tenant schemas number their content types differently. Every request
switches tenant (the domain is looked up in public first), so each django-auditlog entry cost a
``django_content_type`` query. Keying the cache by (database alias, schema) keeps it correct —
one schema's ids are never served for another — without the queries. An explicit
``ContentType.objects.clear_cache()`` (migrations, flushes) still empties every schema's entry,
and so does every rollback (apps.core.postgres.base), since a content type created in a rolled
back transaction must not stay cached.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connections

_manager: Any = ContentType.objects  # its `_cache` is private API, replaced below


class SchemaKeyedCache(dict[Any, Any]):
    """``ContentTypeManager._cache``, whose keys are database aliases, made per schema."""

    @staticmethod
    def _key(alias: str) -> tuple[str, str]:
        return alias, getattr(connections[alias], "schema_name", "")

    def __getitem__(self, alias: str) -> Any:
        return super().__getitem__(self._key(alias))

    def __contains__(self, alias: object) -> bool:
        return isinstance(alias, str) and super().__contains__(self._key(alias))

    def get(self, alias: str, default: Any = None) -> Any:
        return super().get(self._key(alias), default)

    def setdefault(self, alias: str, default: Any = None) -> Any:
        return super().setdefault(self._key(alias), default)

    def forget_schema(self, schema_name: str) -> None:
        """A dropped or renamed schema's content types are no longer valid under its name."""
        for key in [k for k in self if k[1] == schema_name]:
            self.pop(key, None)


def content_type_cache_install() -> SchemaKeyedCache:
    cache = _manager._cache
    if not isinstance(cache, SchemaKeyedCache):
        cache = SchemaKeyedCache()
        _manager._cache = cache
    return cache


def content_types_forget(schema_name: str) -> None:
    cache = _manager._cache
    if isinstance(cache, SchemaKeyedCache):
        cache.forget_schema(schema_name)


# Caches that must not outlive a rollback (they could hold rows the rollback undid): the
# content types above, and whatever other apps register (the tenant routing cache).
_forget_on_rollback: list[Callable[[], None]] = [lambda: _manager._cache.clear()]


def forget_on_rollback(callback: Callable[[], None]) -> None:
    if callback not in _forget_on_rollback:
        _forget_on_rollback.append(callback)


def rolled_back() -> None:
    for callback in _forget_on_rollback:
        callback()
