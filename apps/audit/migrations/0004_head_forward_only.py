"""The chain head is append-only too: its sequence only moves forward (the hash changes only
with it), and the row cannot be deleted or truncated. Like the entries' triggers, a role that
may set `session_replication_role = replica` (a superuser, the owner role) can still bypass
this; the signed checkpoints outside the database (`apps.audit.checkpoints`) catch that."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION public.countersign_audit_head_forward() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'the audit chain head of % cannot be deleted', TG_TABLE_NAME
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NEW.id <> OLD.id
     OR NEW.last_sequence < OLD.last_sequence
     OR (NEW.last_sequence = OLD.last_sequence AND NEW.last_hash <> OLD.last_hash) THEN
    RAISE EXCEPTION 'the audit chain head of % only moves forward', TG_TABLE_NAME
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END;
$$;
"""
TABLE = "audit_auditchainhead"
TRIGGERS = f"""
DROP TRIGGER IF EXISTS {TABLE}_forward_only ON {TABLE};
CREATE TRIGGER {TABLE}_forward_only BEFORE UPDATE OR DELETE ON {TABLE}
  FOR EACH ROW EXECUTE FUNCTION public.countersign_audit_head_forward();
DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE};
CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE}
  FOR EACH STATEMENT EXECUTE FUNCTION public.countersign_refuse_update();
"""
DROP = (
    f"DROP TRIGGER IF EXISTS {TABLE}_forward_only ON {TABLE};"
    f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE};"
)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_entry_channel")]

    operations = [migrations.RunSQL(FUNCTION + TRIGGERS, DROP)]
