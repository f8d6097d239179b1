"""The directory version: statement-level triggers move it on whenever anything the workflow
engine routes with changes, however it is changed (ORM, bulk update, raw SQL, admin)."""

from django.db import migrations, models

FUNCTION = """
CREATE SEQUENCE IF NOT EXISTS public.countersign_directory_version;
CREATE OR REPLACE FUNCTION public.countersign_directory_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format(
    'INSERT INTO %I.people_directoryversion (id, version) '
    'VALUES (1, nextval(''public.countersign_directory_version'')) '
    'ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version',
    TG_TABLE_SCHEMA);
  RETURN NULL;
END;
$$;
"""
# table -> the events that change what the engine sees of it
WATCHED = {
    "accounts_user": "INSERT OR DELETE OR TRUNCATE OR UPDATE OF email, is_active, manager_id",
    "people_role": "INSERT OR UPDATE OR DELETE OR TRUNCATE",
    "people_role_members": "INSERT OR UPDATE OR DELETE OR TRUNCATE",
    "people_department": "INSERT OR UPDATE OR DELETE OR TRUNCATE",
    "people_authoritylimit": "INSERT OR UPDATE OR DELETE OR TRUNCATE",
    "people_delegation": "INSERT OR UPDATE OR DELETE OR TRUNCATE",
}
# A schema migrated with people in it already has a directory: give it a version now.
INITIAL = """
INSERT INTO people_directoryversion (id, version)
VALUES (1, nextval('public.countersign_directory_version')) ON CONFLICT (id) DO NOTHING;
"""


def _trigger(table: str, events: str) -> str:
    return (
        f"DROP TRIGGER IF EXISTS {table}_directory_changed ON {table};"
        f"CREATE TRIGGER {table}_directory_changed AFTER {events} ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION public.countersign_directory_changed();"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0001_initial"),
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="DirectoryVersion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("version", models.BigIntegerField()),
            ],
        ),
        migrations.RunSQL(
            FUNCTION + "".join(_trigger(t, e) for t, e in WATCHED.items()) + INITIAL,
            "".join(f"DROP TRIGGER IF EXISTS {t}_directory_changed ON {t};" for t in WATCHED),
        ),
    ]  # fmt: skip
