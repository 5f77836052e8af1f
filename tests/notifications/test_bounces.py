"""A bounce of an e-mail notice we sent: the notice is marked bounced, the case's timeline says so and
whoever must call the client is told in-app; anything else about bounces stays as it was."""

import pytest
from django.core import mail
from django.utils import translation

from accounts.roles import Role
from cases.models import CaseEvent, EventKind
from cases.services import case_assign
from cases.web.case_page.panels import event_text
from notifications.inbound import email_ingest
from notifications.models import InboundEmail, Notification
from notifications.tasks import send_notification
from tests.factories import UserFactory, queue
from tests.web.margin import open_margin_call

pytestmark = pytest.mark.django_db

DESK = "service@margin-desk.example"
DIAGNOSTIC = ("smtp; 550 5.1.1 <{address}>: Recipient address rejected:\r\n"
              "    User unknown in local recipient table")


@pytest.fixture
def margin_call(client_profile, agent):
    """A margin call the monitoring opened, its e-mail notice sent to the client (as the outbox sends
    it); the case assigned to `agent`."""
    case = open_margin_call(client_profile, agent)
    notice = Notification.objects.get(case=case, event="margin_call", channel="email")
    mail.outbox.clear()
    assert send_notification.apply(args=[notice.pk]).get() == "sent"
    return case


def sent_notice(case) -> Notification:
    return Notification.objects.get(case=case, event="margin_call", channel="email")


def sent_headers() -> str:
    """The headers of the e-mail the outbox sent, as the client's mail server received them."""
    (sent,) = mail.outbox
    headers, _sep, _body = sent.message().as_string().partition("\n\n")
    return headers.replace("\n", "\r\n")


def delivery_report(recipient: str, returned_headers: str, *, message_id="<20260310020301.4B1C2@mx.client.example>",
                    action="failed", status="5.1.1") -> bytes:
    """A delivery status notification (RFC 3464) as Postfix writes it: an explanation, the machine-readable
    report, and the returned e-mail's headers (text/rfc822-headers)."""
    diagnostic = DIAGNOSTIC.format(address=recipient)
    return (
        "Return-Path: <>\r\n"
        "Received: by mx.client.example (Postfix) id 4B1C2; Tue, 10 Mar 2026 10:03:01 +0800 (CST)\r\n"
        "Date: Tue, 10 Mar 2026 10:03:01 +0800 (CST)\r\n"
        "From: MAILER-DAEMON@mx.client.example (Mail Delivery System)\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        f"To: {DESK}\r\n"
        "Auto-Submitted: auto-replied\r\n"
        f"Message-Id: {message_id}\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: multipart/report; report-type=delivery-status;\r\n"
        '\tboundary="4B1C2.1773108181/mx.client.example"\r\n'
        "\r\n"
        "This is a MIME-encapsulated message.\r\n"
        "\r\n"
        "--4B1C2.1773108181/mx.client.example\r\n"
        "Content-Description: Notification\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n"
        "\r\n"
        "This is the mail system at host mx.client.example.\r\n"
        "\r\n"
        "I'm sorry to have to inform you that your message could not\r\n"
        "be delivered to one or more recipients. It's attached below.\r\n"
        "\r\n"
        f"<{recipient}>: host mx.client.example said: 550 5.1.1 User unknown\r\n"
        "\r\n"
        "--4B1C2.1773108181/mx.client.example\r\n"
        "Content-Description: Delivery report\r\n"
        "Content-Type: message/delivery-status\r\n"
        "\r\n"
        "Reporting-MTA: dns; mx.client.example\r\n"
        "X-Postfix-Queue-ID: 4B1C2\r\n"
        "Arrival-Date: Tue, 10 Mar 2026 10:03:00 +0800 (CST)\r\n"
        "\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\n"
        f"Original-Recipient: rfc822;{recipient}\r\n"
        f"Action: {action}\r\n"
        f"Status: {status}\r\n"
        "Remote-MTA: dns; mx.client.example\r\n"
        f"Diagnostic-Code: {diagnostic}\r\n"
        "\r\n"
        "--4B1C2.1773108181/mx.client.example\r\n"
        "Content-Description: Undelivered Message Headers\r\n"
        "Content-Type: text/rfc822-headers\r\n"
        "\r\n"
        f"{returned_headers}\r\n"
        "\r\n"
        "--4B1C2.1773108181/mx.client.example--\r\n"
    ).encode()


