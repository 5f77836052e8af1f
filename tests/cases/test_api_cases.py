import pytest

from cases.models import Case, CaseEvent, CaseMessage

pytestmark = pytest.mark.django_db


def open_ticket(api, client_profile, **extra):
    body = {"kind": "ticket", "subject": "无法登录", "description": "密码错误", "category": "technical", **extra}
    response = api.as_user(client_profile.user).post("/api/v1/cases/", body, format="json")
    assert response.status_code == 201, response.data
    return response.data


def test_client_opens_a_ticket_routed_to_general_queue(api, client_profile):
    data = open_ticket(api, client_profile)
    assert data["number"].startswith("CS-")
    assert data["state"] == "new"
    assert "queue" not in data and "assignee" not in data  # staff-only fields hidden from clients
    case = Case.objects.get(number=data["number"])
    assert case.queue.code == "general"
    assert case.channel == "portal"
    assert CaseEvent.objects.filter(case=case, kind="created").count() == 1


def test_agent_works_a_ticket_through_its_workflow(api, client_profile, agent):
    number = open_ticket(api, client_profile)["number"]
    staff = api.as_user(agent)
    names = [t["name"] for t in staff.get(f"/api/v1/cases/{number}/transitions/").data]
    assert names == ["open", "cancel"] or set(names) == {"open", "cancel"}
    assert staff.post(f"/api/v1/cases/{number}/transitions/open/").data["state"] == "open"
    response = staff.post(f"/api/v1/cases/{number}/transitions/resolve/", {"comment": "已重置密码"}, format="json")
    assert response.status_code == 200 and response.data["state"] == "resolved"
    response = staff.post(f"/api/v1/cases/{number}/transitions/open/")
    assert response.status_code == 409
    assert set(response.data["allowed"]) == {"close", "reopen"}
    events = staff.get(f"/api/v1/cases/{number}/events/").data
    assert [(e["from_value"], e["to_value"]) for e in events if e["kind"] == "transition"] == [
        ("new", "open"), ("open", "resolved")]


@pytest.mark.parametrize("kind, category, changed_to", [
    ("relief", "more_time", "staged_repayment"),  # would skip the margin call a "more time" relief needs
    ("relief", "staged_repayment", "more_time"),
    ("ticket", "technical", "fees"),  # a ticket's category is the staff's to correct
])
def test_a_requests_category_is_what_it_asks_for_and_does_not_change(api, client_profile, supervisor, agent, kind,
                                                                      category, changed_to):
    from tests.web.margin import open_margin_call

    account = open_margin_call(client_profile, agent).credit_account  # what a "more time" relief needs
    data = open_ticket(api, client_profile, kind=kind, category=category, credit_account=account.account_no)
    staff = api.as_user(supervisor)
    response = staff.patch(f"/api/v1/cases/{data['number']}/", {"category": changed_to}, format="json")
    case = Case.objects.get(number=data["number"])
    if kind == "ticket":
        assert response.status_code == 200 and case.category == changed_to
        return
    assert response.status_code == 400 and list(response.data) == ["category"]
    assert case.category == category
    assert not CaseEvent.objects.filter(case=case, name="category").exists()


def test_q_finds_a_case_by_its_serial_alone(api, client_profile, agent):
    """`q=123` found nothing: a client reading out "case 123" is looked up by its serial."""
    from cases.services import case_create

    cases = [case_create(created_by=agent, client=client_profile, kind="ticket", subject=f"咨询{name}")
             for name in "甲乙丙丁戊己庚辛壬癸子丑"]  # no digits in the subjects
    wanted = cases[10]
    serial = int(wanted.number.rsplit("-", 1)[1])
    found = api.as_user(agent).get("/api/v1/cases/", {"q": str(serial)}).data["results"]
    assert [row["number"] for row in found] == [wanted.number]
    assert api.as_user(agent).get("/api/v1/cases/", {"q": "1234567"}).data["results"] == []


