"""Role × endpoint permission matrix, including access across clients (404, never a hint)."""

import pytest

from accounts.roles import Role
from cases.models import CaseKind
from cases.services import case_create
from tests.factories import ClientProfileFactory, CreditAccountFactory, UserFactory, queue

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(agent, outsider_agent, team_lead, supervisor, risk_officer, auditor, advisor):
    """Client X (advised by `advisor`) with a ticket in the general queue; client Y elsewhere."""
    x = ClientProfileFactory(advisor=advisor)
    y = ClientProfileFactory()
    x_account, y_account = CreditAccountFactory(client=x), CreditAccountFactory(client=y)
    ticket = case_create(created_by=x.user, client=x, kind=CaseKind.TICKET, subject="X's ticket",
                         credit_account=x_account)
    users = {
        "client": x.user, "other_client": y.user, "agent": agent, "outsider_agent": outsider_agent,
        "advisor": advisor, "other_advisor": UserFactory(username="advisor2", roles=[Role.ADVISOR]),
        "team_lead": team_lead, "supervisor": supervisor, "risk_officer": risk_officer, "auditor": auditor,
    }
    return {"users": users, "case": ticket, "account": x_account, "other_account": y_account}


# role: (see case, change case, take a staff transition, write a public message, see X's account)
MATRIX = {
    "client": (True, False, False, True, True),
    "other_client": (False, False, False, False, False),
    "agent": (True, True, True, True, True),
    "outsider_agent": (False, False, False, False, True),
    "advisor": (True, True, True, True, True),
    "other_advisor": (False, False, False, False, False),
    "team_lead": (True, True, True, True, True),
    "supervisor": (True, True, True, True, True),
    "risk_officer": (True, True, True, True, True),
    "auditor": (True, False, False, False, True),
}


def expected(visible, allowed, ok=200):
    if not visible:
        return 404
    return ok if allowed else 403


@pytest.mark.parametrize("role", list(MATRIX))
def test_role_matrix(role, world, api):
    sees, changes, transitions, writes, sees_account = MATRIX[role]
    case, user = world["case"], world["users"][role]
    url = f"/api/v1/cases/{case.number}/"
    http = api.as_user(user)

    listed = [row["number"] for row in http.get("/api/v1/cases/").data["results"]]
    assert (case.number in listed) == sees
    assert http.get(url).status_code == (200 if sees else 404)
    assert http.get(url + "events/").status_code == (200 if sees else 404)
    assert http.get(url + "messages/").status_code == (200 if sees else 404)
    assert http.get(url + "transitions/").status_code == (200 if sees else 404)
    assert http.patch(url, {"priority": "high"}, format="json").status_code == expected(sees, changes)
    assert http.post(url + "transitions/open/").status_code == expected(sees, transitions)
    response = http.post(url + "messages/", {"body": "hello"}, format="json")
    assert response.status_code == expected(sees, writes, ok=201)
    account_url = f"/api/v1/accounts/{world['account'].account_no}/"
    assert http.get(account_url).status_code == (200 if sees_account else 404)


@pytest.mark.parametrize("role", ["client", "agent", "advisor", "auditor"])
def test_nobody_sees_another_clients_account_unless_staff(role, world, api):
    http = api.as_user(world["users"][role])
    status = http.get(f"/api/v1/accounts/{world['other_account'].account_no}/").status_code
    assert status == (404 if role in ("client", "advisor") else 200)


def test_anonymous_gets_nothing(world, api):
    assert api.get("/api/v1/cases/").status_code == 401
    assert api.get(f"/api/v1/cases/{world['case'].number}/").status_code == 401
    assert api.get("/api/v1/accounts/").status_code == 401


