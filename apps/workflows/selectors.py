"""Reads about workflows: published ones for requesters, parsed specs for the runtime."""

from collections.abc import Iterable
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


def version_list_specs(ids: Iterable[int] | None = None) -> dict[int, dict[str, Any]]:
    """What list pages need of workflow versions, by id (all versions, or those in `ids`): the
    form's fields and the amount field's name. One query that reads only those two parts of
    each spec (versions never change once published)."""
    rows = WorkflowVersion.objects.all()
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    return {
        pk: {"fields": list((form or {}).get("fields") or []), "amount_field": amount_field}
        for pk, form, amount_field in rows.order_by().values_list(
            "pk", "spec__form", "spec__amount_field"
        )
    }
