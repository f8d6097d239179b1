from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "apps.notifications"
    label = "notifications"
    verbose_name = "Notifications and email links"

    def ready(self) -> None:
        from apps.approvals import effects
        from apps.notifications.handlers import handle_state_change

        effects.register("notifications", handle_state_change)

        from apps.core.worker_share import worker_kind
        from apps.notifications.services import emails_deliver, emails_retry_later

        worker_kind(
            "email",
            run=emails_deliver,
            fallback=emails_retry_later,
            actor="notifications.send_email",
            order=50,
        )
