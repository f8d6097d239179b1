"""Reads of the audit trail, for tenant admins and auditors only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.utils import timezone

from apps.audit.models import AuditEntry

if TYPE_CHECKING:
    from apps.accounts.models import User

AUDITOR_ROLES = ("auditor", "privacy_officer", "compliance")


def can_read_audit(user: User) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return bool(user.is_tenant_admin or user.roles.filter(key__in=AUDITOR_ROLES).exists())


@dataclass(frozen=True)
class AuditFilters:
    user: str = ""
    request: str = ""
    category: str = ""
    action: str = ""
    start: date | None = None
    end: date | None = None


def audit_entries_for(user: User, filters: AuditFilters) -> QuerySet[AuditEntry]:
    if not can_read_audit(user):
        return AuditEntry.objects.none()
    entries = AuditEntry.objects.all()
    if filters.user:
        entries = entries.filter(actor_email__icontains=filters.user.strip())
    if filters.request:
        entries = entries.filter(request_reference=filters.request.strip().upper())
    if filters.category:
        entries = entries.filter(category=filters.category)
    if filters.action:
        entries = entries.filter(action__icontains=filters.action.strip())
    zone = timezone.get_current_timezone()
    if filters.start:
        entries = entries.filter(at__gte=datetime.combine(filters.start, time.min, zone))
    if filters.end:
        entries = entries.filter(at__lte=datetime.combine(filters.end, time.max, zone))
    return entries.order_by("-sequence")
