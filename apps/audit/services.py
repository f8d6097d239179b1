"""Writing to the audit trail. Every write appends one hash-chained entry in the caller's
transaction (the chain head row is locked until that transaction ends).

Inside `audit_batch()` (each approvals service wraps its transaction in one) the entries are
collected and added to the chain together when the batch ends, just before the transaction
commits: the tenant's chain head is then locked for a few inserts, not from the first audited
write of a decision to its commit, which used to make a tenant's decisions run one at a time."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from auditlog.models import LogEntry
from django.db import connection, models, transaction
from django.utils import timezone

from apps.audit.chain import entry_hash
from apps.audit.models import AuditCategory, AuditEntry
from apps.core.actions import context_for, current_action


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
    log_entry: LogEntry | None = None,
) -> AuditEntry:
    """Append one entry. Actor, channel, IP, request id and support session come from the
    current action (`apps.core.actions`); outside one, from the entry point's system actor.
    An explicit `actor_id` / `actor_email` (sign-in events) wins.
    `log_entry`: the unsaved django-auditlog row this entry fingerprints (its id goes into
    `detail["log_entry"]`); inside a batch it is inserted with the batch's other rows."""
    context = current_action() or context_for(None)
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
    values: dict[str, Any] = {
        "at": timezone.now(),
        "category": category,
        "action": action,
        "actor_id": actor_id if actor_id is not None else context.actor_id,
        "actor_email": actor_email if actor_email else context.actor_email,
        "object_type": object_type,
        "object_id": object_id,
        "object_repr": object_repr[:200],
        "request_reference": request_reference,
        "ip": context.ip,
        "request_id": context.request_id,
        "channel": context.channel,
        "support_session": context.support_session,
        "detail": detail or {},
    }
    pending = _batch.get()
    if pending is not None:
        pending.entries.append(values)
        if log_entry is not None:
            if _schema() == pending.schema and _depth() == pending.depth:
                pending.log_entries.append((log_entry, values))
            else:  # in another schema (tenant creation) or in a savepoint that may roll back: now
                log_entry.save()
                values["detail"]["log_entry"] = log_entry.pk
        return AuditEntry(**values)  # not in the chain yet: it gets its place when the batch ends
    if log_entry is not None:
        log_entry.save()
        values["detail"]["log_entry"] = log_entry.pk
    return _chain([values])[0]


def _schema() -> str:
    return str(getattr(connection, "schema_name", ""))


def _depth() -> int:
    return len(connection.savepoint_ids)


@dataclass
class _Batch:
    schema: str = field(default_factory=_schema)  # where the batch's rows are written
    depth: int = field(default_factory=_depth)  # savepoints open when the batch began
    entries: list[dict[str, Any]] = field(default_factory=list)
    # django-auditlog rows to insert together, each with the entry that refers to it
    log_entries: list[tuple[LogEntry, dict[str, Any]]] = field(default_factory=list)


_batch: ContextVar[_Batch | None] = ContextVar("audit_batch", default=None)


@contextmanager
def audit_batch() -> Iterator[None]:
    """Collect the entries appended inside and chain them together at the end (use it inside
    the transaction, `with transaction.atomic(), audit_batch():`, so they commit with it): the
    action's django-auditlog rows in one multi-row INSERT, then its chain entries in another.
    A batch inside a batch belongs to the outer one; on an error nothing is written (the
    transaction rolls back anyway)."""
    if _batch.get() is not None:
        yield
        return
    pending = _Batch()
    token = _batch.set(pending)
    try:
        yield
    finally:
        _batch.reset(token)
    if pending.log_entries:
        rows = [row for row, _ in pending.log_entries]
        LogEntry.objects.bulk_create(rows)  # PostgreSQL returns their ids
        for row, values in pending.log_entries:
            values["detail"]["log_entry"] = row.pk
    if pending.entries:
        _chain(pending.entries)


# Appends to one schema's chain take this advisory lock (per schema) for the transaction.
_CHAIN_LOCK_CLASS = 0x617564  # "aud"


def _chain(entries: list[dict[str, Any]]) -> list[AuditEntry]:
    """Give the entries their places at the head of the tenant's chain, under the chain's lock.
    The database moves the head (a trigger that also refuses entries that do not continue it)."""
    with transaction.atomic(savepoint=False):  # in a caller's transaction: no savepoint needed
        with connection.cursor() as cursor:  # the lock, then the head: one statement
            cursor.execute(
                "SELECT * FROM public.countersign_audit_head_lock(%s)", [_CHAIN_LOCK_CLASS]
            )
            last_sequence, last_hash = cursor.fetchone() or (0, "0" * 64)
        rows = []
        for values in entries:
            values = {**values, "sequence": last_sequence + 1, "prev_hash": last_hash}
            values["hash"] = entry_hash(values)
            rows.append(AuditEntry(**values))
            last_sequence, last_hash = values["sequence"], values["hash"]
        AuditEntry.objects.bulk_create(rows)
    return rows


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
