"""The bell (in-app notices) and every message kept for a case, scoped like the case itself."""

import pytest

from cases.services import case_create, message_create
from notifications.models import Notification
from notifications.services import client_preference_update, notification_queue
from tests.factories import ClientProfileFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("daytime")]


def test_the_bell_lists_my_in_app_notices_newest_first_with_the_unread_count(api, ticket, agent, client_profile):
    message_create(case=ticket, author=agent, body="第一条")
    message_create(case=ticket, author=agent, body="第二条")
    notification_queue(event="case_reply", channel="in_app", recipient_client=ClientProfileFactory(),
                       subject="别人的", body="别人的")
    http = api.as_user(client_profile.user)
    data = http.get("/api/v1/notifications/").data
    assert data["unread_count"] == 2
    assert [item["body"].count("第二条") for item in data["results"]] == [1, 0]
    assert all(item["case"] == ticket.number and item["unread"] for item in data["results"])
    assert "别人的" not in str(data)

    newest = data["results"][0]["id"]
    response = http.post(f"/api/v1/notifications/{newest}/read/")
    assert response.status_code == 200 and response.data["unread"] is False
    assert Notification.objects.get(pk=newest).read_at is not None
    assert http.get("/api/v1/notifications/").data["unread_count"] == 1
    assert len(http.get("/api/v1/notifications/?unread=1").data["results"]) == 1
    assert http.post("/api/v1/notifications/read-all/").status_code == 204
    assert http.get("/api/v1/notifications/").data["unread_count"] == 0


def test_nobody_opens_someone_elses_notice(api, ticket, agent, client_profile):
    message_create(case=ticket, author=agent, body="回复")
    notice = Notification.objects.get(channel="in_app", recipient_user=client_profile.user)
    assert api.as_user(agent).post(f"/api/v1/notifications/{notice.pk}/read/").status_code == 404
    email = Notification.objects.get(channel="email", event="case_reply")
    assert api.as_user(client_profile.user).post(f"/api/v1/notifications/{email.pk}/read/").status_code == 404
    assert Notification.objects.get(pk=notice.pk).read_at is None


def test_the_bell_needs_a_login(api):
    assert api.get("/api/v1/notifications/").status_code == 401


def test_sla_warnings_written_without_text_are_rendered_for_the_bell(api, ticket, agent):
    Notification.objects.create(recipient_user=agent, channel="in_app", event="sla_warning", case=ticket,
                                language="en", status="sent", data={"metric": "first_response", "level": 75})
    [item] = api.as_user(agent).get("/api/v1/notifications/").data["results"]
    assert item["subject"] == f"{ticket.number}: First response at 75%"


def test_staff_see_every_message_of_the_case_with_delivery_details(api, ticket, agent, supervisor):
    message_create(case=ticket, author=agent, body="回复")
    Notification.objects.filter(case=ticket, channel="email", event="case_reply").update(
        status="failed", attempts=2, error="SMTPServerDisconnected: gone")
    Notification.objects.create(recipient_user=agent, channel="in_app", event="sla_warning", case=ticket,
                                status="sent", data={"metric": "first_response", "level": 50})
    data = api.as_user(supervisor).get(f"/api/v1/cases/{ticket.number}/notifications/").data
    assert [(n["event"], n["channel"]) for n in data] == [
        ("case_created", "email"), ("case_reply", "email"), ("case_reply", "in_app"), ("sla_warning", "in_app")]
    failed = data[1]
    assert failed["status"] == "failed" and failed["attempts"] == 2 and "SMTPServerDisconnected" in failed["error"]
    assert failed["recipient"] == f"{ticket.client.client_no} {ticket.client.name}"
    assert data[3]["recipient"] == agent.username


