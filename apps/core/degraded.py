"""Parts of the platform that can be missing for a while without failing a request (today: the
Redis cache). Each outage is logged as a warning at most once a minute per part and process,
and counted for /metrics as `countersign_degraded_total{part=...}`. Part of the core foundation:
imports no app."""

from __future__ import annotations

import logging
import threading
import time

logger = logging.getLogger("countersign.degraded")

LOG_EVERY_SECONDS = 60.0

_lock = threading.Lock()
_counts: dict[str, int] = {}
_last_logged: dict[str, float] = {}


def degraded_noted(part: str, error: BaseException) -> None:
    """Record that `part` failed and the caller carried on without it."""
    now = time.monotonic()
    with _lock:
        _counts[part] = _counts.get(part, 0) + 1
        last = _last_logged.get(part)
        should_log = last is None or now - last >= LOG_EVERY_SECONDS
        if should_log:
            _last_logged[part] = now
    if should_log:
        logger.warning("%s is degraded (%s); carrying on without it", part, type(error).__name__)


def degraded_counts() -> dict[str, int]:
    with _lock:
        return dict(_counts)
