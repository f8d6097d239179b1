"""Reads about workflows: published ones for requesters, parsed specs for the runtime."""

from typing import Any

from django.db import connection
from django.db.models import QuerySet

from apps.workflows.engine import WorkflowSpec, parse_spec
from apps.workflows.models import WorkflowDefinition, WorkflowVersion

_SPEC_CACHE: dict[tuple[str, int], WorkflowSpec] = {}
_SPEC_CACHE_SIZE = 1024


def active_workflows() -> QuerySet[WorkflowDefinition]:
    """Active workflows (key and name), for filters."""
    return WorkflowDefinition.objects.filter(is_active=True).only("key", "name")


def published_workflows() -> QuerySet[WorkflowDefinition]:
    return (
        WorkflowDefinition.objects.filter(is_active=True, current_version__isnull=False)
        .select_related("current_version")
        .order_by("name")
    )


def spec_of(version: WorkflowVersion) -> WorkflowSpec:
    """The parsed spec of a published version. Versions never change, so each parses once."""
    key = (connection.schema_name, version.pk)  # type: ignore[attr-defined]  # django-tenants' connection
    spec = _SPEC_CACHE.get(key)
    if spec is None:
        if len(_SPEC_CACHE) >= _SPEC_CACHE_SIZE:
            _SPEC_CACHE.clear()
        spec = _SPEC_CACHE[key] = parse_spec(version.spec)
    return spec


def spec_fields(version: WorkflowVersion) -> list[dict[str, Any]]:
    """The form fields of a version as plain dicts (for templates and the API)."""
    return list(version.spec.get("form", {}).get("fields", []))
