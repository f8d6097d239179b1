"""Webhook sending on the one HTTP transport (`apps.integrations.http`).

2xx is success; 408, 429, 5xx, timeouts and connection errors are worth retrying; any other
status (3xx included: redirects are not followed) means the receiver refused and we give up.
"""

from __future__ import annotations

from dataclasses import dataclass

from apps.integrations import http
from apps.integrations.http import PermanentError, RetryableError, TransportError

__all__ = [
    "HttpTransport",
    "PermanentError",
    "Response",
    "RetryableError",
    "Transport",
    "TransportError",
    "classify",
]

USER_AGENT = "Countersign-Webhooks/1"


@dataclass(frozen=True)
class Response:
    status: int
    elapsed_ms: int


def classify(status: int, elapsed_ms: int) -> Response:
    """Success for 2xx; otherwise the error saying whether to retry."""
    if 200 <= status < 300:
        return Response(status, elapsed_ms)
    if status in http.RETRYABLE_STATUSES or status >= 500:
        raise RetryableError(f"HTTP {status}", status=status, elapsed_ms=elapsed_ms)
    raise PermanentError(f"HTTP {status}", status=status, elapsed_ms=elapsed_ms)


class Transport:
    """Base: `post` returns a Response or raises a TransportError."""

    def post(self, url: str, body: bytes, headers: dict[str, str], *, timeout: float) -> Response:
        raise NotImplementedError


class HttpTransport(Transport):
    def __init__(self, *, allow_private_hosts: bool = False) -> None:
        self.allow_private_hosts = allow_private_hosts

    def post(self, url: str, body: bytes, headers: dict[str, str], *, timeout: float) -> Response:
        answer = http.send(
            "POST",
            url,
            data=body,
            headers={"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers},
            timeout=timeout,
            allow_private_hosts=self.allow_private_hosts,
        )
        return classify(answer.status, answer.elapsed_ms)
