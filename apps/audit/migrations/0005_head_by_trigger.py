"""The chain head is moved by the database, not by the application: after every insert into the
trail a trigger (SECURITY DEFINER, owned by the owner role) checks that the new entries continue
the chain -- the first follows the head's sequence and hash, the sequences have no gap -- and
moves the head to the last one. The application role therefore needs no UPDATE on the head and
has none (apps.core.postgres.roles), and an entry that forks or skips the chain is refused."""

from django.db import migrations

FUNCTION = r"""
CREATE OR REPLACE FUNCTION public.countersign_audit_head_advance() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  head_sequence bigint;
  head_hash text;
  first_sequence bigint;
  last_sequence bigint;
  added bigint;
  first_prev text;
  last_hash text;
BEGIN
  SELECT min(sequence), max(sequence), count(*) INTO first_sequence, last_sequence, added
    FROM added_rows;
  IF added = 0 THEN
    RETURN NULL;
  END IF;
  EXECUTE format('SELECT last_sequence, last_hash FROM %I.audit_auditchainhead WHERE id = 1 '
                 'FOR UPDATE', TG_TABLE_SCHEMA)
    INTO head_sequence, head_hash;
  head_sequence := coalesce(head_sequence, 0);
  head_hash := coalesce(head_hash, repeat('0', 64));
  SELECT prev_hash INTO first_prev FROM added_rows WHERE sequence = first_sequence;
  SELECT hash INTO last_hash FROM added_rows WHERE sequence = last_sequence;
  IF first_sequence <> head_sequence + 1 OR first_prev <> head_hash
     OR last_sequence - first_sequence + 1 <> added THEN
    RAISE EXCEPTION 'audit entries of % must continue the chain after #%', TG_TABLE_SCHEMA,
      head_sequence USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  EXECUTE format('INSERT INTO %I.audit_auditchainhead (id, last_sequence, last_hash) '
                 'VALUES (1, $1, $2) ON CONFLICT (id) DO UPDATE '
                 'SET last_sequence = EXCLUDED.last_sequence, last_hash = EXCLUDED.last_hash',
                 TG_TABLE_SCHEMA)
    USING last_sequence, last_hash;
  RETURN NULL;
END;
$$;
"""
TRIGGER = """
DROP TRIGGER IF EXISTS audit_auditentry_head ON audit_auditentry;
CREATE TRIGGER audit_auditentry_head AFTER INSERT ON audit_auditentry
  REFERENCING NEW TABLE AS added_rows
  FOR EACH STATEMENT EXECUTE FUNCTION public.countersign_audit_head_advance();
"""
DROP = "DROP TRIGGER IF EXISTS audit_auditentry_head ON audit_auditentry;"


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_head_forward_only")]

    operations = [migrations.RunSQL(FUNCTION + TRIGGER, DROP)]
