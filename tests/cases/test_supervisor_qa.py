"""What a supervisor found wrong working the desk's admin and reports (QA by the supervisor's role),
each with the test that would have caught it."""

import datetime

import pytest
from django.utils import translation

from cases.models import SlaPolicy, SlaTarget
from tests.admin_forms import change_form_data

pytestmark = pytest.mark.django_db


def _resolution_target() -> SlaTarget:
    """The normal ticket's resolution target: 24 business hours (three working days of 8 hours)."""
    target = SlaTarget.objects.get(policy=SlaPolicy.objects.get(kind="ticket", priority="normal"),
                                   metric="resolution")
    assert target.target == datetime.timedelta(hours=24)
    return target


def test_a_target_reads_as_business_hours_not_as_a_calendar_day():
    """The policy's inline rows, its history and the delete confirmation name a target by its text:
    "Resolution: 1 day, 0:00:00" (English in the Chinese admin too) read as one day for a target of
    three working days."""
    target = _resolution_target()
    with translation.override("en"):
        assert str(target) == "Resolution: 24h 00m"
    with translation.override("zh-hans"):
        assert str(target) == "解决: 24 小时 00 分"
        assert "day" not in str(target)


def test_the_policy_page_shows_a_target_as_business_hours_and_saves_it_unchanged(client, supervisor):
    supervisor.is_staff = True
    supervisor.save()
    client.force_login(supervisor)
    target = _resolution_target()
    url = f"/admin/cases/slapolicy/{target.policy_id}/change/"
    page = client.get(url)
    html = page.content.decode()
    assert 'value="24:00:00"' in html and 'value="1 00:00:00"' not in html
    assert "解决: 24 小时 00 分" in html
    data = change_form_data(page)
    assert "24:00:00" in data.values()
    assert client.post(url, data).status_code == 302
    target.refresh_from_db()
    assert target.target == datetime.timedelta(hours=24)
    data = {key: ("30:00:00" if value == "24:00:00" else value) for key, value in data.items()}
    assert client.post(url, data).status_code == 302
    target.refresh_from_db()
    assert target.target == datetime.timedelta(hours=30)


@pytest.mark.parametrize("typed", ["1 day", "1 00:00:00", "P1D", "8:00", "1天"])
def test_a_target_typed_other_than_as_hours_minutes_seconds_is_refused(client, supervisor, typed):
    """"1 day" was saved as 24 business hours (three working days of 8 hours, where the supervisor meant
    one) and "8:00" as 8 minutes: only hours:minutes:seconds is taken, anything else is a form error."""
    supervisor.is_staff = True
    supervisor.save()
    client.force_login(supervisor)
    target = _resolution_target()
    url = f"/admin/cases/slapolicy/{target.policy_id}/change/"
    data = change_form_data(client.get(url))
    data = {key: (typed if value == "24:00:00" else value) for key, value in data.items()}
    response = client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "Write the target as business hours:minutes:seconds" in response.content.decode()
    target.refresh_from_db()
    assert target.target == datetime.timedelta(hours=24)


@pytest.mark.parametrize("body", ["Dear {{ client_name }}, your case {{ case_number is being handled.",
                                  "Dear { client_name }}, we have your case.",
                                  "Dear {{ client_name }}, see {% if case_number the portal.",
                                  "Dear {{ client_name }}, {# to do: the deadline"])
