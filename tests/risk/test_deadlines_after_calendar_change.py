"""A margin call's deadline counts trading days (T+2, or a relief's days): a supervisor who closes one
of them in the trading calendar (an unscheduled closure, an estimated year corrected) gives the client
that day back. The deadline moves later, the case says so and the client is told by SMS, e-mail and in
the portal; a day opened for trading never brings a deadline forward; nothing moves twice."""

import datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.utils import translation

from cases.models import CalendarYear, CaseEvent
from cases.services.calendars import calendar_day_add, calendar_day_remove
from cases.web.case_page.account_panels import deadline_note
from cases.web.case_page.panels import event_text
from notifications.models import Notification
from risk.models import MarginCall
from risk.monitoring import monitor_accounts
from tests.factories import CreditAccountFactory, PositionFactory, SecurityFactory

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
MONDAY = datetime.datetime(2026, 11, 23, 10, tzinfo=SH)
TUESDAY, FRIDAY = datetime.date(2026, 11, 24), datetime.date(2026, 11, 27)


def close_of(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(15), tzinfo=SH)


def trading_2026():
    return CalendarYear.objects.get(calendar__code="trading", year=2026)


@pytest.fixture
def call(client_profile):
    """Raised on Monday 23 Nov 2026 10:00 at a ratio of 120 %: T+2 is Wednesday 25 Nov, 15:00."""
    client_profile.mobile, client_profile.email = "13800138000", "client@example.com"
    client_profile.save()
    account = CreditAccountFactory(client=client_profile, account_no="A40000001", financing_debt=D("100000.00"))
    PositionFactory(account=account, security=SecurityFactory(price=D("12.00")), quantity=10000)
    with time_machine.travel(MONDAY, tick=False):
        monitor_accounts(trigger="test")
    call = MarginCall.objects.select_related("case").get(account=account)
    assert call.deadline == close_of(datetime.date(2026, 11, 25))
    return call


def moved_notices(call):
    return Notification.objects.filter(case=call.case, event="margin_call_deadline_moved")


def test_a_trading_day_closed_before_the_deadline_moves_it_a_trading_day_later(call, supervisor, edited_at):
    with edited_at(datetime.datetime(2026, 11, 23, 18, tzinfo=SH)):
        calendar_day_add(calendar_year=trading_2026(), date=TUESDAY, is_business_day=False, name="临时休市",
                         name_en="Unscheduled closure", user=supervisor)
    call.refresh_from_db()
    assert call.deadline == close_of(datetime.date(2026, 11, 26))  # two trading days still: Wednesday, Thursday
    [event] = CaseEvent.objects.filter(case=call.case, name="deadline_moved")
    assert event.data == {"calendar": "trading", "dates": ["2026-11-24"]}
    assert event.to_value.startswith("2026-11-26T15:00")
    with translation.override("en"):
        assert "a trading day it counted was closed" in event_text(call.case, event)
    channels = set(moved_notices(call).values_list("channel", flat=True))
    assert channels == {"sms", "email", "in_app"}
    sms = moved_notices(call).get(channel="sms")
    assert "A40000001" in sms.body and "2026年11月26日 15:00" in sms.body and "顺延" in sms.body

    # again for the same day (a name corrected, the command run by hand): nothing moves twice
    call_command("margin_call_deadlines", "2026-11-24")
    call.refresh_from_db()
    assert call.deadline == close_of(datetime.date(2026, 11, 26))
    assert moved_notices(call).count() == 3


def test_a_day_opened_for_trading_never_brings_a_deadline_forward(call, supervisor, edited_at):
    with edited_at(datetime.datetime(2026, 11, 23, 18, tzinfo=SH)):
        calendar_day_add(calendar_year=trading_2026(), date=TUESDAY, is_business_day=False, user=supervisor)
    with edited_at(datetime.datetime(2026, 11, 23, 19, tzinfo=SH)):
        calendar_day_remove(calendar_year=trading_2026(), date=TUESDAY, user=supervisor)  # open again
    call.refresh_from_db()
    assert call.deadline == close_of(datetime.date(2026, 11, 26))  # what the client was told stands
    assert moved_notices(call).count() == 3


def test_days_after_the_deadline_and_the_working_calendar_leave_it_alone(call, supervisor, edited_at):
    with edited_at(datetime.datetime(2026, 11, 23, 18, tzinfo=SH)):
        calendar_day_add(calendar_year=trading_2026(), date=FRIDAY, is_business_day=False, user=supervisor)
        calendar_day_add(calendar_year=CalendarYear.objects.get(calendar__code="working", year=2026),
                         date=TUESDAY, is_business_day=False, user=supervisor)
    call.refresh_from_db()
    assert call.deadline == close_of(datetime.date(2026, 11, 25))
    assert not moved_notices(call).exists()


def test_a_call_due_at_once_below_the_immediate_line_has_no_trading_days_to_give_back(call, supervisor, edited_at):
    MarginCall.objects.filter(pk=call.pk).update(deadline=MONDAY, deadline_from=None, deadline_trading_days=None)
    with edited_at(datetime.datetime(2026, 11, 23, 11, tzinfo=SH)):
        calendar_day_add(calendar_year=trading_2026(), date=TUESDAY, is_business_day=False, user=supervisor)
    call.refresh_from_db()
    assert call.deadline == MONDAY and not moved_notices(call).exists()


