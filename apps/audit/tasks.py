"""Celery tasks of the audit app: the scheduled checkpoint of every chain (see checkpoints.py)."""

import logging

from celery import shared_task
from django.db import connection

from apps.core.errors import CountersignError
from apps.core.tasks import each_active_tenant

logger = logging.getLogger(__name__)


@shared_task(name="audit.checkpoint", ignore_result=True)
def checkpoint() -> str:
    """Checkpoint the chain of the schema the task runs in; safe to run twice (an unmoved head
    writes nothing). A refusal is logged as an error: the chain needs `audit_verify`."""
    from apps.audit.checkpoints import checkpoint_write

    try:
        written = checkpoint_write()
    except CountersignError as error:
        schema = getattr(connection, "schema_name", "?")
        logger.error("audit checkpoint refused in %s (%s): %s", schema, error.code, error.message)
        return str(error.code)
    return "written" if written else "unchanged"


@shared_task(name="audit.checkpoint_all_tenants", ignore_result=True)
def checkpoint_all_tenants() -> int:
    """Beat entry: one checkpoint task per active tenant, and one for the platform's trail."""
    count = each_active_tenant(checkpoint)
    checkpoint.delay()  # sent from the public schema: runs there
    return count + 1
