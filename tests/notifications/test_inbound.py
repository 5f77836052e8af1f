"""Inbound e-mail: replies land on their case, known clients open tickets, everything else is held;
auto-replies and bounces are recorded and left alone; nothing is ingested twice."""

import imaplib
import io
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.roles import Role
from cases.models import Case, CaseEvent, CaseMessage
from cases.services import case_assign, case_create, case_transition
from notifications import imap
from notifications.inbound import (
    email_ingest,
    inbound_attach_to_case,
    inbound_create_case,
    inbound_discard,
    inbound_emails_held,
)
from notifications.inbound_parsing import strip_quoted_reply
from notifications.models import InboundEmail
from servicedesk.errors import Conflict, NotAllowed, ValidationFailed
from tests.factories import ClientProfileFactory, UserFactory

pytestmark = pytest.mark.django_db

DESK = "service@margin-desk.example"


def build_email(*, sender, subject="问题", body="您好", message_id=None, in_reply_to=None, references=None,
                headers=None, attachments=(), charset="utf-8", html=None) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = DESK
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = message_id or make_msgid(domain="client.example")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    for name, value in (headers or {}).items():
        msg[name] = value
    if body is not None:
        msg.set_content(body, charset=charset)
    if html is not None:
        if body is None:
            msg.set_content(html, subtype="html")
        else:
            msg.add_alternative(html, subtype="html")
    for name, content, content_type in attachments:
        maintype, subtype = content_type.split("/")
        msg.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()


def case_message_id(case, notification_id=7) -> str:
    """What our outgoing case e-mails carry (notifications' outgoing mail convention)."""
    return f"<{case.number}.{notification_id}@mail.margin-desk.example>"


@pytest.fixture
def ticket(client_profile, agent):
    return case_create(created_by=agent, client=client_profile, kind="ticket", subject="融资利率咨询",
                       description="请问融资利率是多少")


def client_messages(case):
    return list(CaseMessage.objects.filter(case=case, source=CaseMessage.Source.CLIENT))


# --- threading ------------------------------------------------------------------------------------

def test_reply_threads_by_in_reply_to_without_the_quoted_mail(ticket, client_profile):
    body = ("谢谢，我明白了。\n\nOn Mon, 5 Jan 2026 at 10:00, 客服 <service@margin-desk.example> wrote:\n"
            "> 融资利率为 8.35%\n")
    raw = build_email(sender=f"客户 <{client_profile.email}>", subject="Re: 利率", body=body,
                      in_reply_to=case_message_id(ticket))
    result = email_ingest(raw, source="test")

    assert result.status == InboundEmail.Status.THREADED == "threaded"
    assert result.case == ticket
    [message] = client_messages(ticket)
    assert message.body == "谢谢，我明白了。"
    assert message.author == client_profile.user and message.visibility == CaseMessage.Visibility.PUBLIC
    assert result.message == message
    row = InboundEmail.objects.get()
    assert (row.status, row.case, row.case_message, row.client) == ("threaded", ticket, message, client_profile)
    assert row.from_address == client_profile.email and row.subject == "Re: 利率"
    assert row.raw.read() == raw


def test_reply_threads_by_references_only(ticket, client_profile, other_client_profile, agent):
    other = case_create(created_by=agent, client=other_client_profile, kind="ticket", subject="别人的工单")
    references = f"<older@client.example> {case_message_id(other, 1)} {case_message_id(ticket, 2)} <x@y>"
    raw = build_email(sender=client_profile.email.upper(), subject="回复", body="好的", references=references)
    result = email_ingest(raw, source="test")
    assert (result.status, result.case) == ("threaded", ticket)  # the newest case e-mail referred to
    assert [m.body for m in client_messages(ticket)] == ["好的"]
    assert client_messages(other) == []


def test_reply_threads_by_case_number_in_subject(ticket, client_profile):
    raw = build_email(sender=client_profile.email, subject=f"回复：[{ticket.number}] 融资利率咨询",
                      body="补充一下\n\n在 2026年1月5日 10:00，客服 <service@margin-desk.example> 写道：\n> 原文")
    result = email_ingest(raw, source="test")
    assert (result.status, result.case) == ("threaded", ticket)
    assert [m.body for m in client_messages(ticket)] == ["补充一下"]


