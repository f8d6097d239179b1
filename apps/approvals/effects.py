"""Side effects of a state change (clocks, notifications, outbox events, ERP postings).

Apps register a handler in their AppConfig.ready(); `_persist` calls every handler inside the
same transaction as the state change, in INSTALLED_APPS order. Handlers write rows (timers,
notifications, outbox events) and schedule work with `transaction.on_commit`; they never call
out to the network inside the transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from apps.accounts.models import User
    from apps.approvals.models import ApprovalRequest, Task
    from apps.workflows import engine


@dataclass(frozen=True)
class StateChange:
    """Everything a handler needs to know about one applied engine outcome."""

    request: ApprovalRequest
    spec: engine.WorkflowSpec
    event: engine.Event
    effects: Sequence[engine.Effect]
    actor: User | None
    now: datetime
    known_tasks: Mapping[str, Task] | None = None  # as persisted, when the caller held them

    @cached_property
    def tasks(self) -> dict[str, Task]:
        """The request's tasks by key as persisted by this change (with their queue role),
        read once and shared by the handlers that need them (not at all when the service
        handed them over)."""
        from apps.approvals.models import Task

        if self.known_tasks is not None:
            return dict(self.known_tasks)
        return {
            task.key: task
            for task in Task.objects.filter(request=self.request).select_related("queue_role")
        }


EffectHandler = Callable[[StateChange], None]
_handlers: list[tuple[str, EffectHandler]] = []


def register(name: str, handler: EffectHandler) -> None:
    """Register `handler` once under `name` (re-registering replaces it)."""
    for index, (existing, _) in enumerate(_handlers):
        if existing == name:
            _handlers[index] = (name, handler)
            return
    _handlers.append((name, handler))


def registered() -> list[str]:
    return [name for name, _ in _handlers]


def dispatch(change: StateChange) -> None:
    for _, handler in _handlers:
        handler(change)