def test_a_client_sees_only_their_own_notices_without_delivery_internals(api, ticket, agent, client_profile):
    message_create(case=ticket, author=agent, body="回复")
    Notification.objects.create(recipient_user=agent, channel="in_app", event="sla_warning", case=ticket,
                                status="sent", data={"metric": "first_response", "level": 50})
    response = api.as_user(client_profile.user).get(f"/api/v1/cases/{ticket.number}/notifications/")
    assert response.status_code == 200
    assert {(n["event"], n["channel"]) for n in response.data} == {
        ("case_created", "email"), ("case_reply", "email"), ("case_reply", "in_app")}
    for notice in response.data:
        assert "error" not in notice and "provider_id" not in notice and "attempts" not in notice


def test_another_client_and_staff_out_of_scope_get_404(api, ticket, outsider_agent):
    other = ClientProfileFactory()
    assert api.as_user(other.user).get(f"/api/v1/cases/{ticket.number}/notifications/").status_code == 404
    assert api.as_user(outsider_agent).get(f"/api/v1/cases/{ticket.number}/notifications/").status_code == 404


def test_phone_numbers_are_masked_for_staff_who_do_not_need_them(api, agent, supervisor, client_profile):
    case = case_create(created_by=agent, client=client_profile, kind="ticket", subject="电话")
    notification_queue(event="case_reply", channel="sms", recipient_client=client_profile, case=case, body="短信")
    by_agent = api.as_user(agent).get(f"/api/v1/cases/{case.number}/notifications/").data
    by_supervisor = api.as_user(supervisor).get(f"/api/v1/cases/{case.number}/notifications/").data
    sms_agent = next(n for n in by_agent if n["channel"] == "sms")
    sms_supervisor = next(n for n in by_supervisor if n["channel"] == "sms")
    assert sms_supervisor["address"] == client_profile.phone
    assert sms_agent["address"] != client_profile.phone and sms_agent["address"].endswith(client_profile.phone[-4:])


def test_the_console_bell_shows_my_unread_notices(client, supervisor, ticket):
    Notification.objects.create(recipient_user=supervisor, channel="in_app", event="sla_warning", case=ticket,
                                language="en", status="sent", data={"metric": "resolution", "level": 100})
    client.force_login(supervisor)
    page = client.get("/admin/").content.decode()
    assert 'id="notification-bell"' in page and f"{ticket.number}: Resolution breached" in page
    inbox = client.get("/admin/notifications/notification/inbox/")
    assert inbox.status_code == 200
    notice = Notification.objects.get(recipient_user=supervisor)
    response = client.post(f"/admin/notifications/notification/{notice.pk}/open/")
    assert response.status_code == 302 and response["Location"].endswith(f"/admin/cases/case/{ticket.pk}/change/")
    notice.refresh_from_db()
    assert notice.read_at is not None


def test_staff_read_the_text_of_sla_warnings_written_without_one(api, ticket, agent, supervisor):
    """Every message kept shows what it said: rows written set-based without text are rendered, as the bell does."""
    Notification.objects.create(recipient_user=agent, channel="in_app", event="sla_warning", case=ticket,
                                language="en", status="sent", data={"metric": "first_response", "level": 75})
    data = api.as_user(supervisor).get(f"/api/v1/cases/{ticket.number}/notifications/").data
    warning = next(n for n in data if n["event"] == "sla_warning")
    assert warning["subject"] == f"{ticket.number}: First response at 75%"
    assert "has used 75% of its target" in warning["body"]


@pytest.mark.parametrize("language, subject, body", [
    ("zh-hans", "：解决 已超时", "解决 已超过目标时限，案件已升级。"),
    ("en", ": Resolution breached", "Resolution has passed its target; the case is escalated."),
])
def test_a_breach_is_told_as_one_not_as_a_hundred_per_cent_used(api, ticket, agent, supervisor, language, subject,
                                                                 body):
    Notification.objects.create(recipient_user=agent, channel="in_app", event="sla_warning", case=ticket,
                                language=language, status="sent", data={"metric": "resolution", "level": 100})
    data = api.as_user(supervisor).get(f"/api/v1/cases/{ticket.number}/notifications/").data
    warning = next(n for n in data if n["event"] == "sla_warning")
    assert warning["subject"] == f"{ticket.number}{subject}"
    assert body in warning["body"] and "100" not in warning["body"]


