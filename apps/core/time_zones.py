"""Which time zone a person reads times in: theirs, else their organisation's, else the server's.

Times are stored in UTC. Pages, emails, PDFs and CSV exports show them in the reader's zone with
the zone named; the REST API keeps ISO 8601 in UTC with its offset (docs/time-zones.md).
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from django.conf import settings
from django.utils import timezone
from django.utils.dateformat import format as date_format

# The format every page, email and PDF shows a moment in: "7 Dec 2026, 09:12 CST".
MOMENT_FORMAT = "j M Y, H:i T"


@cache
def zone_names() -> tuple[str, ...]:
    """Every IANA zone, for the pickers: the common ones first is the picker's job."""
    return tuple(sorted(name for name in available_timezones() if "/" in name or name == "UTC"))


def zone_problem(name: str) -> str | None:
    """Why `name` is not a time zone this product accepts, or None."""
    if name not in zone_names():
        return f'"{name}" is not a time zone; use a name such as America/Chicago.'
    return None


def zone_named(*names: str) -> ZoneInfo:
    """The first of `names` that is a time zone (a user's, then a tenant's), else the server's."""
    for name in names:
        if name and name in zone_names():
            return ZoneInfo(name)
    return ZoneInfo(settings.TIME_ZONE)


def local_iso(moment: datetime | None, zone: tzinfo | None = None) -> str:
    """A moment for a CSV cell: ISO 8601 in the reader's zone (or `zone`, for a response
    streamed after the view returned), offset included."""
    if moment is None:
        return ""
    return timezone.localtime(moment, zone).isoformat(timespec="seconds")


def moment_text(moment: datetime | None) -> str:
    """A moment for a page built in Python: the reader's zone, named ("7 Dec 2026, 09:12 CST")."""
    if moment is None:
        return ""
    return date_format(timezone.localtime(moment), MOMENT_FORMAT)
