"""A supervisor confirms calendar years in the admin while another edits a day of one of them on the
calendar page (PostgreSQL, real concurrent transactions). The page's edit locks its year, then moves
the calendar's stamp; the admin's action locked the selected years with their calendar (the list's
select_related), one year after the other: holding the calendar, it waited for the year; the edit,
holding the year, for the calendar, and PostgreSQL aborted one of them as a deadlock (a server
error). The action locks the years alone."""

import datetime

import pytest

from cases.models import CalendarDay, CalendarYear
from cases.services.calendars import calendar_day_add
from tests.concurrency import holding_then

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def test_a_day_added_while_the_admin_confirms_the_calendars_years(client, supervisor, other_supervisor,
                                                                   monkeypatch):
    monkeypatch.setattr("cases.services.calendars.calendar_days_changed", lambda *args, **kwargs: None)
    this_year, next_year = CalendarYear.objects.filter(calendar__code="trading", year__in=[2026, 2027]).order_by("pk")
    other_supervisor.is_staff = True
    other_supervisor.save()
    client.force_login(other_supervisor)

    def confirm_both():
        return client.post("/admin/cases/calendaryear/", {
            "action": "confirm", "_selected_action": [this_year.pk, next_year.pk]}).status_code

    def add_day():
        return calendar_day_add(calendar_year=next_year, date=datetime.date(2027, 3, 3), is_business_day=False,
                                name="临时休市", user=supervisor)

    added, status = holding_then(
        lambda: CalendarYear.objects.select_for_update(of=("self",)).get(pk=next_year.pk),  # as the edit locks it
        add_day, confirm_both)
    assert isinstance(added, CalendarDay) and status == 302, (added, status)
    assert set(CalendarYear.objects.filter(pk__in=[this_year.pk, next_year.pk]).values_list("status", flat=True)) == {
        "confirmed"}
