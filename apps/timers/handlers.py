"""Who fires which timers: apps register a handler per object kind in AppConfig.ready()."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime

    from apps.timers.models import Timer

# A handler runs inside the transaction that holds the timer row lock, in the tenant's schema.
# It returns nothing; raising rolls the firing back and the timer is retried after its lease.
TimerHandler = Callable[["Timer", "datetime"], None]
_handlers: dict[str, TimerHandler] = {}


def register(object_kind: str, handler: TimerHandler) -> None:
    _handlers[object_kind] = handler


def handler_for(object_kind: str) -> TimerHandler | None:
    return _handlers.get(object_kind)
