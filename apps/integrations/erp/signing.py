"""HMAC-SHA256 signatures of inbound callbacks.

Header: `Countersign-Signature: t=<unix seconds>,v1=<hex>` where v1 is
HMAC-SHA256(secret, f"{t}.{body}"). Several v1 values may be sent (during secret rotation);
one must match. The timestamp must be within TOLERANCE_SECONDS of our clock (replay window).
"""

from __future__ import annotations

import hashlib
import hmac

from apps.integrations.erp.exceptions import BadSignature

HEADER = "Countersign-Signature"
TOLERANCE_SECONDS = 300


def sign(secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, body: bytes, header: str, *, now: float) -> None:
    """Raise BadSignature unless `header` is a fresh, valid signature of `body`."""
    if not header:
        raise BadSignature(f"The {HEADER} header is missing.", code="missing_signature")
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and value:
            candidates.append(value.strip().lower())
    if timestamp is None or not candidates:
        raise BadSignature(f"The {HEADER} header must be t=<unix>,v1=<hex>.")
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        raise BadSignature(
            "The signature timestamp is outside the 5-minute tolerance.", code="stale_signature"
        )
    expected = sign(secret, body, timestamp).split("v1=", 1)[1]
    if not any(hmac.compare_digest(expected, candidate) for candidate in candidates):
        raise BadSignature("The signature does not match the body.")
