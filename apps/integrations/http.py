"""The one HTTP transport of every outbound call (webhooks, ERP connectors, anything later).

- Private-address guard: unless the caller allows private hosts (a documented setting per use),
  a host that resolves to a loopback, private, link-local (169.254.0.0/16: cloud metadata),
  reserved or multicast address is refused before connecting.
- Timeouts on connect and read; redirects are never followed (a 3xx comes back as its status).
- One error vocabulary: every failure is a `TransportError` whose `retry` says whether trying
  again later may succeed (`RetryableError`: network failure, timeout, 408/425/429/5xx) or not
  (`PermanentError`). Messages name the status or the failure only, never the response body
  (it could echo our data back), so they are safe to store and show.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

RETRYABLE_STATUSES = frozenset({408, 425, 429})
MAX_BODY_BYTES = 1024 * 1024


class TransportError(Exception):
    """A failed call. `retry` says whether trying again later may succeed."""

    retry = False

    def __init__(
        self, message: str, *, status: int | None = None, elapsed_ms: int | None = None
    ) -> None:
        super().__init__(message[:300])
        self.message = message[:300]
        self.status = status
        self.elapsed_ms = elapsed_ms


class RetryableError(TransportError):
    retry = True


class PermanentError(TransportError):
    retry = False


class PrivateHostRefused(PermanentError):
    """The host resolves to a private or reserved address and private hosts are not allowed."""


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    elapsed_ms: int

    @property
    def retryable(self) -> bool:
        return self.status in RETRYABLE_STATUSES or self.status >= 500


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return ip.is_global and not ip.is_multicast


def check_host_is_public(url: str) -> None:
    """Refuse hosts that resolve to private, loopback, link-local or reserved addresses."""
    host = urlsplit(url).hostname or ""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError as error:
        raise RetryableError(f"cannot resolve host ({error.__class__.__name__})") from None
    if not infos or not all(is_public_address(str(info[4][0])) for info in infos):
        raise PrivateHostRefused("host resolves to a private or reserved address")


def send(
    method: str,
    url: str,
    *,
    timeout: float,
    allow_private_hosts: bool,
    headers: dict[str, str] | None = None,
    data: bytes | None = None,
    json_body: dict[str, Any] | None = None,
    params: dict[str, str] | None = None,
) -> Response:
    """Send one request; any status comes back as a Response, every failure as an error."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise PermanentError("only http and https URLs are allowed")
    if not allow_private_hosts:
        check_host_is_public(url)
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        with requests.request(
            method,
            url,
            data=data,
            json=json_body,
            params=params,
            headers=headers,
            timeout=timeout,
            allow_redirects=False,
            stream=True,
        ) as response:
            body = response.raw.read(MAX_BODY_BYTES, decode_content=True) or b""
            return Response(response.status_code, body, elapsed())
    except requests.Timeout:
        raise RetryableError(f"timed out after {timeout:g} s", elapsed_ms=elapsed()) from None
    except requests.ConnectionError as error:
        name = error.__class__.__name__
        raise RetryableError(f"connection error ({name})", elapsed_ms=elapsed()) from None
    except requests.RequestException as error:
        name = error.__class__.__name__
        raise PermanentError(f"request failed ({name})", elapsed_ms=elapsed()) from None
