"""The admin with input a supervisor (or a URL someone shares) may get wrong: a bad lookup in a list's
query string, a form sent back with nonsense in a field, a stored calendar's key fields. Every one
is an error on the page or the list's "bad lookup" answer, never a server error, and changes nothing
that the rest of the product relies on."""

import datetime
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from accounts.roles import Role
from cases.models import BusinessCalendar, CalendarYear
from tests.factories import ClientProfileFactory, PositionFactory, UserFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def as_supervisor(client, supervisor):
    client.force_login(supervisor)
    return client


@pytest.mark.parametrize("changelist, query", [
    ("admin:cases_case_changelist", "created_at__year=99999"),
    ("admin:cases_case_changelist", "created_at__year=0"),
    ("admin:cases_caseevent_changelist", "created_at__gte=0001-01-01"),
    ("admin:notifications_notification_changelist", "created_at__gte=0001-01-01+00:00:00"),
    ("admin:accounts_clientprofile_changelist", "updated_at__year=99999"),
    ("admin:cases_slatimer_changelist", "due_at__year=99999"),
    ("admin:risk_ratiosnapshot_changelist", "taken_at__year=99999"),
    ("admin:notifications_inboundemail_changelist", "received_at__gte=0001-01-01"),
    ("admin:cases_calendarday_changelist", "date__year=99999999999999999999"),  # past a C long: OverflowError
])
def test_a_lookup_value_no_query_can_hold_is_a_bad_lookup_not_a_server_error(as_supervisor, changelist, query):
    """A year past 9999 (or 0), or a Shanghai time before UTC's year 1, failed while the SQL was built: 500."""
    url = reverse(changelist)
    response = as_supervisor.get(f"{url}?{query}")
    if "__year=" in query or response.status_code != 200:  # PostgreSQL takes a time in year 1 (SQLite cannot)
        assert response.status_code == 302 and response.url.endswith("?e=1")  # Django's answer to a bad lookup
    assert as_supervisor.get(f"{url}?created_at__year=2026&e=1").status_code in (200, 302)


def test_a_filter_that_matches_nothing_is_still_an_empty_list(client, risk_officer):
    client.force_login(risk_officer)
    response = client.get(reverse("admin:accounts_creditaccount_changelist"), {"band": "nonsense"})
    assert response.status_code == 200 and list(response.context["cl"].result_list) == []


def admin_form_data(response) -> dict:
    """The change page's form and inline formsets as the browser would send them back."""
    data = {}

    def put(form, name):
        value = form[name].value()
        key = form.add_prefix(name)
        if isinstance(value, bool):
            if value:
                data[key] = "on"
        elif isinstance(value, (list, tuple)):
            data[key] = [str(item) for item in value]
        elif value is not None:
            data[key] = str(value)

    form = response.context["adminform"].form
    for name in form.fields:
        put(form, name)
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = str(management[name].value())
        for inline_form in inline.formset.forms:
            for name in inline_form.fields:
                put(inline_form, name)
    return data


def test_a_position_sent_back_with_no_security_key_is_a_form_error(admin_client):
    """The position's security (an autocomplete field) sent back as `abc`: Django's widget looked the
    value up to show it again and failed (int("abc")), a 500 instead of the field's error."""
    position = PositionFactory()
    url = reverse("admin:accounts_creditaccount_change", args=[position.account.pk])
    data = admin_form_data(admin_client.get(url))
    assert data["positions-0-security"] == str(position.security.pk)
    for bad in ("abc", "99999999999999999999999"):
        response = admin_client.post(url, {**data, "positions-0-security": bad})
        assert response.status_code == 200
        assert response.context["inline_admin_formsets"][0].formset.errors[0]["security"]
    position.refresh_from_db()
    assert position.security_id is not None


def test_the_core_systems_keys_stay_as_imported(client, risk_officer, supervisor):
    """A risk officer could rename a credit account (`x`, `'"<script>` were saved) and a supervisor a
    client: the next import_accounts, which matches on these numbers, then added them a second time."""
    position = PositionFactory()
    account, profile = position.account, position.account.client
    account_no, client_no = account.account_no, profile.client_no
    client.force_login(risk_officer)
    url = reverse("admin:accounts_creditaccount_change", args=[account.pk])
    data = admin_form_data(client.get(url))
    assert "account_no" not in data
    assert client.post(url, {**data, "account_no": "X1", "warning_line": "1.4100"}).status_code == 302
    account.refresh_from_db()
    assert (account.account_no, str(account.warning_line)) == (account_no, "1.4100")
    client.force_login(supervisor)
    url = reverse("admin:accounts_clientprofile_change", args=[profile.pk])
    data = admin_form_data(client.get(url))
    assert "client_no" not in data
    assert client.post(url, {**data, "client_no": "X1"}).status_code == 302
    profile.refresh_from_db()
    assert profile.client_no == client_no


