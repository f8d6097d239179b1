"""Business-hours and calendar-time arithmetic: weekends, holidays, closures and DST."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from apps.sla.calendars import WorkingCalendar, due_at, remaining_seconds

NY = ZoneInfo("America/New_York")
US = WorkingCalendar.build(timezone="America/New_York", country="US")


def ny(*args):
    return datetime(*args, tzinfo=NY)


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        (ny(2026, 1, 14, 10), 4, ny(2026, 1, 14, 14)),  # same day
        (ny(2026, 1, 14, 16), 2, ny(2026, 1, 15, 10)),  # overnight
        (ny(2026, 1, 16, 15), 8, ny(2026, 1, 20, 15)),  # Fri -> weekend -> MLK day (Mon 19th)
        (ny(2026, 1, 17, 11), 1, ny(2026, 1, 20, 10)),  # starts on a Saturday
        (ny(2026, 1, 14, 7), 8, ny(2026, 1, 14, 17)),  # starts before opening
        (ny(2026, 1, 14, 20), 1, ny(2026, 1, 15, 10)),  # starts after closing
        (ny(2026, 11, 25, 16), 8, ny(2026, 11, 27, 16)),  # Thanksgiving (Thu 26th) skipped
        (ny(2026, 7, 2, 16), 2, ny(2026, 7, 6, 10)),  # Jul 4 is a Saturday: observed Fri 3rd
        (ny(2026, 12, 31, 12), 24, ny(2027, 1, 6, 12)),  # New Year's Day, weekend
    ],
)
def test_business_hours_skip_nights_weekends_and_holidays(start, hours, expected):
    assert due_at(US, "business", start, hours) == expected
    assert remaining_seconds(US, "business", start, expected) == hours * 3600


def test_spring_forward_weekend_keeps_wall_clock_opening_hours():
    # DST starts Sunday 8 March 2026: Friday is EST (UTC-5), Monday EDT (UTC-4).
    start = ny(2026, 3, 6, 15)
    due = due_at(US, "business", start, 8)
    assert due == ny(2026, 3, 9, 15)
    assert due.astimezone(NY).utcoffset() == timedelta(hours=-4)
    assert due.astimezone(UTC) == datetime(2026, 3, 9, 19, tzinfo=UTC)
    # Naive subtraction of aware times sharing a ZoneInfo would say 72 h; elapsed is 71 h.
    assert (due.astimezone(UTC) - start.astimezone(UTC)) == timedelta(hours=71)


def test_fall_back_weekend():
    # DST ends Sunday 1 November 2026: 9-17 stays 9-17 on the wall clock on Monday.
    due = due_at(US, "business", ny(2026, 10, 30, 13), 6)
    assert due == ny(2026, 11, 2, 11)
    assert due.astimezone(NY).utcoffset() == timedelta(hours=-5)


def test_hours_spanning_the_dst_switch_count_real_time():
    # A night shift open 01:00-04:00: on 8 March 2026 clocks jump from 02:00 to 03:00, so the
    # shift lasts two real hours.
    night = WorkingCalendar.build(timezone="America/New_York", week=[(time(1), time(4))] * 7)
    start = ny(2026, 3, 8, 1)
    assert night.working_between(start, ny(2026, 3, 8, 4)) == 2 * 3600
    # On 1 November 01:00-04:00 lasts four real hours (01:00-02:00 happens twice).
    assert night.working_between(ny(2026, 11, 1, 1), ny(2026, 11, 1, 4)) == 4 * 3600


def test_tenant_closures_and_other_countries():
    closed = WorkingCalendar.build(
        timezone="America/New_York", country="US", closures=[date(2026, 1, 15)]
    )
    assert due_at(closed, "business", ny(2026, 1, 14, 16), 2) == ny(2026, 1, 16, 10)
    ontario = WorkingCalendar.build(timezone="America/Toronto", country="CA", subdivision="ON")
    toronto = ZoneInfo("America/Toronto")
    # 1 July (Canada Day) is a Wednesday in 2026.
    assert due_at(ontario, "business", datetime(2026, 6, 30, 16, tzinfo=toronto), 2) == datetime(
        2026, 7, 2, 10, tzinfo=toronto
    )


def test_calendar_time_is_elapsed_hours_and_never_later_than_calendar_days():
    # 72 hours outside DST: exactly 72 elapsed hours.
    start = ny(2026, 1, 12, 10)
    assert due_at(US, "calendar", start, 72) == start + timedelta(hours=72)
    # 7 calendar days across spring-forward: Thursday 10:00 EST -> Thursday 10:00 EDT (167 h),
    # earlier than 168 elapsed hours, so the CMS "7 calendar days" deadline is never missed.
    start = ny(2026, 3, 5, 10)
    due = due_at(US, "calendar", start, 168)
    assert due == ny(2026, 3, 12, 10)
    assert due.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=167)
    # Across fall-back the wall-clock reading is later (169 h): the 168 elapsed hours win.
    start = ny(2026, 10, 29, 10)
    due = due_at(US, "calendar", start, 168)
    assert due.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=168)
    assert due == ny(2026, 11, 5, 9)
    # Non-whole days stay elapsed hours.
    assert due_at(US, "calendar", ny(2026, 3, 7, 22), 8) == ny(2026, 3, 8, 7)


def test_remaining_working_time_is_negative_when_overdue():
    assert remaining_seconds(US, "business", ny(2026, 1, 15, 10), ny(2026, 1, 14, 16)) == -2 * 3600
