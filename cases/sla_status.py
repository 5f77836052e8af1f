"""What a timer means right now: remaining business seconds and whether it is breached."""

import datetime
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from cases.calendars import CALENDARS, CalendarUnavailable, load_schedule
from cases.models import BusinessCalendar, SlaTimer
from cases.sla import business_time_between
from servicedesk.formats import business_time


class ScheduleCache(dict):
    """Calendars loaded once per request or report, not once per timer."""

    def __missing__(self, code):
        self[code] = load_schedule(code)
        return self[code]


def elapsed_seconds(timer: SlaTimer, schedules: ScheduleCache, now: datetime.datetime | None = None) -> int:
    if timer.resumed_at is None or timer.stopped_at is not None:
        return timer.elapsed_seconds
    now = now or timezone.now()
    running = business_time_between(timer.resumed_at, now, schedules[timer.calendar_code]) if now > timer.resumed_at \
        else datetime.timedelta(0)
    return timer.elapsed_seconds + int(running.total_seconds())


def elapsed_or_unknown(timer: SlaTimer, schedules: ScheduleCache,
                       now: datetime.datetime | None = None) -> tuple[int | None, str]:
    """elapsed_seconds for what pages and the API show: (seconds, "") or, when the calendar cannot
    answer (a year with no data, no such calendar), (None, a marker naming the calendar and year).
    The figure is unknown, never guessed, and the read still works; a write that needs the
    calendar is refused (409, cases.calendars.CalendarUnavailable)."""
    try:
        return elapsed_seconds(timer, schedules, now), ""
    except CalendarUnavailable as error:
        return None, unknown_marker(error)


@dataclass(frozen=True)
class TimerStatus:
    """What the API and the pages show of a timer: the business seconds left (None: the calendar
    cannot say, `unknown` names why) and whether it is breached (the sweep recorded it, or it is
    late: no time left, or, the time left unknown, its stored due moment has passed)."""

    remaining: int | None
    unknown: str
    breached: bool


def timer_status(timer: SlaTimer, schedules: ScheduleCache, now: datetime.datetime) -> TimerStatus:
    elapsed, unknown = elapsed_or_unknown(timer, schedules, now)
    remaining = None if elapsed is None else timer.target_seconds - elapsed
    late = (timer.due_at is not None and timer.due_at < now) if remaining is None else remaining < 0
    return TimerStatus(remaining, unknown, timer.breached or late or reached_target(timer, now))


def time_left(status: TimerStatus) -> str:
    """The business time left on a clock whose time left is known, as the pages write it ("88h 00m",
    "overdue by 3h 05m"), or "Breached" for one breached with none left (due at a closing, read
    before the next opening): "0h 00m" reads as about to breach."""
    if status.breached and status.remaining == 0:
        return str(SlaTimer.State.BREACHED.label)
    return business_time(status.remaining)


def shown_state(timer: SlaTimer, status: TimerStatus) -> str:
    """The state a timer shows (API, case page): a clock still open that is breached (status) is
    breached, also before the sweep records it; the stored state otherwise."""
    return SlaTimer.State.BREACHED if timer.stopped_at is None and status.breached else timer.state


def reached_target(timer: SlaTimer, now: datetime.datetime) -> bool:
    """A clock that has reached 100 % of its target, as the sweep counts it (cases.sla_sweep.CROSSED):
    its due moment has come, or, paused, it had run its whole target. Breached before the sweep
    records it; also when its due moment is a closing and no business time has run since. The
    case list's `breached` filter asks the same (cases.filters.CaseFilter.filter_breached)."""
    if timer.stopped_at is not None:
        return False  # stopping decided it (breached: more than its target run)
    if timer.resumed_at is None:
        return timer.elapsed_seconds >= timer.target_seconds
    return timer.due_at is not None and timer.due_at <= now


def unknown_marker(error: CalendarUnavailable) -> str:
    """What a page shows for a figure the calendar cannot give ("unknown: Working days calendar
    2026 missing"), the calendar by its name in the active language (the name it was created
    with, cases.calendars.CALENDARS: no query)."""
    defaults = CALENDARS.get(error.calendar)
    name = BusinessCalendar(code=error.calendar, **defaults).localized_name if defaults else error.calendar
    if error.year:
        return _("unknown: %(calendar)s calendar %(year)s missing") % {"calendar": name, "year": error.year}
    return _("unknown: no calendar “%(calendar)s”") % {"calendar": name}
