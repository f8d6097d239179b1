"""Reads of ERP postings: the admin's reconciliation list and a request's panel."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from apps.accounts.models import User
from apps.approvals.models import ApprovalRequest
from apps.approvals.selectors import can_view_request
from apps.integrations.erp.base import BudgetResult
from apps.integrations.erp.choices import PostingKind
from apps.integrations.erp.models import ErpPosting
from apps.integrations.erp.services import budget_result, posting_summary


def postings_for_admin(user: User, *, status: str | None = None) -> QuerySet[ErpPosting]:
    if not (user.is_authenticated and user.is_tenant_admin):
        return ErpPosting.objects.none()
    postings = ErpPosting.objects.select_related("request", "connection").order_by("-created_at")
    if status:
        postings = postings.filter(status=status)
    return postings


def posting_for_admin(user: User, posting_id: int) -> ErpPosting | None:
    return postings_for_admin(user).filter(pk=posting_id).first()


@dataclass(frozen=True)
class PanelRow:
    posting: ErpPosting
    summary: str
    budget: BudgetResult | None

    @property
    def is_budget(self) -> bool:
        return self.posting.kind == PostingKind.BUDGET_CHECK


def panel_rows(user: User, approval: ApprovalRequest) -> list[PanelRow]:
    """ERP rows for the request's side panel (nothing for people who cannot see the request)."""
    if not can_view_request(user, approval):
        return []
    postings = ErpPosting.objects.filter(request=approval).order_by("kind")
    return [PanelRow(p, posting_summary(p), budget_result(p)) for p in postings]
