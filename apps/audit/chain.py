"""Hashing of audit entries: canonical JSON of the content, chained to the previous hash."""

import hashlib
import json
from typing import Any

GENESIS = "0" * 64
HASHED_FIELDS = (
    "sequence", "at", "category", "action", "actor_id", "actor_email", "object_type",
    "object_id", "object_repr", "request_reference", "ip", "request_id", "support_session",
    "detail", "prev_hash",
)  # fmt: skip


def entry_hash(values: dict[str, Any]) -> str:
    content = {name: values.get(name) for name in HASHED_FIELDS}
    # Added after the first entries were chained: hashed only when set, so older entries
    # still verify.
    if values.get("channel"):
        content["channel"] = values["channel"]
    if hasattr(content["at"], "isoformat"):
        content["at"] = content["at"].isoformat()  # type: ignore[union-attr]  # hasattr checked
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def digest(value: Any) -> str:
    """SHA-256 of any JSON-able value (used to fingerprint changes without storing them)."""
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()
