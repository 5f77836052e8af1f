"""Writing notices: into the outbox inside the caller's transaction, published after commit.

A notice written here exists only if the change that caused it commits (the row is part of
that transaction) and is sent only after that commit (`transaction.on_commit`). Publishing the
send task never fails the caller: with the broker down the row stays pending and the resend
task (`notifications.resend_pending`, every minute) sends it once the broker is back."""

import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as KombuOperationalError

from notifications import policy
from notifications.models import Notification
from servicedesk.errors import NotFound, ValidationFailed
from servicedesk.i18n import language_codes, spoken_language

logger = logging.getLogger(__name__)

#: What publishing raises when the broker is unreachable.
BROKER_ERRORS = (KombuOperationalError, ConnectionError, OSError, TimeoutError)


def _address(channel: str, client, user) -> str:
    if channel == Notification.Channel.EMAIL:
        return (client.email if client is not None else "") or (user.email if user is not None else "")
    if channel == Notification.Channel.SMS:
        return client.phone if client is not None else ""
    return ""


def _language(client, user) -> str:
    return spoken_language(client.language if client is not None else getattr(user, "preferred_language", ""))


def notification_queue(*, event: str, channel: str, recipient_client=None, recipient_user=None, case=None,
                       address: str | None = None, language: str | None = None, subject: str = "",
                       body: str = "", data: dict | None = None, now=None) -> Notification | None:
    """Write one notice in the current transaction and send it once that commits.

    Recipient: a client (`recipient_client`: e-mail and SMS to the client's contacts, in-app to
    the client's login) or a user (`recipient_user`: staff; in-app or e-mail). Text: `subject`
    and `body` as given, else rendered now from the event's template in the recipient's
    language. Returns None when the recipient has no address on that channel (no e-mail on
    file, no login for an in-app notice), except a client's e-mail when the client has neither an
    e-mail address nor a phone number: kept as gave_up (policy.NO_CONTACT). A channel the client
    switched off is kept as gave_up with the reason; a non-urgent SMS or e-mail in the client's
    quiet hours waits for their end."""
    from notifications.channels.email import with_case_tag
    from notifications.rendering import render

    if channel not in Notification.Channel.values:
        raise ValidationFailed(_("Invalid notification."), extra={"channel": [_("Unknown channel.")]})
    if recipient_client is None and recipient_user is None:
        raise ValidationFailed(_("Invalid notification."), extra={"recipient": [_("This field is required.")]})
    if channel == Notification.Channel.IN_APP and recipient_user is None:
        recipient_user = recipient_client.user
    if channel == Notification.Channel.IN_APP and recipient_user is None:
        return None
    address = address if address is not None else _address(channel, recipient_client, recipient_user)
    # A client with no e-mail address and no phone number: the notice's e-mail is kept as gave_up
    # (policy.NO_CONTACT), not left unwritten; the record shows the client could not be told.
    unreachable = channel == Notification.Channel.EMAIL and not address and policy.has_no_contact(recipient_client)
    if channel != Notification.Channel.IN_APP and not address and not unreachable:
        return None
    language = language or _language(recipient_client, recipient_user)
    data = dict(data or {})
    if case is not None:
        data.setdefault("case_kind", case.kind)
    if not subject and not body:
        subject, body = render(event=event, language=language, channel=channel, case=case,
                               client=recipient_client, data=data)
    if channel == Notification.Channel.EMAIL and case is not None:
        subject = with_case_tag(subject, case.number)

    now = now or timezone.now()
    notification = Notification(
        recipient_client=recipient_client, recipient_user=recipient_user, address=address, channel=channel,
        event=event, case=case, language=language, subject=subject[:200], body=body, data=data,
    )
    preference = policy.preference_of(recipient_client.pk) if recipient_client is not None else None
    reason = policy.NO_CONTACT if unreachable else policy.refusal(notification, preference)
    deferred = None if reason else policy.deferred_until(notification, now, preference)
    if reason:
        notification.status, notification.error = Notification.Status.GAVE_UP, reason
    elif channel == Notification.Channel.IN_APP:
        notification.status, notification.sent_at = Notification.Status.SENT, now
    else:
        notification.next_attempt_at = deferred or now
        notification.queued_at = None if deferred else now
    notification.save()
    if reason and case is not None:
        from notifications.delivery import record_case_event

        record_case_event(notification)  # the timeline shows the client was not told, and why
    if notification.status == Notification.Status.PENDING and deferred is None:
        transaction.on_commit(lambda: publish_send(notification.pk))
    return notification


