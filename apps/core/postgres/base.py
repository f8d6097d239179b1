"""django-tenants' backend plus on-demand start of the embedded PostgreSQL (``EMBEDDED: True``)."""

from pathlib import Path
from typing import Any

from django_tenants.postgresql_backend.base import EXTRA_SET_TENANT_METHOD
from django_tenants.postgresql_backend.base import DatabaseWrapper as TenantDatabaseWrapper

from apps.core.postgres.content_types import content_type_cache_install, rolled_back
from apps.core.postgres.introspection import SchemaIntrospection
from config import embedded


class DatabaseWrapper(TenantDatabaseWrapper):  # type: ignore[misc]  # django-tenants is untyped
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Lists one schema's tables without reading every tenant's catalogue (see the module).
        self.introspection = SchemaIntrospection(self)
        content_type_cache_install()

    def set_tenant(self, tenant: Any, include_public: bool = True) -> None:
        """django-tenants' `set_tenant` without clearing the content-type cache: the cache is
        kept per schema instead (apps.core.postgres.content_types)."""
        self.tenant = tenant
        self.schema_name = tenant.schema_name
        self.include_public_schema = include_public
        self.set_settings_schema(self.schema_name)
        if EXTRA_SET_TENANT_METHOD:
            EXTRA_SET_TENANT_METHOD(self, tenant)
        self.search_path_set_schemas = None

    # A content type (or tenant row) read inside a transaction that rolls back would stay cached
    # though the rollback undid it: forget such caches on every rollback (rare outside tests).
    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            rolled_back()

    def savepoint_rollback(self, sid: str) -> None:
        try:
            super().savepoint_rollback(sid)
        finally:
            rolled_back()

    def get_connection_params(self):  # type: ignore[no-untyped-def]
        params = super().get_connection_params()
        if self.settings_dict.get("EMBEDDED"):
            data_dir = self.settings_dict.get("EMBEDDED_DATA_DIR")  # a second embedded cluster
            params["host"] = str(embedded.postgres_socket_dir(Path(data_dir) if data_dir else None))
            params.pop("port", None)
        return params
