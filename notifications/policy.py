"""Who gets what when: urgent events, channel preferences and quiet hours, in one place.

- Urgent notices (margin calls, alerts at the close-out or immediate line, forced liquidation and
  the regulatory notices of disputes) go out at once on every channel they were written for:
  quiet hours and channel preferences do not hold them back. The firm must tell a client of a
  margin call in time and in writing (PRODUCT.md; the margin contract's notice clause), and the
  time a dispute was acknowledged or answered is a regulatory record.
- Any other notice to a client on a channel the client switched off is not sent: it is kept,
  status gave_up with the reason, so the record shows why the client was not told.
- Any other SMS or e-mail to a client that falls in the client's quiet hours (default
  22:00–08:00 Asia/Shanghai) waits for the end of them (next_attempt_at); it is not dropped.
  In-app notices are silent and never wait; staff notices are not subject to quiet hours.
"""

import datetime
from zoneinfo import ZoneInfo

from django.conf import settings

from notifications.models import ClientPreference, Notification

#: Events that are always urgent.
URGENT_EVENTS = frozenset({
    "margin_call",
    "margin_call_deadline_passed",
    "forced_liquidation",
    "regulatory_notice",
})
#: A margin alert is urgent at these lines (the account is below the close-out line).
URGENT_ALERT_LEVELS = frozenset({"close_out", "immediate"})
#: Case kinds whose state changes are urgent: a margin call's steps, and a dispute's, whose
#: acknowledgement and final answer are regulatory notices with deadlines.
URGENT_CASE_KINDS = frozenset({"margin_call", "dispute"})

DISABLED_BY_PREFERENCE = "disabled by client preference"
#: Why a client's notice was given up when the client has neither an e-mail address nor a phone
#: number: kept on the e-mail channel (one row per notice), so the record shows the client could not
#: be told in writing, and an operator sees whom to call.
NO_CONTACT = "no e-mail address or phone number"
#: Why a notice was given up when it has no address on its channel.
NO_ADDRESS = "no address"
DEFAULT_QUIET_HOURS = (datetime.time(22, 0), datetime.time(8, 0))


def is_urgent(event: str, data: dict | None = None) -> bool:
    data = data or {}
    if event in URGENT_EVENTS:
        return True
    if event == "margin_alert":
        return data.get("level") in URGENT_ALERT_LEVELS
    if event == "case_state_changed":
        return data.get("case_kind") in URGENT_CASE_KINDS
    return False


def preference_of(client_id: int | None) -> ClientPreference:
    """The client's preferences, or the defaults (not saved) when they never chose."""
    preference = ClientPreference.objects.filter(client_id=client_id).first() if client_id else None
    return preference or ClientPreference(client_id=client_id)


def local_zone() -> ZoneInfo:
    return ZoneInfo(getattr(settings, "NOTIFICATION_TIME_ZONE", "Asia/Shanghai"))


def quiet_hours_end(moment: datetime.datetime, start: datetime.time, end: datetime.time):
    """The end of the quiet hours `moment` falls in (an aware datetime), or None outside them.
    Quiet hours may cross midnight (22:00–08:00); start == end means none."""
    if start == end:
        return None
    local = moment.astimezone(local_zone())
    time = local.time()
    if start < end:
        inside = start <= time < end
        end_day = local.date()
    else:
        inside = time >= start or time < end
        end_day = local.date() + datetime.timedelta(days=1) if time >= start else local.date()
    if not inside:
        return None
    return datetime.datetime.combine(end_day, end, tzinfo=local_zone())


def is_client_notice(notification: Notification) -> bool:
    return notification.recipient_client_id is not None


def has_no_contact(client) -> bool:
    """The client can be written to neither by e-mail nor by SMS."""
    return client is not None and not client.email and not client.phone


def written_to_sql(channel: str, client: str) -> str:
    """SQL condition: the client (table alias `client`) gets a row on `channel` in the set-based
    notices (the monitoring's, the reminders'): those with its address; on e-mail also a client
    with no contact at all (has_no_contact), the address empty, so the outbox gives it up with
    NO_CONTACT and the record shows the notice could not be sent."""
    if channel == "sms":
        return f"{client}.phone <> ''"
    return f"({client}.email <> '' OR {client}.phone = '')"


def refusal(notification: Notification, preference: ClientPreference | None = None) -> str:
    """Why this notice must not be sent at all ("" if it may)."""
    if not is_client_notice(notification) or is_urgent(notification.event, notification.data):
        return ""
    preference = preference or preference_of(notification.recipient_client_id)
    return "" if preference.channel_enabled(notification.channel) else DISABLED_BY_PREFERENCE


def deferred_until(notification: Notification, now: datetime.datetime,
                   preference: ClientPreference | None = None):
    """When this notice may go out if not now (the end of the client's quiet hours), else None."""
    if (not is_client_notice(notification) or notification.channel == Notification.Channel.IN_APP
            or is_urgent(notification.event, notification.data)):
        return None
    preference = preference or preference_of(notification.recipient_client_id)
    return quiet_hours_end(now, preference.quiet_hours_start, preference.quiet_hours_end)
