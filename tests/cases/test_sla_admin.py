"""Supervisors confirm calendar years and edit SLA policies in the admin."""

import datetime

import pytest

from cases.models import CalendarYear, CaseKind, SlaPolicy, SlaTarget, SlaTimer
from cases.services import case_create
from cases.tasks import sla_reapply_task

pytestmark = pytest.mark.django_db


def test_supervisor_confirms_a_calendar_year(client, supervisor):
    supervisor.is_staff = True
    supervisor.save()
    client.force_login(supervisor)
    year = CalendarYear.objects.get(calendar__code="trading", year=2026)
    response = client.post("/admin/cases/calendaryear/", {"action": "confirm", "_selected_action": [year.pk]},
                           follow=True)
    assert response.status_code == 200
    year.refresh_from_db()
    assert year.status == "confirmed" and year.confirmed_by == supervisor
    assert client.get("/admin/cases/slapolicy/").status_code == 200
    assert client.get("/admin/cases/calendarday/").status_code == 200


def test_a_policy_edit_moves_open_cases_without_losing_time(client_profile, agent):
    case = case_create(created_by=agent, client=client_profile, kind=CaseKind.TICKET, subject="x")
    SlaTarget.objects.filter(policy=SlaPolicy.objects.get(kind="ticket", priority="normal"),
                             metric="resolution").update(target=datetime.timedelta(hours=10))
    assert sla_reapply_task() == 1
    assert SlaTimer.objects.get(case=case, metric="resolution").target_seconds == 10 * 3600
    assert sla_reapply_task() == 0


def test_supervisors_see_unconfirmed_years_on_the_admin_home(client, supervisor, team_lead):
    from django.utils import timezone

    this_year = timezone.localdate().year
    client.force_login(supervisor)
    page = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "calendar-warnings" in page and f"Working days calendar for {this_year}" in page
    for calendar_year in CalendarYear.objects.filter(year__in=[this_year, this_year + 1]):
        calendar_year.status = "confirmed"
        calendar_year.save()
    assert "calendar-warnings" not in client.get("/admin/").content.decode()
    team_lead.is_staff = True
    team_lead.save()
    CalendarYear.objects.filter(year=this_year).update(status="estimated")
    client.force_login(team_lead)
    assert "calendar-warnings" not in client.get("/admin/").content.decode()
