"""Messages to a client about one of their cases, written to the notification outbox in the
transaction of the change that causes them (a rolled-back change tells nobody) and sent after
commit by the outbox (notifications.services.notification_queue: the client's channel choices and
quiet hours apply). One e-mail, one SMS and one in-app notice (the portal's bell, leading to the
case), each only when the client has that address or a login, in the client's language, the text
from the event's template (notifications/defaults.py, edited by supervisors in the admin)."""


from cases.models import Case
from notifications.models import Notification
from notifications.services import notification_queue
from servicedesk.i18n import spoken_language

CHANNELS = (Notification.Channel.EMAIL, Notification.Channel.SMS, Notification.Channel.IN_APP)


def client_language(client) -> str:
    return spoken_language(client.language)


def client_notice(*, case: Case, event: str, data: dict | None = None) -> list[Notification]:
    """Queue `event` for the case's client on every channel; `data` holds what its template says
    beyond the case itself (notifications.rendering.CONTEXT_HELP)."""
    notices = [
        notification_queue(event=event, channel=channel, recipient_client=case.client, case=case,
                           language=client_language(case.client), data={"case": case.number, **(data or {})})
        for channel in CHANNELS
    ]
    return [notice for notice in notices if notice is not None]
