"""An edit of a calendar day moves the deadlines of the running clocks it concerns (a holiday
added after a case was opened, a make-up day removed), keeps the time already run, says so on
the case's timeline, and leaves stopped clocks and clocks due before that day alone."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from cases.models import CalendarDay, CalendarYear, CaseEvent, CaseKind, EventKind, SlaTimer
from cases.services import case_create, case_transition, message_create
from cases.services.calendars import calendar_day_add, calendar_day_remove
from cases.services.sla import sla_rebuild

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
FRIDAY = datetime.date(2026, 11, 27)


def at(*args):
    return datetime.datetime(*args, tzinfo=SH)


def due(case, metric):
    return SlaTimer.objects.get(case=case, metric=metric, stopped_at__isnull=True).due_at


def working_2026():
    return CalendarYear.objects.get(calendar__code="working", year=2026)


@pytest.fixture
def ticket(client_profile, agent):
    """Opened Wednesday 25 Nov 2026 10:00, normal priority: first response due 14:00 that day,
    resolution (3 working days) Monday 30 Nov 10:00."""
    with time_machine.travel(at(2026, 11, 25, 10), tick=False):
        return case_create(created_by=agent, client=client_profile, kind=CaseKind.TICKET, subject="日历",
                           priority="normal", channel="phone")


def test_a_holiday_added_moves_the_deadlines_beyond_it_and_says_so(ticket, supervisor, edited_at):
    assert due(ticket, "resolution") == at(2026, 11, 30, 10)
    with edited_at(at(2026, 11, 25, 11)):
        calendar_day_add(calendar_year=working_2026(), date=FRIDAY, is_business_day=False, name="临时休市",
                         user=supervisor)
    assert due(ticket, "resolution") == at(2026, 12, 1, 10)  # Friday no longer counts
    assert due(ticket, "first_response") == at(2026, 11, 25, 14)  # due before Friday: unchanged
    timer = SlaTimer.objects.get(case=ticket, metric="resolution")
    assert timer.elapsed_seconds == 0 and timer.started_at == at(2026, 11, 25, 10)
    [event] = CaseEvent.objects.filter(case=ticket, kind=EventKind.SLA, name="calendar_changed")
    assert event.is_internal and event.data["dates"] == ["2026-11-27"]
    assert event.data["due"] == {"resolution:1": [at(2026, 11, 30, 10).isoformat(), at(2026, 12, 1, 10).isoformat()]}
    assert sla_rebuild(case=ticket) is False  # the event log reproduces the stored timers

    with edited_at(at(2026, 11, 25, 12)):
        calendar_day_remove(calendar_year=working_2026(), date=FRIDAY, user=supervisor)
    assert due(ticket, "resolution") == at(2026, 11, 30, 10)
    assert CaseEvent.objects.filter(case=ticket, name="calendar_changed").count() == 2


def test_time_already_run_is_kept_and_stopped_clocks_stay_as_they_were(ticket, client_profile, agent, supervisor,
                                                                        edited_at):
    with time_machine.travel(at(2026, 11, 25, 11), tick=False):
        message_create(case=ticket, author=agent, body="已收到")  # first response met after 1 h
        case = case_transition(case=ticket, user=agent, name="open")
        case = case_transition(case=case, user=agent, name="wait_on_client", comment="请提供截图")
    with time_machine.travel(at(2026, 11, 26, 10), tick=False):  # 7 h of waiting, then the client answers
        message_create(case=case, author=client_profile.user, body="截图")
    first = SlaTimer.objects.get(case=ticket, metric="first_response")
    resolution = SlaTimer.objects.get(case=ticket, metric="resolution")
    assert resolution.elapsed_seconds == 3600 and resolution.due_at == at(2026, 11, 30, 17)
    with edited_at(at(2026, 11, 26, 11)):
        calendar_day_add(calendar_year=working_2026(), date=FRIDAY, is_business_day=False, user=supervisor)
    moved = SlaTimer.objects.get(pk=resolution.pk)
    assert moved.elapsed_seconds == 3600 and moved.pauses == resolution.pauses
    assert moved.due_at == at(2026, 12, 1, 17)
    assert SlaTimer.objects.get(pk=first.pk).due_at == first.due_at and first.stopped_at is not None


def test_a_day_after_every_deadline_moves_nothing(ticket, supervisor, edited_at):
    with edited_at(at(2026, 11, 25, 11)):
        calendar_day_add(calendar_year=working_2026(), date=datetime.date(2026, 12, 4), is_business_day=False,
                         user=supervisor)
    assert due(ticket, "resolution") == at(2026, 11, 30, 10)
    assert not CaseEvent.objects.filter(case=ticket, name="calendar_changed").exists()


def test_an_edit_in_the_admin_moves_the_deadlines_too(ticket, admin, edited_at):
    working = working_2026().calendar
    with edited_at(at(2026, 11, 25, 11)):
        response = admin.post("/admin/cases/calendarday/add/", {
            "calendar": working.pk, "date": "2026-11-27", "is_business_day": "", "name": "临时休市"})
    assert response.status_code == 302, response.content[:500]
    assert due(ticket, "resolution") == at(2026, 12, 1, 10)
    day = CalendarDay.objects.get(calendar=working, date=FRIDAY)
    with edited_at(at(2026, 11, 25, 12)):
        response = admin.post(f"/admin/cases/calendarday/{day.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert due(ticket, "resolution") == at(2026, 11, 30, 10)


def test_the_case_page_timeline_says_why_the_deadline_moved(ticket, client, agent, supervisor, edited_at):
    from django.urls import reverse

    with edited_at(at(2026, 11, 25, 11)):
        calendar_day_add(calendar_year=working_2026(), date=FRIDAY, is_business_day=False, user=supervisor)
    client.force_login(supervisor)
    url = reverse("console:case", kwargs={"number": ticket.number})
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    chinese = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    calendar = working_2026().calendar
    assert f"SLA deadlines moved: the calendar “{calendar.name_en}” changed on 2026-11-27" in english
    assert calendar.name in chinese and "2026-11-27" in chinese and "SLA deadlines moved" not in chinese


def test_a_day_moved_in_the_admin_moves_the_deadlines_of_both_dates(ticket, admin, supervisor, edited_at):
    working = working_2026().calendar
    with edited_at(at(2026, 11, 25, 11)):
        day = calendar_day_add(calendar_year=working_2026(), date=FRIDAY, is_business_day=False, user=supervisor)
    assert due(ticket, "resolution") == at(2026, 12, 1, 10)
    # Moved to the Friday after every deadline: the first Friday counts again.
    with edited_at(at(2026, 11, 25, 12)):
        response = admin.post(f"/admin/cases/calendarday/{day.pk}/change/", {
            "calendar": working.pk, "date": "2026-12-04", "is_business_day": "", "name": "临时休市"})
    assert response.status_code == 302, response.content[:500]
    assert due(ticket, "resolution") == at(2026, 11, 30, 10)


# --- a day corrected after the time was counted: the rebuild still reproduces the timers -------------

def test_a_past_day_corrected_moves_no_time_banked_and_the_rebuild_still_agrees(
        ticket, client_profile, agent, supervisor, edited_at):
    """Wednesday made a holiday on Thursday, after the ticket's clocks counted it: the first
    response met at 11:00 (1 h) and the resolution paused by the wait (1 h banked) keep what they
    counted, and the replay of the log, which counted every event on today's calendar, gave both
    0 s: `sla_rebuild` rewrote them, and a breach could appear or vanish after the fact."""
    wednesday = datetime.date(2026, 11, 25)
    with time_machine.travel(at(2026, 11, 25, 11), tick=False):
        message_create(case=ticket, author=agent, body="已收到")
        case = case_transition(case=ticket, user=agent, name="open")
        case = case_transition(case=case, user=agent, name="wait_on_client", comment="请提供截图")
    with edited_at(at(2026, 11, 26, 9)):
        calendar_day_add(calendar_year=working_2026(), date=wednesday, is_business_day=False, name="临时休市",
                         user=supervisor)
    first = SlaTimer.objects.get(case=ticket, metric="first_response")
    resolution = SlaTimer.objects.get(case=ticket, metric="resolution")
    assert (first.state, first.elapsed_seconds) == ("met", 3600)
    assert (resolution.state, resolution.elapsed_seconds) == ("paused", 3600)
    assert sla_rebuild(case=case) is False

    with time_machine.travel(at(2026, 11, 26, 10), tick=False):  # the client answers: 23 h left from 10:00
        message_create(case=case, author=client_profile.user, body="截图")
    resolution.refresh_from_db()
    assert resolution.due_at == at(2026, 11, 30, 17)
    assert sla_rebuild(case=case) is False

    with edited_at(at(2026, 11, 26, 11)):  # the correction undone: the same again
        calendar_day_remove(calendar_year=working_2026(), date=wednesday, user=supervisor)
    assert sla_rebuild(case=case) is False


def test_service_hours_changed_after_the_time_was_counted_keep_the_rebuild_agreeing(
        ticket, agent, admin, edited_at):
    """The working calendar's service hours cut to 09:00–10:30 on Thursday: the resolution clock
    paused on Wednesday keeps the 1 h (10:00–11:00) it counted on the old hours (the replay counted
    half an hour, on the new)."""
    from cases.models import BusinessCalendar

    with time_machine.travel(at(2026, 11, 25, 11), tick=False):
        case = case_transition(case=ticket, user=agent, name="open")
        case = case_transition(case=case, user=agent, name="wait_on_client", comment="请提供截图")
    working = BusinessCalendar.objects.get(code="working")
    with edited_at(at(2026, 11, 26, 9)):
        page = admin.get(f"/admin/cases/businesscalendar/{working.pk}/change/")
        data = {name: value for name, value in page.context["adminform"].form.initial.items() if value is not None}
        data.update(opens_at="09:00", closes_at="10:30", weekend_days_can_be_business="on")
        response = admin.post(f"/admin/cases/businesscalendar/{working.pk}/change/", data)
    assert response.status_code == 302, response.content[:500]
    assert SlaTimer.objects.get(case=case, metric="resolution").elapsed_seconds == 3600
    assert sla_rebuild(case=case) is False
