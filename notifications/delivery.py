"""Sending the outbox: claim a row, deliver it outside any transaction, record the outcome.

Exactly one worker sends a row: the claim is taken in a transaction on the row locked with
SELECT … FOR UPDATE SKIP LOCKED (serialised writes on SQLite) and only if the row is still
unsent and not claimed, or claimed so long ago (NOTIFICATION_CLAIM_TIMEOUT) that its worker
must have died. The outcome is written only by the claimant (WHERE claim_token = its token).
So a task delivered twice (acks_late redelivery, a resend racing the first task) sends once,
and a worker killed mid-send leaves a claim the resend task takes over after the timeout.
A message delivered while the database is unreachable is not sent again once it is back: the
outcome's write is retried for NOTIFICATION_RECORD_RETRY seconds (the claim still holds it).

What cannot be known is whether a worker killed between the provider accepting a message and
the row being marked sent had delivered it: that message is sent again (at least once beats
never). E-mails keep their Message-ID and SMS carry reference notification-<id>, so mail
systems and gateways that de-duplicate can drop the copy.

Failures: status failed with the error kept and next_attempt_at after an exponential backoff
(NOTIFICATION_RETRY_BACKOFF × 2^(attempts−1), at most NOTIFICATION_RETRY_BACKOFF_MAX);
after NOTIFICATION_MAX_ATTEMPTS attempts, gave_up with the last error."""

import datetime
import logging
import time
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from notifications import policy
from notifications.channels import deliver
from notifications.models import Notification

logger = logging.getLogger(__name__)

UNFINISHED = (Notification.Status.PENDING, Notification.Status.FAILED)
#: A task arriving this early for its row (clocks of workers and database differ) still counts.
CLOCK_TOLERANCE = datetime.timedelta(seconds=5)


@dataclass(frozen=True)
class Outcome:
    status: str  # sent | failed | gave_up | deferred | skipped (nothing to do)
    retry_in: int | None = None


def backoff_seconds(attempts: int) -> int:
    base = settings.NOTIFICATION_RETRY_BACKOFF
    return int(min(settings.NOTIFICATION_RETRY_BACKOFF_MAX, base * 2 ** max(attempts - 1, 0)))


def claim_expired(now) -> Q:
    return Q(claimed_at__isnull=True) | Q(claimed_at__lte=now - datetime.timedelta(
        seconds=settings.NOTIFICATION_CLAIM_TIMEOUT))


def claimable(now) -> Q:
    """Rows a send task may take now: unsent and unclaimed (or abandoned); a pending row only
    once it is due (quiet hours), a failed one whenever its retry arrives."""
    due = (Q(status=Notification.Status.FAILED) | Q(next_attempt_at__isnull=True)
           | Q(next_attempt_at__lte=now + CLOCK_TOLERANCE))
    return Q(status__in=UNFINISHED) & claim_expired(now) & due


def notification_send(notification_id: int, *, retry_queued: bool = False) -> Outcome:
    """Send one row if it is this call's to send. `retry_queued`: on failure the caller publishes
    the retry's task itself (a Celery retry), so the resend task should not until it is late."""
    claimed = _claim(notification_id)
    if isinstance(claimed, Outcome):
        return claimed
    notification, token = claimed
    try:
        provider_id = deliver(notification)
    except Exception as error:  # any failure of the channel: keep it, retry later
        logger.warning("Notification %s (%s) failed: %s", notification.pk, notification.channel, error)
        failure = error  # `error` is unbound when the except clause ends
        return _while_database_returns(lambda: _record_failure(notification, token, failure,
                                                               retry_queued=retry_queued))
    return _while_database_returns(lambda: _record_success(notification, token, provider_id))


def _while_database_returns(record):
    """`record()`, tried again while the database is unreachable (a restart, a fail-over) for up to
    NOTIFICATION_RECORD_RETRY seconds: what the provider was told must not be lost and sent twice."""
    deadline = time.monotonic() + settings.NOTIFICATION_RECORD_RETRY
    pause = 0.5
    while True:
        try:
            return record()
        except (OperationalError, InterfaceError):
            connection.close()  # a broken connection is not reused; the next query opens one
            if time.monotonic() + pause > deadline:
                raise
            logger.warning("Database unreachable while recording a sent notice; trying again in %.1f s", pause)
            time.sleep(pause)
            pause = min(pause * 2, 5)


