"""The outbox: written with the change that causes it, sent after commit, retried with backoff,
never lost with a broker or a worker, never sent twice."""

import datetime
import uuid

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from notifications.delivery import backoff_seconds, notifications_resend
from notifications.models import Notification
from notifications.services import notification_queue
from notifications.tasks import resend_pending, send_notification
from servicedesk.celery import app
from tests.factories import ClientProfileFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("daytime")]



def sms(client, **kwargs):
    return notification_queue(event="margin_call_restored", channel="sms", recipient_client=client,
                              subject="", body=kwargs.pop("body", "您的账户已恢复正常。"), **kwargs)


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_writes_and_sends_nothing(recorded_sms):
    client = ClientProfileFactory()
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            notification_queue(event="case_reply", channel="email", recipient_client=client,
                               subject="Hello", body="text")
            sms(client)
            raise RuntimeError("the change fails")
    assert not Notification.objects.exists()
    assert mail.outbox == [] and recorded_sms == []


@pytest.mark.django_db(transaction=True)
def test_a_committed_notice_is_sent_after_commit_not_before(recorded_sms):
    client = ClientProfileFactory()
    with transaction.atomic():
        notice = sms(client)
        assert recorded_sms == []  # nothing leaves before the commit
        assert Notification.objects.get().status == "pending"
    notice.refresh_from_db()
    assert recorded_sms == [(client.phone, "您的账户已恢复正常。")]
    assert notice.status == "sent" and notice.attempts == 1 and notice.provider_id == "rec-1"
    assert notice.sent_at is not None and notice.error == ""


def test_a_failing_backend_retries_with_backoff_then_gives_up_with_the_error_kept(client_profile, failing_sms):
    notice = sms(client_profile)
    assert send_notification.apply(args=[notice.pk]).get() == "failed"
    for attempt in range(2, 6):
        notice.refresh_from_db()
        assert notice.status == "failed" and notice.attempts == attempt - 1
        assert notice.error == "ConnectionError: gateway down (test)" and notice.claim_token is None
        assert notifications_resend() == 0  # not due yet: the resend task leaves it alone
        moment = notice.next_attempt_at + datetime.timedelta(seconds=1)
        with time_machine.travel(moment, tick=False):
            assert notifications_resend() == 1  # due: tried again (and it fails again)
    notice.refresh_from_db()
    assert notice.status == "gave_up"
    assert notice.attempts == 5  # NOTIFICATION_MAX_ATTEMPTS
    assert notice.error == "ConnectionError: gateway down (test)"
    assert notice.next_attempt_at is None
    # given up: neither the task nor the resend task tries again
    assert send_notification.apply(args=[notice.pk]).get() == "skipped"
    with time_machine.travel(timezone.now() + datetime.timedelta(days=1)):
        assert notifications_resend() == 0


def test_each_failure_waits_twice_as_long_as_the_one_before(client_profile, failing_sms):
    notice = sms(client_profile)
    waits = []
    moment = timezone.now()
    for _attempt in range(4):
        with time_machine.travel(moment, tick=False):
            send_notification.apply(args=[notice.pk])
        notice.refresh_from_db()
        waits.append((notice.next_attempt_at - moment).total_seconds())
        moment = notice.next_attempt_at
    assert waits == [60, 120, 240, 480]


def test_backoff_doubles_up_to_the_cap(settings):
    settings.NOTIFICATION_RETRY_BACKOFF = 60
    settings.NOTIFICATION_RETRY_BACKOFF_MAX = 300
    assert [backoff_seconds(n) for n in range(1, 6)] == [60, 120, 240, 300, 300]


def test_with_a_broker_the_task_retries_through_celery_with_the_backoff_as_countdown(client_profile, failing_sms,
                                                                                     monkeypatch):
    from celery.exceptions import Retry

    from notifications import tasks

    notice = sms(client_profile)
    monkeypatch.setattr(tasks, "_runs_in_process", lambda task: False)
    countdowns = []

    def fake_retry(**kwargs):
        countdowns.append(kwargs["countdown"])
        return Retry("retry", when=kwargs["countdown"])

    monkeypatch.setattr(send_notification, "retry", fake_retry)
    with pytest.raises(Retry):
        send_notification.run(notice.pk)
    notice.refresh_from_db()
    assert countdowns == [60]
    assert notice.status == "failed" and notice.queued_at == notice.next_attempt_at  # the resend task waits for it


