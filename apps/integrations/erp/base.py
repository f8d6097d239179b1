"""The shared base of ERP connectors: an HTTP transport whose errors say retry or give up,
and the small interface every connector implements.

Error messages are written here, never copied from the ERP's response body (which may echo
request data): they name the HTTP status or the network failure only, so they are safe to store
on a posting and show to administrators.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import requests


class ConnectorError(Exception):
    """Base of connector errors; `message` is safe to store (no PHI, no payload)."""

    retry = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message[:300]


class RetryableError(ConnectorError):
    """Try again later: network failure, timeout, 429, 5xx."""

    retry = True


class PermanentError(ConnectorError):
    """Give up: the ERP refused the request (4xx other than 408/409/429) or it is misconfigured."""


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


RETRYABLE_STATUSES = {408, 425, 429, 500, 502, 503, 504}


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
            response = requests.request(
                method,
                url,
                json=body,
                params=params,
                headers={**self.headers, **(headers or {})},
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.Timeout:
            raise RetryableError(f"The ERP did not answer within {self.timeout:g} s.") from None
        except requests.ConnectionError:
            raise RetryableError("The ERP could not be reached (connection failed).") from None
        except requests.RequestException as error:
            raise PermanentError(f"The ERP request failed ({error.__class__.__name__}).") from None
        if response.status_code in RETRYABLE_STATUSES:
            raise RetryableError(f"The ERP answered HTTP {response.status_code}.")
        if response.status_code == 404 and 404 not in ok:
            raise NotFoundInErp("The ERP answered HTTP 404 (not found).")
        if response.status_code in (401, 403):
            raise PermanentError(
                f"The ERP refused our credentials (HTTP {response.status_code}): check the token."
            )
        if response.status_code not in ok:
            raise PermanentError(f"The ERP refused the request (HTTP {response.status_code}).")
        try:
            data = response.json() if response.content else {}
        except (json.JSONDecodeError, ValueError):
            raise RetryableError("The ERP answered with a body that is not JSON.") from None
        if not isinstance(data, dict):
            raise PermanentError("The ERP answered with JSON that is not an object.")
        return response.status_code, data


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