def test_client_reply_resumes_a_ticket_waiting_on_them(ticket, client_profile, agent):
    opened = case_assign(case=ticket, user=agent, assignee=agent)
    case_transition(case=opened, user=agent, name="wait_on_client", comment="请提供对账单")
    raw = build_email(sender=client_profile.email, subject=f"[{ticket.number}]", body="已附上",
                      attachments=[("对账单.pdf", b"%PDF-1.4 statement", "application/pdf")])
    result = email_ingest(raw, source="test")
    assert result.status == "threaded"
    assert Case.objects.get(pk=ticket.pk).state == "open"
    [attachment] = result.message.attachments.all()
    assert attachment.original_name == "对账单.pdf" and attachment.content_type == "application/pdf"
    assert attachment.file.read() == b"%PDF-1.4 statement"


def test_reply_from_another_address_is_held_not_threaded(ticket, client_profile, other_client_profile):
    for sender in ("stranger@evil.example", other_client_profile.email):
        raw = build_email(sender=sender, subject=f"Re: [{ticket.number}]", body="我也想看看",
                          in_reply_to=case_message_id(ticket))
        result = email_ingest(raw, source="test")
        assert result.status == "held" and result.case is None
    assert client_messages(ticket) == []
    assert not CaseEvent.objects.filter(case=ticket, kind="message").exists()
    held = list(inbound_emails_held())
    assert [row.case_number for row in held] == [ticket.number, ticket.number]
    assert [row.client for row in held] == [None, other_client_profile]
    assert all(row.case is None for row in held)


def test_an_unknown_case_number_from_a_known_client_opens_a_ticket(client_profile):
    raw = build_email(sender=client_profile.email, subject="Re: [CS-2020-999999] 旧问题", body="还有问题")
    result = email_ingest(raw, source="test")
    assert result.status == "new_case" and result.case.client == client_profile


# --- new tickets and held e-mails -----------------------------------------------------------------

def test_new_ticket_for_a_known_clients_address(client_profile):
    raw = build_email(sender=f"张三 <{client_profile.email.upper()}>", subject="  融券  卖出失败 ",
                      body="今天融券卖出一直失败，请帮忙查看。",
                      attachments=[("截图.png", b"\x89PNG fake", "image/png")])
    result = email_ingest(raw, source="test")

    assert result.status == "new_case"
    case = result.case
    assert (case.client, case.kind, case.channel, case.state) == (client_profile, "ticket", "email", "new")
    assert case.subject == "融券 卖出失败"
    assert case.description == "今天融券卖出一直失败，请帮忙查看。"
    assert case.created_by is None
    [message] = client_messages(case)  # the attachments, on a first client message
    assert [a.original_name for a in message.attachments.all()] == ["截图.png"]
    assert InboundEmail.objects.get().case == case


def test_new_ticket_without_subject_or_attachments(client_profile):
    result = email_ingest(build_email(sender=client_profile.email, subject="", body="只有正文"), source="test")
    assert result.status == "new_case"
    assert result.case.subject and result.case.description == "只有正文"
    assert client_messages(result.case) == []


def test_unknown_sender_is_held_and_visible_to_supervisors(client, supervisor, auditor, team_lead):
    raw = build_email(sender="someone@unknown.example", subject="我想开户", body="怎么开两融账户？")
    result = email_ingest(raw, source="test")
    assert result.status == "held" and result.case is None
    assert Case.objects.count() == 0
    assert "someone@unknown.example" in result.inbound_email.reason
    assert list(inbound_emails_held()) == [result.inbound_email]

    url = reverse("admin:notifications_inboundemail_changelist")
    for reader in (supervisor, auditor):
        client.force_login(reader)
        response = client.get(url, {"status__exact": "held"})
        assert response.status_code == 200
        assert list(response.context["cl"].result_list) == [result.inbound_email]
        page = client.get(reverse("admin:notifications_inboundemail_change", args=[result.inbound_email.pk]))
        assert page.status_code == 200 and "怎么开两融账户？" in page.content.decode()
    client.force_login(team_lead)
    assert client.get(url).status_code == 403


