"""Walking a schema's audit chain and naming the first broken link."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from auditlog.models import LogEntry

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


def _batches(batch: int) -> Iterator[tuple[list[dict[str, Any]], dict[int, Any]]]:
    """Entries in sequence order, a page at a time, with the auditlog changes each page refers
    to (two queries per page, whatever the page holds)."""
    fields = [f.name for f in AuditEntry._meta.fields]
    after = -1
    while True:
        page = list(
            AuditEntry.objects.filter(sequence__gt=after)
            .order_by("sequence")
            .values(*fields)[:batch]
        )
        if not page:
            return
        ids = {e["detail"].get("log_entry") for e in page if isinstance(e["detail"], dict)}
        ids.discard(None)
        changes = dict(LogEntry.objects.filter(pk__in=ids).values_list("pk", "changes"))
        yield page, changes
        after = page[-1]["sequence"]


def chain_verify(*, batch: int = 2000) -> ChainReport:
    """Recompute every entry's hash in sequence order (and the digest of the auditlog change
    each one fingerprints); report the first entry that does not match."""
    previous = GENESIS
    expected_sequence = None
    count = 0
    for page, changes_by_id in _batches(batch):
        report, previous, expected_sequence, count = _check_page(
            page, changes_by_id, previous, expected_sequence, count
        )
        if report is not None:
            return report
    return ChainReport(count)


def _check_page(
    page: list[dict[str, Any]],
    changes_by_id: dict[int, Any],
    previous: str,
    expected_sequence: int | None,
    count: int,
) -> tuple[ChainReport | None, str, int | None, int]:
    for entry in page:
        count += 1
        if count == 1 and (entry["sequence"] != 1 or entry["prev_hash"] != GENESIS):
            # The oldest entries were purged after their retention: the chain may start where
            # a signed checkpoint says the purge stopped.
            if not _purge_checkpoint_covers(entry["sequence"], entry["prev_hash"]):
                reason = (
                    "entries before it are missing and no signed purge checkpoint accounts for them"
                )
                return ChainReport(count, entry["sequence"], reason), previous, None, count
            previous = entry["prev_hash"]
        broken = _entry_problem(entry, changes_by_id, previous, expected_sequence)
        if broken is not None:
            at, reason = broken
            return ChainReport(count, at, reason), previous, expected_sequence, count
        previous = entry["hash"]
        expected_sequence = entry["sequence"] + 1
    return None, previous, expected_sequence, count


def _entry_problem(
    entry: dict[str, Any],
    changes_by_id: dict[int, Any],
    previous: str,
    expected_sequence: int | None,
) -> tuple[int, str] | None:
    if expected_sequence is not None and entry["sequence"] != expected_sequence:
        return expected_sequence, "an entry is missing before this one"
    if entry["prev_hash"] != previous:
        return entry["sequence"], "it does not follow the entry before it"
    if entry_hash(entry) != entry["hash"]:
        return entry["sequence"], "its content was changed"
    problem = logentry_problem(entry, changes_by_id)
    return (entry["sequence"], problem) if problem else None


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
