"""Reads of payers and submissions: the admin page (tenant admins only) and a request's panel."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from apps.accounts.models import User
from apps.approvals.masking import hidden_fields
from apps.approvals.models import ApprovalRequest
from apps.approvals.selectors import can_view_request
from apps.integrations.payers.models import Payer, PayerSubmission
from apps.integrations.payers.services import submission_summary


def payers_for(user: User) -> QuerySet[Payer]:
    if not (user.is_authenticated and user.is_tenant_admin):
        return Payer.objects.none()
    return Payer.objects.order_by("name")


def payer_for(user: User, payer_id: int) -> Payer | None:
    return payers_for(user).filter(pk=payer_id).first()


def submissions_for_admin(user: User, *, status: str | None = None) -> QuerySet[PayerSubmission]:
    if not (user.is_authenticated and user.is_tenant_admin):
        return PayerSubmission.objects.none()
    rows = PayerSubmission.objects.select_related("request", "payer").order_by("-created_at")
    return rows.filter(status=status) if status else rows


def submission_for_admin(user: User, submission_id: int) -> PayerSubmission | None:
    return submissions_for_admin(user).filter(pk=submission_id).first()


@dataclass(frozen=True)
class PanelRow:
    submission: PayerSubmission
    summary: str
    show_reason: bool  # the payer's reason text may quote the record: minimum necessary


def panel_rows(user: User, approval: ApprovalRequest) -> list[PanelRow]:
    """Payer rows for the request's side panel (nothing for people who cannot see it)."""
    if not can_view_request(user, approval):
        return []
    rows = list(PayerSubmission.objects.filter(request=approval).select_related("payer"))
    if not rows:
        return []
    show = not hidden_fields(user=user, approval=approval)
    return [PanelRow(row, submission_summary(row), show) for row in rows]
