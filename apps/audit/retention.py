"""Purging audit entries past the retention period, leaving a signed checkpoint so the rest of
the chain still verifies (`chain_verify` starts from it).

Only a leading run of the chain is ever removed: entries older than the cut-off up to the first
newer one. The audit table's triggers refuse DELETE; the purge switches them off for its own
transaction only (`SET LOCAL session_replication_role = replica`), which needs a superuser or
the table owner: in production run `audit_purge` as the migration/owner role.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date, datetime, time

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import InternalError, ProgrammingError, connection, transaction
from django.utils import timezone

from apps.audit.models import AuditCategory, AuditEntry
from apps.audit.services import audit_append
from apps.core.actions import action

MINIMUM_RETENTION_YEARS = 6
CHECKPOINT_ACTION = "audit.purge"


class RetentionError(Exception):
    pass


@dataclass(frozen=True)
class PurgeResult:
    purged: int
    through_sequence: int | None
    checkpoint: AuditEntry


def retention_years() -> int:
    return max(MINIMUM_RETENTION_YEARS, int(getattr(settings, "AUDIT_RETENTION_YEARS", 0) or 0))


def earliest_allowed_cutoff(now: datetime | None = None) -> date:
    """The newest `--before` date allowed: today minus the retention period."""
    today = timezone.localdate(now or timezone.now())
    cutoff: date = today - relativedelta(years=retention_years())
    return cutoff


def checkpoint_signature(sequence: int, entry_hash: str) -> str:
    """HMAC (SECRET_KEY) over the last purged entry's sequence and hash."""
    message = f"{sequence}:{entry_hash}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def audit_purge(*, before: date, actor_email: str = "") -> PurgeResult:
    """Delete the leading entries of the current schema's chain dated before `before` and
    append a signed checkpoint naming the last one removed. Refuses dates inside retention."""
    if before > earliest_allowed_cutoff():
        raise RetentionError(
            f"Audit entries are kept {retention_years()} years: --before must be "
            f"{earliest_allowed_cutoff().isoformat()} or earlier."
        )
    cutoff = timezone.make_aware(datetime.combine(before, time.min))
    with action(actor=None):
        # The chain head is locked first so no entry is appended while we cut.
        audit_append(
            category=AuditCategory.SECURITY,
            action="audit.purge_started",
            actor_id=None,
            actor_email=actor_email,
            detail={"before": before.isoformat()},
        )
        first_kept = (
            AuditEntry.objects.filter(at__gte=cutoff).order_by("sequence").first()
        )  # never None: the entry just appended is newer
        assert first_kept is not None
        doomed = AuditEntry.objects.filter(sequence__lt=first_kept.sequence)
        count = doomed.count()
        last = doomed.order_by("-sequence").values_list("sequence", "hash").first()
        if last is not None:
            _delete_before(first_kept.sequence)
        detail: dict[str, object] = {"before": before.isoformat(), "purged": count}
        if last is not None:
            detail |= {
                "purged_through": last[0],
                "purged_hash": last[1],
                "signature": checkpoint_signature(last[0], last[1]),
            }
        checkpoint = audit_append(
            category=AuditCategory.SECURITY,
            action=CHECKPOINT_ACTION,
            actor_id=None,
            actor_email=actor_email,
            detail=detail,
        )
    return PurgeResult(count, last[0] if last else None, checkpoint)


def _delete_before(sequence: int) -> None:
    """Delete the entries before `sequence`: only the owner role may lift the append-only
    trigger, for this transaction (the application role cannot; manage.py connects
    `audit_purge` as the owner)."""
    with connection.cursor() as cursor:
        try:
            with transaction.atomic():
                cursor.execute(
                    "ALTER TABLE audit_auditentry DISABLE TRIGGER audit_auditentry_append_only"
                )
        except (ProgrammingError, InternalError) as refused:
            raise RetentionError(
                "Purging audit entries needs the database owner role: run `manage.py audit_purge` "
                f"with DATABASE_OWNER_URL set ({refused})."
            ) from None
        cursor.execute("DELETE FROM audit_auditentry WHERE sequence < %s", [sequence])
        cursor.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER audit_auditentry_append_only")
