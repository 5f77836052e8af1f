"""A staff member's own change can take a case out of their sight: an agent in no queue who
unassigns themselves, an agent who opens a case for a queue they are not in. The change is made
and answered (the API returns the case as the change left it, the console page goes back to the
case list saying why), never a server error; afterwards the case is out of their reach."""

import pytest
from django.urls import reverse

from cases.models import Case, CaseKind
from cases.services import case_assign, case_create

pytestmark = pytest.mark.django_db


def assigned_ticket(client_profile, agent, assignee):
    case = case_create(created_by=agent, client=client_profile, kind=CaseKind.TICKET, subject="Margin interest query")
    case_assign(case=case, user=agent, assignee=assignee)
    return case


@pytest.mark.parametrize("body, content_type", [
    ({"assignee": None}, "json"),
    ("assignee=&queue=&priority=urgent", "application/x-www-form-urlencoded"),  # what the fuzzer sent
])
def test_api_an_agent_who_unassigns_themselves_gets_the_case_as_they_left_it(
        api, client_profile, agent, outsider_agent, body, content_type):
    case = assigned_ticket(client_profile, agent, outsider_agent)
    client = api.as_user(outsider_agent)
    assert client.get(f"/api/v1/cases/{case.number}/").status_code == 200  # theirs by assignment

    if content_type == "json":
        response = client.patch(f"/api/v1/cases/{case.number}/", body, format="json")
    else:
        response = client.generic("PATCH", f"/api/v1/cases/{case.number}/", body, content_type=content_type)

    assert response.status_code == 200, response.content
    assert response.json()["number"] == case.number and response.json()["assignee"] is None
    assert Case.objects.get(pk=case.pk).assignee_id is None
    assert client.get(f"/api/v1/cases/{case.number}/").status_code == 404  # out of their sight now


def test_api_an_agent_opens_a_case_for_a_queue_they_are_not_in(api, client_profile, outsider_agent):
    response = api.as_user(outsider_agent).post("/api/v1/cases/", {
        "client": client_profile.client_no, "kind": "ticket", "subject": "Statement for October",
    }, format="json")

    assert response.status_code == 201, response.content
    number = response.json()["number"]
    assert response.json()["queue"] == "general" and response.json()["state"] == "new"
    assert Case.objects.filter(number=number, created_by=outsider_agent).exists()
    assert api.as_user(outsider_agent).get(f"/api/v1/cases/{number}/").status_code == 404


def test_console_unassigning_themselves_goes_back_to_the_case_list(client, client_profile, agent, outsider_agent):
    case = assigned_ticket(client_profile, agent, outsider_agent)
    client.force_login(outsider_agent)

    response = client.post(reverse("console:case_assign", kwargs={"number": case.number}), {"assignee": ""})

    assert response.status_code == 302 and response.url == reverse("console:cases")
    assert Case.objects.get(pk=case.pk).assignee_id is None
    page = client.get(response.url)
    assert page.status_code == 200
    assert case.number in page.content.decode()  # the message naming the case
    assert client.get(reverse("console:case", kwargs={"number": case.number})).status_code == 404


def test_console_a_change_that_keeps_the_case_in_sight_stays_on_its_page(client, client_profile, agent):
    case = assigned_ticket(client_profile, agent, agent)
    client.force_login(agent)

    response = client.post(reverse("console:case_assign", kwargs={"number": case.number}), {"assignee": ""})

    assert response.status_code == 302 and response.url == reverse("console:case", kwargs={"number": case.number})
