"""Loading and seeding the business calendars (models in cases/models/calendar.py)."""

import bisect
import datetime
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import NamedTuple
from zoneinfo import ZoneInfo

import holidays
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import BusinessCalendar, CalendarChange, CalendarDay, CalendarYear
from servicedesk.errors import Conflict

SHANGHAI = ZoneInfo("Asia/Shanghai")
FIRST_SEEDED_YEAR = 2020
#: Where a year seeded from the `holidays` package says its days came from.
LIBRARY_SOURCE = f"holidays {holidays.__version__}"


class CalendarUnavailable(LookupError):
    """A calendar cannot answer for a date, so no deadline is guessed. Whatever needed it is
    refused with 409, `code` and a message naming the calendar (and year), and changes nothing:
    servicedesk.api maps it for the API, `calendar_refusals` for the web forms."""

    code = "calendar_unavailable"

    def __init__(self, message: str, *, calendar: str, year: int | None = None):
        self.calendar, self.year = calendar, year
        super().__init__(message)

    def refusal(self, calendar_name: str) -> str:
        """What the user is told, the calendar named in their language."""
        return str(self)

    def as_conflict(self) -> Conflict:
        """The refusal in the one family of errors the API and the web forms answer (409)."""
        try:
            calendar = BusinessCalendar.objects.filter(code=self.calendar).first()
        except DatabaseError:
            calendar = None
        conflict = Conflict(self.refusal(calendar.localized_name if calendar else self.calendar),
                            extra={"calendar": self.calendar, **({"year": self.year} if self.year else {})})
        conflict.code = self.code
        return conflict


class CalendarYearMissing(CalendarUnavailable):
    """A date falls in a year the calendar has no data for: never treated as a normal year."""

    code = "calendar_year_missing"

    def __init__(self, calendar: str, year: int):
        super().__init__(
            _("The “%(calendar)s” calendar has no data for %(year)s; add and confirm that year in the admin.")
            % {"calendar": calendar, "year": year}, calendar=calendar, year=year)

    def refusal(self, calendar_name: str) -> str:
        return _("The “%(calendar)s” calendar has no dates for %(year)s yet, so the deadlines cannot be computed. "
                 "Nothing was changed; a supervisor must add that year to the calendar in the admin.") % {
            "calendar": calendar_name, "year": self.year}


class UnknownCalendar(CalendarUnavailable):
    code = "calendar_unknown"

    def __init__(self, calendar: str):
        super().__init__(_("There is no calendar “%(code)s”.") % {"code": calendar}, calendar=calendar)

    def refusal(self, calendar_name: str) -> str:
        return _("There is no calendar “%(calendar)s”, so the deadlines cannot be computed. Nothing was changed; a "
                 "supervisor must correct the calendar or the SLA policy in the admin.") % {"calendar": calendar_name}


@contextmanager
def calendar_refusals():
    """Around a service call in a web view: a calendar that cannot answer is refused like the
    service's own conflicts (the service's transaction has rolled back by then)."""
    try:
        yield
    except CalendarUnavailable as error:
        raise error.as_conflict() from error


@contextmanager
def calendar_command_errors():
    """Around a management command's work: a calendar that cannot answer ends the command with one
    line naming the calendar and year (CommandError: exit status 1), not a traceback."""
    from django.core.management.base import CommandError

    try:
        yield
    except CalendarUnavailable as error:
        raise CommandError(str(error)) from error


@dataclass
class Schedule:
    """A calendar's service hours and days, loaded once for many computations."""

    code: str
    opens_at: datetime.time
    closes_at: datetime.time
    weekend_days_can_be_business: bool
    years: frozenset[int]
    exceptions: dict[datetime.date, bool] = field(default_factory=dict)
    _totals: tuple | None = field(default=None, repr=False, compare=False)

    def is_business_day(self, day: datetime.date) -> bool:
        if day.year not in self.years:
            raise CalendarYearMissing(self.code, day.year)
        is_weekend = day.weekday() >= 5
        if day in self.exceptions:
            return self.exceptions[day] and (not is_weekend or self.weekend_days_can_be_business)
        return not is_weekend

    def opening(self, day: datetime.date) -> datetime.datetime:
        return datetime.datetime.combine(day, self.opens_at, tzinfo=SHANGHAI)

    def closing(self, day: datetime.date) -> datetime.datetime:
        return datetime.datetime.combine(day, self.closes_at, tzinfo=SHANGHAI)

    def business_microseconds_before(self, moment: datetime.datetime) -> int | None:
        """Business time from the start of the first year on record to `moment` (aware), in
        microseconds, from a running total per day: O(1) instead of walking every day. None when
        the calendar's years on record are not one unbroken run covering `moment`."""
        if self._totals is None:
            self._totals = self._day_totals()
        first, totals = self._totals
        if first is None:
            return None
        local = moment.astimezone(SHANGHAI)
        index = (local.date() - first).days
        if not 0 <= index < len(totals) - 1:
            return None
        day = local.date()
        within = 0
        if self.is_business_day(day):
            begin, end = self.opening(day), self.closing(day)
            clipped = min(max(local, begin), end)
            within = (clipped - begin) // datetime.timedelta(microseconds=1)
        return totals[index] + within

    def _day_totals(self) -> tuple[datetime.date | None, list[int]]:
        years = sorted(self.years)
        if not years or years != list(range(years[0], years[-1] + 1)):
            return None, []
        day, last = datetime.date(years[0], 1, 1), datetime.date(years[-1], 12, 31)
        full_day = (datetime.datetime.combine(day, self.closes_at) - datetime.datetime.combine(day, self.opens_at)
                    ) // datetime.timedelta(microseconds=1)
        totals = [0]
        while day <= last:
            totals.append(totals[-1] + (full_day if self.is_business_day(day) else 0))
            day += datetime.timedelta(days=1)
        return datetime.date(years[0], 1, 1), totals


