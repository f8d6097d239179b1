"""Taking the tenant's chain lock and reading the head in one statement: a function that takes
the advisory lock, then reads the head. It is VOLATILE, so in READ COMMITTED its read runs with a
snapshot taken after the lock was granted and sees the head the previous holder committed (a
plain `SELECT pg_advisory_xact_lock(...), (SELECT ... head)` would read the head as it was when
the statement began, before waiting for the lock)."""

from django.db import migrations

FUNCTION = r"""
CREATE OR REPLACE FUNCTION public.countersign_audit_head_lock(lock_class integer)
RETURNS TABLE (last_sequence bigint, last_hash text)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(lock_class, hashtext(current_schema()));
  RETURN QUERY EXECUTE format(
    'SELECT h.last_sequence::bigint, h.last_hash::text FROM %I.audit_auditchainhead h '
    'WHERE h.id = 1', current_schema());
END;
$$;
"""
DROP = "DROP FUNCTION IF EXISTS public.countersign_audit_head_lock(integer);"


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_head_by_trigger")]

    operations = [migrations.RunSQL(FUNCTION, DROP)]
