"""Calendar years: a date in a year with no data is refused with a clear 409 and changes nothing
(API and web forms), the next year is seeded by a daily job, and supervisors see unconfirmed years
on the console too."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from cases.models import CalendarYear, Case, CaseEvent

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def at(*args):
    return datetime.datetime(*args, tzinfo=SH)


@pytest.fixture
def without_2028():
    """The installation as it stands in December 2027 when 2028 was never seeded."""
    CalendarYear.objects.filter(year__gte=2028).delete()


# --- (a) a target reaching into a year with no data --------------------------------------------

def test_api_refuses_a_case_whose_target_reaches_a_missing_year_with_409(api, client_profile, without_2028):
    with time_machine.travel(at(2027, 12, 29, 10), tick=False):
        response = api.as_user(client_profile.user).post(
            "/api/v1/cases/", {"kind": "ticket", "subject": "问题", "priority": "low"}, format="json",
            HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 409, response.content
    assert response.data["code"] == "calendar_year_missing"
    assert (response.data["calendar"], response.data["year"]) == ("working", 2028)
    assert "“Working days” calendar has no dates for 2028" in response.data["detail"]
    assert not Case.objects.exists() and not CaseEvent.objects.exists()


def test_api_names_an_unknown_calendar_with_409(api, agent, client_profile):
    """A running clock on a calendar that is no longer there (its code changed in the admin)."""
    from cases.models import BusinessCalendar, SlaTimer
    from cases.services import case_create

    with time_machine.travel(at(2027, 6, 1, 10), tick=False):
        ticket = case_create(created_by=agent, client=client_profile, kind="ticket", subject="问题")
        timers = list(SlaTimer.objects.filter(case=ticket).values_list("metric", "due_at"))
        BusinessCalendar.objects.filter(code="working").update(code="workdays")
    with time_machine.travel(at(2027, 6, 1, 11), tick=False):
        response = api.as_user(agent).post(f"/api/v1/cases/{ticket.number}/messages/", {"body": "您好"},
                                           format="json", HTTP_ACCEPT_LANGUAGE="en")  # stops the first response
    assert response.status_code == 409, response.content
    assert (response.data["code"], response.data["calendar"]) == ("calendar_unknown", "working")
    assert "There is no calendar “working”" in response.data["detail"]
    assert not ticket.messages.exists()
    assert list(SlaTimer.objects.filter(case=ticket).values_list("metric", "due_at")) == timers


def test_portal_submission_reaching_a_missing_year_shows_the_reason_and_creates_nothing(
        client, client_profile, without_2028):
    with time_machine.travel(at(2027, 12, 29, 10), tick=False):  # 3 working days reach into 2028
        client.force_login(client_profile.user)
        response = client.post(reverse("portal:submit", args=["ticket"]),
                               {"subject": "My ticket", "description": "Details", "category": "fees"}, **EN)
    assert response.status_code == 409
    page = response.content.decode()
    assert "“Working days” calendar has no dates for 2028" in page and "Nothing was changed" in page
    assert 'value="My ticket"' in page  # the form comes back as typed
    assert not Case.objects.exists() and not CaseEvent.objects.exists()


def test_console_priority_change_reaching_a_missing_year_is_refused_and_changes_nothing(
        client, agent, client_profile, without_2028):
    from cases.models import SlaTimer
    from cases.services import case_create

    with time_machine.travel(at(2027, 12, 29, 10), tick=False):
        ticket = case_create(created_by=agent, client=client_profile, kind="ticket", subject="问题",
                             priority="urgent")  # 4 hours: still in 2027
        timers = list(SlaTimer.objects.filter(case=ticket).values_list("metric", "due_at"))
        client.force_login(agent)
        response = client.post(reverse("console:case_priority", kwargs={"number": ticket.number}),
                               {"priority": "low"}, **EN)  # 5 working days: into 2028
    assert response.status_code == 409
    assert "“Working days” calendar has no dates for 2028" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.priority == "urgent"
    assert not CaseEvent.objects.filter(case=ticket, kind="priority").exists()
    assert list(SlaTimer.objects.filter(case=ticket).values_list("metric", "due_at")) == timers


def test_portal_reply_resuming_a_clock_into_a_missing_year_shows_the_reason_and_saves_nothing(
        client, client_profile, agent, without_2028):
    from cases.models import CaseMessage, SlaTimer
    from cases.services import case_create, case_transition, message_create

    with time_machine.travel(at(2027, 12, 20, 10), tick=False):
        ticket = case_create(created_by=agent, client=client_profile, kind="ticket", subject="问题")
        ticket = case_transition(case=ticket, user=agent, name="open")
        message_create(case=ticket, author=agent, body="请补充材料")
        ticket = case_transition(case=ticket, user=agent, name="wait_on_client", comment="需要材料")
    timers = list(SlaTimer.objects.filter(case=ticket).values_list("metric", "cycle", "state", "due_at"))
    with time_machine.travel(at(2027, 12, 31, 16), tick=False):  # resuming the resolution clock reaches 2028
        client.force_login(client_profile.user)
        response = client.post(reverse("portal:reply", kwargs={"number": ticket.number}),
                               {"body": "材料已上传"}, **EN)
    assert response.status_code == 409
    assert "“Working days” calendar has no dates for 2028" in response.content.decode()
    assert not CaseMessage.objects.filter(case=ticket, author=client_profile.user).exists()
    ticket.refresh_from_db()
    assert ticket.state == "waiting_on_client"
    assert list(SlaTimer.objects.filter(case=ticket).values_list("metric", "cycle", "state", "due_at")) == timers


# --- (b) the daily job seeds next year ---------------------------------------------------------

def test_the_daily_job_adds_next_year_once_and_leaves_edits_and_confirmations_alone(supervisor, without_2028):
    from cases.calendars import calendar_year_confirm, load_schedule
    from cases.models import CalendarDay
    from cases.tasks import calendars_seed_next_year_task

    working_2027 = CalendarYear.objects.get(calendar__code="working", year=2027)
    calendar_year_confirm(calendar_year=working_2027, user=supervisor)
    CalendarDay.objects.filter(calendar__code="working", date=datetime.date(2027, 10, 7)).delete()  # an edit
    days_2027 = set(CalendarDay.objects.filter(date__year=2027).values_list("calendar__code", "date",
                                                                             "is_business_day"))
    with time_machine.travel(at(2027, 12, 1, 6, 15), tick=False):
        assert calendars_seed_next_year_task.delay().get() == 2  # working and trading 2028
        added = CalendarYear.objects.filter(year=2028)
        assert {(y.calendar.code, y.status) for y in added} == {("working", "estimated"), ("trading", "estimated")}
        assert CalendarDay.objects.filter(calendar__code="working", date=datetime.date(2028, 1, 1),
                                          is_business_day=False).exists()  # New Year's Day
        assert load_schedule("working").is_business_day(datetime.date(2028, 3, 1))  # seen at once
        days_2028 = CalendarDay.objects.filter(date__year=2028).count()

        assert calendars_seed_next_year_task.delay().get() == 0  # a second run changes nothing
    assert CalendarYear.objects.filter(year=2028).count() == 2
    assert CalendarDay.objects.filter(date__year=2028).count() == days_2028
    working_2027.refresh_from_db()
    assert working_2027.status == "confirmed"
    assert set(CalendarDay.objects.filter(date__year=2027).values_list("calendar__code", "date",
                                                                        "is_business_day")) == days_2027


def test_the_job_runs_daily_under_beat_and_in_run_periodic(settings, without_2028):
    from io import StringIO

    from celery.schedules import crontab
    from django.core.management import call_command

    job = settings.CELERY_BEAT_SCHEDULE["calendars-seed-next-year"]
    assert job["task"] == "calendars.seed_next_year" and isinstance(job["schedule"], crontab)
    assert job["schedule"].hour == {6} and len(job["schedule"].day_of_month) == 31
    settings.CELERY_BEAT_SCHEDULE = {"calendars-seed-next-year": job}  # only this job, once
    out = StringIO()
    with time_machine.travel(at(2027, 12, 1, 6, 15), tick=False):
        call_command("run_periodic", "--once", stdout=out)
    assert "calendars-seed-next-year: ok" in out.getvalue()
    assert CalendarYear.objects.filter(year=2028).count() == 2


# --- (c) the console tells supervisors ---------------------------------------------------------

def test_supervisors_see_the_unconfirmed_years_banner_on_console_pages_agents_do_not(
        client, supervisor, agent, client_profile, credit_account):
    from cases.services import case_create

    this_year = datetime.date.today().year
    ticket = case_create(created_by=agent, client=client_profile, kind="ticket", subject="问题")
    pages = [reverse("console:cases"), reverse("console:case", kwargs={"number": ticket.number}),
             reverse("console:account", kwargs={"account_no": credit_account.account_no}),
             reverse("console:visits")]
    client.force_login(supervisor)
    for url in pages:
        response = client.get(url, **EN)
        page = response.content.decode()
        assert response.status_code == 200, url
        assert 'id="calendar-banner"' in page and f"Working days calendar for {this_year}" in page, url
        assert reverse("supervisor:calendars") in page
    client.force_login(agent)
    for url in pages:
        response = client.get(url, **EN)
        assert response.status_code == 200 and 'id="calendar-banner"' not in response.content.decode(), url
    CalendarYear.objects.filter(year__in=[this_year, this_year + 1]).update(status="confirmed")
    client.force_login(supervisor)
    assert 'id="calendar-banner"' not in client.get(pages[0], **EN).content.decode()


# --- (d) holidays are named in the user's language ---------------------------------------------

def test_seeded_days_are_named_in_chinese_and_english():
    from cases.models import CalendarDay

    def names(code, date):
        day = CalendarDay.objects.get(calendar__code=code, date=date)
        return day.is_business_day, day.name, day.name_en

    assert names("working", datetime.date(2026, 1, 1)) == (False, "元旦", "New Year's Day")
    assert names("working", datetime.date(2026, 2, 14)) == (True, "调休上班日", "Make-up working day")
    assert names("trading", datetime.date(2026, 10, 1)) == (False, "国庆节", "National Day")


def test_the_calendar_pages_name_the_days_in_the_users_language(client, supervisor):
    from cases.models import BusinessCalendar

    supervisor.is_staff = True
    supervisor.save()
    client.force_login(supervisor)
    working = BusinessCalendar.objects.get(code="working")
    for url in (reverse("supervisor:calendar_year", args=["working", 2026]),
                f"/admin/cases/calendarday/?calendar__id__exact={working.pk}&date__year=2026&date__month=2"):
        chinese = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        assert "春节" in chinese and "调休上班日" in chinese, url
        english = client.get(url, **EN).content.decode()
        assert "Chinese New Year (Spring Festival)" in english and "Make-up working day" in english, url
    page = client.get(reverse("supervisor:calendar_year", args=["working", 2026]),
                      HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "Spring Festival" not in page and "make-up working day" not in page


def test_a_day_added_by_a_supervisor_is_named_in_both_languages_or_in_the_one_given(client, supervisor):
    from cases.models import CalendarDay

    client.force_login(supervisor)
    url = reverse("supervisor:add_day", args=["working", 2027])
    assert client.post(url, {"date": "2027-03-03", "kind": "holiday", "name": "公司假日",
                             "name_en": "Company day"}).status_code == 302
    assert client.post(url, {"date": "2027-03-04", "kind": "holiday", "name": "临时休市"}).status_code == 302
    added = CalendarDay.objects.filter(calendar__code="working", date__in=["2027-03-03", "2027-03-04"])
    assert sorted(added.values_list("name", "name_en")) == [("临时休市", ""), ("公司假日", "Company day")]
    page = reverse("supervisor:calendar_year", args=["working", 2027])
    chinese = client.get(page, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "公司假日" in chinese and "Company day" not in chinese
    english = client.get(page, **EN).content.decode()
    assert "Company day" in english and "公司假日" not in english and "临时休市" in english


def test_the_migration_names_the_seeded_days_in_both_languages_and_keeps_typed_names():
    import importlib

    import holidays
    from django.apps import apps

    from cases.models import CalendarDay

    migration = importlib.import_module("cases.migrations.0023_holiday_names_in_both_languages")
    working = CalendarDay.objects.filter(calendar__code="working")
    # As seeded before: in the process's locale (English, or Thai), make-up days in one mixed name.
    working.filter(date=datetime.date(2026, 1, 1)).update(name="New Year's Day", name_en="")
    thai = holidays.China(years=[2026], language="th")[datetime.date(2026, 10, 1)]
    working.filter(date=datetime.date(2026, 10, 1)).update(name=thai, name_en="")
    working.filter(date=datetime.date(2026, 2, 14)).update(name="调休 make-up working day", name_en="")
    # Typed by a supervisor: kept, in both fields.
    working.filter(date=datetime.date(2026, 5, 1)).update(name="劳动节（公司）", name_en="")
    CalendarDay.objects.filter(calendar__code="trading", date=datetime.date(2026, 1, 1)).update(
        name="New Year's Day", name_en="")
    CalendarDay.objects.create(calendar=working.first().calendar, date=datetime.date(2026, 11, 27),
                               is_business_day=False, name="Company day")

    migration.name_in_both_languages(apps, None)

    assert dict(working.filter(date__in=[datetime.date(2026, 1, 1), datetime.date(2026, 10, 1),
                                         datetime.date(2026, 2, 14), datetime.date(2026, 5, 1),
                                         datetime.date(2026, 11, 27)]).values_list("date", "name_en")) == {
        datetime.date(2026, 1, 1): "New Year's Day", datetime.date(2026, 10, 1): "National Day",
        datetime.date(2026, 2, 14): "Make-up working day", datetime.date(2026, 5, 1): "劳动节（公司）",
        datetime.date(2026, 11, 27): "Company day"}
    assert working.get(date=datetime.date(2026, 10, 1)).name == "国庆节"
    assert working.get(date=datetime.date(2026, 2, 14)).name == "调休上班日"
    assert CalendarDay.objects.get(calendar__code="trading", date=datetime.date(2026, 1, 1)).name == "元旦"