def test_every_step_takes_its_comment_as_optional_through_the_api(api, client_profile, agent):
    """`POST …/transitions/{name}/` with optional `{"comment": …}`: the steps the web pages ask a
    comment for (wait on the client, resolve, reopen, cancel) are taken without a body too, and
    their events say so with an empty comment."""
    number = open_ticket(api, client_profile)["number"]
    staff = api.as_user(agent)
    wanted = {t["name"]: t["comment_required"] for t in staff.get(f"/api/v1/cases/{number}/transitions/").data}
    assert wanted["cancel"] is True  # the pages ask for a reason
    for name, state in [("open", "open"), ("wait_on_client", "waiting_on_client")]:
        response = staff.post(f"/api/v1/cases/{number}/transitions/{name}/")
        assert response.status_code == 200 and response.data["state"] == state, response.data
    case = Case.objects.get(number=number)
    assert case.sla_timers.get(metric="resolution", stopped_at=None).state == "paused"
    response = api.as_user(client_profile.user).post(f"/api/v1/cases/{number}/messages/", {"body": "附上截图"},
                                                     format="json")
    assert response.status_code == 201
    staff = api.as_user(agent)
    for name, state in [("resolve", "resolved"), ("reopen", "open"), ("cancel", "cancelled")]:
        response = staff.post(f"/api/v1/cases/{number}/transitions/{name}/", {}, format="json")
        assert response.status_code == 200 and response.data["state"] == state, response.data
    events = CaseEvent.objects.filter(case=case, kind="transition").order_by("id")
    assert [(e.name, e.comment) for e in events if e.name in {"wait_on_client", "resolve", "cancel"}] == [
        ("wait_on_client", ""), ("resolve", ""), ("cancel", "")]


def test_a_step_the_system_took_says_why_in_the_api_readers_language(api, client_profile, agent):
    """The client's reply put the ticket back to open with the system's note, written in the language
    active where the client replied: an English reader of the events read 客户已回复。."""
    from django.utils import translation

    from cases.services.messages import message_create

    number = open_ticket(api, client_profile)["number"]
    staff = api.as_user(agent)
    staff.post(f"/api/v1/cases/{number}/transitions/open/")
    staff.post(f"/api/v1/cases/{number}/transitions/wait_on_client/", {"comment": "请上传截图"}, format="json")
    with translation.override("zh-hans"):
        message_create(case=Case.objects.get(number=number), author=client_profile.user, body="已上传")

    def comments(language):
        events = staff.get(f"/api/v1/cases/{number}/events/", HTTP_ACCEPT_LANGUAGE=language).data
        return [e["comment"] for e in events if e["kind"] == "transition"]

    assert comments("en")[-2:] == ["请上传截图", "The client replied."]  # a person's words stay as written
    assert comments("zh-hans")[-1] == "客户已回复。"


# --- a message sent again under its Idempotency-Key ------------------------------------------------------


def post_message(api, user, number, body, key="crm-42"):
    headers = {"Idempotency-Key": key} if key is not None else {}
    return api.as_user(user).post(f"/api/v1/cases/{number}/messages/", body, format="json", headers=headers,
                                  HTTP_ACCEPT_LANGUAGE="en")


def test_a_message_sent_again_under_its_key_is_the_first_one(api, client_profile, agent):
    """The firm's CRM sending a reply again after a timeout: the client had it twice, on the case and by
    e-mail and SMS."""
    from notifications.models import Notification

    number = open_ticket(api, client_profile)["number"]
    reply = {"body": "请重置密码后再试"}
    first = post_message(api, agent, number, reply)
    after_first = (CaseEvent.objects.filter(case__number=number).count(), Notification.objects.count())
    again = post_message(api, agent, number, reply)
    assert first.status_code == again.status_code == 201 and again.data["id"] == first.data["id"]
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert (CaseEvent.objects.filter(case__number=number).count(), Notification.objects.count()) == after_first
    assert CaseMessage.objects.filter(case__number=number).count() == 1
    assert Notification.objects.filter(case__number=number, event="case_reply").exists()
    # the same key with other content is a conflict and sends nothing
    other = post_message(api, agent, number, {"body": "另一条回复"})
    assert other.status_code == 409 and number in other.data["detail"] and "new key" in other.data["detail"]
    # without a key each is a message; keys are each author's own
    post_message(api, agent, number, reply, key=None)
    post_message(api, agent, number, reply, key=None)
    assert post_message(api, client_profile.user, number, {"body": "谢谢"}).status_code == 201
    assert CaseMessage.objects.filter(case__number=number).count() == 4
    # the key used again on another case: a conflict, not that case's message
    elsewhere = post_message(api, agent, open_ticket(api, client_profile)["number"], reply)
    assert elsewhere.status_code == 409 and number in elsewhere.data["detail"]


