"""Reason code services: create, rename, deactivate and reactivate a code (tenant admins only)."""

from __future__ import annotations

import re

from django.db import IntegrityError

from apps.accounts.models import User
from apps.approvals.exceptions import ApprovalErrorCode, NotAllowed
from apps.approvals.models import ReasonCode
from apps.core.actions import action, action_service
from apps.core.errors import invalid_fields

# The tenant's standard codes (from the template pack) are upper snake case: BUDGET_NOT_AVAILABLE.
CODE_RE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$")
CODE_MESSAGE = (
    "Use capital letters and digits separated by single underscores, for example NO_BUDGET."
)


def _require_admin(actor: User) -> None:
    if not actor.is_tenant_admin:
        raise NotAllowed("Only tenant administrators can change reason codes.")


def _clean_label(label: str) -> str:
    label = label.strip()
    if not label:
        raise invalid_fields(
            {"label": ["Enter a label."]}, code=ApprovalErrorCode.REASON_CODE_INVALID
        )
    return label


@action_service
def reason_code_create(*, actor: User, code: str, label: str) -> ReasonCode:
    _require_admin(actor)
    errors: dict[str, list[str]] = {}
    code_error = ApprovalErrorCode.REASON_CODE_INVALID
    if not CODE_RE.match(code):
        errors["code"] = [CODE_MESSAGE]
    elif ReasonCode.objects.filter(code=code).exists():
        errors["code"] = ["This code already exists; reactivate it instead."]
        code_error = ApprovalErrorCode.REASON_CODE_EXISTS
    if not label.strip():
        errors["label"] = ["Enter a label."]
    if errors:
        raise invalid_fields(errors, code=code_error)
    try:
        with action(actor=actor):
            return ReasonCode.objects.create(code=code, label=label.strip())
    except IntegrityError as exc:  # created concurrently after the check above
        raise invalid_fields(
            {"code": ["This code already exists."]}, code=ApprovalErrorCode.REASON_CODE_EXISTS
        ) from exc


@action_service
def reason_code_rename(*, actor: User, reason_code: ReasonCode, label: str) -> ReasonCode:
    """Changes the label only: the code is what decisions and integrations refer to."""
    _require_admin(actor)
    reason_code.label = _clean_label(label)
    reason_code.save(update_fields=["label"])
    return reason_code


@action_service
def reason_code_set_active(*, actor: User, reason_code: ReasonCode, is_active: bool) -> ReasonCode:
    """Deactivated codes stay on past decisions but can no longer be chosen."""
    _require_admin(actor)
    if reason_code.is_active != is_active:
        reason_code.is_active = is_active
        reason_code.save(update_fields=["is_active"])
    return reason_code
