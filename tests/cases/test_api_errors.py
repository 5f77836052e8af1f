"""Bad input gets a clear error and changes nothing."""

import datetime

import pytest
from django.utils import timezone

from cases.models import Case, CaseEvent
from tests.factories import CreditAccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(api, client_profile):
    response = api.as_user(client_profile.user).post(
        "/api/v1/cases/", {"kind": "ticket", "subject": "问题"}, format="json")
    return Case.objects.get(number=response.data["number"])


def test_missing_and_invalid_fields_get_400_with_field_errors(api, client_profile):
    response = api.as_user(client_profile.user).post("/api/v1/cases/", {"kind": "nonsense", "priority": "x"},
                                                     format="json")
    assert response.status_code == 400
    assert {"kind", "subject", "priority"} <= set(response.data)
    assert not Case.objects.exists()


def test_margin_call_kind_cannot_be_posted(api, client_profile):
    response = api.as_user(client_profile.user).post("/api/v1/cases/", {"kind": "margin_call", "subject": "x"},
                                                     format="json")
    assert response.status_code == 400 and "kind" in response.data


def test_staff_must_name_a_known_client(api, agent):
    http = api.as_user(agent)
    assert "client" in http.post("/api/v1/cases/", {"kind": "ticket", "subject": "x"}, format="json").data
    response = http.post("/api/v1/cases/", {"kind": "ticket", "subject": "x", "client": "NOPE"}, format="json")
    assert response.status_code == 400 and "client" in response.data


def test_staff_opens_a_case_for_a_client_who_phoned(api, agent, client_profile, credit_account):
    response = api.as_user(agent).post("/api/v1/cases/", {
        "kind": "dispute", "subject": "利息计算有误", "client": client_profile.client_no,
        "credit_account": credit_account.account_no, "channel": "12386"}, format="json")
    assert response.status_code == 201, response.data
    assert response.data["channel"] == "12386"
    assert response.data["state"] == "received"
    assert response.data["queue"] == "disputes"


def test_unknown_transition_is_409_listing_allowed_ones(api, agent, ticket):
    response = api.as_user(agent).post(f"/api/v1/cases/{ticket.number}/transitions/fly_away/")
    assert response.status_code == 409
    assert set(response.data["allowed"]) == {"open", "cancel"}
    assert response.data["state"] == "new"


def test_patch_with_bad_values_changes_nothing(api, agent, ticket):
    http = api.as_user(agent)
    for body in ({"priority": "whenever"}, {"queue": "nowhere"}, {"assignee": "ghost"}):
        response = http.patch(f"/api/v1/cases/{ticket.number}/", body, format="json")
        assert response.status_code == 400, body
        assert set(body) <= set(response.data)
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.queue.code, ticket.assignee) == ("normal", "general", None)
    assert not CaseEvent.objects.filter(case=ticket).exclude(kind__in=["created", "sla"]).exists()


def test_patch_changes_are_audited(api, agent, supervisor, ticket):
    response = api.as_user(supervisor).patch(f"/api/v1/cases/{ticket.number}/",
                                             {"priority": "urgent", "queue": "disputes", "assignee": "agent1"},
                                             format="json")
    assert response.status_code == 200, response.data
    assert (response.data["priority"], response.data["queue"], response.data["assignee"]) == (
        "urgent", "disputes", "agent1")
    assert response.data["state"] == "open"  # assigning a new ticket opens it
    kinds = list(CaseEvent.objects.filter(case=ticket).values_list("kind", flat=True))
    assert kinds == ["created", "sla", "priority", "queue", "sla", "assignment", "transition"]


def test_unknown_case_is_404(api, agent):
    assert api.as_user(agent).get("/api/v1/cases/CS-2099-999999/").status_code == 404


def test_blank_message_is_400(api, client_profile, ticket):
    response = api.as_user(client_profile.user).post(f"/api/v1/cases/{ticket.number}/messages/", {"body": "  "},
                                                     format="json")
    assert response.status_code == 400 and "body" in response.data


def test_client_reply_resumes_a_ticket_waiting_on_them(api, agent, client_profile, ticket):
    http = api.as_user(agent)
    http.post(f"/api/v1/cases/{ticket.number}/transitions/open/")
    http.post(f"/api/v1/cases/{ticket.number}/transitions/wait_on_client/", {"comment": "请提供截图"}, format="json")
    response = api.as_user(client_profile.user).post(f"/api/v1/cases/{ticket.number}/messages/",
                                                     {"body": "截图见附件"}, format="json")
    assert response.status_code == 201
    ticket.refresh_from_db()
    assert ticket.state == "open"


