"""Object-level scope beyond the path parameters the sweep (test_authz_sweep.py) fills: what the
query string of a list selects by."""

import pytest

from cases.services import case_assign, case_create

pytestmark = [pytest.mark.django_db, pytest.mark.security]


@pytest.mark.parametrize("query, field", [
    ("assignee=agent1", "assignee"), ("assignee=none", "assignee"), ("queue=general", "queue"),
])
def test_clients_may_not_filter_their_cases_by_staff_only_fields(api, client_profile, agent, supervisor, query,
                                                                 field):
    """A client never receives a case's assignee or queue, yet ?assignee=agent1 listed the cases that
    agent works (and told which staff usernames exist): refused like the SLA filters, 400 naming it."""
    case = case_create(created_by=client_profile.user, client=client_profile, kind="ticket", subject="mine")
    case_assign(case=case, user=supervisor, assignee=agent)
    response = api.as_user(client_profile.user).get(f"/api/v1/cases/?{query}")
    assert response.status_code == 400 and list(response.json()) == [field]
    assert [row["number"] for row in api.as_user(client_profile.user).get("/api/v1/cases/").json()["results"]] == [
        case.number]
    assert api.as_user(supervisor).get(f"/api/v1/cases/?{query}").status_code == 200
