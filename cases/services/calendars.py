"""Supervisors' edits of the business calendars (cases/models/calendar.py): confirming a year,
adding or removing a holiday or a make-up working day (调休). Each is permission-checked, done
under a lock on the calendar year and recorded in the admin's history (who, when, what); a
confirmation also stamps the year itself, as the admin's action does. A change of a day moves
the deadlines of the running clocks it concerns (calendar_days_changed), and a trading day closed
moves those of the margin calls that counted it (risk.deadlines)."""

import datetime
import logging

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts.roles import Role
from cases.calendars import calendar_year_confirm
from cases.models import BusinessCalendar, CalendarChange, CalendarDay, CalendarYear
from servicedesk.errors import Conflict, NotAllowed, ValidationFailed

logger = logging.getLogger(__name__)


def calendar_days_changed(calendar_code: str, dates: list[datetime.date], *, hours_changed: bool = False) -> None:
    """Once the edit commits, the running clocks on that calendar whose deadline lies beyond one
    of the changed days (after a change of its service hours, `hours_changed`: every running clock
    on it) are projected again (a task: there may be many). With the task queue down the edit
    stands and the log says to run `manage.py sla_rebuild`."""
    from cases.tasks import sla_calendar_changed_task
    from risk.tasks import deadlines_after_calendar_change_task
    from servicedesk.broker import publish

    days = sorted({day.isoformat() for day in dates})

    def recompute():
        if not publish(sla_calendar_changed_task, calendar_code, days, hours_changed):
            logger.warning("Calendar %s changed (%s) but open deadlines were not recomputed (task queue "
                           "unavailable): run manage.py sla_rebuild.", calendar_code,
                           ", ".join(days) or "service hours")
        # A margin call's deadline counts trading days: one of them closed gives the client a day more.
        if calendar_code == "trading" and days and not publish(deadlines_after_calendar_change_task, days):
            logger.warning("Trading calendar changed (%s) but the margin calls' deadlines were not checked (task "
                           "queue unavailable): run manage.py margin_call_deadlines %s.", ", ".join(days),
                           " ".join(days))
    if days or hours_changed:
        transaction.on_commit(recompute)


def days_as_they_stand(days) -> list[CalendarChange]:
    """For the (calendar id, date) pairs about to be edited: each day as it stands now (listed or
    not, a business day or not), kept by calendar_changes_record once the edit is made."""
    days = sorted(set(days))
    stored = CalendarDay.objects.filter(calendar_id__in={calendar_id for calendar_id, _date in days},
                                        date__in={date for _calendar_id, date in days})
    listed = {(calendar_id, date): business
              for calendar_id, date, business in stored.values_list("calendar_id", "date", "is_business_day")}
    return [CalendarChange(calendar_id=calendar_id, date=date, before={
                "listed": (calendar_id, date) in listed, "business": listed.get((calendar_id, date))})
            for calendar_id, date in days]


def hours_as_they_stand(calendar: BusinessCalendar) -> CalendarChange:
    """The calendar's service hours as stored, before an edit (kept as days_as_they_stand's are)."""
    stored = BusinessCalendar.objects.get(pk=calendar.pk)
    return CalendarChange(calendar=stored, date=None, before={
        "opens_at": stored.opens_at.isoformat(), "closes_at": stored.closes_at.isoformat(),
        "weekend": stored.weekend_days_can_be_business})


def calendar_changes_record(changes: list[CalendarChange]) -> None:
    """Keep what the calendars were before an edit just made (CalendarChange): a replay of a case's
    log counts its earlier events on the calendar as it stood then."""
    now = timezone.now()
    for change in changes:
        change.changed_at = now
    CalendarChange.objects.bulk_create(changes)


def calendar_hours_changed(calendar_code: str) -> None:
    """Once a change of a calendar's service hours commits, every running clock on that calendar
    is projected again, as after an edit of its days."""
    calendar_days_changed(calendar_code, [], hours_changed=True)