def test_several_clients_with_one_address_are_held(client_profile):
    ClientProfileFactory(email=client_profile.email.upper())
    result = email_ingest(build_email(sender=client_profile.email, body="谁的？"), source="test")
    assert result.status == "held" and result.case is None


# --- a supervisor's review ------------------------------------------------------------------------

@pytest.fixture
def held_from_stranger(db):
    raw = build_email(sender="wife@family.example", subject="代我先生咨询", body="他的账户被平仓了",
                      attachments=[("说明.txt", "情况说明".encode(), "text/plain")])
    return email_ingest(raw, source="test").inbound_email


def test_supervisor_creates_a_ticket_for_a_held_email(held_from_stranger, client_profile, supervisor, agent):
    with pytest.raises(NotAllowed):
        inbound_create_case(inbound_email=held_from_stranger, user=agent, client=client_profile)
    with pytest.raises(ValidationFailed):
        inbound_create_case(inbound_email=held_from_stranger, user=supervisor)  # no client chosen
    case = inbound_create_case(inbound_email=held_from_stranger, user=supervisor, client=client_profile)
    assert (case.client, case.channel, case.created_by, case.description) == (
        client_profile, "email", supervisor, "他的账户被平仓了")
    assert [a.original_name for m in case.messages.all() for a in m.attachments.all()] == ["说明.txt"]
    row = InboundEmail.objects.get(pk=held_from_stranger.pk)
    assert (row.status, row.case, row.reviewed_by) == ("new_case", case, supervisor)
    assert row.reviewed_at is not None
    with pytest.raises(Conflict):
        inbound_discard(inbound_email=row, user=supervisor)


def test_supervisor_attaches_a_held_email_to_its_case(ticket, client_profile, supervisor):
    raw = build_email(sender="client.private@home.example", subject=f"[{ticket.number}] 补充", body="补充材料")
    held = email_ingest(raw, source="test").inbound_email
    message = inbound_attach_to_case(inbound_email=held, user=supervisor)
    assert message.case == ticket and message.source == "client" and message.author is None
    assert "client.private@home.example" in message.body and "补充材料" in message.body
    assert CaseEvent.objects.filter(case=ticket, name="email_attached", actor=supervisor).exists()
    assert InboundEmail.objects.get(pk=held.pk).status == "threaded"


def test_an_attached_email_is_introduced_in_the_clients_language(ticket, client_profile, supervisor):
    """The line saying where the e-mail came from is read by the case's client on the portal: it was
    written in the language of the supervisor who attached it."""
    from django.utils import translation

    client_profile.language = "zh-hans"
    client_profile.save()
    raw = build_email(sender="client.private@home.example", subject=f"[{ticket.number}] 补充", body="补充材料")
    held = email_ingest(raw, source="test").inbound_email
    with translation.override("en"):  # the supervisor reads the English admin
        message = inbound_attach_to_case(inbound_email=held, user=supervisor)
    with translation.override("zh-hans"):
        from django.utils.translation import gettext

        expected = gettext("E-mail from %(address)s:") % {"address": "client.private@home.example"}
    assert message.body.startswith(expected) and expected != "E-mail from client.private@home.example:"


def test_supervisor_decides_on_the_admin_page(client, held_from_stranger, client_profile, supervisor):
    client.force_login(supervisor)
    url = reverse("admin:notifications_inboundemail_change", args=[held_from_stranger.pk])
    assert "_inbound_create_ticket" in client.get(url).content.decode()
    response = client.post(url, {"client": client_profile.pk, "case_number": "", "_inbound_create_ticket": "1"})
    assert response.status_code == 302
    row = InboundEmail.objects.get(pk=held_from_stranger.pk)
    assert row.status == "new_case" and row.case.client == client_profile and row.reviewed_by == supervisor
    assert "_inbound_create_ticket" not in client.get(url).content.decode()  # decided: read-only now


def test_supervisor_discards_from_the_list(client, held_from_stranger, supervisor):
    client.force_login(supervisor)
    response = client.post(reverse("admin:notifications_inboundemail_changelist"),
                           {"action": "discard", "_selected_action": [held_from_stranger.pk]})
    assert response.status_code == 302
    row = InboundEmail.objects.get(pk=held_from_stranger.pk)
    assert (row.status, row.reviewed_by) == ("discarded", supervisor)
    assert list(inbound_emails_held()) == []