def _claim(notification_id: int):
    from notifications.channels.email import with_case_tag
    from notifications.rendering import render

    now = timezone.now()
    with transaction.atomic():
        notification = (Notification.objects.select_for_update(skip_locked=True, of=("self",))
                        .select_related("case", "case__client", "case__credit_account", "recipient_client")
                        .filter(claimable(now), pk=notification_id).first())
        if notification is None:
            return Outcome("skipped")
        if notification.channel == Notification.Channel.IN_APP:
            _finish(notification, status=Notification.Status.SENT, sent_at=now)
            return Outcome(Notification.Status.SENT)
        preference = (policy.preference_of(notification.recipient_client_id)
                      if notification.recipient_client_id else None)
        reason = policy.refusal(notification, preference)
        if reason:
            _finish(notification, status=Notification.Status.GAVE_UP, error=reason)
            return Outcome(Notification.Status.GAVE_UP)
        if not notification.address:  # given up at once: waiting for the end of quiet hours brings none
            no_contact = policy.has_no_contact(notification.recipient_client)
            _finish(notification, status=Notification.Status.GAVE_UP,
                    error=policy.NO_CONTACT if no_contact else policy.NO_ADDRESS)
            return Outcome(Notification.Status.GAVE_UP)
        deferred = policy.deferred_until(notification, now, preference)
        if deferred is not None:
            Notification.objects.filter(pk=notification.pk).update(next_attempt_at=deferred, queued_at=None)
            return Outcome("deferred")
        if not notification.body:
            notification.subject, notification.body = render(
                event=notification.event, language=notification.language, channel=notification.channel,
                case=notification.case, client=notification.recipient_client, data=notification.data)
        if notification.channel == Notification.Channel.EMAIL and notification.case_id is not None:
            notification.subject = with_case_tag(notification.subject, notification.case.number)[:200]
        token = uuid.uuid4()
        notification.claim_token, notification.claimed_at = token, now
        notification.attempts += 1
        Notification.objects.filter(pk=notification.pk).update(
            claim_token=token, claimed_at=now, attempts=F("attempts") + 1,
            subject=notification.subject, body=notification.body,
        )
    return notification, token


def _record_success(notification: Notification, token, provider_id: str) -> Outcome:
    with transaction.atomic():
        finished = _finish(notification, token=token, status=Notification.Status.SENT, sent_at=timezone.now(),
                           provider_id=(provider_id or "")[:100], error="")
    if not finished:
        logger.warning("Notification %s was sent but its claim had been taken over.", notification.pk)
    return Outcome(Notification.Status.SENT)


def _record_failure(notification: Notification, token, error: Exception, *, retry_queued: bool) -> Outcome:
    text = f"{type(error).__name__}: {error}"[:4000]
    now = timezone.now()
    with transaction.atomic():
        if notification.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
            _finish(notification, token=token, status=Notification.Status.GAVE_UP, error=text)
            return Outcome(Notification.Status.GAVE_UP)
        delay = backoff_seconds(notification.attempts)
        retry_at = now + datetime.timedelta(seconds=delay)
        # queued_at = when the retry's task will run: the resend task leaves it alone until then
        # (plus NOTIFICATION_REQUEUE_AFTER). No task of its own: the resend task retries it when due.
        _finish(notification, token=token, status=Notification.Status.FAILED, error=text,
                next_attempt_at=retry_at, queued_at=retry_at if retry_queued else None,
                claim_token=None, claimed_at=None)
    return Outcome(Notification.Status.FAILED, retry_in=delay)


def _finish(notification: Notification, *, token=None, **changes) -> bool:
    """Write the outcome (only the claimant, when `token` is given) and, for a case notice that
    reached its end, the case's audit row."""
    rows = Notification.objects.filter(pk=notification.pk)
    if token is not None:
        rows = rows.filter(claim_token=token)
    if changes.get("status") in (Notification.Status.SENT, Notification.Status.GAVE_UP):
        changes.update(claim_token=None, claimed_at=None, next_attempt_at=None, queued_at=None)
    if not rows.update(**changes):
        return False
    for name, value in changes.items():
        setattr(notification, name, value)
    if notification.is_finished:
        record_case_event(notification)
    return True


def record_case_event(notification: Notification, *, comment: str = "") -> None:
    """The case's timeline shows every e-mail and SMS that went out (or was given up, or bounced:
    `comment` is then what the client's mail system said)."""
    if notification.case_id is None or notification.channel == Notification.Channel.IN_APP:
        return
    from cases.models import EventKind
    from cases.services.events import event_record

    event_record(
        case=notification.case, kind=EventKind.NOTIFICATION, actor=None, name=notification.event,
        to_value=notification.status, comment=comment,
        data={"notification_id": notification.pk, "channel": notification.channel, "event": notification.event,
              "status": notification.status, "recipient_client_id": notification.recipient_client_id,
              "recipient_user_id": notification.recipient_user_id},
    )


def notifications_resend(*, now=None, batch: int | None = None) -> int:
    """Publish a send task for every notice still due and not in anyone's hands: rows whose
    task was lost (broker down at commit, worker killed), retries whose task went missing,
    notices held for quiet hours, and rows other code inserted set-based. Returns how many."""
    from notifications.services import publish_send

    now = now or timezone.now()
    batch = batch or settings.NOTIFICATION_RESEND_BATCH
    requeue_before = now - datetime.timedelta(seconds=settings.NOTIFICATION_REQUEUE_AFTER)
    due = (Notification.objects.filter(status__in=UNFINISHED)
           .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
           .filter(Q(queued_at__isnull=True) | Q(queued_at__lte=requeue_before))
           .filter(claim_expired(now)))
    total = 0
    while True:
        with transaction.atomic():
            ids = list(due.select_for_update(skip_locked=True).order_by("id").values_list("id", flat=True)[:batch])
            if ids:
                Notification.objects.filter(pk__in=ids).update(queued_at=now)
        published = 0
        for notification_id in ids:
            if not publish_send(notification_id):
                break  # the broker is down: the rest waits for the next run
            published += 1
        if published < len(ids):
            Notification.objects.filter(pk__in=ids[published:]).update(queued_at=None)
        total += published
        if len(ids) < batch or published < len(ids):
            return total