def bounce_notices(user=None):
    notices = Notification.objects.filter(event="notice_bounced", channel="in_app")
    return notices.filter(recipient_user=user) if user is not None else notices


def timeline_bounces(case):
    return list(CaseEvent.objects.filter(case=case, kind=EventKind.NOTIFICATION, to_value="bounced"))


def test_a_bounced_margin_call_e_mail_is_marked_on_the_case_and_the_assignee_is_told_to_call(
        margin_call, client_profile, agent, supervisor, api):
    case_assign(case=margin_call, user=supervisor, assignee=agent)
    notice = sent_notice(margin_call)
    assert "Message-ID: <%s.%s@margin-desk.example>" % (margin_call.number, notice.pk) in sent_headers()

    result = email_ingest(delivery_report(client_profile.email, sent_headers()), source="imap")

    assert (result.status, result.case) == ("notice_bounced", margin_call)
    inbound = InboundEmail.objects.get()
    assert (inbound.status, inbound.notification, inbound.case) == ("notice_bounced", notice, margin_call)
    notice.refresh_from_db()
    said = (f"550 5.1.1 <{client_profile.email}>: Recipient address rejected: User unknown in local "
            "recipient table")
    assert (notice.status, notice.error) == ("bounced", f"bounced: {said}")
    assert notice.sent_at is not None  # it did go out: the record keeps when

    (event,) = timeline_bounces(margin_call)
    assert (event.name, event.comment, event.data["notification_id"]) == ("margin_call", said, notice.pk)
    with translation.override("en"):
        assert event_text(margin_call, event) == "Notice margin call (E-mail): Bounced"
    rows = api.as_user(agent).get(f"/api/v1/cases/{margin_call.number}/notifications/").json()
    assert [(row["status"], row["error"]) for row in rows if row["id"] == notice.pk] == [
        ("bounced", f"bounced: {said}")]

    (told,) = bounce_notices()
    assert (told.recipient_user, told.case, told.status, told.read_at) == (agent, margin_call, "sent", None)
    assert told.language == "zh-hans"
    assert told.subject == f"{margin_call.number}：发给{client_profile.name}的邮件被退回，请致电客户"
    assert (f"发给客户 {client_profile.name}（{client_profile.client_no}，{client_profile.email}）的邮件“追保”"
            "被对方邮件系统退回，客户没有收到") in told.body
    assert "请致电客户" in told.body and said in told.body
    assert len(mail.outbox) == 1  # nothing more was e-mailed to anyone


def test_an_english_speaking_assignee_is_told_in_english(margin_call, client_profile, agent, supervisor):
    agent.preferred_language = "en"
    agent.save()
    case_assign(case=margin_call, user=supervisor, assignee=agent)
    email_ingest(delivery_report(client_profile.email, sent_headers()), source="file")
    (told,) = bounce_notices(agent)
    assert told.subject == f"{margin_call.number}: e-mail to {client_profile.name} bounced, call the client"
    assert told.body.startswith(f"The e-mail “margin call” to {client_profile.name} ({client_profile.client_no}) "
                                f"at {client_profile.email} came back undelivered: the client did not get it")


def test_an_unassigned_case_tells_its_queues_team_leads(margin_call, client_profile, supervisor, team_lead):
    risk_lead = UserFactory(username="risklead", roles=[Role.TEAM_LEAD])
    queue("risk").members.add(risk_lead)
    assert margin_call.assignee is None and margin_call.queue.code == "risk"
    email_ingest(delivery_report(client_profile.email, sent_headers()), source="imap")
    assert [notice.recipient_user for notice in bounce_notices()] == [risk_lead]  # not the general queue's lead


def test_an_unassigned_case_whose_queue_has_no_team_lead_tells_the_supervisors(margin_call, client_profile,
                                                                               supervisor, team_lead):
    email_ingest(delivery_report(client_profile.email, sent_headers()), source="imap")
    assert [notice.recipient_user for notice in bounce_notices()] == [supervisor]


