"""Texts per event and language, editable by supervisors in the admin, with a preview."""

import datetime
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import formats, translation

from accounts.reminders import reminders_send
from cases.services import message_create
from notifications.channels.email import build_message
from notifications.defaults import DEFAULT_TEMPLATES
from notifications.models import Notification, NotificationTemplate
from notifications.rendering import render
from risk.models import MarginCall
from risk.monitoring import monitor_accounts
from tests.factories import (
    ClientProfileFactory,
    CreditAccountFactory,
    PositionFactory,
    SecurityFactory,
    UserFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("daytime")]

EVENTS = ("case_created", "case_reply", "case_state_changed", "case_client_reply", "sla_warning",
          "liquidation_decision_due", "margin_alert", "margin_call", "margin_call_restored",
          "margin_call_deadline_passed", "margin_call_deadline_moved",
          "contract_maturity_reminder", "interest_settlement_reminder", "request_approved", "request_declined",
          "rating_request", "notice_bounced")


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


def test_a_placeholder_no_notice_has_is_refused_in_any_branch(as_supervisor):
    """A typo (`reason` for `reasons`) was saved and printed nothing in every notice sent."""
    template = NotificationTemplate.objects.get(event="request_declined", language="en", channel="")
    url = reverse("admin:notifications_notificationtemplate_change", args=[template.pk])
    form = {"event": "request_declined", "language": "en", "channel": "", "subject": template.subject,
            "body": "{% if request_kind == 'relief' %}Sorry.{% else %}Our reasons: {{ reason|default:'' }}{% endif %}",
            "is_active": "on"}
    response = as_supervisor.post(url, form, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    error = " ".join(response.context["adminform"].form.errors["body"])
    assert "Unknown placeholder(s): reason." in error and "reasons" in error
    form["body"] = ("{% if reasons %}{% with why=reasons %}Our reasons: {{ why }}{% endwith %}{% endif %}"
                    "{% for line in reasons.splitlines %}{{ forloop.counter }}. {{ line }}{% endfor %}")
    assert as_supervisor.post(url, form).status_code == 302
    template.refresh_from_db()
    assert template.body == form["body"]


def test_a_template_for_an_event_no_notice_is_written_for_is_refused(as_supervisor):
    """A typo in the event ("case_repy") saved a template that was never used."""
    url = reverse("admin:notifications_notificationtemplate_add")
    form = {"event": "case_repy", "language": "en", "channel": "sms", "subject": "", "body": "Hi", "is_active": "on"}
    response = as_supervisor.post(url, form, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and response.context["adminform"].form.errors["event"]
    assert not NotificationTemplate.objects.filter(event="case_repy").exists()
    assert as_supervisor.post(url, {**form, "event": "case_reply"}).status_code == 302
    assert NotificationTemplate.objects.filter(event="case_reply", language="en", channel="sms").exists()


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


@pytest.mark.parametrize("view", ["admin:notifications_notificationtemplate_preview",
                                  "admin:notifications_notificationtemplate_preview_html"])
def test_a_case_number_with_a_nul_character_is_no_case_not_a_server_error(as_supervisor, ticket, view):
    """`?case=%00` reached the database, which refuses NUL characters (a 500 on PostgreSQL)."""
    template = NotificationTemplate.objects.get(event="case_reply", language="en", channel="")
    url = reverse(view, args=[template.pk])
    assert as_supervisor.get(url, {"case": "\x00"}).status_code == 200
    response = as_supervisor.get(url, {"case": f"{ticket.number}\x00"})
    assert response.status_code == 200 and ticket.number in response.content.decode()


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


def test_the_outbox_admin_names_events_in_the_readers_language(as_supervisor, client_profile):
    """The list and the message's page showed the event's code ("email margin_call → 7")."""
    notice = Notification.objects.create(recipient_client=client_profile, address=client_profile.phone,
                                         channel="sms", event="margin_call", body="追保通知")
    changelist = reverse("admin:notifications_notification_changelist")
    listed = as_supervisor.get(changelist, {"event": "margin_call"}, HTTP_ACCEPT_LANGUAGE="en")
    assert [str(row) for row in listed.context["cl"].result_list] == [str(notice)]
    assert re.search(r'class="field-event_shown[^"]*">margin call<', listed.content.decode(), re.IGNORECASE)
    page = as_supervisor.get(reverse("admin:notifications_notification_change", args=[notice.pk]),
                             HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "追保通知" in page and "margin_call →" not in page
    with translation.override("en"):
        assert str(notice).startswith("Margin call · SMS · ")


def test_the_monitorings_notices_are_written_from_the_edited_templates(client_profile):
    """A supervisor's edit of the margin-call text reaches the notices the monitoring writes set-based."""
    NotificationTemplate.objects.filter(event="margin_call", language="zh-hans").update(
        subject="追保 {{ account_no }}", body="{{ account_no }}：{{ ratio }}%，请于 {{ deadline }} 前补足 {{ cash }}")
    NotificationTemplate.objects.create(event="margin_call", language="zh-hans", channel="sms",
                                        body="【两融】{{ account_no }} 追保 {{ cash }} 或卖出 {{ sell }}")
    account = CreditAccountFactory(client=client_profile, financing_debt=Decimal("100000.00"))
    PositionFactory(account=account, security=SecurityFactory(price=Decimal("12.50")), quantity=10000)
    with time_machine.travel(datetime.datetime(2026, 2, 12, 10, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        monitor_accounts(trigger="test")

    call = MarginCall.objects.get(account=account)
    with translation.override("zh-hans"):
        deadline = formats.date_format(call.deadline.astimezone(ZoneInfo("Asia/Shanghai")), "DATETIME_FORMAT")
    email = Notification.objects.get(recipient_client=client_profile, event="margin_call", channel="email")
    assert email.subject == f"追保 {account.account_no}"
    # the ratio as the monitoring's SQL writes it: 125.00 on PostgreSQL, 125.0 on SQLite
    assert email.body.replace("125.00%", "125.0%") == f"{account.account_no}：125.0%，请于 {deadline} 前补足 ¥15,000.00"
    sms = Notification.objects.get(recipient_client=client_profile, event="margin_call", channel="sms")
    assert sms.body == f"【两融】{account.account_no} 追保 ¥15,000.00 或卖出 ¥37,500.00"


def test_reminders_are_written_from_the_edited_templates():
    NotificationTemplate.objects.filter(event="contract_maturity_reminder", language="en").update(
        subject="Maturity {{ due_date }}", body="{{ account_no }} matures in {{ days }} day{{ days|pluralize }}.")
    client = ClientProfileFactory(language="en")
    account = CreditAccountFactory(client=client, financing_debt=Decimal("1000.00"),
                                   contract_maturity=datetime.date(2026, 5, 15))
    assert reminders_send(datetime.date(2026, 5, 1)) == 1
    email = Notification.objects.get(recipient_client=client, channel="email")
    assert (email.subject, email.body) == ("Maturity May 15, 2026", f"{account.account_no} matures in 14 days.")


def test_the_former_built_in_alert_and_restored_texts_take_the_new_ones_and_edits_stay():
    """Below the close-out line the alert said "to avoid a margin call" beside the margin-call
    notice itself; a restored call said "back to normal" still under the attention line."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("notifications.migrations.0007_alert_and_restored_texts")
    alert_zh = NotificationTemplate.objects.get(event="margin_alert", language="zh-hans", channel="")
    alert_zh.body = migration.FORMER[("margin_alert", "zh-hans", "body")]
    alert_zh.save()
    restored_en = NotificationTemplate.objects.get(event="margin_call_restored", language="en", channel="")
    restored_en.subject = migration.FORMER[("margin_call_restored", "en", "subject")]
    restored_en.save()
    edited = NotificationTemplate.objects.get(event="margin_alert", language="en", channel="")
    edited.body = "Your ratio is {{ ratio }}%: to avoid a margin call, call us."
    edited.save()

    migration.forwards(apps, None)

    alert_zh.refresh_from_db(), restored_en.refresh_from_db(), edited.refresh_from_db()
    assert "以免触发追保" not in alert_zh.body and "回到该线以上" in alert_zh.body
    assert restored_en.subject == "Margin call on credit account {{ account_no }} closed"
    assert edited.body == "Your ratio is {{ ratio }}%: to avoid a margin call, call us."


def test_the_model_refuses_an_unknown_event_for_every_writer():
    from django.core.exceptions import ValidationError

    template = NotificationTemplate(event="case_repy", language="en", channel="sms", body="Hi {% if %}")
    with pytest.raises(ValidationError) as refused:
        template.full_clean()
    assert {"event", "body"} <= set(refused.value.message_dict)

def _former_and_edited(migration_name: str, event: str, former: dict, edited_body: str):
    """The event's zh-hans row holding `former` (field → text, as a former built-in wrote it), its
    en row edited by a supervisor, then the migration run: (migration, the zh-hans row, the en row)."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module(f"notifications.migrations.{migration_name}")
    former_zh = NotificationTemplate.objects.get(event=event, language="zh-hans", channel="")
    for field, text in former.items():
        setattr(former_zh, field, text)
    former_zh.save()
    edited_en = NotificationTemplate.objects.get(event=event, language="en", channel="")
    edited_en.body = edited_body
    edited_en.save()
    migration.forwards(apps, None)
    former_zh.refresh_from_db(), edited_en.refresh_from_db()
    return migration, former_zh, edited_en


def test_the_former_built_in_restored_text_learns_of_no_liability_and_edits_stay():
    """A client who repaid every liability was told the ratio was "back to 0.00%"."""
    former = {"body": "您的信用账户 {{ account_no }} 维持担保比例已恢复至 {{ ratio }}%，追保已解除。"}
    _migration, former_zh, edited_en = _former_and_edited("0009_restored_without_liability", "margin_call_restored",
                                                          former, "Back to {{ ratio }}%.")
    assert "已无负债" in former_zh.body and "{% if ratio %}" in former_zh.body
    assert edited_en.body == "Back to {{ ratio }}%."


def test_the_former_built_in_margin_call_text_learns_of_the_immediate_line_and_edits_stay():
    from django.apps import apps

    former = {"subject": "信用账户 {{ account_no }} 追保通知",
              "body": ("您的信用账户 {{ account_no }} 维持担保比例为 {{ ratio }}%，已低于平仓线。请于 {{ deadline }} "
                       "前追加现金 {{ cash }}，或卖出价值 {{ sell }} 的证券并还款；否则您的持仓可能被强制平仓。")}
    migration, former_zh, edited_en = _former_and_edited("0010_margin_call_below_the_immediate_line", "margin_call",
                                                         former, "Top up by {{ deadline }}.")
    assert "{% if level %}紧急{% endif %}" in former_zh.subject and "今日被强制平仓" in former_zh.body
    assert "{% if sell %}" in former_zh.body  # no sale offered where none restores the line
    assert edited_en.body == "Top up by {{ deadline }}."
    migration.backwards(apps, None)
    former_zh.refresh_from_db()
    assert (former_zh.subject, former_zh.body) == (former["subject"], former["body"])