@dataclass
class CalendarHistory:
    """A calendar now and what it was before each of its edits (CalendarChange, oldest first): the
    schedule as it stood at any moment. The years on record are today's: a year added later was
    one no clock could be counted in before (CalendarYearMissing), so no count differs by it."""

    current: Schedule
    changes: list[tuple[datetime.datetime, datetime.date | None, dict]]
    _then: dict[int, Schedule] = field(default_factory=dict, repr=False)

    def as_of(self, moment: datetime.datetime | None) -> Schedule:
        """The schedule as it stood at `moment` (None: now): the edits made after it undone."""
        if moment is None:
            return self.current
        later = len(self.changes) - bisect.bisect_right(self.changes, moment, key=lambda change: change[0])
        if not later:
            return self.current
        if later not in self._then:
            self._then[later] = self._undone(self.changes[-later:])
        return self._then[later]

    def _undone(self, changes) -> Schedule:
        now = self.current
        exceptions, hours = dict(now.exceptions), (now.opens_at, now.closes_at, now.weekend_days_can_be_business)
        for _at, date, before in reversed(changes):  # the newest first: each undone to what it found
            if date is None:
                hours = (datetime.time.fromisoformat(before["opens_at"]),
                         datetime.time.fromisoformat(before["closes_at"]), before["weekend"])
            elif before["listed"]:
                exceptions[date] = before["business"]
            else:
                exceptions.pop(date, None)
        return Schedule(code=now.code, opens_at=hours[0], closes_at=hours[1], weekend_days_can_be_business=hours[2],
                        years=now.years, exceptions=exceptions)


_cache: dict[str, tuple[tuple, CalendarHistory]] = {}
STAMP_SQL = """
    SELECT c.id, c.updated_at,
        (SELECT MAX(y.updated_at) FROM cases_calendaryear y WHERE y.calendar_id = c.id),
        (SELECT COUNT(*) FROM cases_calendaryear y WHERE y.calendar_id = c.id),
        (SELECT COUNT(*) FROM cases_calendarday d WHERE d.calendar_id = c.id),
        (SELECT MAX(d.id) FROM cases_calendarday d WHERE d.calendar_id = c.id),
        (SELECT MAX(h.id) FROM cases_calendarchange h WHERE h.calendar_id = c.id)
    FROM cases_businesscalendar c WHERE c.code = %s
"""


def load_schedule(code: str) -> Schedule:
    """The calendar as it is in the database now (load_calendar_history)."""
    return load_calendar_history(code).current


def load_calendar_history(code: str) -> CalendarHistory:
    """The calendar as it is in the database now, with its edits. A small per-process cache is
    checked against the calendar's stamp (last change and size) on every call, so an edit is seen
    at once."""
    # Each figure from its own small subquery (joining years to days would multiply them).
    with connection.cursor() as cursor:
        cursor.execute(STAMP_SQL, [code])
        stamp_row = cursor.fetchone()
    if stamp_row is None:
        raise UnknownCalendar(code)
    cached = _cache.get(code)
    if cached is not None and cached[0] == stamp_row:
        return cached[1]
    calendar = BusinessCalendar.objects.get(pk=stamp_row[0])
    schedule = Schedule(
        code=code, opens_at=calendar.opens_at, closes_at=calendar.closes_at,
        weekend_days_can_be_business=calendar.weekend_days_can_be_business,
        years=frozenset(calendar.years.values_list("year", flat=True)),
        exceptions=dict(calendar.days.values_list("date", "is_business_day")),
    )
    history = CalendarHistory(schedule, list(CalendarChange.objects.filter(calendar=calendar).order_by(
        "changed_at", "id").values_list("changed_at", "date", "before")))
    _cache[code] = (stamp_row, history)
    return history


def resolve_schedule(calendar: "str | Schedule") -> Schedule:
    return calendar if isinstance(calendar, Schedule) else load_schedule(calendar)


