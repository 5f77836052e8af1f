"""Business time on the database calendars (cases/calendars.py).

- add_business_time(start, delta, calendar="working"): the moment `delta` of business time
  has elapsed from `start`; a start outside service hours counts from the next opening, so a
  zero `delta` from there gives that opening (from within hours, `start` itself). A `delta` that
  ends a day's hours exactly gives that day's closing, not the next opening. Negative: an error.
- business_time_between(start, end, calendar="working"): business time in [start, end).
- trading_day_close(day, n): the close (15:00 Asia/Shanghai) of the n-th trading day after
  `day` (T+n); n=0 is the close of `day` itself, or of the next trading day if `day` is none.

`calendar` is a calendar's code ("working", "trading") or an already loaded Schedule.
A date in a year the calendar has no data for raises CalendarYearMissing.
"""

import datetime

from cases.calendars import SHANGHAI, CalendarYearMissing, Schedule, resolve_schedule

ZERO = datetime.timedelta(0)
ONE_DAY = datetime.timedelta(days=1)

__all__ = ["add_business_time", "business_time_between", "trading_day_close", "CalendarYearMissing"]


def day_start(day: datetime.date) -> datetime.datetime:
    """The first moment of a local day (the site's time zone, Asia/Shanghai)."""
    from django.utils import timezone

    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_default_timezone())


def _local(moment: datetime.datetime) -> datetime.datetime:
    if not isinstance(moment, datetime.datetime):
        raise TypeError(f"business time needs an aware datetime, not {type(moment).__name__}")
    if moment.tzinfo is None:
        raise ValueError("business time needs an aware datetime")
    return moment.astimezone(SHANGHAI)


def add_business_time(start: datetime.datetime, delta: datetime.timedelta,
                      calendar: "str | Schedule" = "working") -> datetime.datetime:
    if not isinstance(delta, datetime.timedelta):
        raise TypeError(f"business time to add must be a timedelta, not {type(delta).__name__}")
    if delta < ZERO:
        raise ValueError("business time to add must not be negative")
    schedule = resolve_schedule(calendar)
    cursor = _local(start)
    remaining = delta
    day = cursor.date()
    while True:
        if schedule.is_business_day(day):
            opening, closing = schedule.opening(day), schedule.closing(day)
            begin = max(cursor, opening)
            if begin < closing:
                available = closing - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
        day += ONE_DAY


def business_time_between(start: datetime.datetime, end: datetime.datetime,
                          calendar: "str | Schedule" = "working") -> datetime.timedelta:
    start, end = _local(start), _local(end)
    if end < start:
        return -business_time_between(end, start, calendar)
    schedule = resolve_schedule(calendar)
    before_end = schedule.business_microseconds_before(end)
    before_start = schedule.business_microseconds_before(start) if before_end is not None else None
    if before_start is not None:
        return datetime.timedelta(microseconds=before_end - before_start)
    total = ZERO
    day = start.date()
    while day <= end.date():
        if schedule.is_business_day(day):
            begin = max(start, schedule.opening(day))
            finish = min(end, schedule.closing(day))
            if finish > begin:
                total += finish - begin
        day += ONE_DAY
    return total


def trading_day_close(day: "datetime.date | datetime.datetime", n: int,
                      calendar: "str | Schedule" = "trading") -> datetime.datetime:
    if isinstance(day, datetime.datetime):
        day = _local(day).date()
    elif not isinstance(day, datetime.date):
        raise TypeError(f"day must be a date or an aware datetime, not {type(day).__name__}")
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"n must be a whole number of trading days, not {type(n).__name__}")
    schedule = resolve_schedule(calendar)
    if n < 0:
        raise ValueError("n must not be negative")
    if n == 0:
        while not schedule.is_business_day(day):
            day += ONE_DAY
        return schedule.closing(day)
    counted = 0
    while counted < n:
        day += ONE_DAY
        if schedule.is_business_day(day):
            counted += 1
    return schedule.closing(day)
