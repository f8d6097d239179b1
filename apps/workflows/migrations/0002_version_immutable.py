"""Published workflow versions never change: the database refuses UPDATE on them."""

from django.db import migrations

REFUSE_UPDATE = """
CREATE OR REPLACE FUNCTION public.countersign_refuse_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'rows of % are immutable', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END;
$$;
DROP TRIGGER IF EXISTS workflowversion_immutable ON workflows_workflowversion;
CREATE TRIGGER workflowversion_immutable BEFORE UPDATE ON workflows_workflowversion
  FOR EACH ROW EXECUTE FUNCTION public.countersign_refuse_update();
"""

ALLOW_UPDATE = "DROP TRIGGER IF EXISTS workflowversion_immutable ON workflows_workflowversion;"


class Migration(migrations.Migration):
    dependencies = [("workflows", "0001_initial")]

    operations = [migrations.RunSQL(REFUSE_UPDATE, ALLOW_UPDATE)]
