"""Absolute links to the platform's hosts, and links to every row of a list with one `reverse`
(for paths that differ only in one segment: reversing once per row was a noticeable part of a
list page, docs/benchmarks.md)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from django.conf import settings
from django.urls import reverse
from django.utils.http import RFC3986_SUBDELIMS

_MARKER = "__segment__"


def host_url(host: str) -> str:
    """`<SITE_SCHEME>://<host>[:SITE_PORT]`: how people and systems outside reach a host of the
    platform (https and the default port in production). Emails and webhook payloads use it."""
    scheme = getattr(settings, "SITE_SCHEME", "https")
    port = getattr(settings, "SITE_PORT", None)
    return f"{scheme}://{host}{f':{port}' if port else ''}"


def path_for_each(view_name: str) -> Callable[[str], str]:
    """`lambda value: reverse(view_name, args=[value])` at the cost of one `reverse`, for a
    URL pattern whose only argument is one path segment (`<str:...>`). The value is quoted
    as `reverse` quotes it."""
    before, _, after = reverse(view_name, args=[_MARKER]).partition(_MARKER)
    safe = RFC3986_SUBDELIMS + "/~:@"  # what `reverse` leaves unquoted
    return lambda value: before + quote(value, safe=safe) + after