def test_in_app_notices_a_client_switched_off_stay_out_of_the_bell(api, ticket, agent, client_profile):
    client_preference_update(client=client_profile, in_app_enabled=False)
    message_create(case=ticket, author=agent, body="回复")
    kept = Notification.objects.get(channel="in_app", recipient_user=client_profile.user)
    assert kept.status == "gave_up"  # on the record, with the reason
    data = api.as_user(client_profile.user).get("/api/v1/notifications/").data
    assert data == {"unread_count": 0, "results": [], "next": None, "previous": None}


# --- paging: GET /api/v1/notifications/?before= / ?after= ------------------------------------------

INBOX = "/api/v1/notifications/"


def in_app(user, name) -> Notification:
    return Notification.objects.create(recipient_user=user, channel="in_app", event="sla_warning", language="zh-hans",
                                       status="sent", subject=f"预警{name}", body="")


def ids(answer) -> list[int]:
    return [item["id"] for item in answer["results"]]


def test_the_bell_pages_through_every_notice_once_and_back(api, agent, supervisor):
    """60 notices: the API answered the newest 50 and no way to the other 10. Now a page at a time by
    notice id (like the web inbox), none twice when one arrives meanwhile, never someone else's."""
    made = []
    for number in range(60):
        made.append(in_app(agent, number).pk)
        in_app(supervisor, number)  # between mine: never in my pages, never counted in them
    newest_first = made[::-1]
    http = api.as_user(agent)

    first = http.get(INBOX).data
    assert ids(first) == newest_first[:50] and first["unread_count"] == 60
    assert first["previous"] is None and first["next"] == f"http://testserver{INBOX}?before={newest_first[49]}"
    arrived = in_app(agent, "新到").pk  # while the first page is read

    second = http.get(first["next"]).data
    assert ids(second) == newest_first[50:]
    assert second["next"] is None and second["previous"] == f"http://testserver{INBOX}?after={newest_first[50]}"

    back = http.get(second["previous"]).data  # the page before, as it was: the new notice is newer still
    assert ids(back) == newest_first[:50]
    assert back["next"] == first["next"] and back["previous"] == f"http://testserver{INBOX}?after={made[-1]}"
    assert ids(http.get(back["previous"]).data) == [arrived]


def test_the_unread_filter_pages_too_and_its_links_keep_it(api, agent):
    made = [in_app(agent, number).pk for number in range(60)]
    Notification.objects.filter(pk__in=made[20:25]).update(read_at="2026-01-05T02:00:00Z")
    unread_newest_first = [pk for pk in made[::-1] if pk not in made[20:25]]
    http = api.as_user(agent)

    first = http.get(INBOX, {"unread": "1"}).data
    assert ids(first) == unread_newest_first[:50]
    assert "unread=1" in first["next"] and f"before={unread_newest_first[49]}" in first["next"]
    second = http.get(first["next"]).data
    assert ids(second) == unread_newest_first[50:] == made[4::-1]
    assert "unread=1" in second["previous"] and "before=" not in second["previous"]


@pytest.mark.parametrize("query", [
    {"before": "x"}, {"before": "0"}, {"after": "-1"}, {"before": "9" * 40}, {"after": "1.5"},
    {"before": "1", "after": "2"},
])
def test_a_bad_page_of_the_bell_is_a_400_naming_the_field(api, agent, query):
    in_app(agent, "一")
    response = api.as_user(agent).get(INBOX, query)
    assert response.status_code == 400 and set(response.data) & {"before", "after"}


def test_a_page_keyed_on_someone_elses_notice_shows_only_mine(api, agent, supervisor):
    theirs_before = in_app(supervisor, "别人的").pk
    mine = in_app(agent, "我的").pk
    theirs_after = in_app(supervisor, "别人的").pk
    http = api.as_user(agent)
    older = http.get(INBOX, {"before": theirs_after}).data
    assert ids(older) == [mine] and older["next"] is None
    assert older["previous"] is None  # nothing of mine is newer
    newer = http.get(INBOX, {"after": theirs_before}).data
    assert ids(newer) == [mine] and newer["previous"] is None and newer["next"] is None