# --- auto-replies, bounces, duplicates ----------------------------------------------------------

@pytest.mark.parametrize("headers, subject", [
    ({"Auto-Submitted": "auto-replied"}, "Re: 利率"),
    ({"X-Autoreply": "yes"}, "Re: 利率"),
    ({"X-Autorespond": "yes"}, "Re: 利率"),
    ({"Precedence": "bulk"}, "Re: 利率"),
    ({"X-Auto-Response-Suppress": "All"}, "Re: 利率"),
    ({}, "自动回复: Re: 利率"),
    ({}, "Automatic reply: 利率"),
    ({}, "Out of Office: 利率"),
    ({"Auto-Submitted": "auto-replied", "Return-Path": "<>"}, "休假中"),
])
def test_auto_replies_are_recorded_not_threaded(ticket, client_profile, headers, subject):
    raw = build_email(sender=client_profile.email, subject=subject, body="我正在休假。",
                      in_reply_to=case_message_id(ticket), headers=headers)
    result = email_ingest(raw, source="test")
    assert result.status == "ignored_auto_reply" and result.case is None
    assert client_messages(ticket) == []
    assert InboundEmail.objects.get().case_number == ticket.number
    assert Case.objects.count() == 1


def test_auto_submitted_no_is_a_person_writing(ticket, client_profile):
    raw = build_email(sender=client_profile.email, subject="Re: 利率", body="人工回复",
                      in_reply_to=case_message_id(ticket), headers={"Auto-Submitted": "no"})
    assert email_ingest(raw, source="test").status == "threaded"


def delivery_report(case) -> bytes:
    """A delivery status notification (RFC 3464) about one of our case e-mails."""
    return (
        f"From: Mail Delivery <dsn@mx.client.example>\r\nTo: {DESK}\r\nSubject: Undelivered Mail\r\n"
        f"Message-ID: <dsn-1@mx.client.example>\r\nReferences: {case_message_id(case)}\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/report; report-type=delivery-status; boundary=B\r\n\r\n"
        "--B\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.client.example\r\n\r\n"
        "Final-Recipient: rfc822; x@client.example\r\nAction: failed\r\nStatus: 5.1.1\r\n--B--\r\n"
    ).encode()


def test_bounces_are_recorded_not_threaded(ticket, client_profile):
    result = email_ingest(delivery_report(ticket), source="test")
    assert result.status == "ignored_bounce" and result.case is None
    raw = build_email(sender=client_profile.email, subject=f"[{ticket.number}]", body="退信",
                      headers={"Return-Path": "<>"})
    assert email_ingest(raw, source="test").status == "ignored_bounce"
    raw = build_email(sender="postmaster@client.example", subject="Delivery failure", body="退信")
    assert email_ingest(raw, source="test").status == "ignored_bounce"
    assert client_messages(ticket) == [] and Case.objects.count() == 1


def test_the_same_email_twice_is_ingested_once(ticket, client_profile):
    raw = build_email(sender=client_profile.email, subject=f"[{ticket.number}]", body="只一次",
                      message_id="<once@client.example>")
    first = email_ingest(raw, source="imap")
    second = email_ingest(raw, source="file")
    assert (first.status, second.status) == ("threaded", "duplicate")
    assert second.inbound_email == first.inbound_email and second.case == ticket
    assert len(client_messages(ticket)) == 1 and InboundEmail.objects.count() == 1
    assert InboundEmail.objects.get().status == "threaded"


def test_an_email_without_message_id_is_still_ingested_once(client_profile):
    raw = build_email(sender=client_profile.email, body="没有 Message-ID").replace(b"Message-ID:", b"X-Old-Id:")
    assert email_ingest(raw, source="test").status == "new_case"
    assert email_ingest(raw, source="test").status == "duplicate"
    assert Case.objects.count() == 1


# --- charsets, HTML, quotes, sizes --------------------------------------------------------------

