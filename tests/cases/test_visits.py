"""Return visits: scheduled after resolved disputes, liquidations and each quarter for hnw clients;
recorded by an agent; overdue ones show up for supervisors."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from rest_framework.test import APIClient

from accounts.models import Tier
from cases.models import CaseEvent, ReturnVisit
from cases.services import case_create, case_transition
from cases.services.visits import return_visits_schedule_quarterly
from servicedesk.celery import app
from tests.cases.test_workflows import short_of_margin
from tests.factories import ClientProfileFactory

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
WED = datetime.datetime(2026, 11, 25, 10, tzinfo=SH)


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(WED, tick=False):
        yield


def drive(case, steps):
    for name, user in steps:
        case = case_transition(case=case, user=user, name=name, comment="说明")
    return case


@pytest.fixture
def approved_dispute(frozen_time, client_profile, credit_account, agent, supervisor):
    case = case_create(created_by=agent, client=client_profile, kind="dispute", subject="利息有异议",
                       credit_account=credit_account)
    return drive(case, [("acknowledge", agent), ("investigate", agent), ("propose_resolution", agent),
                        ("approve_resolution", supervisor)])


def test_an_accepted_dispute_gets_one_visit(approved_dispute, client_profile, agent):
    case = drive(approved_dispute, [("accept", client_profile.user)])
    visit = ReturnVisit.objects.get(case=case)
    assert (visit.client, visit.reason, visit.state, visit.assigned_to) == (
        client_profile, "dispute_resolved", "scheduled", agent)
    assert visit.due_date == datetime.date(2026, 12, 2)  # seven days later
    drive(case, [("close", agent)])
    assert ReturnVisit.objects.filter(case=case).count() == 1


def test_a_dispute_closed_after_mediation_gets_a_visit(approved_dispute, client_profile, agent):
    case = drive(approved_dispute, [("reject", client_profile.user), ("refer_to_mediation", agent)])
    assert not ReturnVisit.objects.exists()
    drive(case, [("close", agent)])
    assert ReturnVisit.objects.get().reason == "dispute_resolved"


def liquidated(client_profile, credit_account, risk_officer, other_risk_officer):
    """A margin call of the client's account driven to an approved liquidation."""
    short_of_margin(credit_account)
    case = case_create(created_by=None, client=client_profile, kind="margin_call", subject="追保",
                       credit_account=credit_account)
    return drive(case, [("notify_client", None), ("pass_deadline", None), ("propose_liquidation", risk_officer),
                        ("approve_liquidation", other_risk_officer)])


def test_a_liquidation_gets_a_visit_for_the_advisor(client_profile, credit_account, risk_officer,
                                                    other_risk_officer, advisor):
    client_profile.advisor = advisor
    client_profile.save()
    case = liquidated(client_profile, credit_account, risk_officer, other_risk_officer)
    visit = ReturnVisit.objects.get(case=case)
    # Three days after Wednesday is a Saturday: due on the Monday (it was due on the Saturday).
    assert (visit.reason, visit.assigned_to, visit.due_date) == ("liquidation", advisor, datetime.date(2026, 11, 30))


def test_the_admin_does_not_record_a_visit_past_its_case(client, client_profile, credit_account, risk_officer,
                                                         other_risk_officer, supervisor, agent):
    """A visit is recorded where its follow-ups run (console page, API): marking it done in the admin
    left the liquidated margin call open for ever (no other margin call for the account), with no
    one named as having made the call and nothing on the case's trail."""
    short_of_margin(credit_account)
    case = case_create(created_by=None, client=client_profile, kind="margin_call", subject="追保",
                       credit_account=credit_account)
    case = drive(case, [("notify_client", None), ("pass_deadline", None), ("propose_liquidation", risk_officer),
                        ("approve_liquidation", other_risk_officer)])
    visit = ReturnVisit.objects.get(case=case)
    client.force_login(supervisor)
    url = f"/admin/cases/returnvisit/{visit.pk}/change/"
    form = client.get(url).content.decode()
    assert 'name="state"' not in form and 'name="outcome"' not in form
    response = client.post(url, {"due_date": "2026-11-30", "assigned_to": agent.pk, "state": "done",
                                 "outcome": "已回访"})
    assert response.status_code == 302
    visit.refresh_from_db()
    assert (visit.state, visit.outcome, visit.due_date, visit.assigned_to) == (
        "scheduled", "", datetime.date(2026, 11, 30), agent)  # rescheduled and reassigned, not recorded
    case.refresh_from_db()
    assert case.state == "liquidated"