@pytest.mark.parametrize("key", ["k" * 101, "k" * 201, "bad\x07key"])
def test_a_message_key_too_long_or_unprintable_is_a_400(api, client_profile, key):
    number = open_ticket(api, client_profile)["number"]
    response = post_message(api, client_profile.user, number, {"body": "补充说明"}, key=key)
    assert response.status_code == 400
    assert response.data == {"Idempotency-Key": ["At most 100 printable characters."]}
    assert not CaseMessage.objects.exists()


def test_a_key_s_message_written_meanwhile_is_given_back(client_profile, agent):
    """Sent twice at once, both sendings find no message under the key; the unique constraint refuses the
    second one's, which then gives back the first (the savepoint keeps the transaction usable)."""
    from unittest import mock

    from cases.services import case_create, message_create_once
    from cases.services import messages as message_services

    case = case_create(created_by=agent, client=client_profile, kind="ticket", subject="无法登录")
    first, replayed = message_create_once(case=case, author=agent, body="请重置密码后再试", key="api:at-once")
    assert not replayed
    look_up = message_services._sent_earlier
    looks = []

    def not_yet_committed_then_found(*args):  # the first look, before the other sending committed: nothing
        looks.append(args)
        return look_up(*args) if len(looks) > 1 else None

    with mock.patch.object(message_services, "_sent_earlier", side_effect=not_yet_committed_then_found):
        again, replayed = message_create_once(case=case, author=agent, body="请重置密码后再试", key="api:at-once")
    assert (again, replayed, len(looks)) == (first, True, 2)
    assert CaseMessage.objects.filter(case=case).count() == 1 and CaseEvent.objects.filter(
        case=case, kind="message").count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres(reason="two requests sent at the same moment: PostgreSQL")
def test_a_message_sent_twice_at_the_same_moment_is_sent_once(client_profile, agent):
    from rest_framework.test import APIClient

    from cases.services import case_create
    from tests.concurrency import run_together

    case = case_create(created_by=agent, client=client_profile, kind="ticket", subject="无法登录")

    def send():
        http = APIClient()
        http.force_authenticate(user=agent)
        response = http.post(f"/api/v1/cases/{case.number}/messages/", {"body": "请重置密码后再试"}, format="json",
                             headers={"Idempotency-Key": "crm-at-once"})
        return response.status_code, response.data["id"], response.headers.get("Idempotent-Replayed")

    results = run_together(send, send)
    assert [status for status, _id, _replayed in results] == [201, 201], results
    assert len({message_id for _status, message_id, _replayed in results}) == 1
    assert sorted(replayed or "" for _status, _id, replayed in results) == ["", "true"]
    assert CaseMessage.objects.filter(case=case).count() == 1
    assert CaseEvent.objects.filter(case=case, kind="message").count() == 1


def test_a_creation_range_written_into_the_url_with_its_plus_offset_unescaped_is_read_as_that_offset(
        api, client_profile, agent):
    """`?created_after=2026-01-01T00:00:00+08:00` typed into a URL: the query string reads its "+" as a
    space, and the list answered 400 for the time the issue's own format gives."""
    import datetime

    from django.utils import timezone

    number = open_ticket(api, client_profile)["number"]
    shanghai = datetime.timezone(datetime.timedelta(hours=8))
    hour_ago = (timezone.now() - datetime.timedelta(hours=1)).astimezone(shanghai).replace(microsecond=0)
    staff = api.as_user(agent)

    found = staff.get(f"/api/v1/cases/?created_after={hour_ago.isoformat()}")
    assert found.status_code == 200, found.data
    assert [row["number"] for row in found.data["results"]] == [number]
    before = staff.get(f"/api/v1/cases/?created_before={hour_ago.isoformat()}")
    assert before.status_code == 200 and before.data["results"] == []
    assert staff.get("/api/v1/cases/?created_after=2026-01-01T00:00:00 08:00:00x").status_code == 400
