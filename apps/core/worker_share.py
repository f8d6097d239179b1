"""The worker's share of a transaction, sent as one Celery task.

A decision used to send two tasks after its commit (the outbox fan-out and the email), and
Celery's own cost per task (publish in the web process; receive, context switch and
acknowledge in the worker) was larger than the work. Services now name the rows the worker
must act on with `worker_later(kind, ids)` inside their transaction; when it commits, one task
(`core.worker_share`) carries every kind's ids, and the worker runs each kind's handler in turn.

Each kind registers a handler and a fallback (`worker_kind`, from its app's `ready()`): when the
handler raises — an SMTP server that answered 4xx — the fallback sends the kind's own task for
those ids, which retries with its backoff. Nothing is lost on the way: the rows are committed
before the task is sent, handlers skip rows already done (so a second run is harmless), and the
apps' sweeps (stale emails, undispatched outbox events) pick up what a broker outage or a worker
crash left behind.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction

from apps.core.actions import Channel, SystemActor, current_origin, entry

logger = logging.getLogger(__name__)

Handler = Callable[[list[Any]], object]


@dataclass(frozen=True)
class WorkerKind:
    run: Handler  # in the worker, in the tenant's schema
    fallback: Handler  # in the worker, when `run` raised: send the kind's own (retrying) task
    order: int  # lower runs first
    actor: str  # the system actor its audit entries name (the kind's own task's name)


_kinds: dict[str, WorkerKind] = {}


def worker_kind(
    name: str, *, run: Handler, fallback: Handler, actor: str, order: int = 100
) -> None:
    """Register what the worker does with the ids named under `name`; kinds of lower `order`
    run first (database-only work before work that waits on the network). `actor`: the system
    actor of its audit entries, the same as when its own task runs it."""
    _kinds[name] = WorkerKind(run=run, fallback=fallback, order=order, actor=actor)


@dataclass
class _Share:
    work: dict[str, list[Any]] = field(default_factory=dict)
    sent: bool = False

    def send(self) -> None:
        from apps.core.tasks import worker_share

        self.sent = True  # a later call starts a new share (tests run callbacks early)
        try:
            worker_share.apply_async((self.work,), retry=False)
        except Exception as error:  # the broker is down: the apps' sweeps send the rows later
            logger.warning(
                "worker share not sent (%s): %s", sorted(self.work), type(error).__name__
            )


def worker_later(kind: str, ids: Iterable[Any]) -> None:
    """Have the worker run `kind`'s handler for `ids` once the current transaction commits
    (at once outside a transaction). Every call of one transaction goes in the same task."""
    ids = list(ids)
    if not ids:
        return
    if kind not in _kinds:
        raise LookupError(f"No worker handler is registered for {kind!r}.")
    share = _open_share()
    share.work.setdefault(kind, []).extend(ids)


def _open_share() -> _Share:
    """The share of the current transaction: the one whose send is still waiting for this
    transaction's commit (a rolled-back transaction's callbacks are gone, and so is its share)."""
    if connection.in_atomic_block:
        for entry in connection.run_on_commit:  # (savepoint ids, callback, robust)
            owner = getattr(entry[1], "__self__", None)
            if isinstance(owner, _Share) and not owner.sent:
                return owner
    share = _Share()
    transaction.on_commit(share.send, robust=True)
    return share


def worker_share_run(work: dict[str, list[Any]]) -> dict[str, int]:
    """In the worker: each kind's handler on its ids; a kind whose handler raised is handed to
    its fallback (and logged without the rows' content). Returns ids handled per kind."""
    done: dict[str, int] = {}
    for name, kind in sorted(_kinds.items(), key=lambda item: item[1].order):
        ids = work.get(name)
        if not ids:
            continue
        try:
            with entry(
                Channel.WORKER,
                request_id=current_origin().request_id,
                system_actor=SystemActor(kind.actor),
            ):
                kind.run(ids)
        except Exception as error:
            logger.warning(
                "worker share: %s for %d row(s) handed to its own task (%s)",
                name,
                len(ids),
                type(error).__name__,
            )
            kind.fallback(ids)
        else:
            done[name] = len(ids)
    unknown = sorted(set(work) - set(_kinds))
    if unknown:
        logger.error("worker share: no handler for %s", unknown)
    return done
