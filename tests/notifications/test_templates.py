"""Texts per event and language, editable by supervisors in the admin, with a preview."""

import pytest
from django.core import mail
from django.urls import reverse

from cases.services import message_create
from notifications.channels.email import build_message
from notifications.defaults import DEFAULT_TEMPLATES
from notifications.models import Notification, NotificationTemplate
from notifications.rendering import render
from tests.factories import ClientProfileFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("daytime")]

EVENTS = ("case_created", "case_reply", "case_state_changed", "case_client_reply", "sla_warning", "margin_alert",
          "margin_call", "margin_call_restored", "contract_maturity_reminder", "interest_settlement_reminder")


def test_every_event_has_a_default_text_in_both_languages_after_migrate():
    assert set(DEFAULT_TEMPLATES) == set(EVENTS)
    seeded = set(NotificationTemplate.objects.values_list("event", "language"))
    assert seeded == {(event, language) for event in EVENTS for language in ("zh-hans", "en")}


def test_the_reply_renders_in_both_languages(ticket, agent):
    message = message_create(case=ticket, author=agent, body="利率为 8.35%")
    data = {"message_id": message.pk}
    zh = render(event="case_reply", language="zh-hans", channel="email", case=ticket, data=data)
    en = render(event="case_reply", language="en", channel="email", case=ticket, data=data)
    assert zh == (f"[{ticket.number}] 新回复：融资利率咨询",
                  f"尊敬的{ticket.client.name}：\n\n您的事项 {ticket.number}“融资利率咨询”有新的回复：\n\n利率为 8.35%\n\n"
                  "您可以登录客户门户查看和回复。")
    assert en[0] == f"[{ticket.number}] New reply: 融资利率咨询"
    assert en[1].startswith(f"Dear {ticket.client.name},") and "利率为 8.35%" in en[1]


def test_a_state_change_names_the_state_in_the_clients_language(ticket):
    zh = render(event="case_state_changed", language="zh-hans", channel="email", case=ticket, data={"to": "resolved"})
    en = render(event="case_state_changed", language="en", channel="email", case=ticket, data={"to": "resolved"})
    assert zh[0].endswith("：已解决") and en[0].endswith(": Resolved")


def test_the_reply_text_is_only_a_public_message_of_this_case(ticket, agent):
    note = message_create(case=ticket, author=agent, body="内部备注", internal=True)
    _subject, body = render(event="case_reply", language="zh-hans", channel="email", case=ticket,
                            data={"message_id": note.pk})
    assert "内部备注" not in body


def test_an_edited_template_is_used_and_a_channel_template_wins(ticket, agent):
    NotificationTemplate.objects.filter(event="case_reply", language="zh-hans").update(
        subject="回复 {{ case_number }}", body="{{ client_name }}，{{ message }}")
    NotificationTemplate.objects.create(event="case_reply", language="zh-hans", channel="sms",
                                        body="【两融】{{ case_number }} 有新回复")
    message = message_create(case=ticket, author=agent, body="已处理")
    email = Notification.objects.get(case=ticket, event="case_reply", channel="email")
    assert email.subject == f"[{ticket.number}] 回复 {ticket.number}"  # the tag is added, once
    assert email.body == f"{ticket.client.name}，已处理"
    assert render(event="case_reply", language="zh-hans", channel="sms", case=ticket,
                  data={"message_id": message.pk}) == ("", f"【两融】{ticket.number} 有新回复")


def test_an_inactive_template_falls_back_to_the_built_in_text(ticket):
    NotificationTemplate.objects.filter(event="case_state_changed").update(is_active=False)
    subject, _body = render(event="case_state_changed", language="en", channel="email", case=ticket)
    assert subject == f"[{ticket.number}] 融资利率咨询: New"


def test_templates_cannot_reach_beyond_their_context(ticket):
    NotificationTemplate.objects.filter(event="case_created", language="en").update(
        subject="{{ case.client.id_number }}{{ settings.SECRET_KEY }}", body="{% include 'admin/base.html' %}")
    subject, body = render(event="case_created", language="en", channel="email", case=ticket)
    assert subject == "[" + ticket.number + "] We have received your request"  # fell back to the built-in text
    assert ticket.client.id_number not in subject + body


