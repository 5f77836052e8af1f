"""Return visits in the console: the visits to make (overdue first and marked), recording one
once with its outcome, the recorded ones; who sees and who records; the supervisors' count."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import CaseEvent, ReturnVisit
from cases.services import case_create
from tests.factories import ClientProfileFactory

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
URL = reverse("console:visits")


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


@pytest.fixture
def visits(client_profile, agent, other_agent):
    dispute = case_create(created_by=agent, kind="dispute", client=client_profile, subject="利息争议",
                          description="已解决", category="interest")
    return {
        "overdue": ReturnVisit.objects.create(client=client_profile, case=dispute, reason="dispute_resolved",
                                              due_date=days(-2), assigned_to=agent),
        "unassigned": ReturnVisit.objects.create(client=ClientProfileFactory(name="Wang Fang"), reason="hnw_quarterly",
                                                 due_date=days(5)),
        "others": ReturnVisit.objects.create(client=ClientProfileFactory(name="Zhao Lei"), reason="liquidation",
                                             due_date=days(1), assigned_to=other_agent),
    }


def rows(page: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'<tr data-visit="(\d+)"', page)]


def test_an_agent_sees_their_visits_and_the_unassigned_overdue_first(client, agent, visits):
    client.force_login(agent)
    page = client.get(URL, **EN).content.decode()
    assert rows(page) == [visits["overdue"].pk, visits["unassigned"].pk]  # not another agent's
    assert 'class="overdue"' in page and 'data-overdue-count="1"' in page
    assert reverse("console:case", args=[visits["overdue"].case.number]) in page
    assert rows(client.get(URL, {"show": "overdue"}).content.decode()) == [visits["overdue"].pk]
    assert 'href="/console/visits/"' in page  # in the navigation


def test_recording_a_visit_once(client, agent, visits):
    client.force_login(agent)
    visit = visits["overdue"]
    record = reverse("console:visit_record", args=[visit.pk])
    response = client.post(record, {"outcome": "客户对处理结果满意", "reached": "yes"}, **EN)
    assert response.status_code == 302 and response["Location"] == URL
    visit.refresh_from_db()
    assert (visit.state, visit.outcome, visit.done_by) == ("done", "客户对处理结果满意", agent)
    assert CaseEvent.objects.filter(case=visit.case, name="return_visit", to_value="done").count() == 1
    recorded = client.get(URL, {"show": "recorded"}, **EN).content.decode()
    assert rows(recorded) == [visit.pk] and "客户对处理结果满意" in recorded

    response = client.post(record, {"outcome": "again", "reached": "no"}, **EN)
    assert response.status_code == 409 and "already recorded" in response.content.decode()
    visit.refresh_from_db()
    assert visit.outcome == "客户对处理结果满意"


def test_a_visit_without_outcome_is_refused_and_unchanged(client, agent, visits):
    client.force_login(agent)
    visit = visits["unassigned"]
    response = client.post(reverse("console:visit_record", args=[visit.pk]), {"outcome": " ", "reached": "no"}, **EN)
    assert response.status_code == 400
    page = response.content.decode()
    assert re.search(rf'<div class="field has-error">\s*<label for="visit-{visit.pk}-outcome"', page)
    visit.refresh_from_db()
    assert visit.state == "scheduled" and visit.assigned_to is None
    bad = client.post(reverse("console:visit_record", args=[visit.pk]), {"outcome": "ok", "reached": "maybe"})
    assert bad.status_code == 400


def test_who_sees_and_who_records(client, agent, auditor, client_profile, visits):
    client.force_login(agent)  # another agent's visit is not there to record
    assert client.post(reverse("console:visit_record", args=[visits["others"].pk]),
                       {"outcome": "x", "reached": "yes"}).status_code == 404
    client.force_login(auditor)  # everything, read-only
    page = client.get(URL, **EN).content.decode()
    assert len(rows(page)) == 3 and "visit-record" not in page
    response = client.post(reverse("console:visit_record", args=[visits["overdue"].pk]), {"outcome": "x", "reached": "yes"})
    assert response.status_code == 403
    client.force_login(client_profile.user)
    assert client.get(URL).status_code == 403
    client.logout()
    assert client.get(URL).status_code == 302


def test_supervisors_see_how_many_visits_are_overdue(client, supervisor, visits):
    client.force_login(supervisor)
    page = client.get(reverse("supervisor:dashboard"), **EN).content.decode()
    assert 'data-overdue-visits="1"' in page and f'{URL}?show=overdue' in page
