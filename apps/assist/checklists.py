"""Criteria checklists of a tenant: the shipped ones (apps/assist/checklists/*.json), versions
on each edit, and the checklist that applies to a request."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction

from apps.accounts.models import User
from apps.assist.criteria import criteria_errors
from apps.assist.models import CriteriaChecklist

SHIPPED = Path(__file__).resolve().parent / "checklists"


class ChecklistInvalid(ValueError):
    code = "assist.checklist_invalid"

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def shipped_checklists() -> list[dict[str, Any]]:
    return [json.loads(path.read_text()) for path in sorted(SHIPPED.glob("*.json"))]


def checklists_load() -> int:
    """Adds each shipped checklist the tenant does not have yet (idempotent); returns how many."""
    added = 0
    for item in shipped_checklists():
        if CriteriaChecklist.objects.filter(key=item["key"]).exists():
            continue
        CriteriaChecklist.objects.create(
            key=item["key"],
            title=item["title"],
            workflow_key=item["workflow_key"],
            codes=item.get("codes", []),
            categories=item.get("categories", []),
            criteria=item["criteria"],
        )
        added += 1
    return added


def checklists_ensure() -> None:
    """The shipped checklists, the first time a tenant needs one."""
    if not CriteriaChecklist.objects.exists():
        checklists_load()


def checklist_edit(
    *, actor: User, checklist: CriteriaChecklist, title: str, criteria: Any
) -> CriteriaChecklist:
    """A new version of the checklist (the old one is kept, inactive)."""
    if not actor.is_tenant_admin:
        raise PermissionError("Only tenant administrators edit criteria checklists.")
    errors = criteria_errors(criteria)
    if not title.strip():
        errors.insert(0, "The title is required.")
    if errors:
        raise ChecklistInvalid(errors)
    try:
        with transaction.atomic():
            latest = CriteriaChecklist.objects.filter(key=checklist.key).first()
            assert latest is not None
            for old in CriteriaChecklist.objects.filter(key=checklist.key, is_active=True):
                old.is_active = False
                old.save(update_fields=["is_active"])
            return CriteriaChecklist.objects.create(
                key=latest.key,
                title=title.strip(),
                workflow_key=latest.workflow_key,
                codes=latest.codes,
                categories=latest.categories,
                criteria=criteria,
                version=latest.version + 1,
                created_by=actor,
            )
    except IntegrityError as error:  # another admin saved the same version first
        raise ChecklistInvalid(
            ["Someone else saved this checklist: reload and try again."]
        ) from error


def checklist_for(workflow_key: str, data: dict[str, Any]) -> CriteriaChecklist | None:
    """The active checklist whose codes (or categories) match the request's form."""
    checklists_ensure()
    code = str(data.get("cpt_code") or data.get("hcpcs_code") or "").strip().upper()
    category = str(data.get("category") or "").strip().lower()
    for checklist in CriteriaChecklist.objects.filter(workflow_key=workflow_key, is_active=True):
        if code and code in [str(c).upper() for c in checklist.codes]:
            return checklist
        if category and category in [str(c).lower() for c in checklist.categories]:
            return checklist
    return None
