"""PostgreSQL stopped and started again under load: the web app (gunicorn, DEBUG off) keeps
answering — 503 "temporarily unavailable" with Retry-After while the database is down, for the
API (JSON) and the pages (a plain page), never a 500 or a traceback — and recovers by itself once
the database is back (CONN_HEALTH_CHECKS: the dead persistent connections are dropped), without a
restart of gunicorn or of its workers. Nothing is half-written: every case a request opened,
committed or cut off, has all its rows or none. The Celery worker and beat ride it out as well:
every acknowledgement e-mail of every case is sent, once.

Two outages: a clean stop (`pg_ctl stop -m fast`, sessions terminated mid-transaction) and a
crash (`-m immediate`, recovery from the WAL at start)."""

import threading
import time
from dataclasses import dataclass

import pytest
import requests

from tests.faults.infra import Api, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.timeout(600)]
TRACES = ("Traceback", "Server Error (500)", "OperationalError", "psycopg")


@dataclass
class Call:
    kind: str  # "api" or "page"
    started: float
    ended: float
    status: int
    body: str
    retry_after: str | None
    number: str | None = None  # the case a 201 opened


def _load(base: str, token: str, session: str, clients: list[str], stop: threading.Event, calls: list):
    """Two API callers opening cases and one person reloading their home page, until `stop`."""
    def api_caller(index: int):
        api = Api(base, token)
        n = 0
        while not stop.is_set():
            n += 1
            started = time.monotonic()
            try:
                response = api.post("/api/v1/cases/", {"client": clients[n % len(clients)], "kind": "ticket",
                                                       "subject": f"数据库重启 {index}-{n}"}, timeout=30)
            except requests.RequestException as error:  # the server did not answer at all
                calls.append(Call("api", started, time.monotonic(), 0, repr(error), None))
                continue
            number = response.json().get("number") if response.status_code == 201 else None
            calls.append(Call("api", started, time.monotonic(), response.status_code, response.text,
                              response.headers.get("Retry-After"), number))
            time.sleep(0.05)

    def person():
        browser = requests.Session()
        browser.cookies.set("sessionid", session)
        browser.headers["Accept-Language"] = "en"
        while not stop.is_set():
            started = time.monotonic()
            try:
                response = browser.get(base + "/", timeout=30)  # the role's home page, after its redirect
            except requests.RequestException as error:
                calls.append(Call("page", started, time.monotonic(), 0, repr(error), None))
                continue
            calls.append(Call("page", started, time.monotonic(), response.status_code, response.text,
                              response.headers.get("Retry-After")))
            time.sleep(0.1)

    threads = [threading.Thread(target=api_caller, args=(i,)) for i in range(2)] + [threading.Thread(target=person)]
    for thread in threads:
        thread.start()
    return threads


def test_postgres_restarted_under_load(stack):
    seeded = stack.script("web", clients=3)
    stack.extra_env.update(NOTIFICATION_REQUEUE_AFTER="5")
    worker, beat = stack.start_worker(), stack.start_beat()
    web = stack.start_web()
    gunicorn_workers = web.worker_pids()
    calls: list[Call] = []
    stop = threading.Event()
    threads = _load(web.base, seeded["token"], seeded["session"], seeded["clients"], stop, calls)
    outages = []
    try:
        time.sleep(3)
        for mode in ("fast", "immediate"):
            stack.postgres.stop(mode)
            down = time.monotonic()
            time.sleep(5)
            start = time.monotonic()
            stack.postgres.start()
            wait_for(stack.postgres.accepting, 60, "PostgreSQL to accept connections")
            up = time.monotonic()
            time.sleep(5)
            outages.append((down, start, up, time.monotonic()))
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)
        if not stack.postgres.running():
            stack.postgres.start()

    # Only answers a user can act on: done, or "temporarily unavailable" (no 500, no dropped connection).
    assert {call.status for call in calls} == {200, 201, 503}, [c for c in calls if c.status not in (200, 201, 503)]
    for call in calls:
        assert not any(trace in call.body for trace in TRACES), call
        if call.status == 503:  # the service says it is down for now, in its own words
            assert call.retry_after == "30", call
            if call.kind == "api":
                assert '"code":"unavailable"' in call.body.replace(" ", ""), call
            else:
                assert "Service temporarily unavailable" in call.body, call
    for down, start, up, quiet_until in outages:
        during = [call for call in calls if call.started > down + 0.5 and call.ended < start]
        assert len({call.kind for call in during}) == 2 and all(call.status == 503 for call in during), during
        # Back by itself: whatever starts once PostgreSQL accepts connections again succeeds.
        after = [call for call in calls if call.started > up + 0.5 and call.ended < quiet_until]
        assert len({call.kind for call in after}) == 2, after
        assert all(call.status in (200, 201) for call in after), [c for c in after if c.status not in (200, 201)]
    assert web.process.poll() is None and web.worker_pids() == gunicorn_workers  # nothing was restarted

    # Nothing half-written. Case numbers come from a counter updated in the case's own transaction,
    # so a transaction cut off leaves no gap: the numbers are 1..N. Every case has its creation
    # event, its two SLA timers and its acknowledgement e-mail; every 201 answered is there.
    cases = stack.rows("SELECT number FROM cases_case ORDER BY number")
    assert [number for (number,) in cases] == [f"CS-{number[3:7]}-{i:06d}" for i, (number,) in enumerate(cases, 1)]
    answered = {call.number for call in calls if call.status == 201}
    assert answered <= {number for (number,) in cases} and len(answered) > 10
    incomplete = stack.rows("""
        SELECT c.number,
               (SELECT COUNT(*) FROM cases_caseevent e WHERE e.case_id = c.id AND e.kind = 'created'),
               (SELECT COUNT(*) FROM cases_slatimer t WHERE t.case_id = c.id),
               (SELECT COUNT(*) FROM notifications_notification n WHERE n.case_id = c.id AND n.event = 'case_created')
        FROM cases_case c""")
    assert incomplete and all(row[1:] == (1, 2, 1) for row in incomplete), [r for r in incomplete if r[1:] != (1, 2, 1)]

    # The worker and beat were not restarted either: every acknowledgement goes out, once.
    wait_for(lambda: not stack.unsent(), 120, "every e-mail to be sent", explain=stack.unsent)
    time.sleep(3)  # room for a duplicate to show up, if there were one
    assert worker.poll() is None and beat.poll() is None
    emails = stack.rows("SELECT c.number, n.id FROM notifications_notification n JOIN cases_case c "
                        "ON c.id = n.case_id")
    assert sorted(stack.smtp.message_ids()) == sorted(f"<{number}.{pk}@margin-desk.example>" for number, pk in emails)
