from django.apps import AppConfig


class AssistConfig(AppConfig):
    name = "apps.assist"
    label = "assist"
    verbose_name = "AI assistance (advisory)"

    def ready(self) -> None:
        from apps.assist import signals  # noqa: F401  (connects the attachment receiver)
