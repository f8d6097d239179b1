"""Table listing that reads only the connection's schema.

Django lists tables by testing every relation of the database for visibility on the search path
(`pg_table_is_visible` on each pg_class row). With one schema per tenant that is every tenant's
catalogue, and `migrate` asks about five times per schema (each migration recorder checks that
django_migrations exists), so each tenant's migrate got slower as tenants were added: at 500
tenants the listing was about 40% of `migrate_schemas` (bench/migrate_schemas.py). django-tenants
narrows the search path to the connection's schema around this call, so asking for that schema's
relations returns the same list, about 2.5 times faster there. It is still a scan of pg_class (no
catalogue index starts with the namespace), so it grows with the catalogue, only more slowly.
"""

from typing import Any

from django.db.backends.postgresql.introspection import TableInfo
from django_tenants.postgresql_backend.introspection import DatabaseSchemaIntrospection


class SchemaIntrospection(DatabaseSchemaIntrospection):  # type: ignore[misc]  # django-tenants is untyped
    def get_table_list(self, cursor: Any) -> list[TableInfo]:
        cursor.execute(
            """
            SELECT
                c.relname,
                CASE
                    WHEN c.relispartition THEN 'p'
                    WHEN c.relkind IN ('m', 'v') THEN 'v'
                    ELSE 't'
                END,
                obj_description(c.oid, 'pg_class')
            FROM pg_catalog.pg_class c
            WHERE c.relkind IN ('f', 'm', 'p', 'r', 'v')
                AND c.relnamespace = (
                    SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = %s
                )
            """,
            [self.connection.schema_name],
        )
        return [TableInfo(*row) for row in cursor.fetchall() if row[0] not in self.ignored_tables]