def test_the_html_e_mail_escapes_what_people_wrote(ticket, agent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message_create(case=ticket, author=agent, body='<script>alert("x")</script> & <b>bold</b>')
    [message] = [m for m in mail.outbox if "新回复" in m.subject]
    html = message.alternatives[0][0]
    assert "<script>" not in html and "&lt;script&gt;" in html and "&amp;" in html
    assert '<script>alert("x")</script>' in message.body  # the text part is plain text
    assert message.from_email == "service@margin-desk.example"


def test_an_e_mail_without_a_case_has_a_message_id_of_its_own(client_profile):
    notice = Notification.objects.create(recipient_client=client_profile, address="a@example.com", channel="email",
                                         event="margin_alert", subject="预警", body="比例下降")
    message = build_message(notice)
    assert message.extra_headers["Message-ID"] == f"<notification.{notice.pk}@margin-desk.example>"
    assert message.subject == "预警"


@pytest.fixture
def as_supervisor(client, supervisor):
    client.force_login(supervisor)
    return client


def test_a_supervisor_edits_a_template_and_invalid_syntax_is_refused(as_supervisor):
    template = NotificationTemplate.objects.get(event="case_reply", language="en", channel="")
    url = reverse("admin:notifications_notificationtemplate_change", args=[template.pk])
    page = as_supervisor.get(url)
    assert page.status_code == 200 and "New reply" in page.content.decode()
    form = {"event": "case_reply", "language": "en", "channel": "", "subject": "Reply {% if %}",
            "body": "x", "is_active": "on"}
    response = as_supervisor.post(url, form)
    assert response.status_code == 200 and "errornote" in response.content.decode()
    form["subject"] = "Reply on {{ case_number }}"
    assert as_supervisor.post(url, form).status_code == 302
    template.refresh_from_db()
    assert template.subject == "Reply on {{ case_number }}"


def test_the_preview_page_renders_sample_data_and_a_real_case(as_supervisor, ticket, agent):
    message_create(case=ticket, author=agent, body="公开回复内容")
    message_create(case=ticket, author=agent, body="内部备注内容", internal=True)
    template = NotificationTemplate.objects.get(event="case_reply", language="zh-hans", channel="")
    url = reverse("admin:notifications_notificationtemplate_preview", args=[template.pk])
    sample = as_supervisor.get(url)
    assert sample.status_code == 200
    assert "CS-2026-000123" in sample.content.decode()
    real = as_supervisor.get(url, {"case": ticket.number})
    content = real.content.decode()
    assert real.status_code == 200
    assert ticket.number in content and "公开回复内容" in content and "内部备注内容" not in content
    assert "No case" in as_supervisor.get(url, {"case": "CS-1999-000001"}).content.decode() or \
        as_supervisor.get(url, {"case": "CS-1999-000001"}).status_code == 200


def test_only_supervisors_and_auditors_see_templates(client, agent, auditor, ticket):
    template = NotificationTemplate.objects.first()
    url = reverse("admin:notifications_notificationtemplate_preview", args=[template.pk])
    client.force_login(auditor)
    assert client.get(url).status_code == 200
    client.force_login(UserFactory(username="lead9", roles=["team_lead"]))
    assert client.get(url).status_code in (403, 404)
    client.force_login(ClientProfileFactory().user)
    assert client.get(url).status_code == 302  # not an admin user: to the login page


def test_the_outbox_admin_lists_messages_and_sends_given_up_ones_again(as_supervisor, client_profile, recorded_sms,
                                                                       django_capture_on_commit_callbacks):
    notice = Notification.objects.create(recipient_client=client_profile, address=client_profile.phone,
                                         channel="sms", event="margin_call", body="追保通知", status="gave_up",
                                         attempts=5, error="ConnectionError: gateway down")
    changelist = reverse("admin:notifications_notification_changelist")
    assert as_supervisor.get(changelist).status_code == 200
    assert as_supervisor.get(changelist, {"status__exact": "gave_up"}).status_code == 200
    assert as_supervisor.get(reverse("admin:notifications_notification_change", args=[notice.pk])).status_code == 200
    assert as_supervisor.get(reverse("admin:notifications_clientpreference_changelist")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = as_supervisor.post(changelist, {"action": "send_again", "_selected_action": [notice.pk]})
    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.status == "sent" and notice.attempts == 1 and len(recorded_sms) == 1
