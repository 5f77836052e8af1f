"""Clients are told of their cases in their language; internal notes never reach them; the
case's timeline shows what went out."""

import pytest
from django.core import mail
from django.test import override_settings

from cases.models import CaseEvent, EventKind
from cases.services import case_create, case_transition, message_create
from notifications.models import Notification
from tests.factories import ClientProfileFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("daytime")]



def test_a_new_case_is_acknowledged_by_e_mail_with_its_number(client_profile, agent,
                                                              django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case = case_create(created_by=agent, client=client_profile, kind="ticket", subject="融资利率咨询")
    notice = Notification.objects.get(case=case)
    assert (notice.event, notice.channel, notice.status) == ("case_created", "email", "sent")
    assert notice.recipient_client == client_profile and notice.address == client_profile.email
    [message] = mail.outbox
    assert f"[{case.number}]" in message.subject and "融资利率咨询" in message.body
    assert message.to == [client_profile.email]


def test_a_public_staff_reply_tells_the_client_by_e_mail_and_in_app(ticket, agent, client_profile,
                                                                    django_capture_on_commit_callbacks):
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        message_create(case=ticket, author=agent, body="您好，融资年利率为 8.35%。")
    notices = {n.channel: n for n in Notification.objects.filter(case=ticket, event="case_reply")}
    assert set(notices) == {"email", "in_app"}
    assert notices["in_app"].recipient_user == client_profile.user and notices["in_app"].status == "sent"
    assert all("您好，融资年利率为 8.35%。" in n.body for n in notices.values())
    assert notices["email"].status == "sent" and notices["email"].language == "zh-hans"
    [message] = mail.outbox
    assert message.subject.startswith(f"[{ticket.number}]")
    assert message.extra_headers["Message-ID"] == f"<{ticket.number}.{notices['email'].pk}@margin-desk.example>"



def test_a_cases_e_mails_are_one_conversation_in_the_clients_mail_program(client_profile, agent,
                                                                          django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case = case_create(created_by=agent, client=client_profile, kind="ticket", subject="融资利率咨询")
    with django_capture_on_commit_callbacks(execute=True):
        message_create(case=case, author=agent, body="第一次答复")
    with django_capture_on_commit_callbacks(execute=True):
        message_create(case=case, author=agent, body="第二次答复")
    first, second, third = (message.message() for message in mail.outbox)
    assert first["In-Reply-To"] is None and first["References"] is None
    assert second["In-Reply-To"] == first["Message-ID"] and second["References"] == first["Message-ID"]
    assert third["In-Reply-To"] == second["Message-ID"]
    assert third["References"] == f"{first['Message-ID']} {second['Message-ID']}"
    # Sent automatically: out-of-office responders that follow RFC 3834 leave it unanswered.
    assert {message["Auto-Submitted"] for message in (first, second, third)} == {"auto-generated"}

def test_an_internal_note_tells_no_client(ticket, agent):
    before = Notification.objects.count()
    message_create(case=ticket, author=agent, body="内部：客户情绪激动", internal=True)
    assert Notification.objects.count() == before


def test_a_client_notice_never_carries_an_internal_note_or_another_clients_data(ticket, agent):
    other = ClientProfileFactory(name="别的客户")
    other_case = case_create(created_by=agent, client=other, kind="ticket", subject="别人的事")
    message_create(case=other_case, author=agent, body="别人的回复")
    message_create(case=ticket, author=agent, body="内部备注：不可外传", internal=True)
    message_create(case=ticket, author=agent, body="公开回复")
    ticket = case_transition(case=ticket, user=agent, name="open")
    case_transition(case=ticket, user=agent, name="resolve", comment="内部结论：已核实")
    texts = " ".join(f"{n.subject} {n.body}" for n in Notification.objects.filter(recipient_client=ticket.client))
    assert "公开回复" in texts
    for secret in ("内部备注", "不可外传", "内部结论", "别的客户", "别人的事", "别人的回复", other_case.number):
        assert secret not in texts


def test_replies_are_in_the_clients_language(agent):
    english = ClientProfileFactory(language="en", name="Li Lei")
    case = case_create(created_by=agent, client=english, kind="ticket", subject="Rate question")
    message_create(case=case, author=agent, body="Your rate is 8.35%.")
    notice = Notification.objects.get(case=case, event="case_reply", channel="email")
    assert notice.language == "en"
    assert notice.subject == f"[{case.number}] New reply: Rate question"
    assert notice.body.startswith("Dear Li Lei,") and "Your rate is 8.35%." in notice.body


def test_a_client_reply_tells_the_assignee_in_app(ticket, agent, client_profile):
    ticket.assignee = agent
    ticket.save()
    message_create(case=ticket, author=client_profile.user, body="谢谢")
    notice = Notification.objects.get(event="case_client_reply")
    assert notice.recipient_user == agent and notice.channel == "in_app" and notice.recipient_client is None
    assert not Notification.objects.filter(case=ticket, event="case_reply").exists()


def test_a_client_reply_on_a_finished_case_nobody_works_tells_the_queues_team_leads(agent, client_profile,
                                                                                  team_lead, supervisor):
    """An e-mail reply lands on its case whatever its state; on a cancelled ticket with no assignee it told
    nobody, and no queue lists a finished case: the team leads of its queue are told (else the supervisors)."""
    case = case_create(created_by=client_profile.user, client=client_profile, kind="ticket", subject="开户问题")
    case = case_transition(case=case, user=agent, name="cancel", comment="客户撤回")
    assert case.assignee_id is None and case.queue.code == "general"
    message_create(case=case, author=client_profile.user, body="其实还有一个问题")
    told = Notification.objects.filter(event="case_client_reply", case=case)
    assert [(notice.recipient_user, notice.channel) for notice in told] == [(team_lead, "in_app")]

    team_lead.is_active = False
    team_lead.save()
    message_create(case=case, author=client_profile.user, body="还在吗？")
    assert told.filter(recipient_user=supervisor).count() == 1


def test_a_client_reply_on_an_open_case_nobody_took_tells_nobody_its_queue_lists_it(client_profile, team_lead):
    case = case_create(created_by=client_profile.user, client=client_profile, kind="ticket", subject="开户问题")
    message_create(case=case, author=client_profile.user, body="补充说明")
    assert not Notification.objects.filter(event="case_client_reply").exists()


def test_steps_the_client_cares_about_are_told_and_their_own_steps_are_not(ticket, agent, client_profile):
    ticket = case_transition(case=ticket, user=agent, name="open")
    assert not Notification.objects.filter(event="case_state_changed").exists()
    ticket = case_transition(case=ticket, user=agent, name="resolve", comment="已答复")
    resolved = Notification.objects.filter(event="case_state_changed", case=ticket)
    assert {n.channel for n in resolved} == {"email", "in_app"}
    assert all("已解决" in n.body for n in resolved)
    case_transition(case=ticket, user=client_profile.user, name="reopen", comment="还有问题")
    assert resolved.count() == 2  # the client reopened it: nothing to tell them


def test_a_dispute_resolution_is_told_once_approved_not_when_proposed(client_profile, agent, supervisor):
    dispute = case_create(created_by=agent, client=client_profile, kind="dispute", subject="利息计算有误")
    for name in ("acknowledge", "investigate"):
        dispute = case_transition(case=dispute, user=agent, name=name)
    dispute = case_transition(case=dispute, user=agent, name="propose_resolution", comment="退还多收利息")
    told = Notification.objects.filter(event="case_state_changed", case=dispute, channel="email")
    assert [n.data["transition"] for n in told] == ["acknowledge"]
    case_transition(case=dispute, user=supervisor, name="approve_resolution")
    assert [n.data["transition"] for n in told.order_by("id")] == ["acknowledge", "approve_resolution"]
    assert all("退还多收利息" not in n.body for n in told)


@override_settings(SMS_BACKEND="tests.notifications.backends.RecordingSmsBackend")
def test_what_went_out_is_on_the_case_timeline(ticket, agent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message_create(case=ticket, author=agent, body="公开回复")
    email = Notification.objects.get(case=ticket, event="case_reply", channel="email")
    event = CaseEvent.objects.get(case=ticket, kind=EventKind.NOTIFICATION, data__notification_id=email.pk)
    assert event.name == "case_reply" and event.to_value == "sent" and event.data["channel"] == "email"
    # a client's view of the audit trail does not list them (the notifications endpoint does)
    from cases.selectors import events_for

    assert not events_for(ticket.client.user, ticket).filter(kind=EventKind.NOTIFICATION).exists()


def test_the_monitoring_and_reminders_have_their_notices_sent_once_committed(client_profile, recorded_sms,
                                                                             django_capture_on_commit_callbacks):
    from notifications.services import dispatch_pending

    Notification.objects.create(recipient_client=client_profile, address=client_profile.phone, channel="sms",
                                event="margin_call", body="追保通知")
    with django_capture_on_commit_callbacks(execute=True):
        dispatch_pending()
    assert recorded_sms == [(client_profile.phone, "追保通知")]


def test_staff_without_a_client_login_get_nothing_in_app(agent):
    client = ClientProfileFactory(user=None)
    case = case_create(created_by=agent, client=client, kind="ticket", subject="电话来访")
    message_create(case=case, author=agent, body="已处理")
    assert set(Notification.objects.filter(case=case).values_list("channel", flat=True)) == {"email"}


def test_margin_call_cases_get_no_acknowledgement(client_profile):
    UserFactory()  # nothing else needed: margin calls are opened by the monitoring
    from tests.factories import CreditAccountFactory

    account = CreditAccountFactory(client=client_profile)
    case_create(created_by=None, client=client_profile, kind="margin_call", subject="追保",
                credit_account=account)
    assert not Notification.objects.filter(event="case_created").exists()


def test_a_notice_the_client_switched_off_is_on_the_timeline_with_the_reason(ticket, agent):
    from notifications.models import ClientPreference

    ClientPreference.objects.create(client=ticket.client, email_enabled=False)
    message_create(case=ticket, author=agent, body="公开回复")
    email = Notification.objects.get(case=ticket, event="case_reply", channel="email")
    assert email.status == "gave_up" and email.error == "disabled by client preference"
    event = CaseEvent.objects.get(case=ticket, kind=EventKind.NOTIFICATION)
    assert event.to_value == "gave_up" and event.data["notification_id"] == email.pk
    assert Notification.objects.get(case=ticket, event="case_reply", channel="in_app").status == "sent"


def test_a_client_with_no_e_mail_and_no_phone_is_on_the_record_as_not_told(agent, api,
                                                                           django_capture_on_commit_callbacks):
    """Nothing was written for such a client: the case's messages showed no notice at all, as if the
    firm had never tried. Now each notice keeps one e-mail, given up with the reason, on the timeline
    and in the case's messages, so an operator sees the client must be called."""
    from notifications.policy import NO_CONTACT

    unreachable = ClientProfileFactory(email="", phone="")
    with django_capture_on_commit_callbacks(execute=True):
        case = case_create(created_by=agent, client=unreachable, kind="ticket", subject="融资利率咨询")
    with django_capture_on_commit_callbacks(execute=True):
        message_create(case=case, author=agent, body="您好，融资年利率为 8.35%。")
    kept = {(n.event, n.channel): n for n in Notification.objects.filter(case=case)}
    assert set(kept) == {("case_created", "email"), ("case_reply", "email"), ("case_reply", "in_app")}
    for event in ("case_created", "case_reply"):
        notice = kept[(event, "email")]
        assert (notice.status, notice.error, notice.address, notice.attempts) == ("gave_up", NO_CONTACT, "", 0)
    assert mail.outbox == []
    timeline = CaseEvent.objects.filter(case=case, kind=EventKind.NOTIFICATION)
    assert sorted(timeline.values_list("name", "to_value")) == [("case_created", "gave_up"), ("case_reply", "gave_up")]
    rows = api.as_user(agent).get(f"/api/v1/cases/{case.number}/notifications/").json()
    e_mails = [(row["event"], row["status"], row["error"]) for row in rows if row["channel"] == "email"]
    assert e_mails == [("case_created", "gave_up", NO_CONTACT), ("case_reply", "gave_up", NO_CONTACT)]


def test_a_client_with_a_phone_but_no_e_mail_gets_no_e_mail_row(client_profile, agent,
                                                                django_capture_on_commit_callbacks):
    client_profile.email = ""
    client_profile.save()
    with django_capture_on_commit_callbacks(execute=True):
        case = case_create(created_by=agent, client=client_profile, kind="ticket", subject="融资利率咨询")
    assert not Notification.objects.filter(case=case, channel="email").exists()
