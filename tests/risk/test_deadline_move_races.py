"""A trading day closed while the monitoring passes the deadline it counted (PostgreSQL, real
concurrent transactions): the monitoring locks the case and sends the call to liquidation_pending;
the deadline's move waits for that lock, then sees the call pending liquidation and gives it back to
the client with the new deadline. Without the case locked it read the state from before and moved
the deadline of a call the monitoring then sent to liquidation: pending liquidation, with a deadline
still ahead that the client had just been told to top up by."""

import datetime

import pytest
import time_machine
from django.db import connection

from cases.models import CalendarYear, Case
from cases.services.calendars import calendar_day_add
from notifications.models import Notification
from risk.deadlines import deadlines_after_calendar_change
from risk.models import MarginCall
from tests.concurrency import holding_then
from tests.risk.test_margin_call_races import (  # noqa: F401 - fixtures
    AFTER_DEADLINE, SH, THU, account, first_then_second, monitor, price, security,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]
DEADLINE_DAY = datetime.date(2026, 2, 24)


def test_a_deadline_passed_meanwhile_goes_back_to_the_client_with_the_new_one(account, security, supervisor,
                                                                             monkeypatch):
    price(security, "12.00")  # below the close-out line: a margin call due Tuesday 24 Feb 15:00
    monitor(THU)
    call = MarginCall.objects.get(account=account)
    assert call.deadline == datetime.datetime(2026, 2, 24, 15, tzinfo=SH)
    # The deadline day closed (an unscheduled closure), its task not yet run: it runs below, in the race.
    monkeypatch.setattr("cases.services.calendars.calendar_days_changed", lambda *args, **kwargs: None)
    calendar_day_add(calendar_year=CalendarYear.objects.get(calendar__code="trading", year=2026),
                     date=DEADLINE_DAY, is_business_day=False, user=supervisor)

    with time_machine.travel(AFTER_DEADLINE, tick=False):
        passed, moved = first_then_second(lambda: monitor(AFTER_DEADLINE),
                                          lambda: deadlines_after_calendar_change([DEADLINE_DAY]))
    assert not isinstance(passed, Exception) and passed.deadlines_passed == 1 and moved == 1, (passed, moved)
    call.refresh_from_db()
    assert Case.objects.get(pk=call.case_id).state == "client_notified"
    assert call.deadline == datetime.datetime(2026, 2, 25, 15, tzinfo=SH)  # Tuesday closed: Friday, Wednesday
    assert Notification.objects.filter(case_id=call.case_id, event="margin_call_deadline_moved").count() == 3


def _holding_the_case_then_the_call(case_id, other):
    """The monitoring's lock order in one transaction: the case, then (once `other`, run meanwhile in
    another thread, waits for a lock) the call, moved as refresh_amounts moves it. Returns (this side's
    error or None, `other`'s result)."""
    def move_the_call():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE risk_margincall SET deadline = deadline WHERE case_id = %s", [case_id])

    return holding_then(
        lambda: list(Case.objects.select_for_update(of=("self",)).filter(pk=case_id).values_list("pk", flat=True)),
        move_the_call, other)


def test_a_deadline_move_waiting_for_the_monitoring_is_no_deadlock(account, security, supervisor, monkeypatch):
    """The move locks the case before the call, in the monitoring's order: taken the other way round,
    each side waited for the other and PostgreSQL aborted one as a deadlock."""
    price(security, "12.00")
    monitor(THU)
    call = MarginCall.objects.get(account=account)
    monkeypatch.setattr("cases.services.calendars.calendar_days_changed", lambda *args, **kwargs: None)
    calendar_day_add(calendar_year=CalendarYear.objects.get(calendar__code="trading", year=2026),
                     date=DEADLINE_DAY, is_business_day=False, user=supervisor)

    with time_machine.travel(THU, tick=False):
        error, moved = _holding_the_case_then_the_call(call.case_id,
                                                       lambda: deadlines_after_calendar_change([DEADLINE_DAY]))
    assert error is None and moved == 1, (error, moved)
    call.refresh_from_db()
    assert call.deadline == datetime.datetime(2026, 2, 25, 15, tzinfo=SH)
