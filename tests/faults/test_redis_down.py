"""Redis, the broker, stopped for a minute (FAULT_REDIS_DOWN_SECONDS, default 60) while people
keep changing cases through the running web app (gunicorn), with a real Celery worker and beat:
every request succeeds meanwhile, and once Redis is back every notice the changes wrote is sent,
each exactly once, without restarting anything.

The outbox makes this work: a notice is a row written in the change's transaction; publishing its
send task after commit may fail (the row then stays due) and beat's resend task hands every due
row to a worker once the broker answers again. The Redis that comes back is empty (no
persistence, as after a crash): messages it held are gone too, and the resend task covers them
(NOTIFICATION_REQUEUE_AFTER, a few seconds here)."""

import os
import time

import pytest

from tests.faults.infra import Api, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.timeout(900)]
DOWN_SECONDS = float(os.environ.get("FAULT_REDIS_DOWN_SECONDS", "60"))
MAX_CASES = 24
#: What one changed case sends: the acknowledgement, the reply, the resolution and the rating
#: request by e-mail; the rating request by SMS; the reply, the resolution and the rating request
#: in the client's inbox.
NOTICES = [("email", "case_created"), ("email", "case_reply"), ("email", "case_state_changed"),
           ("email", "rating_request"), ("in_app", "case_reply"), ("in_app", "case_state_changed"),
           ("in_app", "rating_request"), ("sms", "rating_request")]
PER_CASE = len(NOTICES)


def _change_a_case(api: Api, client_no: str, n: int) -> str:
    """Open a ticket, take it, reply to the client, resolve it: each step a request that must
    succeed (and quickly: publishing to a dead broker must not hang the request)."""
    started = time.monotonic()
    created = api.post("/api/v1/cases/", {"client": client_no, "kind": "ticket", "subject": f"Redis 停机 {n}",
                                          "description": "客户来电咨询融资利率"})
    assert created.status_code == 201, created.text
    number = created.json()["number"]
    for path, payload in (("transitions/open/", {"comment": ""}),
                          ("messages/", {"body": f"您好，利率为 8.35%（{n}）", "visibility": "public"}),
                          ("transitions/resolve/", {"comment": "已答复"})):
        response = api.post(f"/api/v1/cases/{number}/{path}", payload)
        assert response.status_code in (200, 201), (path, response.status_code, response.text)
    assert time.monotonic() - started < 20
    return number


def test_redis_down_for_a_minute_while_cases_change(stack):
    seeded = stack.script("web", clients=4)
    stack.extra_env.update(NOTIFICATION_REQUEUE_AFTER="5")
    web = stack.start_web()
    worker = stack.start_worker()
    beat = stack.start_beat()
    api = Api(web.base, seeded["token"])
    clients = seeded["clients"]

    before = _change_a_case(api, clients[0], 0)
    sent_of_first = ("SELECT COUNT(*) FROM notifications_notification n JOIN cases_case c ON c.id = n.case_id "
                     "WHERE c.number = %s AND n.status = 'sent'")
    wait_for(lambda: stack.scalar(sent_of_first, [before]) == PER_CASE, 60, "the first case's notices (all up)")

    stack.redis.stop()
    numbers, deadline = [], time.monotonic() + DOWN_SECONDS
    while time.monotonic() < deadline:
        if len(numbers) < MAX_CASES:
            numbers.append(_change_a_case(api, clients[len(numbers) % len(clients)], len(numbers) + 1))
        time.sleep(0.5)
    assert len(numbers) >= min(MAX_CASES, 4), numbers
    waiting = stack.scalar("SELECT COUNT(*) FROM notifications_notification WHERE status = 'pending'")
    assert waiting > 0  # nothing could be sent meanwhile, nothing was dropped either
    stack.redis.start()
    back = time.monotonic()

    def all_sent():
        return stack.scalar("SELECT COUNT(*) FROM notifications_notification WHERE status <> 'sent'") == 0
    wait_for(all_sent, 240, "every notice to be sent once Redis is back", explain=stack.unsent)
    print(f"{len(numbers)} cases changed in {DOWN_SECONDS:.0f} s without Redis; "
          f"every notice sent {time.monotonic() - back:.1f} s after it came back")
    time.sleep(3)  # room for a duplicate to show up, if there were one
    assert worker.poll() is None and beat.poll() is None  # both rode it out

    rows = stack.rows("SELECT c.number, n.id, n.channel, n.event FROM notifications_notification n "
                      "JOIN cases_case c ON c.id = n.case_id")
    for number in (before, *numbers):  # every notice of every change, none missing, none twice
        assert sorted((channel, event) for case, _pk, channel, event in rows if case == number) == NOTICES, number
    assert len(rows) == PER_CASE * (1 + len(numbers))
    received = stack.smtp.message_ids()  # each e-mail once (its Message-ID names the row)
    assert sorted(received) == sorted(f"<{number}.{pk}@margin-desk.example>"
                                      for number, pk, channel, _event in rows if channel == "email")
    texts = [request["reference"] for request in stack.sms.requests]  # each SMS once
    assert sorted(texts) == sorted(f"notification-{pk}" for _number, pk, channel, _event in rows if channel == "sms")