def test_the_command_refuses_a_date_it_cannot_read():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("margin_call_deadlines", "24/11/2026")


def test_the_staff_page_says_why_the_deadline_moved(call, supervisor, edited_at):
    """The margin-call panel's note under the deadline names the closed days, as it names a relief."""
    with edited_at(datetime.datetime(2026, 11, 23, 18, tzinfo=SH)):
        calendar_day_add(calendar_year=trading_2026(), date=TUESDAY, is_business_day=False, user=supervisor)
    with translation.override("en"):
        assert deadline_note(call.case) == "moved later: the trading calendar closed 2026-11-24"


def test_a_past_day_corrected_never_tells_the_client_a_deadline_already_gone(call, supervisor, edited_at):
    """A call still open after its deadline (at its restore-to line, not liquidated): a day before it
    corrected a week later would put the deadline on a Thursday already gone; nothing moves, nobody is told."""
    with edited_at(datetime.datetime(2026, 11, 30, 10, tzinfo=SH)):
        calendar_day_add(calendar_year=trading_2026(), date=TUESDAY, is_business_day=False, user=supervisor)
    call.refresh_from_db()
    assert call.deadline == close_of(datetime.date(2026, 11, 25))
    assert not moved_notices(call).exists()


def test_a_closure_on_the_deadline_day_gives_a_call_pending_liquidation_back_to_the_client(
        call, supervisor, risk_officer, edited_at):
    """The market did not open on Wednesday, the deadline day; the monitoring passed the deadline at
    15:05 as the calendar still had it, and a risk officer proposed liquidation. The supervisor closes
    Wednesday at 16:00: the client gets Thursday to top up (T+2 from Monday is Tuesday and Thursday now),
    the call goes back to them, the proposal is withdrawn, and they are told the new deadline."""
    from cases.services import case_transition

    with time_machine.travel(datetime.datetime(2026, 11, 25, 15, 5, tzinfo=SH), tick=False):
        monitor_accounts(trigger="test")
    call.case.refresh_from_db()
    assert call.case.state == "liquidation_pending"
    with time_machine.travel(datetime.datetime(2026, 11, 25, 15, 30, tzinfo=SH), tick=False):
        case_transition(case=call.case, user=risk_officer, name="propose_liquidation", comment="未补仓，建议平仓")

    with edited_at(datetime.datetime(2026, 11, 25, 16, tzinfo=SH)):
        calendar_day_add(calendar_year=trading_2026(), date=datetime.date(2026, 11, 25), is_business_day=False,
                         name="临时休市", name_en="Unscheduled closure", user=supervisor)
    call.refresh_from_db()
    case = call.case
    case.refresh_from_db()
    assert call.deadline == close_of(datetime.date(2026, 11, 26))
    assert (case.state, case.proposed_by, case.proposal) == ("client_notified", None, "")
    [given] = CaseEvent.objects.filter(case=case, name="grant_more_time")
    assert given.data == {"calendar": "trading", "dates": ["2026-11-25"]}
    [moved] = CaseEvent.objects.filter(case=case, name="deadline_moved")
    with translation.override("en"):
        assert "a trading day it counted was closed" in event_text(case, moved)
    assert set(moved_notices(call).values_list("channel", flat=True)) == {"sms", "email", "in_app"}

    with time_machine.travel(datetime.datetime(2026, 11, 26, 14, 55, tzinfo=SH), tick=False):
        monitor_accounts(trigger="test")  # before the new deadline: it stays with the client
    case.refresh_from_db()
    assert case.state == "client_notified"
    with time_machine.travel(datetime.datetime(2026, 11, 26, 15, 5, tzinfo=SH), tick=False):
        monitor_accounts(trigger="test")
    case.refresh_from_db()
    assert case.state == "liquidation_pending"


def test_a_liquidated_call_is_not_given_time_back(call, supervisor, risk_officer, other_risk_officer, edited_at):
    """Liquidation approved (maker and checker) before the closure was entered: too late to give the
    day back; the deadline stays as it was and the client is not told of a new one."""
    from cases.services import case_transition

    with time_machine.travel(datetime.datetime(2026, 11, 25, 15, 5, tzinfo=SH), tick=False):
        monitor_accounts(trigger="test")
        call.case.refresh_from_db()
        case = case_transition(case=call.case, user=risk_officer, name="propose_liquidation", comment="未补仓")
        case_transition(case=case, user=other_risk_officer, name="approve_liquidation", comment="同意")
    with edited_at(datetime.datetime(2026, 11, 25, 16, tzinfo=SH)):
        calendar_day_add(calendar_year=trading_2026(), date=datetime.date(2026, 11, 25), is_business_day=False,
                         user=supervisor)
    call.refresh_from_db()
    assert call.deadline == close_of(datetime.date(2026, 11, 25))
    assert call.case.state in ("liquidated", "return_visit")
    assert not moved_notices(call).exists()
