from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = [("auditlog", "0017_add_actor_email")]

    operations = [
        migrations.CreateModel(
            name="AuditChainHead",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("last_sequence", models.PositiveBigIntegerField(default=0)),
                ("last_hash", models.CharField(default="0000000000000000000000000000000000000000000000000000000000000000", max_length=64)),
            ],
        ),
        migrations.CreateModel(
            name="AuditEntry",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("sequence", models.PositiveBigIntegerField(unique=True)),
                ("at", models.DateTimeField(db_index=True)),
                ("category", models.CharField(choices=[("change", "Data change"), ("phi_access", "Access to patient data"), ("security", "Sign-in and security"), ("support", "Partner support access")], db_index=True, max_length=20)),
                ("action", models.CharField(db_index=True, max_length=60)),
                ("actor_id", models.BigIntegerField(blank=True, db_index=True, null=True)),
                ("actor_email", models.CharField(blank=True, max_length=254)),
                ("object_type", models.CharField(blank=True, max_length=100)),
                ("object_id", models.CharField(blank=True, max_length=64)),
                ("object_repr", models.CharField(blank=True, max_length=200)),
                ("request_reference", models.CharField(blank=True, db_index=True, max_length=30)),
                ("ip", models.GenericIPAddressField(blank=True, null=True)),
                ("request_id", models.CharField(blank=True, max_length=64)),
                ("support_session", models.CharField(blank=True, max_length=64)),
                ("detail", models.JSONField(blank=True, default=dict)),
                ("prev_hash", models.CharField(max_length=64)),
                ("hash", models.CharField(max_length=64)),
            ],
            options={"verbose_name_plural": "audit entries", "ordering": ["sequence"]},
        ),
    ]