def test_a_bounce_that_matches_no_notice_changes_nothing(margin_call, client_profile, agent, supervisor):
    case_assign(case=margin_call, user=supervisor, assignee=agent)
    notice = sent_notice(margin_call)
    ours = f"{margin_call.number}.{notice.pk}@margin-desk.example"
    for number, returned in enumerate((
        "Message-ID: <CAF1x2y3z@mail.gmail.com>\r\nSubject: hello",  # someone else's e-mail
        f"Message-ID: <{ours.replace(str(notice.pk), str(notice.pk + 1000))}>",  # no such notice
        f"Message-ID: <CS-2020-000001.{notice.pk}@margin-desk.example>",  # its number, another case's
        f"Message-ID: <{ours.replace('margin-desk.example', 'elsewhere.example')}>",  # another domain's
    )):
        result = email_ingest(delivery_report(client_profile.email, returned, message_id=f"<dsn-{number}@mx>"),
                              source="imap")
        assert (result.status, result.case, result.inbound.notification) == ("ignored_bounce", None, None)
    notice.refresh_from_db()
    assert (notice.status, notice.error) == ("sent", "")
    assert timeline_bounces(margin_call) == [] and not bounce_notices().exists()


def test_the_same_bounce_twice_or_a_second_report_acts_once(margin_call, client_profile, agent, supervisor):
    case_assign(case=margin_call, user=supervisor, assignee=agent)
    report = delivery_report(client_profile.email, sent_headers())
    assert email_ingest(report, source="imap").status == "notice_bounced"
    assert email_ingest(report, source="file").status == "duplicate"
    # another mail server's report about the same e-mail: recorded, the notice told of once
    with translation.override("en"):
        again = email_ingest(delivery_report(client_profile.email, sent_headers(),
                                             message_id="<relay-2@mx2.example>"), source="imap")
    assert (again.status, again.inbound.notification) == ("notice_bounced", sent_notice(margin_call))
    assert "already marked bounced" in again.reason
    assert InboundEmail.objects.count() == 2
    assert len(timeline_bounces(margin_call)) == 1 and bounce_notices().count() == 1


def test_an_out_of_office_reply_is_not_a_bounce(margin_call, client_profile, agent, supervisor):
    case_assign(case=margin_call, user=supervisor, assignee=agent)
    notice = sent_notice(margin_call)
    ours = f"<{margin_call.number}.{notice.pk}@margin-desk.example>"
    raw = (f"From: {client_profile.name} <{client_profile.email}>\r\nTo: {DESK}\r\n"
           f"Subject: 自动回复: [{margin_call.number}] 追保通知\r\nDate: Tue, 10 Mar 2026 10:05:00 +0800\r\n"
           f"Message-ID: <ooo-1@client.example>\r\nIn-Reply-To: {ours}\r\nReferences: {ours}\r\n"
           "Auto-Submitted: auto-replied\r\nReturn-Path: <>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
           "我正在休假，3月20日返回。\r\n").encode()
    result = email_ingest(raw, source="imap")
    assert (result.status, result.inbound.notification) == ("ignored_auto_reply", None)
    assert sent_notice(margin_call).status == "sent"
    assert timeline_bounces(margin_call) == [] and not bounce_notices().exists()


def test_a_delay_warning_is_recorded_against_the_notice_but_does_not_mark_it(margin_call, client_profile):
    result = email_ingest(delivery_report(client_profile.email, sent_headers(), action="delayed", status="4.4.1"),
                          source="imap")
    assert (result.status, result.inbound.notification) == ("ignored_bounce", sent_notice(margin_call))
    assert sent_notice(margin_call).status == "sent" and not bounce_notices().exists()


def test_a_plain_text_bounce_from_the_mailer_daemon_quoting_the_e_mail_is_matched(margin_call, client_profile):
    notice = sent_notice(margin_call)
    raw = ("From: MAILER-DAEMON@mx.client.example\r\nTo: service@margin-desk.example\r\n"
           "Subject: failure notice\r\nMessage-ID: <qmail-1@mx.client.example>\r\n\r\n"
           "Hi. This is the qmail-send program at mx.client.example.\r\n"
           "I'm afraid I wasn't able to deliver your message to the following addresses.\r\n\r\n"
           f"<{client_profile.email}>:\r\nSorry, no mailbox here by that name. (#5.1.1)\r\n\r\n"
           "--- Below this line is a copy of the message.\r\n\r\n" + sent_headers() + "\r\n\r\n追保通知\r\n").encode()
    result = email_ingest(raw, source="file")
    assert (result.status, result.inbound.notification) == ("notice_bounced", notice)
    notice.refresh_from_db()
    assert (notice.status, notice.error) == ("bounced", "bounced")
    assert len(timeline_bounces(margin_call)) == 1


