"""django-tenants' backend plus on-demand start of the embedded PostgreSQL (``EMBEDDED: True``)."""

from typing import Any

from django_tenants.postgresql_backend.base import DatabaseWrapper as TenantDatabaseWrapper

from apps.core.postgres.introspection import SchemaIntrospection
from config import embedded


class DatabaseWrapper(TenantDatabaseWrapper):  # type: ignore[misc]  # django-tenants is untyped
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Lists one schema's tables without reading every tenant's catalogue (see the module).
        self.introspection = SchemaIntrospection(self)

    def get_connection_params(self):  # type: ignore[no-untyped-def]
        params = super().get_connection_params()
        if self.settings_dict.get("EMBEDDED"):
            params["host"] = str(embedded.postgres_socket_dir())
            params.pop("port", None)
        return params