def _check_supervisor(user) -> None:
    if user is None or not (user.is_superuser or user.has_role(Role.SUPERVISOR)):
        raise NotAllowed(_("Only a supervisor may change the calendars."))


def _lock(calendar_year: CalendarYear) -> CalendarYear:
    return (CalendarYear.objects.select_for_update(of=("self",)).select_related("calendar", "confirmed_by")
            .get(pk=calendar_year.pk))


def _log(user, obj, flag: int, message: str) -> None:
    LogEntry.objects.log_actions(user.pk, [obj], flag, change_message=message, single_object=True)


@transaction.atomic
def calendar_year_confirm_checked(*, calendar_year: CalendarYear, user) -> CalendarYear:
    """Confirm an estimated year (cases.calendars.calendar_year_confirm: who and when); a year
    already confirmed is a conflict naming who confirmed it."""
    _check_supervisor(user)
    year = _lock(calendar_year)
    if year.status == CalendarYear.Status.CONFIRMED:
        raise Conflict(_("%(calendar)s %(year)s was already confirmed by %(user)s on %(at)s.") % {
            "calendar": year.calendar.localized_name, "year": year.year,
            "user": year.confirmed_by.display_name if year.confirmed_by else "?",
            "at": (formats.date_format(timezone.localtime(year.confirmed_at), "Y-m-d H:i")
                   if year.confirmed_at else "?")})
    year = calendar_year_confirm(calendar_year=year, user=user)
    _log(user, year, CHANGE, "Confirmed (supervisor pages)")
    return year


def _date_in_year(year: CalendarYear, date: datetime.date) -> None:
    if date.year != year.year:
        raise ValidationFailed(_("The date is outside %(year)s.") % {"year": year.year},
                               extra={"date": [_("Choose a date in %(year)s.") % {"year": year.year}]})


@transaction.atomic
def calendar_day_add(*, calendar_year: CalendarYear, date: datetime.date, is_business_day: bool, name: str = "",
                     name_en: str = "", user) -> CalendarDay:
    """A holiday (`is_business_day` False) or a make-up working weekend day (True) on `date`, which
    must lie in that year and not be listed already, named in Chinese and English (either may be
    left empty). The rules of a day itself are the model's (CalendarDay.clean), as in the admin."""
    _check_supervisor(user)
    year = _lock(calendar_year)
    _date_in_year(year, date)
    calendar = year.calendar
    if CalendarDay.objects.filter(calendar=calendar, date=date).exists():
        problem = _("%(date)s is already listed; remove it first to change it.") % {"date": date.isoformat()}
        raise ValidationFailed(problem, extra={"date": [problem]})
    day = CalendarDay(calendar=calendar, date=date, is_business_day=is_business_day,
                      name=(name or "").strip()[:100], name_en=(name_en or "").strip()[:100])
    try:
        day.clean()
    except ValidationError as error:
        raise ValidationFailed(" ".join(error.messages), extra=error.message_dict) from None
    before = days_as_they_stand([(calendar.pk, date)])
    day.save()  # moves the calendar's stamp
    calendar_changes_record(before)
    _log(user, day, ADDITION, "Added (supervisor pages)")
    calendar_days_changed(calendar.code, [date])
    return day


@transaction.atomic
def calendar_day_remove(*, calendar_year: CalendarYear, date: datetime.date, user) -> None:
    """Remove the holiday or make-up working day listed on `date` (in that year)."""
    _check_supervisor(user)
    year = _lock(calendar_year)
    _date_in_year(year, date)
    day = CalendarDay.objects.filter(calendar=year.calendar, date=date).first()
    if day is None:
        problem = _("%(date)s is not listed in this calendar.") % {"date": date.isoformat()}
        raise ValidationFailed(problem, extra={"date": [problem]})
    _log(user, day, DELETION, "Removed (supervisor pages)")
    before = days_as_they_stand([(day.calendar_id, date)])
    day.delete()  # moves the calendar's stamp
    calendar_changes_record(before)
    calendar_days_changed(year.calendar.code, [date])
