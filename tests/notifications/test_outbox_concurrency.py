"""The outbox under real concurrency (PostgreSQL): many senders of one row send it once, and a
worker process killed in the middle of sending leaves nothing unsent and nothing sent twice."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, connections, transaction
from django.test import override_settings

from notifications.delivery import notification_send, notifications_resend
from notifications.models import Notification
from notifications.services import notification_queue
from servicedesk.celery import app
from tests.factories import ClientProfileFactory

# No time travel here: a worker process runs on the real clock (and margin calls ignore quiet hours).
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres(reason="concurrent senders need PostgreSQL (set DATABASE_URL)"),
]
PROJECT = Path(settings.BASE_DIR)


def _in_threads(count, target):
    barrier = threading.Barrier(count)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(target())
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    return results


def test_eight_tasks_for_one_row_at_once_send_it_once(recorded_sms):
    client = ClientProfileFactory()
    notice = Notification.objects.create(recipient_client=client, address=client.phone, channel="sms",
                                         event="margin_call", body="追保通知")
    outcomes = _in_threads(8, lambda: notification_send(notice.pk).status)
    assert sorted(outcomes) == ["sent"] + ["skipped"] * 7
    assert len(recorded_sms) == 1
    notice.refresh_from_db()
    assert notice.status == "sent" and notice.attempts == 1


def test_two_resend_runs_at_once_send_every_row_once(recorded_sms):
    client = ClientProfileFactory()
    Notification.objects.bulk_create([
        Notification(recipient_client=client, address=client.phone, channel="sms", event="margin_call",
                     body=f"通知 {n}") for n in range(40)])
    totals = _in_threads(2, notifications_resend)
    assert sum(totals) == 40
    assert sorted(text for _to, text in recorded_sms) == sorted(f"通知 {n}" for n in range(40))
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}


# --- a real worker, killed while sending ------------------------------------------------------------

REDIS_URL = os.environ.get("NOTIFICATION_TEST_BROKER_URL", "redis://127.0.0.1:6379/13")


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def redis_broker(monkeypatch):
    if not _redis_up():
        pytest.skip("needs Redis on 127.0.0.1:6379")
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    conf = app.conf
    saved = conf.task_always_eager, conf.broker_url
    app._pool = None
    app.amqp._producer_pool = None
    conf.task_always_eager, conf.broker_url = False, REDIS_URL
    monkeypatch.setenv("CELERY_BROKER_URL", REDIS_URL)  # Celery reads the variable before its configuration
    yield REDIS_URL
    conf.task_always_eager, conf.broker_url = saved
    app._pool = None
    app.amqp._producer_pool = None
    redis.Redis.from_url(REDIS_URL).flushdb()


def _start_worker(tmp_path, database_name):
    url = settings.DATABASES["default"]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "servicedesk.settings.test", "CELERY_BROKER_URL": REDIS_URL,
           "DATABASE_URL": f"postgres://{url['USER']}:{url['PASSWORD']}@{url['HOST'] or '127.0.0.1'}:"
                           f"{url['PORT'] or 5432}/{database_name}",
           "SMS_BACKEND": "tests.notifications.backends.SlowFileSmsBackend", "SMS_TEST_DIR": str(tmp_path),
           "NOTIFICATION_CLAIM_TIMEOUT": "3"}
    log = open(tmp_path / "worker.log", "w")
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "servicedesk", "worker", "-Q", "notifications", "-c", "1",
         "-P", "prefork", "--without-heartbeat", "--without-mingle", "--without-gossip", "-l", "info"],
        cwd=PROJECT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    ), log


def _wait_for(condition, timeout=45.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_a_worker_killed_while_sending_leaves_nothing_unsent_and_nothing_sent_twice(redis_broker, tmp_path):
    (tmp_path / "slow").write_text("")
    client = ClientProfileFactory()
    with transaction.atomic():
        notice = notification_queue(event="margin_call", channel="sms", recipient_client=client, body="追保通知")
    worker, log = _start_worker(tmp_path, connection.settings_dict["NAME"])
    try:
        assert _wait_for((tmp_path / "started").exists), (tmp_path / "worker.log").read_text()
        os.kill(int((tmp_path / "started").read_text()), signal.SIGKILL)  # the pool process sending it
        (tmp_path / "slow").unlink()
        notice.refresh_from_db()
        assert notice.status == "pending" and notice.claim_token is not None  # claimed, never finished

        # The worker's redelivered task finds a fresh claim and leaves it; after the claim timeout
        # the resend task (beat) hands it to a worker again.
        with override_settings(NOTIFICATION_CLAIM_TIMEOUT=3, NOTIFICATION_REQUEUE_AFTER=0):
            time.sleep(3.5)
            assert notifications_resend() == 1

        def sent():
            notice.refresh_from_db()
            return notice.status == "sent"

        assert _wait_for(sent), (tmp_path / "worker.log").read_text()
        time.sleep(2)  # room for a duplicate to show up, if there were one
        lines = (tmp_path / "sent").read_text(encoding="utf-8").splitlines()
        assert lines == [f"notification-{notice.pk} {client.phone} 追保通知"]
        notice.refresh_from_db()
        assert notice.attempts == 2 and notice.provider_id == f"file-notification-{notice.pk}"
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(5)
        log.close()
