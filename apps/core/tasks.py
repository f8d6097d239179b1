"""Diagnostic task: proves that a task sent inside a tenant runs inside that tenant's schema."""

from celery import shared_task
from django.core.cache import cache
from django.db import connection


@shared_task(name="core.record_schema")
def record_schema(marker: str) -> str:
    """Store the schema the task ran in under a tenant-scoped cache key and return it."""
    schema = connection.schema_name
    cache.set(f"schema-probe:{marker}", schema, timeout=300)
    return schema