def test_filters(api, supervisor, client_profile, ticket):
    http = api.as_user(supervisor)
    assert len(http.get("/api/v1/cases/?kind=ticket&state=new&queue=general").data["results"]) == 1
    assert len(http.get("/api/v1/cases/?kind=dispute").data["results"]) == 0
    assert len(http.get(f"/api/v1/cases/?client={client_profile.client_no}&q=问题").data["results"]) == 1
    assert len(http.get("/api/v1/cases/?assignee=none&priority=normal").data["results"]) == 1
    assert len(http.get("/api/v1/cases/?created_after=2099-01-01T00:00:00Z").data["results"]) == 0
    assert http.get("/api/v1/cases/?created_after=not-a-date").status_code == 400


def test_a_creation_range_that_ends_before_it_starts_is_refused(api, supervisor, client_profile, ticket):
    """It answered an empty list, as if no case had been opened then."""
    http = api.as_user(supervisor)
    response = http.get("/api/v1/cases/?created_after=2026-03-02T00:00:00Z&created_before=2026-03-01T00:00:00Z")
    assert response.status_code == 400 and "created_before" in response.json()
    assert http.get("/api/v1/cases/?created_after=2000-01-01T00:00:00Z"
                    "&created_before=2099-01-01T00:00:00Z").data["results"][0]["number"] == ticket.number
    client = api.as_user(client_profile.user)
    assert client.get("/api/v1/cases/?created_after=2026-03-02T00:00:00Z"
                      "&created_before=2026-03-01T00:00:00Z").status_code == 400


def test_text_search_answers_to_drfs_search_parameter_as_to_q(api, supervisor, client_profile, ticket):
    """`?search=` (DRF's name for a text search) was ignored: every case came back."""
    other = api.as_user(client_profile.user).post("/api/v1/cases/", {"kind": "ticket", "subject": "别的事"},
                                                  format="json")
    http = api.as_user(supervisor)
    found = [row["number"] for row in http.get("/api/v1/cases/", {"search": "问题"}).data["results"]]
    assert found == [ticket.number] and other.data["number"] not in found


def test_a_message_field_the_api_does_not_have_is_400_and_nothing_is_posted(api, agent, ticket):
    """`"internal": true` was dropped: the "note" was published to the client."""
    response = api.as_user(agent).post(f"/api/v1/cases/{ticket.number}/messages/",
                                       {"body": "客户信用记录见内部系统", "internal": True}, format="json")
    assert response.status_code == 400 and "visibility" in str(response.data["internal"])
    assert not ticket.messages.exists()
    response = api.as_user(agent).post(f"/api/v1/cases/{ticket.number}/messages/",
                                       {"body": "客户信用记录见内部系统", "visibility": "internal"}, format="json")
    assert response.status_code == 201 and response.data["visibility"] == "internal"


def test_a_role_that_may_not_write_gets_403_whatever_its_message_says(api, auditor, ticket):
    """Read-only roles are refused for the role, not first told their body is wrong."""
    url = f"/api/v1/cases/{ticket.number}/messages/"
    for body in ({"body": "x", "internal": True}, {}):
        assert api.as_user(auditor).post(url, body, format="json").status_code == 403
    assert not ticket.messages.exists()


def test_schema_and_docs_are_served(api, agent):
    assert api.get("/api/schema/").status_code == 200
    assert api.get("/api/docs/").status_code == 200


def test_an_unknown_state_filter_is_400_naming_it(api, agent, ticket):
    http = api.as_user(agent)
    response = http.get("/api/v1/cases/", {"state": "open,zzz"})
    assert response.status_code == 400 and "zzz" in str(response.data["state"]) and "waiting_on_client" in str(
        response.data["state"])
    assert http.get("/api/v1/cases/", {"state": "new,open"}).status_code == 200


def test_patching_the_state_is_400_pointing_at_the_steps_and_changes_nothing(api, agent, ticket):
    """DRF drops a field the edit does not take: the caller saw 200 and believed the case moved."""
    response = api.as_user(agent).patch(f"/api/v1/cases/{ticket.number}/", {"state": "resolved", "subject": "新"},
                                        format="json")
    assert response.status_code == 400 and "transitions" in str(response.data["state"])
    ticket.refresh_from_db()
    assert (ticket.state, ticket.subject) == ("new", "问题")
    assert not CaseEvent.objects.filter(case=ticket, kind="update").exists()


