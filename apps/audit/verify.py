"""Walking a schema's audit chain and naming the first broken link; comparing it with the stored
chain head and the newest signed checkpoint (`apps.audit.checkpoints`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from auditlog.models import LogEntry

from apps.audit.chain import GENESIS, entry_hash
from apps.audit.checkpoints import Checkpoint, checkpoint_latest, checkpoint_problems
from apps.audit.models import AuditChainHead, AuditEntry
from apps.audit.registration import logentry_problem


@dataclass(frozen=True)
class ChainReport:
    entries: int
    broken_at: int | None = None
    reason: str = ""
    last_sequence: int = 0  # of the last entry walked (0: none)
    last_hash: str = GENESIS

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
    last = expected_sequence - 1 if expected_sequence is not None else 0
    return ChainReport(count, last_sequence=last, last_hash=previous)


def head_problem(report: ChainReport) -> str | None:
    """How the stored chain head disagrees with the last entry of an intact chain, in words."""
    head = AuditChainHead.objects.filter(pk=1).values_list("last_sequence", "last_hash").first()
    last = report.last_sequence
    if head is None:
        return "the chain head is missing" if report.entries else None
    sequence, head_hash = head
    if sequence > last:
        return f"entries after #{last} are missing; the chain head is at #{sequence}"
    if sequence < last:
        return f"the chain head (#{sequence}) is behind the last entry #{last}"
    if head_hash != report.last_hash:
        return f"the chain head does not match entry #{last}"
    return None


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


@dataclass(frozen=True)
class TrailReport:
    """A schema's chain checked link by link, against its head and its newest checkpoint."""

    chain: ChainReport
    problems: tuple[str, ...] = ()
    checkpoint: Checkpoint | None = None

    @property
    def ok(self) -> bool:
        return self.chain.ok and not self.problems


def trail_verify(*, schema: str, every_checkpoint: bool = False, batch: int = 2000) -> TrailReport:
    """`chain_verify`, then the head and the newest checkpoint whose signature verifies (with
    `every_checkpoint`, every checkpoint file's signature)."""
    chain = chain_verify(batch=batch)
    problems: list[str] = []
    if chain.ok:
        problem = head_problem(chain)
        if problem:
            problems.append(problem)
    latest, unreadable = checkpoint_latest(schema, every=every_checkpoint)
    problems.extend(found.problem for found in unreadable)
    if latest is not None and chain.ok:
        first = AuditEntry.objects.order_by("sequence").values_list("sequence", flat=True).first()
        problems.extend(
            checkpoint_problems(latest, last_sequence=chain.last_sequence, first_sequence=first)
        )
    return TrailReport(chain, tuple(problems), latest)