def test_clients_never_see_internal_notes_or_staff_fields(world, api):
    case, agent = world["case"], world["users"]["agent"]
    staff = api.as_user(agent)
    assert staff.post(f"/api/v1/cases/{case.number}/messages/", {"body": "internal only", "visibility": "internal"},
                      format="json").status_code == 201
    assert staff.post(f"/api/v1/cases/{case.number}/messages/", {"body": "您好", "visibility": "public"},
                      format="json").status_code == 201
    client = api.as_user(world["users"]["client"])
    bodies = [m["body"] for m in client.get(f"/api/v1/cases/{case.number}/messages/").data]
    assert bodies == ["您好"]
    detail = client.get(f"/api/v1/cases/{case.number}/").data
    assert not {"queue", "assignee", "created_by", "proposed_by", "client_tier"} & set(detail)
    events = client.get(f"/api/v1/cases/{case.number}/events/").data
    assert all("actor" not in event and "comment" not in event for event in events)
    response = client.post(f"/api/v1/cases/{case.number}/messages/", {"body": "x", "visibility": "internal"},
                           format="json")
    assert response.status_code == 403


def test_a_client_replies_through_the_api_as_on_the_portal_never_on_a_finished_case(world, api):
    case, agent, client = world["case"], world["users"]["agent"], world["users"]["client"]
    url = f"/api/v1/cases/{case.number}/messages/"

    def step(name):
        response = api.as_user(agent).post(f"/api/v1/cases/{case.number}/transitions/{name}/",
                                           {"comment": "done"}, format="json")
        assert response.status_code == 200, response.data

    step("open")
    step("resolve")
    # a resolved ticket may still be reopened: the client may write on it
    assert api.as_user(client).post(url, {"body": "one more question"}, format="json").status_code == 201
    step("close")
    response = api.as_user(client).post(url, {"body": "and another"}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 409 and "submit a new request" in response.data["detail"]
    assert [m["body"] for m in api.as_user(client).get(url).data][-1] == "one more question"
    assert api.as_user(agent).post(url, {"body": "a staff note", "visibility": "internal"},
                                   format="json").status_code == 201  # staff still write on it


def test_client_cannot_open_a_case_on_someone_elses_account(world, api):
    response = api.as_user(world["users"]["client"]).post(
        "/api/v1/cases/", {"kind": "ticket", "subject": "x", "credit_account": world["other_account"].account_no},
        format="json")
    assert response.status_code == 400 and "credit_account" in response.data


def test_token_login(world, api):
    user = world["users"]["agent"]
    response = api.post("/api/v1/auth/token/", {"username": user.username, "password": "pass-word-123"},
                        format="json")
    assert response.status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Token {response.data['token']}")
    assert api.get(f"/api/v1/cases/{world['case'].number}/").status_code == 200
    bad = api.post("/api/v1/auth/token/", {"username": user.username, "password": "wrong"}, format="json")
    assert bad.status_code == 400


@pytest.mark.parametrize("queue_filter", ["general", "risk", "disputes"])
def test_a_queue_filter_keeps_the_agents_scope(world, api, queue_filter, agent, outsider_agent, client_profile):
    """An agent filtering on a queue sees that queue's cases only if a member, else only their own."""
    from cases.services import case_update

    risk_case = case_create(created_by=agent, client=client_profile, kind=CaseKind.TICKET, subject="risk")
    case_update(case=risk_case, user=agent, queue=queue("risk"))
    mine = case_create(created_by=agent, client=client_profile, kind=CaseKind.TICKET, subject="mine")
    case_update(case=mine, user=agent, queue=queue("risk"), assignee=outsider_agent)
    seen_by_agent = {r["number"] for r in api.as_user(agent).get(f"/api/v1/cases/?queue={queue_filter}").data["results"]}
    seen_by_outsider = {r["number"] for r in
                        api.as_user(outsider_agent).get(f"/api/v1/cases/?queue={queue_filter}").data["results"]}
    expected_agent = {"general": {world["case"].number}, "risk": set(), "disputes": set()}[queue_filter]
    assert seen_by_agent == expected_agent
    assert seen_by_outsider == ({mine.number} if queue_filter == "risk" else set())
