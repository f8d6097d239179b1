"""Writing to the audit trail. Every write appends one hash-chained entry in the caller's
transaction (the chain head row is locked until that transaction ends)."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction
from django.utils import timezone

from apps.audit.chain import entry_hash
from apps.audit.context import current_audit_context
from apps.audit.models import AuditCategory, AuditChainHead, AuditEntry
from apps.core.context import request_id_var


def audit_append(
    *,
    category: str,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    request_reference: str = "",
    actor_id: int | None = None,
    actor_email: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry. Actor, IP, request id and support session default to the current
    request's; pass them explicitly from tasks and commands."""
    context = current_audit_context()
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
        values: dict[str, Any] = {
            "sequence": head.last_sequence + 1,
            "at": timezone.now(),
            "category": category,
            "action": action,
            "actor_id": actor_id if actor_id is not None else context.actor_id,
            "actor_email": actor_email if actor_email is not None else context.actor_email,
            "object_type": object_type,
            "object_id": object_id,
            "object_repr": object_repr[:200],
            "request_reference": request_reference,
            "ip": context.ip,
            "request_id": request_id_var.get() if request_id_var.get() != "-" else "",
            "support_session": context.support_session,
            "detail": detail or {},
            "prev_hash": head.last_hash,
        }
        values["hash"] = entry_hash(values)
        entry = AuditEntry.objects.create(**values)
        head.last_sequence = entry.sequence
        head.last_hash = entry.hash
        head.save(update_fields=["last_sequence", "last_hash"])
    return entry


def audit_phi_access(
    *, actor: Any, action: str, obj: models.Model, request_reference: str = "", **detail: Any
) -> AuditEntry:
    """Record a read of patient data (HIPAA 164.312(b)): request detail, file, PDF, export, API."""
    return audit_append(
        category=AuditCategory.PHI_ACCESS,
        action=action,
        obj=obj,
        request_reference=request_reference,
        actor_id=getattr(actor, "pk", None),
        actor_email=getattr(actor, "email", ""),
        detail=detail,
    )
