"""The backend lists a schema's tables without reading every tenant's catalogue, and gives the
same list as django-tenants' introspection."""

import pytest
from django.db import connection
from django_tenants.postgresql_backend.introspection import DatabaseSchemaIntrospection
from django_tenants.utils import schema_context


@pytest.mark.django_db
@pytest.mark.parametrize("which", ["public", "tenant", "template"])
def test_table_list_is_the_schemas_own(which, tenant_a, settings):
    schema = {
        "public": "public",
        "tenant": tenant_a.schema_name,
        "template": settings.TENANT_BASE_SCHEMA,
    }[which]
    with schema_context(schema), connection.cursor() as cursor:
        ours = sorted(connection.introspection.get_table_list(cursor))
        theirs = sorted(DatabaseSchemaIntrospection(connection).get_table_list(cursor))
    assert ours == theirs
    assert "django_migrations" in {table.name for table in ours}
    if which == "public":
        assert "tenants_tenant" in {table.name for table in ours}
    else:
        assert "tenants_tenant" not in {table.name for table in ours}
