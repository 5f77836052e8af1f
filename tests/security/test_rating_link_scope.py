"""The rating link sent to a client when their case is resolved is a bearer link: whoever opens it
rates the case, once, without logging in. It is the client's alone. Staff, whose service the rating
scores (CSAT by agent and queue on the supervisors' dashboard), read the case's notices with the
link shown without its token: in the API, in the admin's outbox, in a template's preview."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from cases.services import case_create, case_transition
from notifications.models import Notification, NotificationTemplate

pytestmark = [pytest.mark.django_db, pytest.mark.security]
SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def resolved(client_profile, agent):
    with time_machine.travel(datetime.datetime(2026, 11, 25, 10, tzinfo=SH), tick=False):
        case = case_create(created_by=agent, client=client_profile, kind="ticket", subject="开户咨询")
        case = case_transition(case=case, user=agent, name="open")
        return case_transition(case=case, user=agent, name="resolve", comment="已解答")


def token_of(case) -> str:
    link = Notification.objects.filter(case=case, event="rating_request").first().data["link"]
    return link.rstrip("/").rsplit("/", 1)[1]


def test_the_agent_who_resolved_a_case_does_not_read_its_rating_link(api, resolved, agent, client_profile, settings):
    """The agent read the link in `GET /api/v1/cases/{number}/notifications/` and could give their
    own work five stars on the public rating page."""
    token = token_of(resolved)
    response = api.as_user(agent).get(f"/api/v1/cases/{resolved.number}/notifications/")
    assert response.status_code == 200
    ratings = [notice for notice in response.json() if notice["event"] == "rating_request"]
    assert ratings and token not in response.content.decode()
    assert all(f"{settings.SITE_URL}/rate/…/" in notice["body"] for notice in ratings)

    mine = api.as_user(client_profile.user).get(f"/api/v1/cases/{resolved.number}/notifications/")
    assert mine.status_code == 200 and token in mine.content.decode()  # the client's own, to rate with


def test_the_admin_outbox_and_the_template_preview_show_the_rating_link_without_its_token(
        client, resolved, supervisor):
    token = token_of(resolved)
    client.force_login(supervisor)
    for notice in Notification.objects.filter(case=resolved, event="rating_request"):
        page = client.get(reverse("admin:notifications_notification_change", args=[notice.pk]))
        assert page.status_code == 200
        assert "/rate/…/" in page.content.decode() and token not in page.content.decode()
        assert 'name="body"' not in page.content.decode()  # still read-only: the outbox is a record

    template = NotificationTemplate.objects.filter(event="rating_request").first()
    if template is None:  # the defaults, as a supervisor would start editing them
        template = NotificationTemplate.objects.create(event="rating_request", language="zh-hans", channel="",
                                                       subject="请为事项 {{ case_number }} 的服务评分",
                                                       body="请打分：{{ link }}")
    preview = reverse("admin:notifications_notificationtemplate_preview", args=[template.pk])
    for url in (preview, reverse("admin:notifications_notificationtemplate_preview_html", args=[template.pk])):
        page = client.get(url, {"case": resolved.number})
        assert page.status_code == 200
        assert "/rate/…/" in page.content.decode() and token not in page.content.decode()
