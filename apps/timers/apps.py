from django.apps import AppConfig


class TimersConfig(AppConfig):
    name = "apps.timers"
    label = "timers"
    verbose_name = "Durable timers"