def test_the_admin_assigns_a_visit_only_to_someone_who_makes_calls(client, client_profile, supervisor, auditor,
                                                                     agent):
    """Assigned to a client or an auditor, a visit left every agent's list and nobody it names could
    record it; the choice is the active staff who work cases."""
    visit = ReturnVisit.objects.create(client=client_profile, reason="hnw_quarterly",
                                       due_date=datetime.date(2026, 12, 1))
    client.force_login(supervisor)
    url = f"/admin/cases/returnvisit/{visit.pk}/change/"
    for outsider in (client_profile.user, auditor):
        response = client.post(url, {"due_date": "2026-12-01", "assigned_to": outsider.pk})
        assert response.status_code == 200 and "assigned_to" in response.context["adminform"].form.errors
    visit.refresh_from_db()
    assert visit.assigned_to is None
    assert client.post(url, {"due_date": "2026-12-01", "assigned_to": agent.pk}).status_code == 302
    visit.refresh_from_db()
    assert visit.assigned_to == agent


def test_quarterly_visits_for_hnw_clients_once_per_quarter(advisor):
    rich = [ClientProfileFactory(tier=Tier.HNW, advisor=advisor) for _ in range(3)]
    ClientProfileFactory(tier=Tier.STANDARD)
    with time_machine.travel(datetime.datetime(2026, 10, 1, 7, tzinfo=SH), tick=False):
        assert app.tasks["visits.schedule_quarterly"].apply().get() == 3
        assert return_visits_schedule_quarterly() == 0  # run again: nothing new
    visits = ReturnVisit.objects.all()
    assert {visit.client for visit in visits} == set(rich)
    assert {(v.reason, v.due_date, v.assigned_to, v.case) for v in visits} == {
        ("hnw_quarterly", datetime.date(2026, 11, 2), advisor, None)}  # 31 Oct is a Saturday
    assert return_visits_schedule_quarterly(datetime.date(2026, 11, 25)) == 0  # same quarter
    assert return_visits_schedule_quarterly(datetime.date(2027, 1, 1)) == 3  # the next one


def test_a_visit_is_not_assigned_to_an_advisor_who_left(client_profile, credit_account, risk_officer,
                                                       other_risk_officer, advisor, agent):
    """Nobody would have made the call: the visit sat on a deactivated account's list."""
    client_profile.advisor = advisor
    client_profile.tier = Tier.HNW
    client_profile.save()
    advisor.is_active = False
    advisor.save()
    case = liquidated(client_profile, credit_account, risk_officer, other_risk_officer)
    assert ReturnVisit.objects.get(case=case).assigned_to is None  # nobody worked the call either
    case.assignee = agent
    case.save()
    ReturnVisit.objects.all().delete()
    from cases.services.visits import return_visit_schedule

    assert return_visit_schedule(case=case, reason="liquidation").assigned_to == agent  # who worked the case
    assert return_visits_schedule_quarterly(datetime.date(2027, 1, 1)) == 1
    assert ReturnVisit.objects.get(reason="hnw_quarterly").assigned_to is None  # unassigned: every agent sees it


def test_the_beat_schedules_the_quarterly_visits():
    from django.conf import settings

    job = settings.CELERY_BEAT_SCHEDULE["visits-schedule-quarterly"]
    assert job["task"] == "visits.schedule_quarterly"
    assert job["schedule"].day_of_month == {1} and job["schedule"].month_of_year == {1, 4, 7, 10}


# --- the API ---------------------------------------------------------------------------------------

@pytest.fixture
def visits(agent, other_agent):
    """One visit each: the agent's, the other agent's, an unassigned one; the agent's is overdue."""
    clients = [ClientProfileFactory() for _ in range(3)]
    return {
        "mine": ReturnVisit.objects.create(client=clients[0], reason="dispute_resolved", assigned_to=agent,
                                           due_date=datetime.date(2026, 11, 20)),
        "theirs": ReturnVisit.objects.create(client=clients[1], reason="liquidation", assigned_to=other_agent,
                                             due_date=datetime.date(2026, 11, 24)),
        "nobody": ReturnVisit.objects.create(client=clients[2], reason="hnw_quarterly",
                                             due_date=datetime.date(2026, 12, 31)),
    }


def ids(response):
    return {row["id"] for row in response.data["results"]}


def test_agents_see_theirs_and_unassigned_supervisors_all(api, agent, supervisor, visits):
    assert ids(api.as_user(agent).get("/api/v1/return-visits/")) == {visits["mine"].pk, visits["nobody"].pk}
    assert ids(api.as_user(supervisor).get("/api/v1/return-visits/")) == {v.pk for v in visits.values()}


def test_overdue_visits_for_supervisors(api, supervisor, visits):
    response = api.as_user(supervisor).get("/api/v1/return-visits/?overdue=true")
    assert ids(response) == {visits["mine"].pk, visits["theirs"].pk}
    row = next(row for row in response.data["results"] if row["id"] == visits["mine"].pk)
    assert (row["overdue"], row["assigned_to"], row["client"]) == (True, "agent1", visits["mine"].client.client_no)