# --- seeding ----------------------------------------------------------------------------------
CALENDARS = {
    BusinessCalendar.WORKING: {"name": "工作日", "name_en": "Working days", "opens_at": datetime.time(9, 0),
                               "closes_at": datetime.time(17, 0), "weekend_days_can_be_business": True},
    BusinessCalendar.TRADING: {"name": "交易日（上交所）", "name_en": "Trading days (SSE)",
                               "opens_at": datetime.time(9, 0), "closes_at": datetime.time(15, 0),
                               "weekend_days_can_be_business": False},
}


class LibraryDay(NamedTuple):
    is_business_day: bool
    name: str
    name_en: str


#: The package names holidays, not make-up working days.
MAKE_UP_DAY_NAMES = ("调休上班日", "Make-up working day")


def library_days(code: str, year: int) -> dict[datetime.date, LibraryDay]:
    """The days the `holidays` package lists for one of CALENDARS in `year`, named in both
    languages (asked for each by name: by default the package follows the process's locale)."""
    if code == BusinessCalendar.WORKING:
        chinese, english = (holidays.China(years=[year], language=language) for language in ("zh_CN", "en_US"))
        days = {day: LibraryDay(False, name, english[day]) for day, name in chinese.items()}
        days.update({day: LibraryDay(True, *MAKE_UP_DAY_NAMES) for day in chinese.weekend_workdays if day.year == year})
        return days
    chinese, english = (holidays.financial_holidays("XSHG", years=[year], language=language)
                        for language in ("zh_CN", "en_US"))
    return {day: LibraryDay(False, name, english[day]) for day, name in chinese.items()}


def calendar_year_library_days(calendar: BusinessCalendar, year: int) -> list[datetime.date]:
    """Store the days the `holidays` package lists for the calendar in `year` (a day listed already
    is kept as it is); returns their dates."""
    days = library_days(calendar.code, year)
    CalendarDay.objects.bulk_create(
        [CalendarDay(calendar=calendar, date=day, is_business_day=named.is_business_day,
                     name=named.name[:100], name_en=named.name_en[:100])
         for day, named in sorted(days.items())],
        ignore_conflicts=True,
    )
    return sorted(days)


@transaction.atomic
def calendars_seed(*, last_year: int | None = None, first_year: int = FIRST_SEEDED_YEAR) -> list[CalendarYear]:
    """Create both calendars and every missing year from the `holidays` package, marked
    estimated. Years already present (and anything a supervisor edited) are left alone. Run by
    every migrate (cases.apps) and daily for this year and next (cases.tasks.calendars_seed_next_year_task);
    two runs at once take turns on the calendar's row, so the second finds the years there."""
    last_year = last_year or timezone.localdate().year + 1
    created = []
    for code, defaults in CALENDARS.items():
        calendar, _created = BusinessCalendar.objects.get_or_create(code=code, defaults=defaults)
        calendar = BusinessCalendar.objects.select_for_update().get(pk=calendar.pk)
        present = set(calendar.years.values_list("year", flat=True))
        for year in range(first_year, last_year + 1):
            if year in present:
                continue
            calendar_year_library_days(calendar, year)
            created.append(CalendarYear.objects.create(
                calendar=calendar, year=year, status=CalendarYear.Status.ESTIMATED,
                source=LIBRARY_SOURCE,
            ))
    return created


@transaction.atomic
def calendar_year_confirm(*, calendar_year: CalendarYear, user) -> CalendarYear:
    calendar_year.status = CalendarYear.Status.CONFIRMED
    calendar_year.confirmed_by = user
    calendar_year.confirmed_at = timezone.now()
    calendar_year.save()
    return calendar_year


def unconfirmed_year_warnings(today: datetime.date | None = None) -> list[str]:
    """The same, as sentences for people (system check, supervisors' admin and pages), each
    calendar by its name in the active language: the name it was created with (CALENDARS; nothing
    renames a calendar), so without another query on every page that shows the banner."""
    # mid-sentence: "… is estimated, not confirmed", not "… is Estimated"
    statuses = {**{code: str(label).lower() for code, label in CalendarYear.Status.choices}, "missing": _("missing")}
    names = {code: BusinessCalendar(code=code, **defaults).localized_name for code, defaults in CALENDARS.items()}
    return [
        _("The %(calendar)s calendar for %(year)s is %(status)s, not confirmed.")
        % {"calendar": names.get(code, code), "year": year, "status": statuses.get(status, status)}
        for code, year, status in unconfirmed_years(today)
    ]


def unconfirmed_years(today: datetime.date | None = None) -> list[tuple[str, int, str]]:
    """(calendar, year, 'missing' | 'estimated') for this year and next that are not confirmed."""
    today = today or timezone.localdate()
    wanted = (today.year, today.year + 1)
    found = {(code, year): status for code, year, status in
             CalendarYear.objects.filter(year__in=wanted).values_list("calendar__code", "year", "status")}
    problems = []
    for code in CALENDARS:
        for year in wanted:
            status = found.get((code, year))
            if status != CalendarYear.Status.CONFIRMED:
                problems.append((code, year, status or "missing"))
    return problems
