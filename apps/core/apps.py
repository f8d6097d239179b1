from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from apps.core.postgres.roles import after_migrate
        from apps.core.redaction import install_record_redaction

        # Every log record is made with its secrets redacted, whoever handles it.
        install_record_redaction()

        # The application role's rights follow every migration (docs/security.md).
        post_migrate.connect(after_migrate, dispatch_uid="countersign-database-roles")
