"""django-tenants' backend plus on-demand start of the embedded PostgreSQL (``EMBEDDED: True``)."""

from django_tenants.postgresql_backend.base import DatabaseWrapper as TenantDatabaseWrapper

from config import embedded


class DatabaseWrapper(TenantDatabaseWrapper):
    def get_connection_params(self):  # type: ignore[no-untyped-def]
        params = super().get_connection_params()
        if self.settings_dict.get("EMBEDDED"):
            params["host"] = str(embedded.postgres_socket_dir())
            params.pop("port", None)
        return params