@pytest.fixture
def broker_down(monkeypatch):
    """Publishing goes to a broker that is not there (a closed port). Celery reads the
    CELERY_BROKER_URL environment variable before its configuration, so both are set."""
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:1/0")
    conf = app.conf
    saved = conf.task_always_eager, conf.broker_url, conf.broker_connection_retry_on_startup
    app._pool = None
    app.amqp._producer_pool = None
    conf.task_always_eager = False
    conf.broker_url = "redis://127.0.0.1:1/0"
    yield
    conf.task_always_eager, conf.broker_url, conf.broker_connection_retry_on_startup = saved
    app._pool = None
    app.amqp._producer_pool = None


@pytest.mark.django_db(transaction=True)
def test_broker_down_then_up_the_notice_waits_and_is_sent_by_the_resend_task(broker_down, recorded_sms):
    client = ClientProfileFactory()
    with transaction.atomic():
        notice = sms(client)  # the commit publishes the task: the broker is down, the user sees no error
    notice.refresh_from_db()
    assert notice.status == "pending" and notice.attempts == 0 and notice.queued_at is None
    assert recorded_sms == []
    assert notifications_resend() == 0  # still down: nothing published, nothing lost
    notice.refresh_from_db()
    assert notice.status == "pending" and notice.queued_at is None

    app.conf.task_always_eager = True  # the broker is back (tasks run in-process here)
    assert resend_pending.apply().get() == 1
    notice.refresh_from_db()
    assert notice.status == "sent" and notice.attempts == 1
    assert recorded_sms == [(client.phone, "您的账户已恢复正常。")]
    assert resend_pending.apply().get() == 0  # and only once


def test_a_worker_killed_mid_send_leaves_a_claim_the_resend_task_takes_over_once(client_profile, recorded_sms,
                                                                                  settings):
    notice = sms(client_profile)
    started = timezone.now()
    # A worker claimed it and died before it could record anything.
    Notification.objects.filter(pk=notice.pk).update(claim_token=uuid.uuid4(), claimed_at=started, attempts=1,
                                                      queued_at=started)
    # The redelivered task (acks_late) and the resend task keep off a fresh claim: it may still be sending.
    assert send_notification.apply(args=[notice.pk]).get() == "skipped"
    assert notifications_resend() == 0
    assert recorded_sms == []
    later = started + datetime.timedelta(seconds=settings.NOTIFICATION_CLAIM_TIMEOUT + 1)
    with time_machine.travel(later, tick=False):
        assert notifications_resend() == 1
        assert notifications_resend() == 0
    notice.refresh_from_db()
    assert notice.status == "sent" and notice.attempts == 2 and notice.claim_token is None
    assert len(recorded_sms) == 1


def test_a_redelivered_task_for_a_sent_notice_sends_nothing(client_profile, recorded_sms):
    notice = sms(client_profile)
    assert send_notification.apply(args=[notice.pk]).get() == "sent"
    assert send_notification.apply(args=[notice.pk]).get() == "skipped"
    assert send_notification(notice.pk) == "skipped"  # called directly too
    notice.refresh_from_db()
    assert notice.attempts == 1 and len(recorded_sms) == 1


def test_the_resend_task_sends_rows_inserted_set_based_and_leaves_published_ones_alone(client_profile,
                                                                                       recorded_sms, settings):
    published = sms(client_profile)  # its task was published at commit (queued_at set)
    inserted = Notification.objects.create(recipient_client=client_profile, address=client_profile.phone,
                                           channel="sms", event="contract_maturity_reminder", body="到期提醒")
    assert notifications_resend() == 1
    inserted.refresh_from_db()
    published.refresh_from_db()
    assert inserted.status == "sent" and published.status == "pending"
    later = timezone.now() + datetime.timedelta(seconds=settings.NOTIFICATION_REQUEUE_AFTER + 1)
    with time_machine.travel(later, tick=False):
        assert notifications_resend() == 1  # its task never came: published again
    published.refresh_from_db()
    assert published.status == "sent"
    assert [text for _to, text in recorded_sms] == ["到期提醒", "您的账户已恢复正常。"]


def test_in_app_notices_are_sent_when_written(client_profile):
    notice = notification_queue(event="case_reply", channel="in_app", recipient_client=client_profile,
                                subject="t", body="b")
    assert notice.status == "sent" and notice.sent_at is not None
    assert notice.recipient_user == client_profile.user


