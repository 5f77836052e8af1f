"""E-mail through Django's mail backends (settings.EMAIL_BACKEND): a text body and an HTML
alternative rendered from templates/notifications/email.html, where the text is escaped and the
resulting body passed through nh3 (body_html, its web addresses links). Case e-mails carry the
conventions inbound e-mail threading relies on: the subject contains "[{case number}]" and the Message-ID is
<{case number}.{notification id}@{NOTIFICATION_MAIL_DOMAIN}> (stable: a message sent again
after a dead worker keeps its Message-ID, so mail systems can tell it is the same).
A case's later e-mails name its earlier ones to the same address (In-Reply-To the previous one,
References the first and the previous), so the client's mail program shows one conversation per
case; every e-mail says it was sent automatically (Auto-Submitted, RFC 3834), so out-of-office
responders that follow the RFC do not answer it."""

import re

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import Max, Min
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.text import normalize_newlines

from notifications.models import Notification
from notifications.templatetags.notice_text import notice_links
from servicedesk.html import sanitize_html


def with_case_tag(subject: str, case_number: str) -> str:
    tag = f"[{case_number}]"
    return subject if tag in subject else f"{tag} {subject}".strip()


def message_id(notification, pk: int | None = None) -> str:
    """The Message-ID of `notification` (or of the same case's e-mail number `pk`)."""
    domain = settings.NOTIFICATION_MAIL_DOMAIN
    pk = notification.pk if pk is None else pk
    if notification.case_id is not None:
        return f"<{notification.case.number}.{pk}@{domain}>"
    return f"<notification.{pk}@{domain}>"


def thread_headers(notification) -> dict[str, str]:
    """In-Reply-To and References naming the case's e-mails to this address written before this
    one (whatever became of them: a message sent again gets the same headers)."""
    if notification.case_id is None or notification.pk is None:
        return {}
    earlier = Notification.objects.filter(
        case_id=notification.case_id, channel=Notification.Channel.EMAIL, address=notification.address,
        pk__lt=notification.pk,
    ).aggregate(first=Min("pk"), previous=Max("pk"))
    if earlier["first"] is None:
        return {}
    references = dict.fromkeys(message_id(notification, pk) for pk in (earlier["first"], earlier["previous"]))
    return {"In-Reply-To": message_id(notification, earlier["previous"]), "References": " ".join(references)}


def body_html(text: str) -> str:
    """The text as HTML paragraphs, escaped, its line breaks kept and its web addresses (a rating
    link) links, as the inbox shows them (notice_links: also straight after a Chinese colon, where
    mail programs that link plain addresses find none); sanitised."""
    paragraphs = re.split(r"\n{2,}", normalize_newlines(text or ""))
    return sanitize_html("\n\n".join(f"<p>{notice_links(paragraph)}</p>" for paragraph in paragraphs))


def build_message(notification, connection=None) -> EmailMultiAlternatives:
    subject = notification.subject
    if notification.case_id is not None:
        subject = with_case_tag(subject, notification.case.number)
    context = {"subject": subject, "body": notification.body, "body_html": body_html(notification.body),
               "case_number": notification.case.number if notification.case_id else ""}
    with translation.override(notification.language):
        text = render_to_string("notifications/email.txt", context)
        html = render_to_string("notifications/email.html", context)
    message = EmailMultiAlternatives(
        subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[notification.address],
        headers={"Message-ID": message_id(notification), **thread_headers(notification),
                 "Auto-Submitted": "auto-generated"},
        connection=connection,
    )
    message.attach_alternative(html, "text/html")
    return message


def send(notification) -> str:
    connection = get_connection(fail_silently=False)
    if getattr(connection, "timeout", "absent") is None:  # SMTP without EMAIL_TIMEOUT would wait forever
        connection.timeout = settings.NOTIFICATION_SEND_TIMEOUT
    build_message(notification, connection).send(fail_silently=False)
    return message_id(notification)
