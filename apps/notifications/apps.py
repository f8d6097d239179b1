from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "apps.notifications"
    label = "notifications"
    verbose_name = "Notifications and email links"

    def ready(self) -> None:
        from apps.approvals import effects
        from apps.notifications.handlers import handle_state_change

        effects.register("notifications", handle_state_change)