@pytest.mark.parametrize("lookup", ["phone__startswith", "id_number__startswith", "phone", "id_number__regex"])
def test_a_team_lead_cannot_read_masked_data_off_the_lists_filters(client, team_lead, supervisor, lookup):
    """The client list masks id numbers and phones for a team lead, but filtered on them
    (`?phone__startswith=139`) its count told the number a digit at a time."""
    profile = ClientProfileFactory(phone="13912345678", id_number="110101199001011234")
    url = reverse("admin:accounts_clientprofile_changelist")
    value = "1" if lookup.endswith(("startswith", "regex")) else profile.phone
    client.force_login(team_lead)
    response = client.get(url, {lookup: value})
    assert response.status_code == 400
    assert client.get(url, {"tier__exact": profile.tier}).status_code == 200
    assert client.get(reverse("admin:accounts_creditaccount_changelist"),
                      {f"client__{lookup}": value}).status_code == 400  # Django's own rule for relations
    client.force_login(supervisor)  # who sees them whole may filter on them
    response = client.get(url, {lookup: value})
    assert response.status_code == 200 and profile in response.context["cl"].result_list


def test_a_queues_code_cannot_be_changed(as_supervisor):
    from accounts.models import Queue

    general = Queue.objects.get(code="general")
    url = reverse("admin:accounts_queue_change", args=[general.pk])
    data = admin_form_data(as_supervisor.get(url))
    assert "code" not in data
    assert as_supervisor.post(url, {**data, "code": "x", "name_en": "General"}).status_code == 302
    general.refresh_from_db()
    assert (general.code, general.name_en) == ("general", "General")


def test_a_calendars_code_cannot_be_changed(as_supervisor):
    """The code names the calendar in the code (the monitoring's trading days, the seeding job): the
    change form let a supervisor rename `trading`, and the monitoring no longer found its calendar."""
    calendar = BusinessCalendar.objects.get(code="trading")
    url = reverse("admin:cases_businesscalendar_change", args=[calendar.pk])
    data = admin_form_data(as_supervisor.get(url))
    assert "code" not in data
    response = as_supervisor.post(url, {**data, "code": "renamed", "name": "交易日"})
    assert response.status_code == 302
    calendar.refresh_from_db()
    assert (calendar.code, calendar.name) == ("trading", "交易日")


def test_counting_make_up_weekend_days_moves_the_running_clocks(as_supervisor, monkeypatch):
    """Whether a make-up weekend day counts changes the business time as much as new service hours."""
    moved = []
    monkeypatch.setattr("cases.sla_admin.calendar_hours_changed", moved.append)
    calendar = BusinessCalendar.objects.get(code="working")
    url = reverse("admin:cases_businesscalendar_change", args=[calendar.pk])
    data = admin_form_data(as_supervisor.get(url))
    assert data.pop("weekend_days_can_be_business") == "on"
    assert as_supervisor.post(url, data).status_code == 302
    assert moved == ["working"]


def test_a_stored_calendar_year_keeps_its_calendar_year_and_status(as_supervisor):
    """The change form moved a year (2026 → 0, to another calendar) away from its days, and set it
    confirmed without anyone recorded as confirming it; confirming is the list's action."""
    year = CalendarYear.objects.get(calendar__code="trading", year=2026)
    url = reverse("admin:cases_calendaryear_change", args=[year.pk])
    data = admin_form_data(as_supervisor.get(url))
    assert {"calendar", "year", "status"}.isdisjoint(data)
    working = BusinessCalendar.objects.get(code="working")
    response = as_supervisor.post(url, {**data, "calendar": working.pk, "year": "0", "status": "confirmed",
                                        "source": "上交所公告"})
    assert response.status_code == 302
    year.refresh_from_db()
    assert (year.calendar.code, year.year, year.status, year.source) == ("trading", 2026, "estimated", "上交所公告")


def test_a_supervisor_adds_a_year_estimated(as_supervisor):
    response = as_supervisor.post(reverse("admin:cases_calendaryear_add"), {
        "calendar": BusinessCalendar.objects.get(code="working").pk, "year": "2040", "status": "confirmed",
        "source": "x"})
    assert response.status_code == 302
    added = CalendarYear.objects.get(calendar__code="working", year=2040)
    assert added.status == "estimated" and added.confirmed_by is None


def test_auditors_change_no_calendar_year(client):
    auditor = UserFactory(username="auditor9", roles=[Role.AUDITOR])
    client.force_login(auditor)
    year = CalendarYear.objects.get(calendar__code="trading", year=2026)
    url = reverse("admin:cases_calendaryear_change", args=[year.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"source": "x"}).status_code == 403
    assert client.post(reverse("admin:cases_calendaryear_changelist"),
                       {"action": "confirm", "_selected_action": [year.pk]}).status_code in (200, 302, 403)
    year.refresh_from_db()
    assert (year.status, year.source) != ("confirmed", "x") and year.confirmed_by is None


def test_a_missing_production_setting_is_one_line_not_a_trace(tmp_path):
    """`manage.py check` with production settings and no SECRET_KEY printed 60 lines of traceback."""
    env = {key: value for key, value in os.environ.items() if key not in ("SECRET_KEY", "ALLOWED_HOSTS", "SITE_URL")}
    env.update({"DJANGO_SETTINGS_MODULE": "servicedesk.settings.production",
                "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"})
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == ["ImproperlyConfigured: Set the SECRET_KEY environment variable"]


