"""Clock arithmetic: elapsed calendar time, or working time on a tenant's business calendar.

Pure Python (no Django): a `WorkingCalendar` knows a time zone, opening hours per weekday and
which dates are closed (public holidays from the `holidays` package plus tenant closures).
All arithmetic is done in UTC: subtracting two aware datetimes that share a ZoneInfo compares
wall times and gets DST days wrong by an hour.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

DAY = timedelta(days=1)
MAX_DAYS = 3 * 366  # a clock that needs longer than this has a calendar with no working days

Hours = tuple[time, time] | None
NINE_TO_FIVE: tuple[Hours, ...] = ((time(9), time(17)),) * 5 + (None, None)


@lru_cache(maxsize=64)
def public_holidays(country: str, subdivision: str = "") -> holidays.HolidayBase:
    """The `holidays` calendar for a country (and state/province); expands years on demand."""
    return holidays.country_holidays(country, subdiv=subdivision or None)


@dataclass(frozen=True)
class WorkingCalendar:
    tz: ZoneInfo
    week: tuple[Hours, ...] = NINE_TO_FIVE  # Monday .. Sunday; None = closed all day
    closures: frozenset[date] = frozenset()
    country: str = ""
    subdivision: str = ""
    extra_closed: Callable[[date], bool] | None = field(default=None, compare=False)

    @classmethod
    def build(
        cls,
        *,
        timezone: str,
        week: Iterable[Hours] = NINE_TO_FIVE,
        closures: Iterable[date] = (),
        country: str = "",
        subdivision: str = "",
    ) -> WorkingCalendar:
        week = tuple(week)
        if len(week) != 7:
            raise ValueError("A week has seven days (Monday first).")
        return cls(ZoneInfo(timezone), week, frozenset(closures), country, subdivision)

    def is_closed(self, day: date) -> bool:
        if day in self.closures:
            return True
        if self.country and day in public_holidays(self.country, self.subdivision):
            return True
        return self.week[day.weekday()] is None

    def window(self, day: date) -> tuple[datetime, datetime] | None:
        """The day's opening hours as UTC instants, or None when closed."""
        hours = self.week[day.weekday()]
        if hours is None or self.is_closed(day):
            return None
        opens = datetime.combine(day, hours[0], tzinfo=self.tz).astimezone(UTC)
        closes = datetime.combine(day, hours[1], tzinfo=self.tz).astimezone(UTC)
        return (opens, closes) if opens < closes else None

    def _local_day(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()

    def add_working(self, start: datetime, seconds: float) -> datetime:
        """The instant when `seconds` of working time have passed after `start`."""
        at = start.astimezone(UTC)
        if seconds <= 0:
            return at
        remaining = timedelta(seconds=seconds)
        day = self._local_day(at)
        for _ in range(MAX_DAYS):
            window = self.window(day)
            if window is not None:
                begin, end = max(window[0], at), window[1]
                if begin < end:
                    if begin + remaining <= end:
                        return begin + remaining
                    remaining -= end - begin
            day += DAY
        raise ValueError("No working time within three years: check the business calendar.")

    def working_between(self, start: datetime, end: datetime) -> float:
        """Seconds of working time in [start, end); negative when end is before start."""
        a, b = start.astimezone(UTC), end.astimezone(UTC)
        if b < a:
            return -self.working_between(b, a)
        total = timedelta()
        day, last = self._local_day(a), self._local_day(b)
        while day <= last:
            window = self.window(day)
            if window is not None:
                begin, finish = max(window[0], a), min(window[1], b)
                if begin < finish:
                    total += finish - begin
            day += DAY
        return total.total_seconds()

    # --- elapsed-time (calendar) clocks ----------------------------------------------------------

    def add_elapsed(self, start: datetime, hours: float) -> datetime:
        """`hours` of elapsed time. Whole days are also read as calendar days on the wall clock
        (7 days from Tuesday 10:00 is Tuesday 10:00); across a DST change the two readings differ
        by an hour and the clock takes the earlier one, so it is never late by either reading."""
        at = start.astimezone(UTC)
        elapsed = at + timedelta(hours=hours)
        if hours > 0 and float(hours) % 24 == 0:
            local = at.astimezone(self.tz)
            wall = datetime.combine(
                local.date() + timedelta(days=int(hours // 24)), local.time(), tzinfo=self.tz
            ).astimezone(UTC)
            return min(elapsed, wall)
        return elapsed


def due_at(calendar: WorkingCalendar, kind: str, start: datetime, hours: float) -> datetime:
    """When a clock of `hours` started at `start` is due on a `calendar` or `business` basis."""
    if kind == "business":
        return calendar.add_working(start, hours * 3600)
    return calendar.add_elapsed(start, hours)


def remaining_seconds(calendar: WorkingCalendar, kind: str, now: datetime, due: datetime) -> float:
    """Clock time left between now and due (working seconds on a business calendar)."""
    if kind == "business":
        return calendar.working_between(now, due)
    return (due.astimezone(UTC) - now.astimezone(UTC)).total_seconds()


def advance_by(calendar: WorkingCalendar, kind: str, start: datetime, seconds: float) -> datetime:
    """`seconds` of clock time after `start` (used when resuming and for reminders)."""
    if kind == "business":
        return calendar.add_working(start, seconds)
    return start.astimezone(UTC) + timedelta(seconds=seconds)