def test_a_bounce_whose_sender_failed_the_mail_servers_checks_is_not_acted_on(margin_call, client_profile):
    forged = delivery_report(client_profile.email, sent_headers()).replace(
        b"Return-Path: <>\r\n", b"Return-Path: <>\r\nAuthentication-Results: mx.margin-desk.example; "
                                b"spf=fail smtp.helo=mx.client.example; dkim=none\r\n")
    with translation.override("en"):
        result = email_ingest(forged, source="imap")
    assert (result.status, result.inbound.notification) == ("ignored_bounce", sent_notice(margin_call))
    assert "Not acted on" in result.reason
    assert sent_notice(margin_call).status == "sent" and not bounce_notices().exists()


def test_a_report_returning_the_whole_e_mail_is_matched_by_the_attached_copy(margin_call, client_profile):
    """Exchange and Gmail attach the returned e-mail itself (message/rfc822), not only its headers."""
    (sent,) = mail.outbox
    raw = ("From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\r\nTo: service@margin-desk.example\r\n"
           "Subject: Delivery Status Notification (Failure)\r\nMessage-ID: <gm-1@mx.google.com>\r\n"
           "MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=G\r\n\r\n"
           "--G\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nAddress not found\r\n"
           "--G\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; googlemail.com\r\n\r\n"
           f"Final-Recipient: rfc822; {client_profile.email}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
           "Diagnostic-Code: smtp; 550-5.1.1 The email account that you tried to reach does not exist.\r\n\r\n"
           "--G\r\nContent-Type: message/rfc822\r\n\r\n").encode() + sent.message().as_bytes() + b"\r\n--G--\r\n"
    result = email_ingest(raw, source="imap")
    assert (result.status, result.inbound.notification) == ("notice_bounced", sent_notice(margin_call))
    assert sent_notice(margin_call).error == ("bounced: 550-5.1.1 The email account that you tried to reach "
                                              "does not exist.")


def test_the_inbound_e_mails_admin_page_names_the_notice_it_returned(margin_call, client_profile, admin):
    from django.urls import reverse

    inbound = email_ingest(delivery_report(client_profile.email, sent_headers()), source="imap").inbound
    response = admin.get(reverse("admin:notifications_inboundemail_change", args=[inbound.pk]))
    assert response.status_code == 200
    assert str(sent_notice(margin_call)) in response.content.decode()
    listed = admin.get(reverse("admin:notifications_inboundemail_changelist"), {"status__exact": "notice_bounced"})
    assert listed.status_code == 200 and margin_call.number in listed.content.decode()
    notices = admin.get(reverse("admin:notifications_notification_changelist"), {"status__exact": "bounced"})
    assert notices.status_code == 200 and margin_call.number in notices.content.decode()


def test_ingest_email_on_a_directory_acts_on_the_bounce_once(margin_call, client_profile, agent, supervisor,
                                                             tmp_path):
    import io

    from django.core.management import call_command

    case_assign(case=margin_call, user=supervisor, assignee=agent)
    (tmp_path / "dsn.eml").write_bytes(delivery_report(client_profile.email, sent_headers()))
    (tmp_path / "dsn-copy.eml").write_bytes(delivery_report(client_profile.email, sent_headers()))
    out = io.StringIO()
    call_command("ingest_email", str(tmp_path), stdout=out)
    assert [line.split("\t")[1:] for line in out.getvalue().splitlines()] == [
        ["notice_bounced", margin_call.number], ["duplicate", margin_call.number]]  # dsn-copy.eml first
    assert sent_notice(margin_call).status == "bounced"
    assert len(timeline_bounces(margin_call)) == 1 and [n.recipient_user for n in bounce_notices()] == [agent]
