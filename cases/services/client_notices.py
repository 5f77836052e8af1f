"""Messages to a client about one of their cases, written to the notification outbox in the
transaction of the change that causes them (a rolled-back change tells nobody) and sent after
commit by the outbox (notifications.services.notification_queue: the client's channel choices and
quiet hours apply). One e-mail and one SMS, each only when the client has that address, in the
client's language."""

from collections.abc import Callable

from django.conf import settings
from django.utils import translation

from cases.models import Case
from notifications.models import Notification
from notifications.services import notification_queue

CHANNELS = (Notification.Channel.EMAIL, Notification.Channel.SMS)


def client_language(client) -> str:
    codes = {code for code, _name in settings.LANGUAGES}
    return client.language if client.language in codes else settings.LANGUAGE_CODE


def client_notice(*, case: Case, event: str, texts: Callable[[], tuple[str, str]],
                  data: dict | None = None) -> list[Notification]:
    """Queue `event` for the case's client; `texts()` returns (subject, body) and is called with
    the client's language active."""
    client = case.client
    language = client_language(client)
    with translation.override(language):
        subject, body = texts()
    notices = [
        notification_queue(event=event, channel=channel, recipient_client=client, case=case, language=language,
                           subject=subject if channel == Notification.Channel.EMAIL else "", body=body,
                           data={"case": case.number, **(data or {})})
        for channel in CHANNELS
    ]
    return [notice for notice in notices if notice is not None]