@pytest.mark.parametrize("path", ["/api/v1/cases/{number}/transitions/start/", "/api/v1/cases/{number}/calls/"])
def test_a_body_with_no_media_type_gets_a_documented_415_and_changes_nothing(api, agent, ticket, path):
    """What the fuzzer sent: a body without a Content-Type the operation reads."""
    url = path.format(number=ticket.number)
    events = CaseEvent.objects.filter(case=ticket).count()
    response = api.as_user(agent).generic("POST", url, b"\xf3\xb2\x8c\x8e garbage", content_type="")
    assert response.status_code == 415 and response.json()["detail"]
    assert CaseEvent.objects.filter(case=ticket).count() == events
    assert Case.objects.get(pk=ticket.pk).state == ticket.state
    schema = api.get("/api/schema/?format=json").json()
    operation = schema["paths"][path.replace("start", "{name}")]["post"]
    assert "415" in operation["responses"]


def test_a_supervisor_deciding_before_any_proposal_gets_409_saying_so(api, agent, supervisor, client_profile):
    """The supervisor's role may decide; nothing to decide yet is the state, not the role (it was a 403
    "Your role may not take this step")."""
    account = CreditAccountFactory(client=client_profile,  # in the 15 days before maturity
                                   contract_maturity=timezone.localdate() + datetime.timedelta(days=10))
    number = api.as_user(client_profile.user).post("/api/v1/cases/", {
        "kind": "extension", "subject": "展期", "credit_account": account.account_no}, format="json").data["number"]
    http = api.as_user(supervisor)
    assert http.post(f"/api/v1/cases/{number}/transitions/start_review/").status_code == 200
    events = CaseEvent.objects.filter(case__number=number).count()
    for name in ("approve", "decline"):
        response = http.post(f"/api/v1/cases/{number}/transitions/{name}/", {"comment": "好"}, format="json",
                             HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 409, (name, response.data)
        # and only that: approving also said "The proposal is to decline the request…" of no proposal
        assert response.data["detail"] == "Nothing has been proposed yet."
        assert response.data["state"] == "under_review" and name not in response.data["allowed"]
    assert CaseEvent.objects.filter(case__number=number).count() == events
    response = api.as_user(agent).post(f"/api/v1/cases/{number}/transitions/approve/")
    assert response.status_code == 403  # an agent's role never decides


@pytest.mark.parametrize("body", ["[" * 100_000 + "]" * 100_000, '{"subject":' * 50_000 + '"x"' + "}" * 50_000],
                         ids=["array", "object"])
def test_json_nested_deeper_than_python_recurses_is_a_400_not_a_500(api, client_profile, body):
    """A few hundred kilobytes of "[[[[…" made the JSON parser raise RecursionError: a 500, even
    for the anonymous token endpoint."""
    for user, path in ((client_profile.user, "/api/v1/cases/"), (None, "/api/v1/auth/token/")):
        api.force_authenticate(user=user)
        response = api.post(path, body, content_type="application/json")

        assert response.status_code == 400, path
        assert response["Content-Type"] == "application/json" and "detail" in response.json()
    assert not Case.objects.exists()


def test_a_body_over_djangos_size_limit_is_a_json_400(api, agent, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000  # else 2.5 MB: Django's HTML error page under /api/
    response = api.as_user(agent).post("/api/v1/cases/", '{"kind": "ticket", "subject": "' + "x" * 2000 + '"}',
                                       content_type="application/json")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json" and "detail" in response.json()
    assert not Case.objects.exists()


def test_an_api_address_without_its_final_slash_is_served_not_redirected(api, client_profile, agent, settings):
    """`POST /api/v1/cases` answered a redirect (a client following it turned the POST into a GET and
    listed the cases instead of creating one), and a server error with DEBUG (the demo)."""
    settings.DEBUG = True
    user = client_profile.user
    created = api.as_user(user).post("/api/v1/cases", {"kind": "ticket", "subject": "无斜杠"}, format="json")
    assert created.status_code == 201 and Case.objects.filter(subject="无斜杠").count() == 1
    number = created.data["number"]
    assert api.as_user(user).get(f"/api/v1/cases/{number}/events").status_code == 200
    assert api.as_user(agent).post(f"/api/v1/cases/{number}/transitions/open", {}, format="json").data[
        "state"] == "open"
    assert api.as_user(user).get("/api/v1/no-such-thing").status_code == 404
    assert api.as_user(user).get("/console").status_code == 301  # the pages keep Django's redirect


@pytest.mark.parametrize("body, says", [
    ("null", "请以 JSON 对象发送各字段，而不是 null。"),
    ("{\"kind\": ", "请求内容不是有效的 JSON："),
])
def test_a_body_that_is_not_a_json_object_is_refused_in_the_readers_language(api, client_profile, body, says):
    """DRF's "No data provided" and "JSON parse error - …" reached Chinese readers in English."""
    response = api.as_user(client_profile.user).post("/api/v1/cases/", body, content_type="application/json",
                                                     HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400
    assert says in str(response.data)
    assert not Case.objects.exists()
