"""The Celery app. Tasks sent inside a tenant's context carry its schema and run inside it."""

import importlib
import os

from celery.signals import (
    after_setup_logger,
    after_setup_task_logger,
    beat_init,
    task_postrun,
    task_prerun,
    worker_init,
)
from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = CeleryApp("countersign")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Each app that needs periodic work keeps its own `schedule.py` with a plain SCHEDULE dict
# (no Django imports), so beat entries live next to the tasks they run.
SCHEDULED_APPS = (
    "audit",
    "timers",
    "sla",
    "notifications",
    "integrations",
    "tenants",
    "assist",
    "insights",
)


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


# Every task is an entry point of its own (apps.core.actions): the worker channel, the task's id
# as the request id, and the task's name as the system actor of any service it runs without a
# person (a timer firing, a sweep, a delivery).
_entries: dict[str, object] = {}


@task_prerun.connect
def _enter_task(task_id: str | None = None, task: object = None, **kwargs: object) -> None:
    from apps.core.actions import Channel, SystemActor, entry

    name = str(getattr(task, "name", "") or "task")
    manager = entry(Channel.WORKER, request_id=task_id, system_actor=SystemActor(name))
    manager.__enter__()
    _entries[str(task_id)] = manager


@task_postrun.connect
def _leave_task(task_id: str | None = None, **kwargs: object) -> None:
    manager = _entries.pop(str(task_id), None)
    if manager is not None:
        manager.__exit__(None, None, None)  # type: ignore[attr-defined]
    cluster = _clusters.pop(str(task_id), None)
    if cluster is not None:
        cluster.__exit__(None, None, None)  # type: ignore[attr-defined]


# tenant-schemas-celery carries only the schema name and sets it on `default`: a tenant on
# another cluster is looked up in the directory (its cached tenant row) and its task runs on
# that cluster's connection (apps.tenants.clusters).
_clusters: dict[str, object] = {}


@task_prerun.connect
def _enter_tenant_cluster(
    task_id: str | None = None, task: object = None, **kwargs: object
) -> None:
    from django.db import DEFAULT_DB_ALIAS
    from django_tenants.utils import get_public_schema_name
    from tenant_schemas_celery.app import get_schema_name_from_task

    from apps.tenants.clusters import tenant_activated, tenant_database

    schema = get_schema_name_from_task(task, kwargs)
    if not schema or schema == get_public_schema_name():
        return
    tenant = task.get_tenant_for_schema(schema_name=schema)  # type: ignore[attr-defined]
    if tenant_database(tenant) == DEFAULT_DB_ALIAS:
        return
    from django.db import connection

    connection.set_schema_to_public()  # type: ignore[attr-defined]  # the directory's connection
    manager = tenant_activated(tenant)
    manager.__enter__()
    _clusters[str(task_id)] = manager


@worker_init.connect
def _check_worker_role(**kwargs: object) -> None:
    from apps.core.postgres.roles import database_role_check

    database_role_check(process="worker")


@beat_init.connect
def _check_beat_role(**kwargs: object) -> None:
    from apps.core.postgres.roles import database_role_check

    database_role_check(process="beat")


@after_setup_logger.connect
@after_setup_task_logger.connect
def _redact_worker_logs(logger: object = None, **kwargs: object) -> None:
    """The worker replaces the root's handlers with its own: they redact secrets too."""
    from apps.core.redaction import SecretRedactionFilter

    for handler in getattr(logger, "handlers", ()):
        handler.addFilter(SecretRedactionFilter())