def test_nothing_is_written_without_an_address(client_profile):
    client_profile.email = ""
    client_profile.save()
    assert notification_queue(event="case_reply", channel="email", recipient_client=client_profile,
                              subject="t", body="b") is None
    client_profile.user = None
    client_profile.save()
    assert notification_queue(event="case_reply", channel="in_app", recipient_client=client_profile,
                              subject="t", body="b") is None
    assert not Notification.objects.exists()


@override_settings(NOTIFICATION_MAX_ATTEMPTS=1)
def test_a_delivery_that_raises_anything_is_recorded_not_lost(client_profile, monkeypatch):
    from notifications import delivery

    def explode(notification):
        raise ValueError("bad answer")

    monkeypatch.setattr(delivery, "deliver", explode)
    notice = sms(client_profile)
    assert send_notification.apply(args=[notice.pk]).get() == "gave_up"
    notice.refresh_from_db()
    assert notice.status == "gave_up" and notice.error == "ValueError: bad answer"


@pytest.mark.django_db(transaction=True)
def test_a_notice_delivered_while_the_database_restarts_is_recorded_once_it_is_back_not_sent_again(
        client_profile, recorded_sms, monkeypatch):
    from django.db import OperationalError

    from notifications import delivery

    real_finish, refusals = delivery._finish, []

    def database_restarting(notification, **changes):
        if len(refusals) < 2:
            refusals.append(changes.get("status"))
            raise OperationalError("server closed the connection unexpectedly")
        return real_finish(notification, **changes)

    notice = Notification.objects.create(recipient_client=client_profile, address=client_profile.phone,
                                         channel="sms", event="contract_maturity_reminder", body="到期提醒")
    monkeypatch.setattr(delivery, "_finish", database_restarting)
    monkeypatch.setattr(delivery.time, "sleep", lambda seconds: None)
    assert send_notification.apply(args=[notice.pk]).get() == "sent"
    notice.refresh_from_db()
    assert refusals == ["sent", "sent"]
    assert notice.status == "sent" and notice.claim_token is None and len(recorded_sms) == 1
    assert notifications_resend() == 0 and len(recorded_sms) == 1  # nothing left to send again


@pytest.mark.django_db(transaction=True)
@override_settings(NOTIFICATION_RECORD_RETRY=1)
def test_a_database_that_stays_down_leaves_the_claim_for_the_resend_task(client_profile, recorded_sms,
                                                                         monkeypatch):
    from django.db import OperationalError

    from notifications import delivery

    def database_down(notification, **changes):
        raise OperationalError("could not connect to server")

    notice = Notification.objects.create(recipient_client=client_profile, address=client_profile.phone,
                                         channel="sms", event="contract_maturity_reminder", body="到期提醒")
    monkeypatch.setattr(delivery, "_finish", database_down)
    with pytest.raises(OperationalError):
        delivery.notification_send(notice.pk)
    notice.refresh_from_db()
    assert notice.status == "pending" and notice.claim_token is not None  # taken over after the claim timeout
    assert len(recorded_sms) == 1


def test_sending_again_a_failed_message_while_a_worker_retries_it_does_not_send_it_twice(
        client_profile, recorded_sms, monkeypatch):
    """An operator sends a failed message again (the outbox admin's action) while a worker is retrying
    it: the worker's claim was taken away, the worker's success was not recorded, and the new round sent
    the client the same SMS a second time."""
    from notifications import delivery
    from notifications.services import notifications_send_again

    notice = Notification.objects.create(recipient_client=client_profile, address=client_profile.phone,
                                         channel="sms", event="contract_maturity_reminder", body="到期提醒",
                                         status="failed", attempts=1, error="ConnectionError: gateway down")
    real_deliver, queued_again = delivery.deliver, []

    def slow_gateway(notification):
        queued_again.append(notifications_send_again(ids=[notification.pk]))  # meanwhile, in the admin
        return real_deliver(notification)

    monkeypatch.setattr(delivery, "deliver", slow_gateway)
    assert send_notification.apply(args=[notice.pk]).get() == "sent"
    monkeypatch.setattr(delivery, "deliver", real_deliver)
    assert queued_again == [0]
    notice.refresh_from_db()
    assert (notice.status, notice.attempts, notice.claim_token) == ("sent", 2, None)
    assert notifications_resend() == 0 and len(recorded_sms) == 1