def test_gb18030_body_and_attachment_are_kept(ticket, client_profile):
    raw = build_email(sender=client_profile.email, subject=f"回复：[{ticket.number}] 融资利率", charset="gb18030",
                      body="您好，附件是我的对账单（含生僻字：䶮）。",
                      attachments=[("二〇二六年对账单.txt", "余额：壹万元".encode("gb18030"), "text/plain")])
    result = email_ingest(raw, source="test")
    assert result.status == "threaded"
    assert result.message.body == "您好，附件是我的对账单（含生僻字：䶮）。"
    [attachment] = result.message.attachments.all()
    assert attachment.original_name == "二〇二六年对账单.txt"
    assert attachment.file.read().decode("gb18030") == "余额：壹万元"


def test_raw_gbk_headers_and_8bit_body_from_older_mail_clients(ticket, client_profile):
    raw = (
        b"From: " + "张三".encode("gbk") + f" <{client_profile.email}>\r\n".encode()
        + b"To: " + DESK.encode() + b"\r\nSubject: " + f"回复：[{ticket.number}] 利率".encode("gbk")
        + b"\r\nMessage-ID: <gbk-1@client.example>\r\nMIME-Version: 1.0\r\n"
        + b"Content-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\n"
        + b"Content-Type: text/plain; charset=GB2312\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + "利率太高了，镕基说的。".encode("gbk") + b"\r\n--XX\r\n"
        + b'Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="'
        + "合同.pdf".encode("gbk") + b'"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--XX--\r\n'
    )
    result = email_ingest(raw, source="test")
    assert result.status == "threaded"
    assert result.message.body == "利率太高了，镕基说的。"
    assert result.inbound_email.subject == f"回复：[{ticket.number}] 利率"
    assert result.inbound_email.from_name == "张三"
    assert [a.original_name for a in result.message.attachments.all()] == ["合同.pdf"]


def test_html_only_email_becomes_plain_text(client_profile):
    html = ("<html><head><style>p{color:red}</style><script>alert(1)</script></head><body>"
            "<p>请帮我<b>查询</b>维持担保比例&nbsp;&amp; 利息</p><div>谢谢<br>张三</div></body></html>")
    result = email_ingest(build_email(sender=client_profile.email, body=None, html=html), source="test")
    assert result.case.description == "请帮我查询维持担保比例 & 利息\n\n谢谢\n张三"
    assert "<" not in result.case.description and "alert" not in result.case.description


def test_plain_text_is_preferred_to_html(client_profile):
    raw = build_email(sender=client_profile.email, body="纯文本", html="<p>HTML 版本</p>")
    assert email_ingest(raw, source="test").case.description == "纯文本"


@pytest.mark.parametrize("text", [
    "新内容\n\n-----Original Message-----\nFrom: desk\n旧内容",
    "新内容\n\n------------------ 原始邮件 ------------------\n发件人: desk\n旧内容",
    "新内容\n\n在 2026年1月5日 周一 10:00，客服 <s@desk.example>\n写道：\n> 旧内容",
    "新内容\n\nOn Mon, Jan 5, 2026 at 10:00 AM Service Desk <service@margin-desk.example>\nwrote:\n> 旧内容",
    "新内容\n\nFrom: Service Desk <service@margin-desk.example>\nSent: Monday\nSubject: 旧\n旧内容",
    "新内容\n> 旧内容\n> 更旧",
])
def test_quoted_reply_text_is_cut(text):
    assert strip_quoted_reply(text) == "新内容"


def test_a_reply_that_is_only_quotes_keeps_its_text():
    assert strip_quoted_reply("> 只有引用") == "> 只有引用"


def test_oversize_attachments_are_dropped_and_noted(ticket, client_profile, settings):
    settings.ATTACHMENT_MAX_BYTES = 10
    raw = build_email(sender=client_profile.email, subject=f"[{ticket.number}]", body="两个附件",
                      attachments=[("small.txt", b"ok", "text/plain"), ("big.zip", b"x" * 11, "application/zip")])
    result = email_ingest(raw, source="test")
    assert [a.original_name for a in result.message.attachments.all()] == ["small.txt"]
    assert result.message.body.startswith("两个附件") and "big.zip" in result.message.body


