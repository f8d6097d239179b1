"""A payer's PAS endpoints over the one outbound transport (`apps.integrations.http`: private
address guard, timeouts, retry-or-give-up errors).

`POST {base}/Claim/$submit` and `POST {base}/Claim/$inquire` with a FHIR JSON Bundle and an
`Idempotency-Key` header; the answer is a ClaimResponse (or a Bundle holding one). Error
messages are written here and name the HTTP status or the failure only, never the payer's body.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings

from apps.integrations import http
from apps.integrations.http import PermanentError, PrivateHostRefused, RetryableError
from apps.integrations.payers.models import Payer

FHIR_JSON = "application/fhir+json"

__all__ = ["PasClient", "PermanentError", "RetryableError", "allow_private_hosts"]


def allow_private_hosts() -> bool:
    """`PAYERS_ALLOW_PRIVATE_HOSTS` (default off): payers on a private network, or the test
    suite's fake payer on loopback."""
    return bool(getattr(settings, "PAYERS_ALLOW_PRIVATE_HOSTS", False))


class PasClient:
    def __init__(self, payer: Payer) -> None:
        self.payer = payer
        self.base_url = payer.base_url.rstrip("/")
        self.headers = {"Accept": FHIR_JSON, "Content-Type": FHIR_JSON}
        credential = payer.credential
        if credential:
            self.headers[payer.auth_header or "Authorization"] = credential

    def submit(self, bundle: dict[str, Any], *, idempotency_key: str) -> dict[str, Any]:
        return self._post("Claim/$submit", bundle, idempotency_key)

    def inquire(self, bundle: dict[str, Any], *, idempotency_key: str) -> dict[str, Any]:
        return self._post("Claim/$inquire", bundle, idempotency_key)

    def _post(self, path: str, bundle: dict[str, Any], key: str) -> dict[str, Any]:
        timeout = float(self.payer.timeout_seconds)
        try:
            response = http.send(
                "POST",
                f"{self.base_url}/{path}",
                data=json.dumps(bundle).encode(),
                headers={**self.headers, "Idempotency-Key": key},
                timeout=timeout,
                allow_private_hosts=allow_private_hosts(),
            )
        except PrivateHostRefused:
            raise PrivateHostRefused(
                "The payer's address is a private or reserved address; set "
                "PAYERS_ALLOW_PRIVATE_HOSTS to allow it."
            ) from None
        except RetryableError as error:
            if "timed out" in error.message:
                raise RetryableError(f"The payer did not answer within {timeout:g} s.") from None
            raise RetryableError("The payer could not be reached (connection failed).") from None
        except PermanentError as error:
            raise PermanentError(f"The payer request failed ({error.message}).") from None
        status = response.status
        if response.retryable:
            raise RetryableError(f"The payer answered HTTP {status}.", status=status)
        if status in (401, 403):
            raise PermanentError(
                f"The payer refused our credentials (HTTP {status}): check them.", status=status
            )
        if status not in (200, 201):
            raise PermanentError(f"The payer refused the claim (HTTP {status}).", status=status)
        try:
            data = json.loads(response.body) if response.body else None
        except (json.JSONDecodeError, ValueError):
            raise RetryableError("The payer answered with a body that is not JSON.") from None
        if not isinstance(data, dict):
            raise PermanentError("The payer answered with JSON that is not a FHIR resource.")
        return data
