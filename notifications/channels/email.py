"""E-mail through Django's mail backends (settings.EMAIL_BACKEND): a text body and an HTML
alternative rendered from templates/notifications/email.html, where the text is escaped and the
resulting body passed through nh3 (servicedesk.html.text_as_html). Case e-mails carry the conventions inbound e-mail threading relies on: the
subject contains "[{case number}]" and the Message-ID is
<{case number}.{notification id}@{NOTIFICATION_MAIL_DOMAIN}> (stable: a message sent again
after a dead worker keeps its Message-ID, so mail systems can tell it is the same)."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.utils import translation

from servicedesk.html import text_as_html


def with_case_tag(subject: str, case_number: str) -> str:
    tag = f"[{case_number}]"
    return subject if tag in subject else f"{tag} {subject}".strip()


def message_id(notification) -> str:
    domain = settings.NOTIFICATION_MAIL_DOMAIN
    if notification.case_id is not None:
        return f"<{notification.case.number}.{notification.pk}@{domain}>"
    return f"<notification.{notification.pk}@{domain}>"


def build_message(notification, connection=None) -> EmailMultiAlternatives:
    subject = notification.subject
    if notification.case_id is not None:
        subject = with_case_tag(subject, notification.case.number)
    context = {"subject": subject, "body": notification.body, "body_html": text_as_html(notification.body),
               "case_number": notification.case.number if notification.case_id else ""}
    with translation.override(notification.language):
        text = render_to_string("notifications/email.txt", context)
        html = render_to_string("notifications/email.html", context)
    message = EmailMultiAlternatives(
        subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[notification.address],
        headers={"Message-ID": message_id(notification)}, connection=connection,
    )
    message.attach_alternative(html, "text/html")
    return message


def send(notification) -> str:
    connection = get_connection(fail_silently=False)
    if getattr(connection, "timeout", "absent") is None:  # SMTP without EMAIL_TIMEOUT would wait forever
        connection.timeout = settings.NOTIFICATION_SEND_TIMEOUT
    build_message(notification, connection).send(fail_silently=False)
    return message_id(notification)
