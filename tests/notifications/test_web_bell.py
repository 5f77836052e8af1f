"""The bell on the web pages (console, supervisor and risk pages, portal) and the inbox behind it:
each user sees their own in-app notices; opening one marks it read and leads to its case, in the
console for staff and in the portal for a client."""

import pytest
from django.urls import reverse

from cases.services import message_create
from notifications.models import Notification

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("daytime")]
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
BELL = reverse("notifications_web:bell")
INBOX = reverse("notifications_web:inbox")


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_a_client_sees_a_staff_reply_in_the_bell_and_opens_it_in_the_portal(client, ticket, agent, client_profile):
    message_create(case=ticket, author=agent, body="We have checked the interest.")
    notice = Notification.objects.get(channel="in_app", recipient_user=client_profile.user)
    client.force_login(client_profile.user)

    bell = html(client.get(BELL, **EN))
    assert 'data-unread="1"' in bell and ticket.number in bell
    assert reverse("notifications_web:open", args=[notice.pk]) in bell
    response = client.post(reverse("notifications_web:open", args=[notice.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("portal:case", args=[ticket.number])
    notice.refresh_from_db()
    assert notice.read_at is not None
    assert "data-unread" not in html(client.get(BELL, **EN))


def test_staff_open_a_notice_on_the_console_case_page(client, ticket, agent):
    notice = Notification.objects.create(recipient_user=agent, channel="in_app", event="sla_warning", case=ticket,
                                         language="en", status="sent", data={"metric": "first_response", "level": 50})
    client.force_login(agent)
    bell = html(client.get(BELL, **EN))
    assert f"{ticket.number}: First response at 50%" in bell  # written without text, rendered for the bell
    response = client.post(reverse("notifications_web:open", args=[notice.pk]))
    assert response["Location"] == reverse("console:case", args=[ticket.number])


def test_nobody_opens_or_sees_someone_elses_notice(client, ticket, agent, supervisor, client_profile):
    message_create(case=ticket, author=agent, body="回复")
    notice = Notification.objects.get(channel="in_app", recipient_user=client_profile.user)
    client.force_login(supervisor)
    assert ticket.number not in html(client.get(BELL, **EN))
    assert client.post(reverse("notifications_web:open", args=[notice.pk])).status_code == 404
    assert client.post(reverse("notifications_web:open", args=[notice.pk + 999])).status_code == 404
    notice.refresh_from_db()
    assert notice.read_at is None


def test_the_inbox_lists_my_notices_and_marks_them_all_read(client, ticket, agent, client_profile):
    message_create(case=ticket, author=agent, body="第一条")
    message_create(case=ticket, author=agent, body="第二条")
    client.force_login(client_profile.user)
    page = html(client.get(INBOX, **EN))
    assert page.count('class="unread"') == 2 and "Mark all as read" in page
    assert "第二条" in page and page.index("第二条") < page.index("第一条")  # newest first

    assert client.post(INBOX).status_code == 302
    assert not Notification.objects.filter(recipient_user=client_profile.user, read_at__isnull=True).exists()
    page = html(client.get(INBOX, **EN))
    assert 'class="unread"' not in page and "Mark all as read" not in page


def test_every_web_page_loads_the_bell_and_it_needs_a_login(client, agent, client_profile):
    client.force_login(agent)
    assert f'hx-get="{BELL}"' in html(client.get(reverse("console:cases")))
    client.force_login(client_profile.user)
    assert f'hx-get="{BELL}"' in html(client.get(reverse("portal:home")))
    client.logout()
    for response in (client.get(BELL), client.get(INBOX), client.post(reverse("notifications_web:open", args=[1]))):
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    response = client.get(BELL, HTTP_HX_REQUEST="true")  # the minute's refresh after the session ended
    assert response.status_code == 200 and response["HX-Refresh"] == "true"
    client.force_login(agent)
    assert client.post(BELL).status_code == 405
    assert client.get(reverse("notifications_web:open", args=[1])).status_code == 405


def test_the_bell_speaks_the_users_language(client, agent, ticket):
    Notification.objects.create(recipient_user=agent, channel="in_app", event="sla_warning", case=ticket,
                                language="zh-hans", status="sent", data={"metric": "resolution", "level": 100})
    client.force_login(agent)
    bell = html(client.get(BELL, HTTP_ACCEPT_LANGUAGE="zh-hans"))
    assert "我的全部通知" in bell and "没有未读通知" not in bell
    assert "All my notifications" in html(client.get(BELL, **EN))


def test_the_inbox_pages_through_every_notice_once(client, team_lead):
    """A team lead after a morning of 75 % warnings: the inbox had shown the newest 50 and no way to
    the others; now every notice, a page at a time, none twice when a new one arrives meanwhile."""
    import re

    def notice(number):
        return Notification.objects.create(recipient_user=team_lead, channel="in_app", event="sla_warning",
                                           language="zh-hans", status="sent", subject=f"预警{number}", body="")

    made = [notice(number).pk for number in range(120)]
    client.force_login(team_lead)
    seen, url, pages = [], INBOX, []
    while url:
        page = html(client.get(url))
        pages.append(page)
        seen += [int(pk) for pk in re.findall(r'data-notice="(\d+)"', page)]
        if len(pages) == 1:
            notice("新到")  # arrives while the team lead reads the first page
        found = re.search(r'rel="next" href="([^"]+)"', page)
        url = found.group(1).replace("&amp;", "&") if found else None
    assert seen == sorted(made, reverse=True) and len(pages) == 3
    assert 'rel="prev"' not in pages[0] and 'rel="prev"' in pages[2]
    back = html(client.get(re.search(r'rel="prev" href="([^"]+)"', pages[2]).group(1)))
    assert re.findall(r'data-notice="(\d+)"', back) == re.findall(r'data-notice="(\d+)"', pages[1])


@pytest.mark.parametrize("query", [{"before": "x"}, {"after": "-1"}, {"before": "9" * 40},
                                   {"before": "²"}, {"after": "①"}])  # digits int() cannot read: were a 500
def test_a_bad_inbox_page_is_a_400(client, agent, query):
    client.force_login(agent)
    assert client.get(INBOX, query).status_code == 400