def test_a_notice_template_with_an_unclosed_placeholder_is_refused(client, supervisor, body):
    """Django reads "{{ case_number" without its "}}" as plain text: the template was saved and every
    client's notice showed the braces and the placeholder's name as typed."""
    from django.urls import reverse

    from notifications.models import NotificationTemplate

    client.force_login(supervisor)
    template = NotificationTemplate.objects.get(event="case_reply", language="en", channel="")
    before = template.body
    url = reverse("admin:notifications_notificationtemplate_change", args=[template.pk])
    response = client.post(url, {"event": "case_reply", "language": "en", "channel": "", "subject": template.subject,
                                 "body": body, "is_active": "on"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "not closed or not opened" in " ".join(response.context["adminform"].form.errors["body"])
    template.refresh_from_db()
    assert template.body == before


def test_a_template_syntax_error_is_introduced_in_the_supervisors_language(client, supervisor):
    from django.urls import reverse

    from notifications.models import NotificationTemplate

    client.force_login(supervisor)
    template = NotificationTemplate.objects.get(event="case_reply", language="en", channel="")
    url = reverse("admin:notifications_notificationtemplate_change", args=[template.pk])
    response = client.post(url, {"event": "case_reply", "language": "en", "channel": "", "subject": template.subject,
                                 "body": "{% if %}x{% endif %}", "is_active": "on"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["body"][0].startswith("Not a valid template: ")


def _add_year(client, supervisor, year) -> object:
    from cases.models import BusinessCalendar

    supervisor.is_staff = True
    supervisor.save()
    client.force_login(supervisor)
    working = BusinessCalendar.objects.get(code="working")
    return client.post("/admin/cases/calendaryear/add/", {"calendar": working.pk, "year": year, "source": ""},
                       HTTP_ACCEPT_LANGUAGE="en")


def test_a_year_added_in_the_admin_starts_from_the_library_s_holidays(client, supervisor):
    """Added by hand, a year had no holiday at all (National Day, Spring Festival: working days), and
    the daily seeding leaves a year that is present alone: its deadlines were wrong for good."""
    from cases.models import CalendarDay, CalendarYear
    from cases.sla import add_business_time

    assert _add_year(client, supervisor, 2029).status_code == 302
    year = CalendarYear.objects.get(calendar__code="working", year=2029)
    assert year.status == "estimated"
    national_day = CalendarDay.objects.get(calendar__code="working", date=datetime.date(2029, 10, 1))
    assert national_day.is_business_day is False
    assert CalendarDay.objects.filter(calendar__code="working", date__year=2029, is_business_day=False).count() >= 7
    # Monday 1 October 2029, 10:00: an hour of business time ends after the holidays, not that day
    from zoneinfo import ZoneInfo

    start = datetime.datetime(2029, 10, 1, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert add_business_time(start, datetime.timedelta(hours=1), "working").date() > datetime.date(2029, 10, 1)


@pytest.mark.parametrize("year", [0, 1, 1899, 10000])
def test_an_impossible_calendar_year_is_a_form_error_and_saves_nothing(client, supervisor, year):
    from cases.models import CalendarYear

    before = CalendarYear.objects.count()
    response = _add_year(client, supervisor, year)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["year"] == ["Choose a year from 2000 to 2099."]
    assert CalendarYear.objects.count() == before


def test_the_trading_calendar_cannot_be_set_to_trade_on_make_up_weekend_days(client, supervisor):
    """The box's help says "Trading calendar: never", yet the admin saved it ticked: the supervisor's
    calendar page then took a Saturday as a trading day (a margin call's T+2 a day shorter)."""
    from cases.models import BusinessCalendar, CalendarDay

    supervisor.is_staff = True
    supervisor.save()
    client.force_login(supervisor)
    trading = BusinessCalendar.objects.get(code="trading")
    url = f"/admin/cases/businesscalendar/{trading.pk}/change/"
    data = change_form_data(client.get(url))
    data["weekend_days_can_be_business"] = "on"
    response = client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["weekend_days_can_be_business"] == [
        "The exchange never trades on a weekend day: the trading calendar cannot count make-up days."]
    trading.refresh_from_db()
    assert trading.weekend_days_can_be_business is False
    response = client.post("/supervisor/calendars/trading/2026/days/", {"date": "2026-12-05", "kind": "workday"})
    assert response.status_code == 400
    assert not CalendarDay.objects.filter(calendar=trading, date=datetime.date(2026, 12, 5)).exists()
    # the working calendar keeps its make-up Saturdays
    working = BusinessCalendar.objects.get(code="working")
    data = change_form_data(client.get(f"/admin/cases/businesscalendar/{working.pk}/change/"))
    assert data["weekend_days_can_be_business"] is True
    assert client.post(f"/admin/cases/businesscalendar/{working.pk}/change/", data).status_code == 302
