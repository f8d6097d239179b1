"""Per-key throttling (per person for browser sessions). The rate comes from
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["api_key"] and is read on every request.

The counts live in the Redis cache. When Redis cannot be reached the throttle fails open to a
per-process sliding window with the same rate (a floor, not the shared limit: each process
counts on its own), logs a warning and counts the outage for /metrics; it never fails the
request."""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from typing import Any

from django.db import connection
from redis.exceptions import RedisError
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from apps.api.models import ApiKey
from apps.core.degraded import degraded_noted

CACHE_ERRORS = (RedisError, OSError)


class LocalWindow:
    """An in-process sliding window per key, bounded in the number of keys it remembers."""

    def __init__(self, max_keys: int = 10_000) -> None:
        self.max_keys = max_keys
        self._lock = threading.Lock()
        self._history: OrderedDict[str, deque[float]] = OrderedDict()

    def hit(self, key: str, *, limit: int, duration: float, now: float) -> list[float] | None:
        """Count a request; None when it is allowed, else the window's history (newest first)."""
        with self._lock:
            history = self._history.pop(key, None) or deque()
            while history and history[-1] <= now - duration:
                history.pop()
            allowed = len(history) < limit
            if allowed:
                history.appendleft(now)
            self._history[key] = history
            while len(self._history) > self.max_keys:
                self._history.popitem(last=False)
            return None if allowed else list(history)

    def clear(self) -> None:
        with self._lock:
            self._history.clear()


local_window = LocalWindow()


class ApiKeyRateThrottle(SimpleRateThrottle):
    scope = "api_key"

    def __init__(self) -> None:  # the rate is looked up per request, so tests can change it
        pass

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)  # type: ignore[return-value]  # rates are strings

    def allow_request(self, request: Request, view: Any) -> bool:
        self.rate = self.get_rate()
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        try:
            return super().allow_request(request, view)
        except CACHE_ERRORS as error:
            degraded_noted("cache", error)
            return self._allow_locally(request, view)

    def _allow_locally(self, request: Request, view: Any) -> bool:
        key = self.get_cache_key(request, view)
        if key is None or self.num_requests is None or self.duration is None:
            return True
        key = f"{connection.schema_name}:{key}"  # type: ignore[attr-defined]  # django-tenants' connection; ids repeat across tenants
        self.now = self.timer()
        refused = local_window.hit(
            key, limit=self.num_requests, duration=self.duration, now=self.now
        )
        if refused is None:
            return True
        self.history = refused  # for wait(): Retry-After from the oldest request in the window
        return False

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if isinstance(request.auth, ApiKey):
            ident = f"key:{request.auth.prefix}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"ip:{self.get_ident(request)}"
        # The cache's key function adds the tenant's schema name.
        return self.cache_format % {"scope": self.scope, "ident": ident}
