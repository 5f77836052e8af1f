"""XSS payloads in every field people write (case subject, description and category, messages,
transition comments, client name, attachment names, inbound e-mails) come out inert in the
e-mails (HTML and text) and in the existing pages: admin change pages, the rating page, the
notification template preview, the in-app inbox and bell. (The new web pages have their own sweep.)"""

from email.message import EmailMessage
from html.parser import HTMLParser

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.roles import Role
from cases.services import case_create, case_transition, message_create
from cases.services.ratings import rating_token
from notifications.inbound import email_ingest
from notifications.models import InboundEmail, Notification, NotificationTemplate
from tests.factories import ClientProfileFactory, UserFactory, without_quiet_hours

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
JS_URL = "javascript:alert(1)"
PAYLOAD = f"{SCRIPT}{IMG}<a href=\"{JS_URL}\">x</a>'><svg onload=alert(1)>"
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"


class InertCheck(HTMLParser):
    """Fails on anything a payload could have become: an inline or foreign script, an event
    handler attribute, a javascript: URL, the payload's img or svg element."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.in_inline_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            src = attributes.get("src") or ""
            if not src:
                self.in_inline_script = True
            elif not src.startswith("/") or src.startswith("//"):  # our own files only
                self.problems.append(f"foreign script {src}")
        if tag in ("img", "svg") and (attributes.get("src") == "x" or "onload" in attributes):
            self.problems.append(f"injected <{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…>")
            if name in ("href", "src", "action", "formaction", "xlink:href") and \
                    (value or "").strip().lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}={value}>")

    def handle_endtag(self, tag):
        if tag == "script":
            self.in_inline_script = False

    def handle_data(self, data):
        if self.in_inline_script and "alert(1)" in data:
            self.problems.append("payload inside a script")


def assert_inert(html: str, where: str):
    checker = InertCheck()
    checker.feed(html)
    checker.close()
    assert checker.problems == [], f"{where}: {checker.problems}"


@pytest.fixture
def hostile(agent, settings, tmp_path, django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = tmp_path
    client_profile = ClientProfileFactory(name=f"张三{SCRIPT}{IMG}", language="en")  # the name holds 100
    without_quiet_hours(client_profile)  # the e-mails go at once at any hour the suite runs
    with django_capture_on_commit_callbacks(execute=True):
        case = case_create(created_by=agent, client=client_profile, kind="ticket", subject=f"主题{PAYLOAD}"[:200],
                           description=f"描述{PAYLOAD}", category="fees")
        case = case_transition(case=case, user=agent, name="open")
        message_create(case=case, author=agent, body=f"回复{PAYLOAD}",
                       attachments=[SimpleUploadedFile(f'{IMG}.txt'.replace("/", ""), b"text", "text/html")])
        message_create(case=case, author=agent, body=f"备注{PAYLOAD}", internal=True)
        case = case_transition(case=case, user=agent, name="resolve", comment=f"已解答{PAYLOAD}")
    return case


def test_e_mails_carry_the_payload_as_text_only(hostile):
    assert mail.outbox, "the reply and the state changes send e-mails"
    for message in mail.outbox:
        html = message.alternatives[0][0]
        assert_inert(html, f"HTML e-mail {message.subject}")
        assert "<script>" not in html and "<img" not in html and "<svg" not in html
        assert SCRIPT not in html
        assert "\n" not in message.subject
    reply = next(m for m in mail.outbox if "回复" in m.body)
    assert ESCAPED_SCRIPT in reply.alternatives[0][0]  # shown as text, not dropped
    assert SCRIPT in reply.body  # the text part is plain text: no markup is interpreted there


def test_admin_change_pages_render_the_payload_inert(client, hostile, supervisor):
    supervisor.is_staff = True
    supervisor.save(update_fields=["is_staff"])
    client.force_login(supervisor)
    pages = {
        "case": reverse("admin:cases_case_change", args=[hostile.pk]),
        "case list": reverse("admin:cases_case_changelist") + "?q=" + hostile.number,
        "client": reverse("admin:accounts_clientprofile_change", args=[hostile.client_id]),
        "client list": reverse("admin:accounts_clientprofile_changelist"),
        "events": reverse("admin:cases_caseevent_changelist") + f"?case__id__exact={hostile.pk}",
        "outbox": reverse("admin:notifications_notification_changelist"),
        "outbox row": reverse("admin:notifications_notification_change",
                              args=[Notification.objects.filter(case=hostile, channel="email").first().pk]),
    }
    seen_escaped = False
    for name, url in pages.items():
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200, name
        html = response.content.decode()
        assert_inert(html, name)
        seen_escaped |= ESCAPED_SCRIPT in html
    assert seen_escaped


def test_inbound_html_e_mail_is_kept_as_text_and_shown_inert(client, hostile, supervisor):
    msg = EmailMessage()
    msg["From"] = "stranger@example.com"
    msg["To"] = "service@margin-desk.example"
    msg["Subject"] = f"Hello {PAYLOAD}"
    msg["Message-ID"] = "<xss-inbound@example.com>"
    msg.set_content(f"<html><body><p>hi</p>{PAYLOAD}<style>body{{}}</style></body></html>", subtype="html")
    result = email_ingest(msg.as_bytes(), source="test")
    assert result.status == InboundEmail.Status.HELD
    assert "alert(1)" not in result.inbound_email.body  # HTML became text: scripts and handlers are gone
    supervisor.is_staff = True
    supervisor.save(update_fields=["is_staff"])
    client.force_login(supervisor)
    for url in (reverse("admin:notifications_inboundemail_change", args=[result.inbound_email.pk]),
                reverse("admin:notifications_inboundemail_changelist")):
        response = client.get(url)
        assert response.status_code == 200
        assert_inert(response.content.decode(), url)


def test_the_rating_page_renders_the_subject_inert(client, hostile):
    response = client.get(reverse("rate-case", args=[rating_token(hostile)]))
    assert response.status_code == 200
    html = response.content.decode()
    assert_inert(html, "rating page")
    assert ESCAPED_SCRIPT in html


def test_the_template_preview_renders_a_real_case_inert(client, hostile, supervisor):
    supervisor.is_staff = True
    supervisor.save(update_fields=["is_staff"])
    client.force_login(supervisor)
    template = NotificationTemplate.objects.filter(event="case_reply").first()
    if template is None:
        template = NotificationTemplate.objects.create(event="case_reply", language="en", channel="",
                                                       subject="Reply {{ case_subject }}", body="{{ message }}")
    for url in (reverse("admin:notifications_notificationtemplate_preview", args=[template.pk]),
                reverse("admin:notifications_notificationtemplate_preview_html", args=[template.pk]),
                reverse("admin:notifications_notificationtemplate_change", args=[template.pk])):
        response = client.get(url, {"case": hostile.number})
        assert response.status_code == 200, url
        assert_inert(response.content.decode(), url)
    frame = client.get(reverse("admin:notifications_notificationtemplate_preview_html", args=[template.pk]),
                       {"case": hostile.number})
    assert "sandbox" in frame["Content-Security-Policy"] and "script-src" not in frame["Content-Security-Policy"]
    assert "default-src 'none'" in frame["Content-Security-Policy"]


def test_the_in_app_inbox_and_bell_render_inert(client, hostile, agent):
    staff = UserFactory(username="bell-user", roles=[Role.SUPERVISOR], is_staff=True)
    Notification.objects.create(recipient_user=staff, address="", channel="in_app", event="case_reply",
                                subject=f"主题{PAYLOAD}"[:200], body=f"正文{PAYLOAD}", case=hostile, status="sent")
    client.force_login(staff)
    for url in (reverse("admin:notifications_inbox"), reverse("admin:index")):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert_inert(html, url)
        assert ESCAPED_SCRIPT in html
