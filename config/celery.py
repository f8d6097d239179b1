"""The Celery app. Tasks sent inside a tenant's context carry its schema and run inside it."""

import importlib
import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = CeleryApp("countersign")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Each app that needs periodic work keeps its own `schedule.py` with a plain SCHEDULE dict
# (no Django imports), so beat entries live next to the tasks they run.
SCHEDULED_APPS = ("timers", "sla", "notifications", "integrations", "tenants", "assist", "insights")


def _beat_schedule() -> dict[str, dict[str, object]]:
    schedule: dict[str, dict[str, object]] = {}
    for label in SCHEDULED_APPS:
        name = f"apps.{label}.schedule"
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name != name:
                raise
            continue
        schedule.update(module.SCHEDULE)
    return schedule


app.conf.beat_schedule = _beat_schedule()