def test_the_note_of_an_attachment_left_out_is_in_the_clients_language(ticket, client_profile, settings):
    settings.ATTACHMENT_MAX_BYTES = 10
    client_profile.language = "en"
    client_profile.save()
    raw = build_email(sender=client_profile.email, subject=f"[{ticket.number}]", body="Two files",
                      attachments=[("big.zip", b"x" * 11, "application/zip")])
    result = email_ingest(raw, source="test")
    assert "The attachment “big.zip” (11\xa0bytes) was not kept" in result.message.body



def test_a_huge_e_mail_puts_no_more_text_on_a_case_than_the_portal_takes(ticket, client_profile):
    client_profile.language = "en"
    client_profile.save()
    long_text = "日志 log line\n" * 100_000  # 1.2 million characters; the portal and the API take 20,000
    reply = email_ingest(build_email(sender=client_profile.email, subject=f"Re: [{ticket.number}]", body=long_text),
                         source="test")
    assert reply.status == "threaded" and reply.message.body.startswith("日志 log line")
    assert len(reply.message.body) < 20_200 and "Only the first 20000 characters" in reply.message.body
    assert reply.inbound_email.body == long_text.strip()  # the record keeps the whole text

    new = email_ingest(build_email(sender=client_profile.email, subject="日志", body=long_text), source="test")
    assert new.status == "new_case" and len(new.case.description) == 20_000
    [note] = client_messages(new.case)
    assert note.body.startswith("Only the first 20000 characters") and "Attachments" not in note.body

def test_mail_from_the_desk_itself_is_not_held(settings):
    raw = build_email(sender=f"Service desk <{settings.DEFAULT_FROM_EMAIL}>", subject="[CS-2026-000001]", body="loop")
    assert email_ingest(raw, source="test").status == "ignored_auto_reply"
    assert list(inbound_emails_held()) == []


def test_nul_characters_and_broken_headers_do_not_stop_an_email(client_profile):
    raw = (f"From: {client_profile.email}\r\nSubject: bad\x00subject =?bogus?Q?x?=\r\nDate: yesterday\r\n"
           "Message-ID: <nul-1@client.example>\r\nContent-Type: text/plain; charset=x-unknown\r\n\r\n"
           "te\x00xt\r\n").encode()
    result = email_ingest(raw, source="test")
    assert result.status == "new_case"
    assert result.case.description == "text" and "\x00" not in result.case.subject
    assert result.inbound_email.sent_at is None


# --- ingest_email command -------------------------------------------------------------------------

def test_ingest_email_command_on_a_directory(tmp_path, ticket, client_profile, capsys):
    (tmp_path / "1-reply.eml").write_bytes(build_email(sender=client_profile.email, subject=f"[{ticket.number}]",
                                                       body="回复"))
    (tmp_path / "2-stranger.eml").write_bytes(build_email(sender="nobody@unknown.example", body="你好"))
    (tmp_path / "3-auto.EML").write_bytes(build_email(sender=client_profile.email, subject="自动回复：休假",
                                                      body="休假"))  # a Windows export's name: not passed by
    (tmp_path / "notes.txt").write_text("not an e-mail")
    call_command("ingest_email", str(tmp_path))  # held ones are no error
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[1:] for line in lines] == [
        ["threaded", ticket.number], ["held", "-"], ["ignored_auto_reply", "-"]]
    assert lines[0].startswith(str(tmp_path / "1-reply.eml"))

    call_command("ingest_email", str(tmp_path / "1-reply.eml"))  # again: nothing new
    assert capsys.readouterr().out.split("\t")[1] == "duplicate"
    assert len(client_messages(ticket)) == 1


def test_ingest_email_command_refuses_an_empty_file_and_records_nothing(tmp_path, ticket, client_profile):
    """A file still being copied into the directory (0 bytes): it was recorded and held as an e-mail
    "with no readable sender" for a supervisor to review and discard, and the command exited 0."""
    (tmp_path / "1-copying.eml").write_bytes(b"")
    (tmp_path / "2-blank.eml").write_bytes(b"\r\n  \n")
    (tmp_path / "3-reply.eml").write_bytes(build_email(sender=client_profile.email, subject=f"[{ticket.number}]",
                                                       body="回复"))
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("ingest_email", str(tmp_path), "--language", "en", stdout=out, stderr=err)

    assert str(failure.value) == "2 file(s) could not be read or ingested."
    assert err.getvalue().splitlines() == [f"{tmp_path / '1-copying.eml'}: the file is empty: it is not an e-mail.",
                                           f"{tmp_path / '2-blank.eml'}: the file is empty: it is not an e-mail."]
    assert out.getvalue().split("\t")[1:] == ["threaded", f"{ticket.number}\n"]  # the others are still ingested
    assert InboundEmail.objects.count() == 1


