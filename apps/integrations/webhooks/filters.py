"""Event type filters: exact types (`request.approved`), prefixes (`request.*`) and `*`."""

from __future__ import annotations

import re
from collections.abc import Iterable

# A pattern is dot-separated words; a `*` stands for one or more whole words at the end.
PATTERN_RE = re.compile(r"^(\*|[a-z][a-z_]*(\.[a-z][a-z_]*)*(\.\*)?)$")


def is_valid_pattern(pattern: str) -> bool:
    return bool(PATTERN_RE.match(pattern))


def matches(pattern: str, event_type: str) -> bool:
    if pattern == "*":
        return True
    if pattern.endswith(".*"):
        return event_type.startswith(pattern[:-1])  # keeps the dot: "request." not "requests"
    return pattern == event_type


def matches_any(patterns: Iterable[str], event_type: str) -> bool:
    return any(matches(pattern, event_type) for pattern in patterns)