def test_overdue_false_lists_the_visits_not_overdue(api, supervisor, visits):
    """`?overdue=false` is the other half of `?overdue=true` (as in the admin), not every visit."""
    response = api.as_user(supervisor).get("/api/v1/return-visits/?overdue=false")
    assert response.status_code == 200
    assert ids(response) == {visits["nobody"].pk}
    assert all(row["overdue"] is False for row in response.data["results"])
    report = api.as_user(supervisor).get("/api/v1/reports/sla/").data
    assert [row["id"] for row in report["overdue_visits"]] == [visits["mine"].pk, visits["theirs"].pk]
    assert ids(api.as_user(supervisor).get("/api/v1/return-visits/?state=done")) == set()


def test_clients_see_no_visits(api, client_profile, visits):
    assert APIClient().get("/api/v1/return-visits/").status_code == 401
    assert api.as_user(client_profile.user).get("/api/v1/return-visits/").status_code == 403


def test_an_agent_records_a_visit_once(api, agent, visits):
    url = f"/api/v1/return-visits/{visits['mine'].pk}/complete/"
    response = api.as_user(agent).post(url, {"outcome": "客户表示理解，无其他诉求。", "reached": True}, format="json")
    assert response.status_code == 200
    assert (response.data["state"], response.data["done_by"], response.data["overdue"]) == ("done", "agent1", False)
    again = api.as_user(agent).post(url, {"outcome": "again", "reached": True}, format="json")
    assert again.status_code == 409
    visit = ReturnVisit.objects.get(pk=visits["mine"].pk)
    assert visit.outcome == "客户表示理解，无其他诉求。" and visit.done_at is not None


def test_a_client_not_reached_is_recorded_as_missed(api, agent, visits):
    response = api.as_user(agent).post(f"/api/v1/return-visits/{visits['nobody'].pk}/complete/",
                                       {"outcome": "无人接听", "reached": False}, format="json")
    assert response.status_code == 200
    visit = ReturnVisit.objects.get(pk=visits["nobody"].pk)
    assert (visit.state, visit.assigned_to, visit.done_by) == ("missed", agent, agent)


def test_recording_needs_an_outcome_and_a_visit_one_may_see(api, agent, auditor, visits):
    url = f"/api/v1/return-visits/{visits['mine'].pk}/complete/"
    assert api.as_user(agent).post(url, {"outcome": "  ", "reached": True}, format="json").status_code == 400
    assert api.as_user(agent).post(url, {"outcome": "ok"}, format="json").status_code == 400
    other = f"/api/v1/return-visits/{visits['theirs'].pk}/complete/"
    assert api.as_user(agent).post(other, {"outcome": "ok", "reached": True}, format="json").status_code == 404
    assert api.as_user(auditor).post(url, {"outcome": "ok", "reached": True}, format="json").status_code == 403
    assert api.as_user(auditor).post(url, {}, format="json").status_code == 403  # the role before the input
    assert ReturnVisit.objects.filter(state="scheduled").count() == 3


def test_the_outcome_is_written_to_the_case_trail(api, approved_dispute, client_profile, agent):
    case = drive(approved_dispute, [("accept", client_profile.user)])
    visit = ReturnVisit.objects.get(case=case)
    api.as_user(agent).post(f"/api/v1/return-visits/{visit.pk}/complete/",
                            {"outcome": "客户满意", "reached": True}, format="json")
    event = CaseEvent.objects.filter(case=case).latest("id")
    assert (event.name, event.to_value, event.comment, event.is_internal) == ("return_visit", "done", "客户满意", True)


def test_a_team_lead_sees_every_visit(api, team_lead, visits):
    assert len(ids(api.as_user(team_lead).get("/api/v1/return-visits/"))) == 3


def test_supervisors_see_overdue_visits_in_the_admin(client, supervisor, client_profile):
    import datetime

    from django.utils import timezone

    from cases.models.visits import ReturnVisit

    late = ReturnVisit.objects.create(client=client_profile, reason="hnw_quarterly",
                                      due_date=timezone.localdate() - datetime.timedelta(days=3))
    ReturnVisit.objects.create(client=client_profile, reason="liquidation",
                               due_date=timezone.localdate() + datetime.timedelta(days=3))
    client.force_login(supervisor)
    page = client.get("/admin/cases/returnvisit/?overdue=yes")
    assert page.status_code == 200
    assert list(page.context["cl"].queryset) == [late]
    assert client.get("/admin/cases/satisfactionrating/").status_code == 200
    assert client.get("/admin/cases/contractchange/").status_code == 200


@pytest.mark.parametrize("accepted, due", [
    (datetime.datetime(2026, 9, 24, 10, tzinfo=SH), datetime.date(2026, 10, 8)),  # 1 Oct: National Day week off
    (datetime.datetime(2026, 10, 3, 10, tzinfo=SH), datetime.date(2026, 10, 10)),  # a make-up Saturday works
])
def test_a_visit_due_on_a_day_off_is_due_on_the_next_working_day(approved_dispute, client_profile, accepted, due):
    with time_machine.travel(accepted, tick=False):
        case = drive(approved_dispute, [("accept", client_profile.user)])
    assert ReturnVisit.objects.get(case=case).due_date == due