def test_ingest_email_command_fails_on_an_unreadable_path(tmp_path):
    with pytest.raises(CommandError):
        call_command("ingest_email", str(tmp_path / "missing.eml"))


# --- IMAP ----------------------------------------------------------------------------------------

class FakeImap:
    """Enough of imaplib.IMAP4_SSL for the poller: messages by sequence number, with flags."""

    instances: list["FakeImap"] = []
    mailbox: dict[str, tuple[bytes, set]] = {}

    def __init__(self, host, port=993, **kwargs):
        self.host, self.port, self.logged_in, self.selected = host, port, None, None
        self.fetched = []
        FakeImap.instances.append(self)

    def login(self, user, password):
        self.logged_in = (user, password)
        return "OK", [b"LOGIN completed"]

    def select(self, folder="INBOX"):
        self.selected = folder
        return "OK", [str(len(self.mailbox)).encode()]

    def search(self, charset, criterion):
        assert criterion == "UNSEEN"
        unseen = [number for number, (_raw, flags) in self.mailbox.items() if "\\Seen" not in flags]
        return "OK", [" ".join(unseen).encode()]

    def fetch(self, number, parts):
        assert "PEEK" in parts  # fetching must not mark the message seen before it is ingested
        self.fetched.append(number)
        raw, _flags = self.mailbox[number]
        return "OK", [(f"{number} (BODY[] {{{len(raw)}}}".encode(), raw), b")"]

    def store(self, number, command, flag):
        assert command == "+FLAGS"
        self.mailbox[number][1].add(flag)
        return "OK", [b""]

    def close(self):
        return "OK", [b""]

    def logout(self):
        return "BYE", [b""]


@pytest.fixture
def fake_imap(monkeypatch, settings):
    settings.IMAP_HOST, settings.IMAP_USER, settings.IMAP_PASSWORD = "imap.desk.example", "desk", "secret"
    settings.IMAP_FOLDER = "Service"
    monkeypatch.setattr(imaplib, "IMAP4_SSL", FakeImap)
    FakeImap.instances, FakeImap.mailbox = [], {}
    return FakeImap


def test_imap_poll_ingests_unseen_mail_and_marks_it_seen_after_commit(fake_imap, ticket, client_profile):
    reply = build_email(sender=client_profile.email, subject=f"[{ticket.number}]", body="IMAP 回复")
    fake_imap.mailbox = {
        "1": (reply, set()),
        "2": (build_email(sender="old@unknown.example", body="早已读过"), {"\\Seen"}),
        "3": (build_email(sender="nobody@unknown.example", body="陌生人"), set()),
    }
    assert imap.imap_poll() == 2
    [connection] = fake_imap.instances
    assert (connection.host, connection.port, connection.logged_in, connection.selected) == (
        "imap.desk.example", 993, ("desk", "secret"), "Service")
    assert connection.fetched == ["1", "3"]
    assert all("\\Seen" in flags for _raw, flags in fake_imap.mailbox.values())
    assert [m.body for m in client_messages(ticket)] == ["IMAP 回复"]
    assert sorted(InboundEmail.objects.values_list("status", "source")) == [("held", "imap"), ("threaded", "imap")]

    assert imap.imap_poll() == 0  # nothing unseen left


def test_imap_message_whose_ingest_fails_stays_unseen(fake_imap, client_profile, monkeypatch):
    fake_imap.mailbox = {"1": (build_email(sender=client_profile.email, body="会失败", message_id="<fails@x>"), set()),
                         "2": (build_email(sender=client_profile.email, body="会成功"), set())}
    real_ingest = imap.email_ingest

    def failing_once(raw, *, source):
        if b"<fails@x>" in raw:
            raise RuntimeError("worker died")
        return real_ingest(raw, source=source)

    monkeypatch.setattr(imap, "email_ingest", failing_once)
    assert imap.imap_poll() == 1
    assert "\\Seen" not in fake_imap.mailbox["1"][1] and "\\Seen" in fake_imap.mailbox["2"][1]

    monkeypatch.setattr(imap, "email_ingest", real_ingest)  # the next poll reads it again
    assert imap.imap_poll() == 1
    assert InboundEmail.objects.filter(status="new_case").count() == 2


