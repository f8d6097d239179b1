"""Audit rows are append-only: triggers refuse UPDATE, DELETE and TRUNCATE on the trail and on
django-auditlog's change records, for every role that connects as the application."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION public.countersign_refuse_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'rows of % are immutable', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END;
$$;
"""
TABLES = ("audit_auditentry", "auditlog_logentry")


def _triggers(table: str) -> str:
    return f"""
DROP TRIGGER IF EXISTS {table}_append_only ON {table};
CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
  FOR EACH ROW EXECUTE FUNCTION public.countersign_refuse_update();
DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};
CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
  FOR EACH STATEMENT EXECUTE FUNCTION public.countersign_refuse_update();
"""


def _drop(table: str) -> str:
    return (
        f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};"
        f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};"
    )


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        migrations.RunSQL(FUNCTION + "".join(_triggers(t) for t in TABLES),
                          "".join(_drop(t) for t in TABLES)),
    ]
