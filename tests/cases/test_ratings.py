"""Satisfaction ratings: the link sent on resolution, the signed token (once only, expired,
tampered), the public page, and CSAT in the supervisors' report."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import signing
from rest_framework.test import APIClient

from cases.models import CaseEvent, SatisfactionRating
from cases.services import case_create, case_transition
from cases.services.ratings import rating_link, rating_token
from notifications.models import Notification
from tests.factories import ClientProfileFactory

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
WED = datetime.datetime(2026, 11, 25, 10, tzinfo=SH)


@pytest.fixture
def anonymous():
    return APIClient()


def resolve_ticket(client_profile, agent, subject="开户咨询"):
    case = case_create(created_by=agent, client=client_profile, kind="ticket", subject=subject)
    case = case_transition(case=case, user=agent, name="open")
    return case_transition(case=case, user=agent, name="resolve", comment="已解答")


@pytest.fixture
def resolved(client_profile, agent):
    with time_machine.travel(WED, tick=False):
        return resolve_ticket(client_profile, agent)


def url(token):
    return f"/api/v1/ratings/{token}/"


def test_resolving_a_case_sends_the_rating_link(resolved, client_profile, anonymous, settings):
    notices = Notification.objects.filter(case=resolved, event="rating_request")
    assert set(notices.values_list("channel", flat=True)) == {"email", "sms", "in_app"}
    link = notices.get(channel="email").data["link"]
    assert link.startswith(f"{settings.SITE_URL}/rate/") and link in notices.get(channel="sms").body
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert signing.TimestampSigner(salt="case-rating").unsign(token) == str(resolved.pk)
    response = anonymous.get(url(token))
    assert response.status_code == 200
    assert response.data == {"number": resolved.number, "subject": "开户咨询", "kind": "ticket", "rated": False}


def test_a_rating_is_taken_once_without_logging_in(resolved, anonymous):
    token = rating_token(resolved)
    response = anonymous.post(url(token), {"score": 5, "comment": "回复很快"}, format="json")
    assert response.status_code == 201
    assert (response.data["case"], response.data["score"], response.data["comment"]) == (resolved.number, 5, "回复很快")
    again = anonymous.post(url(token), {"score": 1}, format="json")
    assert again.status_code == 409 and again.data["code"] == "already_rated"
    assert SatisfactionRating.objects.get(case=resolved).score == 5
    assert anonymous.get(url(token)).data["rated"] is True
    event = CaseEvent.objects.filter(case=resolved).latest("id")
    assert (event.name, event.to_value, event.actor) == ("rated", "5", None)


def test_an_expired_link_is_refused(resolved, anonymous, settings):
    with time_machine.travel(WED, tick=False):
        token = rating_token(resolved)
    later = WED + datetime.timedelta(days=settings.RATING_TOKEN_MAX_AGE_DAYS, minutes=1)
    with time_machine.travel(later, tick=False):
        response = anonymous.post(url(token), {"score": 4}, format="json")
        assert response.status_code == 410 and response.data["code"] == "expired"
        assert anonymous.get(url(token)).status_code == 410
    with time_machine.travel(later - datetime.timedelta(minutes=2), tick=False):
        assert anonymous.post(url(token), {"score": 4}, format="json").status_code == 201


@pytest.mark.parametrize("tamper", [
    lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # the signature
    lambda token: str(int(token.split(":")[0]) + 1) + token[token.index(":"):],  # another case's id
    lambda token: "not-a-token",
    lambda token: signing.TimestampSigner(salt="other-salt").sign(token.split(":")[0]),
])
def test_a_tampered_link_is_unknown(resolved, anonymous, tamper):
    token = tamper(rating_token(resolved))
    response = anonymous.post(url(token), {"score": 5}, format="json")
    assert response.status_code == 404 and response.data["code"] == "invalid"
    assert anonymous.get(url(token)).status_code == 404
    assert not SatisfactionRating.objects.exists()


@pytest.mark.parametrize("score", [0, 6, -1, "abc", "", None, 4.5, True])
def test_a_score_must_be_one_to_five(resolved, anonymous, score):
    response = anonymous.post(url(rating_token(resolved)), {"score": score}, format="json")
    assert response.status_code == 400
    assert not SatisfactionRating.objects.exists()


def test_a_missing_score_is_refused(resolved, anonymous):
    assert anonymous.post(url(rating_token(resolved)), {"comment": "x"}, format="json").status_code == 400


def test_the_link_is_sent_once_per_case(client_profile, agent):
    case = resolve_ticket(client_profile, agent)
    case = case_transition(case=case, user=client_profile.user, name="reopen", comment="还有问题")
    case_transition(case=case, user=agent, name="resolve", comment="再次解答")
    assert Notification.objects.filter(case=case, event="rating_request").count() == 3  # e-mail, SMS, in-app, once


def test_the_link_of_a_reopened_case_waits_until_it_is_resolved_again(client_profile, agent, anonymous, client):
    """The client reopened the ticket (not solved after all): the link sent with the first
    resolution does not score the case while it is being worked again, on the API or the page, as
    the portal does not; once resolved again the same link rates it."""
    case = resolve_ticket(client_profile, agent)
    link = Notification.objects.get(case=case, event="rating_request", channel="email").data["link"]
    token = link.rstrip("/").rsplit("/", 1)[1]
    case = case_transition(case=case, user=client_profile.user, name="reopen", comment="还有问题")

    response = anonymous.post(url(token), {"score": 1, "comment": "还没解决"}, format="json")
    assert response.status_code == 409 and response.data["code"] == "not_resolved"
    page = client.get(f"/rate/{token}/")
    assert page.status_code == 409 and 'name="score"' not in page.content.decode()
    assert "事项解决后才能评价" in page.content.decode()
    assert client.post(f"/rate/{token}/", {"score": "1"}).status_code == 409
    assert not SatisfactionRating.objects.exists()

    case_transition(case=case, user=agent, name="resolve", comment="再次解答")
    assert anonymous.post(url(token), {"score": 5}, format="json").status_code == 201
    assert SatisfactionRating.objects.get(case=case).score == 5


def test_decided_requests_and_accepted_disputes_ask_for_a_rating(client_profile, credit_account, agent, supervisor):
    dispute = case_create(created_by=agent, client=client_profile, kind="dispute", subject="争议",
                          credit_account=credit_account)
    for name, user in [("acknowledge", agent), ("investigate", agent), ("propose_resolution", agent),
                       ("approve_resolution", supervisor), ("accept", client_profile.user)]:
        dispute = case_transition(case=dispute, user=user, name=name, comment="x")
    request = case_create(created_by=agent, client=client_profile, kind="extension", subject="展期",
                          credit_account=credit_account)
    for name, user in [("start_review", agent), ("propose_decline", agent), ("decline", supervisor)]:
        request = case_transition(case=request, user=user, name=name, comment="x")
    asked = set(Notification.objects.filter(event="rating_request").values_list("case__number", flat=True))
    assert asked == {dispute.number, request.number}


def test_the_rating_message_is_in_the_clients_language(agent):
    client = ClientProfileFactory(language="en")
    # The link's token carries the second it was signed: the clock stands still, so that the link
    # signed again below is the one sent (it failed when the second turned in between).
    with time_machine.travel(WED, tick=False):
        case = resolve_ticket(client, agent, subject="Opening an account")
        email = Notification.objects.get(case=case, event="rating_request", channel="email")
        assert email.language == "en" and "Rate" in email.subject and rating_link(case) in email.body


def test_the_rating_endpoints_are_throttled(resolved, anonymous):
    token = rating_token(resolved)
    codes = [anonymous.get(url(token)).status_code for _ in range(31)]
    assert codes[:30] == [200] * 30 and codes[30] == 429


def test_a_forwarded_for_the_caller_writes_does_not_escape_the_throttle(resolved, anonymous):
    """No proxy in front (TRUSTED_PROXY_COUNT 0): the address is the connection's. DRF counted each
    X-Forwarded-For the caller invented as a new address, so the throttle never applied."""
    token = rating_token(resolved)
    codes = [anonymous.get(url(token), HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code for n in range(31)]
    assert codes[:30] == [200] * 30 and codes[30] == 429


# --- the page the link opens -----------------------------------------------------------------------

def test_the_rating_page_takes_a_rating(resolved, client):
    page = f"/rate/{rating_token(resolved)}/"
    response = client.get(page)
    assert response.status_code == 200
    text = response.content.decode()
    assert resolved.number in text and 'name="score"' in text and 'lang="zh-hans"' in text
    response = client.post(page, {"score": "4", "comment": "不错"})
    assert response.status_code == 200
    assert SatisfactionRating.objects.get(case=resolved).score == 4
    assert 'name="score"' not in client.get(page).content.decode()  # rated: no form any more


def test_the_rating_page_refuses_bad_input_and_links(resolved, client):
    page = f"/rate/{rating_token(resolved)}/"
    assert client.post(page, {"score": "9"}).status_code == 400
    assert client.get("/rate/forged:token:here/").status_code == 404
    with time_machine.travel(datetime.datetime.now(tz=SH) + datetime.timedelta(days=31), tick=False):
        assert client.get(page).status_code == 410
    assert not SatisfactionRating.objects.exists()


def test_a_comment_with_a_nul_byte_is_refused_on_the_rating_page(resolved):
    """The page read the comment from the form unchecked: a NUL byte reached PostgreSQL, which refuses it
    (a 500 to someone following the link). Refused with the reason, as the API refuses it; nothing kept."""
    from django.test import Client

    page = f"/rate/{rating_token(resolved)}/"
    response = Client(raise_request_exception=False).post(page, {"score": "4", "comment": "好\x00"})
    assert response.status_code == 400
    assert '<p class="error">' in response.content.decode()  # beside the comment, in the client's language
    assert not SatisfactionRating.objects.exists()


def test_the_rating_page_speaks_english_to_an_english_client(agent, client):
    case = resolve_ticket(ClientProfileFactory(language="en"), agent, subject="Question")
    text = client.get(f"/rate/{rating_token(case)}/").content.decode()
    assert 'lang="en"' in text and "Rate our service" in text



def test_the_rating_page_has_the_language_switch_and_follows_it(resolved, client):
    page = f"/rate/{rating_token(resolved)}/"
    text = client.get(page).content.decode()
    assert 'action="/i18n/setlang/"' in text and 'lang="zh-hans"' in text  # the client's language first
    response = client.post("/i18n/setlang/", {"language": "en", "next": page})
    assert response.status_code == 302 and response["Location"] == page
    text = client.get(page).content.decode()
    assert 'lang="en"' in text and "Rate our service" in text and resolved.number in text

# --- CSAT in the supervisors' report ---------------------------------------------------------------

def test_csat_per_agent_in_the_report(api, supervisor, client_profile, agent, other_agent, anonymous):
    scores = {agent: [5, 4, 2], other_agent: [3]}
    for worker, values in scores.items():
        for value in values:
            case = resolve_ticket(client_profile, worker)
            anonymous.post(url(rating_token(case)), {"score": value}, format="json")
    response = api.as_user(supervisor).get("/api/v1/reports/sla/?group_by=assignee")
    rows = {row["group"]: row for row in response.data["csat"]}
    assert rows["agent1"] == {"group": "agent1", "count": 3, "average": 3.67, "satisfied_percent": 66.7}
    assert rows["agent2"] == {"group": "agent2", "count": 1, "average": 3.0, "satisfied_percent": 0.0}
    by_kind = api.as_user(supervisor).get("/api/v1/reports/sla/?group_by=kind").data["csat"]
    assert by_kind == [{"group": "ticket", "count": 4, "average": 3.5, "satisfied_percent": 50.0}]
    csv = api.as_user(supervisor).get("/api/v1/reports/sla/?group_by=queue&format=csv").content.decode("utf-8-sig")
    assert csv.splitlines()[0] == "group,metric,met,breached,running,compliance"


@pytest.mark.parametrize("rated_on", ["link", "portal"])
def test_rating_the_case_marks_the_bells_request_to_rate_it_read(
        resolved, client_profile, agent, anonymous, api, client, rated_on):
    """The notice asking to rate the case stayed unread in the client's bell after they rated it."""
    other = resolve_ticket(client_profile, agent, subject="转账")
    bell = api.as_user(client_profile.user)

    def asking_to_rate():
        unread = bell.get("/api/v1/notifications/?unread=1").data
        return sorted(notice["case"] for notice in unread["results"] if notice["event"] == "rating_request")

    assert asking_to_rate() == sorted([resolved.number, other.number])
    unread_before = bell.get("/api/v1/notifications/").data["unread_count"]

    if rated_on == "link":
        assert anonymous.post(url(rating_token(resolved)), {"score": 4}, format="json").status_code == 201
    else:
        client.force_login(client_profile.user)
        assert client.post(f"/portal/cases/{resolved.number}/rate/", {"score": 4}).status_code == 302

    assert asking_to_rate() == [other.number]  # the other case still asks
    assert bell.get("/api/v1/notifications/").data["unread_count"] == unread_before - 1