def test_imap_poll_does_nothing_without_a_host(monkeypatch, settings):
    settings.IMAP_HOST = ""

    def refuse(*args, **kwargs):
        raise AssertionError("no connection without IMAP_HOST")

    monkeypatch.setattr(imaplib, "IMAP4_SSL", refuse)
    assert imap.imap_poll() == 0


def test_imap_poll_is_on_the_beat_schedule():
    from servicedesk.celery import app

    app.loader.import_default_modules()
    scheduled = {spec["task"]: spec["schedule"] for spec in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled["notifications.imap_poll"] == 60.0
    assert "notifications.imap_poll" in app.tasks


def test_the_mailbox_is_configured_from_the_environment():
    """IMAP_HOST … in the environment (or .env) reach the settings imap.py reads."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    mailbox = {"IMAP_HOST": "imap.firm.example", "IMAP_PORT": "1143", "IMAP_USER": "desk",
               "IMAP_PASSWORD": "secret", "IMAP_SSL": "false", "IMAP_FOLDER": "Service", "IMAP_TIMEOUT": "20"}
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "servicedesk.settings.local", **mailbox}
    script = ("import django; django.setup(); from django.conf import settings as s; print(s.IMAP_HOST, "
              "s.IMAP_PORT, s.IMAP_USER, s.IMAP_PASSWORD, s.IMAP_SSL, s.IMAP_FOLDER, s.IMAP_TIMEOUT)")
    result = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).resolve().parents[2],
                            env=environment, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["imap.firm.example", "1143", "desk", "secret", "False", "Service", "20.0"]


def test_only_supervisors_review(held_from_stranger, auditor):
    with pytest.raises(NotAllowed):
        inbound_discard(inbound_email=held_from_stranger, user=auditor)
    supervisor = UserFactory(username="sup-review", roles=[Role.SUPERVISOR])
    assert inbound_discard(inbound_email=held_from_stranger, user=supervisor).status == "discarded"


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_the_same_email_ingested_twice_at_once_is_recorded_once(client_profile, agent):
    """IMAP and a file (or two pollers) with the same e-mail at the same moment (PostgreSQL)."""
    import threading

    from django.db import connections

    ticket = case_create(created_by=agent, client=client_profile, kind="ticket", subject="并发")
    raw = build_email(sender=client_profile.email, subject=f"[{ticket.number}]", body="同时到达")
    barrier, statuses = threading.Barrier(2), []

    def ingest(source):
        try:
            barrier.wait()
            statuses.append(email_ingest(raw, source=source).status)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=ingest, args=(source,)) for source in ("imap", "file")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(statuses) == ["duplicate", "threaded"]
    assert len(client_messages(ticket)) == 1 and InboundEmail.objects.count() == 1


def test_another_email_under_a_message_id_already_received_is_kept_not_dropped_as_a_copy(ticket, client_profile):
    """Mail programs that write a broken or constant Message-ID ("<>"), or a sender reusing one: the second,
    different e-mail was answered "duplicate" and recorded nowhere; the client's reply was lost."""
    stranger = build_email(sender="stranger@elsewhere.example", subject="广告", body="优惠",
                           message_id="<x@y>").replace(b"<x@y>", b"<>")
    reply = build_email(sender=client_profile.email, subject=f"回复：[{ticket.number}]", body="我已补足保证金",
                        message_id="<x@y>").replace(b"<x@y>", b"<>")
    assert email_ingest(stranger, source="imap").status == "held"
    kept = email_ingest(reply, source="imap")
    assert (kept.status, kept.case) == ("threaded", ticket)
    assert [message.body for message in client_messages(ticket)] == ["我已补足保证金"]
    assert email_ingest(reply, source="file").status == "duplicate"  # the same e-mail again: still once
    assert InboundEmail.objects.count() == 2 and len(client_messages(ticket)) == 1