def test_the_admin_home_and_every_list_open_for_a_supervisor(as_supervisor):
    """And the calendar lists' date hierarchy with a year no date has."""
    assert as_supervisor.get(reverse("admin:index")).status_code == 200
    url = reverse("admin:cases_calendarday_changelist")
    assert as_supervisor.get(url, {"date__year": "99999"}).status_code in (200, 302)
    assert as_supervisor.get(url, {"date__year": str(datetime.date.today().year)}).status_code == 200


BEYOND_64_BITS = "12345678901234567890123"


def test_a_member_key_past_any_database_integer_is_a_form_error(admin_client):
    """A queue's members sent back with a 23-digit key: a server error on SQLite (Django looked
    the value up and the database could not bind it); now the field says it is no valid choice,
    and the queue keeps its members."""
    from tests.factories import queue

    general = queue("general")
    member = UserFactory(roles=[Role.AGENT])
    general.members.add(member)
    url = reverse("admin:accounts_queue_change", args=[general.pk])
    response = admin_client.post(url, {"code": general.code, "name": general.name, "name_en": general.name_en,
                                       "members": [str(member.pk), BEYOND_64_BITS]}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "is not a valid value" in " ".join(response.context["adminform"].form.errors["members"])
    assert list(general.members.all()) == [member]


@pytest.mark.parametrize("changelist", ["admin:cases_case_changelist", "admin:cases_returnvisit_changelist",
                                        "admin:cases_slatimer_changelist", "admin:risk_accountalert_changelist"])
def test_a_nul_character_in_a_choice_filter_is_a_bad_lookup(as_supervisor, changelist):
    """`?state=%00`: PostgreSQL refused the list's query (a server error)."""
    response = as_supervisor.get(f"{reverse(changelist)}?state=%00")
    assert response.status_code == 302 and response.url.endswith("?e=1")


@pytest.mark.parametrize("changelist, query", [
    ("admin:axes_accesslog_changelist", "path_info=%00"),
    ("admin:axes_accesslog_changelist", "attempt_time__year=99999999999999999999"),
    ("admin:django_celery_beat_periodictask_changelist", "task=%00"),
])
def test_the_packages_admin_lists_refuse_impossible_lookups_too(admin_client, changelist, query):
    """axes' and celery beat's own admins (superusers only) answered these with a server error."""
    response = admin_client.get(f"{reverse(changelist)}?{query}")
    assert response.status_code == 302 and response.url.endswith("?e=1")


@pytest.mark.parametrize("changelist, query", [
    ("admin:accounts_queue_changelist", f"members={BEYOND_64_BITS}"),
    ("admin:accounts_user_changelist", f"groups__id__exact={BEYOND_64_BITS}"),
])
def test_a_relations_key_past_any_database_integer_is_a_bad_lookup(as_supervisor, changelist, query):
    """Through a relation the value reached SQLite, which could not bind it: a server error."""
    response = as_supervisor.get(f"{reverse(changelist)}?{query}")
    if response.status_code == 200:  # a plain key lookup: Django knows no row has it
        assert list(response.context["cl"].result_list) == []
    else:
        assert response.status_code == 302 and response.url.endswith("?e=1")


@pytest.mark.parametrize("minute", ["-1", "61", "*/0", "x"])
def test_a_crontab_the_scheduler_cannot_read_is_a_form_error_not_a_server_error(admin_client, minute):
    """django_celery_beat's crontab page shows the schedule in words; for a value its validators
    let through or refuse, the page answers with the form again (the words left out), never a 500."""
    from django_celery_beat.models import CrontabSchedule

    response = admin_client.post(reverse("admin:django_celery_beat_crontabschedule_add"), {
        "minute": minute, "hour": "*", "day_of_month": "*", "month_of_year": "*", "day_of_week": "*",
        "timezone": "Asia/Shanghai"})
    assert response.status_code == 200 and response.context["adminform"].form.errors
    assert not CrontabSchedule.objects.filter(minute=minute).exists()
    CrontabSchedule.objects.create(minute="-1")  # a row stored by other means: the list still opens
    assert admin_client.get(reverse("admin:django_celery_beat_crontabschedule_changelist")).status_code == 200


@pytest.mark.parametrize("selected", [["abc"], [BEYOND_64_BITS], ["abc", "{pk}"]])
def test_an_action_on_a_row_key_that_is_no_key_is_no_server_error(as_supervisor, client_profile, selected):
    """The outbox's "send again" with `_selected_action=abc`: Django looked the value up and the query
    failed (a server error). The value selects nothing; a real key beside it is still acted on."""
    from notifications.models import Notification

    notice = Notification.objects.create(recipient_client=client_profile, address=client_profile.phone,
                                         channel="sms", event="margin_call", body="追保通知", status="gave_up")
    changelist = reverse("admin:notifications_notification_changelist")
    response = as_supervisor.post(changelist, {"action": "send_again", "_selected_action": [
        value.format(pk=notice.pk) for value in selected]})
    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.status == ("pending" if "{pk}" in selected else "gave_up")
