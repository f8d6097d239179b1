"""Walking a schema's audit chain and naming the first broken link."""

from __future__ import annotations

from dataclasses import dataclass

from apps.audit.chain import GENESIS, entry_hash
from apps.audit.models import AuditEntry
from apps.audit.registration import logentry_problem


@dataclass(frozen=True)
class ChainReport:
    entries: int
    broken_at: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def chain_verify(*, batch: int = 2000) -> ChainReport:
    """Recompute every entry's hash in sequence order (and the digest of the auditlog change
    each one fingerprints); report the first entry that does not match."""
    previous = GENESIS
    expected_sequence = None
    count = 0
    fields = [f.name for f in AuditEntry._meta.fields]
    for entry in AuditEntry.objects.order_by("sequence").values(*fields).iterator(batch):
        count += 1
        if count == 1 and (entry["sequence"] != 1 or entry["prev_hash"] != GENESIS):
            # The oldest entries were purged after their retention: the chain may start where
            # a signed checkpoint says the purge stopped.
            if not _purge_checkpoint_covers(entry["sequence"], entry["prev_hash"]):
                return ChainReport(
                    count,
                    entry["sequence"],
                    "entries before it are missing and no signed purge "
                    "checkpoint accounts for them",
                )
            previous = entry["prev_hash"]
        if expected_sequence is not None and entry["sequence"] != expected_sequence:
            return ChainReport(count, expected_sequence, "an entry is missing before this one")
        if entry["prev_hash"] != previous:
            return ChainReport(count, entry["sequence"], "it does not follow the entry before it")
        if entry_hash(entry) != entry["hash"]:
            return ChainReport(count, entry["sequence"], "its content was changed")
        problem = logentry_problem(entry)
        if problem:
            return ChainReport(count, entry["sequence"], problem)
        previous = entry["hash"]
        expected_sequence = entry["sequence"] + 1
    return ChainReport(count)


def _purge_checkpoint_covers(first_sequence: int, prev_hash: str) -> bool:
    import hmac

    from apps.audit.retention import CHECKPOINT_ACTION, checkpoint_signature

    through = first_sequence - 1
    for detail in AuditEntry.objects.filter(
        action=CHECKPOINT_ACTION, detail__purged_through=through
    ).values_list("detail", flat=True):
        if detail.get("purged_hash") == prev_hash and hmac.compare_digest(
            str(detail.get("signature", "")), checkpoint_signature(through, prev_hash)
        ):
            return True
    return False
