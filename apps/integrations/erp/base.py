"""The shared base of ERP connectors: JSON over the one HTTP transport
(`apps.integrations.http`: private-address guard, timeouts, retry-or-give-up errors), and the
small interface every connector implements.

Error messages are written here, never copied from the ERP's response body (which may echo
request data): they name the HTTP status or the network failure only, so they are safe to store
on a posting and show to administrators.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from apps.integrations import http
from apps.integrations.http import PermanentError, PrivateHostRefused, RetryableError

# The transport's errors are the connectors' errors: one vocabulary for every outbound call.
ConnectorError = http.TransportError

__all__ = [
    "BudgetResult",
    "Connector",
    "ConnectorError",
    "NotFoundInErp",
    "PermanentError",
    "PrivateHostRefused",
    "RequisitionResult",
    "RetryableError",
    "Transport",
]


class NotFoundInErp(PermanentError):
    """The ERP has no record for the given key (reconciliation)."""


@dataclass(frozen=True)
class BudgetResult:
    available: bool
    remaining: str | None = None
    currency: str | None = None
    message: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "available": self.available,
            "remaining": self.remaining,
            "currency": self.currency,
            "message": self.message,
        }


@dataclass(frozen=True)
class RequisitionResult:
    external_id: str
    status: str
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.external_id, "status": self.status}


def allow_private_hosts() -> bool:
    """`ERP_ALLOW_PRIVATE_HOSTS` (default off): connectors may call loopback or private
    addresses, e.g. an ERP on the hospital's own network or the test suite's fake ERP."""
    return bool(getattr(settings, "ERP_ALLOW_PRIVATE_HOSTS", False))


class Transport:
    """JSON over HTTP with a timeout; maps every failure to RetryableError or PermanentError."""

    def __init__(self, base_url: str, *, headers: dict[str, str], timeout: float) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = {"Accept": "application/json", **headers}
        self.timeout = timeout

    def request(
        self,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        ok: tuple[int, ...] = (200, 201),
    ) -> tuple[int, dict[str, Any]]:
        url = f"{self.base_url}/{path.lstrip('/')}"
        try:
            response = http.send(
                method,
                url,
                json_body=body,
                params=params,
                headers={**self.headers, **(headers or {})},
                timeout=self.timeout,
                allow_private_hosts=allow_private_hosts(),
            )
        except PrivateHostRefused:
            raise PrivateHostRefused(
                "The ERP address is a private or reserved address; set ERP_ALLOW_PRIVATE_HOSTS "
                "to allow it."
            ) from None
        except RetryableError as error:
            if "timed out" in error.message:
                raise RetryableError(f"The ERP did not answer within {self.timeout:g} s.") from None
            raise RetryableError("The ERP could not be reached (connection failed).") from None
        except PermanentError as error:
            raise PermanentError(f"The ERP request failed ({error.message}).") from None
        status = response.status
        if response.retryable:
            raise RetryableError(f"The ERP answered HTTP {status}.", status=status)
        if status == 404 and 404 not in ok:
            raise NotFoundInErp("The ERP answered HTTP 404 (not found).", status=status)
        if status in (401, 403):
            raise PermanentError(
                f"The ERP refused our credentials (HTTP {status}): check the token.",
                status=status,
            )
        if status not in ok:
            raise PermanentError(f"The ERP refused the request (HTTP {status}).", status=status)
        try:
            data = json.loads(response.body) if response.body else {}
        except (json.JSONDecodeError, ValueError):
            raise RetryableError("The ERP answered with a body that is not JSON.") from None
        if not isinstance(data, dict):
            raise PermanentError("The ERP answered with JSON that is not an object.")
        return status, data


class Connector:
    """What every ERP connector does. `payload` is already mapped from the request's data."""

    def check_budget(self, *, payload: dict[str, Any], idempotency_key: str) -> BudgetResult:
        raise NotImplementedError

    def post_requisition(
        self, *, payload: dict[str, Any], idempotency_key: str
    ) -> RequisitionResult:
        raise NotImplementedError

    def find_requisition(self, *, idempotency_key: str) -> RequisitionResult:
        """The requisition posted with this key; NotFoundInErp when the ERP has none."""
        raise NotImplementedError
