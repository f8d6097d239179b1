"""Reason code reads: the codes a decider may choose from, and the administration list."""

from __future__ import annotations

from django.db.models import QuerySet

from apps.accounts.models import User
from apps.approvals.models import ReasonCode
from apps.approvals.reason_codes.services import _require_admin


def reason_codes_active() -> QuerySet[ReasonCode]:
    """The codes a decider may choose from."""
    return ReasonCode.objects.filter(is_active=True).order_by("label")


def reason_codes_for_admin(*, actor: User) -> QuerySet[ReasonCode]:
    _require_admin(actor)
    return ReasonCode.objects.order_by("-is_active", "label")
