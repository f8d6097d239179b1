"""HTTP transport for webhooks, on a small base whose errors say whether to retry.

2xx is success; 408, 429, 5xx, timeouts and connection errors are worth retrying; any other
status (3xx included: redirects are not followed) means the receiver refused and we give up.
Error messages carry the status or error class only, never the response body (it could echo
data back to us).
"""

from __future__ import annotations

import ipaddress
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

RETRYABLE_STATUSES = frozenset({408, 429})
USER_AGENT = "Countersign-Webhooks/1"


class TransportError(Exception):
    """A failed send. `retry` says whether trying again later may succeed."""

    retry = False

    def __init__(
        self, message: str, *, status: int | None = None, elapsed_ms: int | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.elapsed_ms = elapsed_ms


class RetryableError(TransportError):
    retry = True


class PermanentError(TransportError):
    retry = False


@dataclass(frozen=True)
class Response:
    status: int
    elapsed_ms: int


def classify(status: int, elapsed_ms: int) -> Response:
    """Success for 2xx; otherwise the error saying whether to retry."""
    if 200 <= status < 300:
        return Response(status, elapsed_ms)
    if status in RETRYABLE_STATUSES or status >= 500:
        raise RetryableError(f"HTTP {status}", status=status, elapsed_ms=elapsed_ms)
    raise PermanentError(f"HTTP {status}", status=status, elapsed_ms=elapsed_ms)


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
        raise PermanentError("host resolves to a private or reserved address")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # a 3xx comes back as an HTTPError and is classified like any status


class Transport:
    """Base: `post` returns a Response or raises a TransportError."""

    def post(self, url: str, body: bytes, headers: dict[str, str], *, timeout: float) -> Response:
        raise NotImplementedError


class UrllibTransport(Transport):
    def __init__(self, *, allow_private_hosts: bool = False) -> None:
        self.allow_private_hosts = allow_private_hosts
        self.opener = urllib.request.build_opener(_NoRedirects)

    def post(self, url: str, body: bytes, headers: dict[str, str], *, timeout: float) -> Response:
        if not self.allow_private_hosts:
            check_host_is_public(url)
        # Only http(s) URLs are saved (services.clean_url), so no file: or custom schemes.
        request = urllib.request.Request(  # noqa: S310
            url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers},
        )
        started = time.monotonic()

        def elapsed() -> int:
            return int((time.monotonic() - started) * 1000)

        try:
            with self.opener.open(request, timeout=timeout) as response:
                response.read(64 * 1024)
                return classify(response.status, elapsed())
        except urllib.error.HTTPError as error:
            error.close()
            return classify(error.code, elapsed())
        except TimeoutError:
            raise RetryableError("timed out", elapsed_ms=elapsed()) from None
        except urllib.error.URLError as error:
            reason = error.reason
            if isinstance(reason, TimeoutError | socket.timeout):
                raise RetryableError("timed out", elapsed_ms=elapsed()) from None
            name = reason.__class__.__name__ if isinstance(reason, BaseException) else "URLError"
            raise RetryableError(f"connection error ({name})", elapsed_ms=elapsed()) from None
        except (ConnectionError, OSError) as error:
            raise RetryableError(
                f"connection error ({error.__class__.__name__})", elapsed_ms=elapsed()
            ) from None