def publish_send(notification_id: int) -> bool:
    """Publish the send task for one notice. If that fails, the row is left to the resend task
    (due at once). Returns False when the broker is unreachable: a caller publishing many stops."""
    from notifications.tasks import send_notification
    from servicedesk.broker import BrokerUnavailable, broker_failed, check_broker

    try:
        check_broker()  # failed moments ago: not tried again for each notice of a request
        send_notification.delay(notification_id)
    except Exception as error:  # never the caller's problem: the row stays due
        Notification.objects.filter(pk=notification_id, status__in=[Notification.Status.PENDING,
                                                                    Notification.Status.FAILED],
                                    ).update(queued_at=None)
        if isinstance(error, BROKER_ERRORS):
            if not isinstance(error, BrokerUnavailable):
                broker_failed()
            logger.warning("Notification %s not queued (broker unavailable: %s); the resend task will send it.",
                           notification_id, error)
            return False
        logger.exception("Sending notification %s failed; the resend task will try again.", notification_id)
    return True


def dispatch_pending() -> None:
    """After the current transaction commits, have the due pending notices sent now: for writers
    that insert outbox rows set-based (monitoring, reminders) instead of one by one."""
    def publish():
        from notifications.tasks import resend_pending_task

        try:
            resend_pending_task.delay()
        except BROKER_ERRORS:
            logger.warning("Pending notifications not dispatched now (broker unavailable); the resend task "
                           "will send them.", exc_info=True)
        except Exception:
            logger.warning("Pending notifications not dispatched now; the resend task will send them.",
                           exc_info=True)

    transaction.on_commit(publish)


def notification_mark_read(*, user, notification_id: int) -> Notification:
    """The user opened one of their in-app notices (reading it again changes nothing)."""
    notification = Notification.objects.filter(pk=notification_id, recipient_user=user,
                                               channel=Notification.Channel.IN_APP).first()
    if notification is None:
        raise NotFound(_("No such notification."))
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=notification.read_at)
    return notification


def notifications_mark_all_read(*, user) -> int:
    return Notification.objects.filter(recipient_user=user, channel=Notification.Channel.IN_APP,
                                       read_at__isnull=True).update(read_at=timezone.now())


def notifications_mark_case_read(*, client, case, event: str) -> int:
    """The client's in-app notices of `event` about the case, read: what they asked is done (the
    case rated), so the bell no longer asks it."""
    return Notification.objects.filter(recipient_client=client, case=case, event=event,
                                       channel=Notification.Channel.IN_APP,
                                       read_at__isnull=True).update(read_at=timezone.now())


@transaction.atomic
def notifications_send_again(*, ids) -> int:
    """Give given-up or failed messages a new round of attempts (after a provider outage): back
    to pending, due now, attempts from zero; the last error stays until the next attempt. A failed
    message a worker is retrying right now (its claim held) is left to it: taking its claim away
    would have it sent twice, by that worker and by the new round."""
    from notifications.delivery import claim_expired

    now = timezone.now()
    rows = Notification.objects.select_for_update().filter(
        claim_expired(now), pk__in=ids, status__in=[Notification.Status.GAVE_UP, Notification.Status.FAILED])
    rows = rows.exclude(channel=Notification.Channel.IN_APP)
    changed = list(rows.values_list("pk", flat=True))
    Notification.objects.filter(pk__in=changed).update(
        status=Notification.Status.PENDING, attempts=0, next_attempt_at=now, queued_at=None,
        claim_token=None, claimed_at=None)
    if changed:
        dispatch_pending()
    return len(changed)


PREFERENCE_FIELDS = ("email_enabled", "sms_enabled", "in_app_enabled", "quiet_hours_start", "quiet_hours_end")


@transaction.atomic
def client_preference_update(*, client, language: str | None = None, **changes):
    """Set a client's channel preferences and quiet hours (only the fields given), and the
    language their messages are written in (`language`, kept on the client)."""
    from accounts.models import ClientProfile
    from notifications.models import ClientPreference

    unknown = set(changes) - set(PREFERENCE_FIELDS)
    if unknown:
        raise ValidationFailed(_("Invalid preferences."), extra={name: [_("Unknown field.")] for name in unknown})
    if language is not None:
        if language not in language_codes():
            raise ValidationFailed(_("Invalid preferences."), extra={"language": [_("Unknown language.")]})
        ClientProfile.objects.filter(pk=client.pk).update(language=language)
        client.language = language
    preference, _created = ClientPreference.objects.select_for_update().get_or_create(client=client)
    for name, value in changes.items():
        setattr(preference, name, value)
    preference.save()
    return preference
