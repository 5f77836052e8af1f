"""A Celery worker killed with SIGKILL (the worker and its pool child at once) in the middle of an
SLA sweep, an interest accrual and a notification send; a new worker is started and every unit of
work ends up done exactly once.

Real processes on the tests' own PostgreSQL and Redis (tests/faults/conftest.py). The message of
the task in progress was never acknowledged (acks_late): the broker hands it out again once its
visibility timeout has passed (seconds here, tests/faults/settings.py) and the task, idempotent,
does what the dead one left undone. To kill the worker at a known point, the test holds a row lock
the task's transaction needs after it has written part of its work (or the SMS gateway stub holds
the request), waits until the worker is stuck there, and kills it."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest

from tests.faults.infra import wait_for

pytestmark = [pytest.mark.faults, pytest.mark.timeout(300)]
VISIBILITY = "8"  # seconds before an unacknowledged message is handed out again


def _received(stack, worker, task: str) -> list[str]:
    """The ids of the `task` messages a worker received, from its log."""
    return re.findall(rf"Task {re.escape(task)}\[([0-9a-f-]+)\] received", stack.processes.log(worker))


def _stuck_on(stack, statement: str) -> bool:
    """A backend of this test's database waits for a lock while running `statement`."""
    return stack.scalar(
        "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock' "
        "AND query ILIKE %s", [stack.database, f"%{statement}%"]) > 0


def _no_backend_running(stack, statement: str) -> bool:
    return stack.scalar("SELECT COUNT(*) FROM pg_stat_activity WHERE datname = %s AND query ILIKE %s "
                        "AND state <> 'idle' AND pid <> pg_backend_pid()",
                        [stack.database, f"%{statement}%"]) == 0


def _kill_while_locked(stack, worker, lock_sql: str, params, statement: str, start=None) -> None:
    """Hold the lock, `start()` the work if given (once the lock is held: a fast worker finishes
    nothing before it), wait until the worker's transaction is stuck on it, SIGKILL the worker,
    then let go: the dead worker's transaction is rolled back."""
    with stack.db() as conn:
        conn.execute("BEGIN")
        conn.execute(lock_sql, params)
        try:
            if start is not None:
                start()
            wait_for(lambda: _stuck_on(stack, statement), 60, f"the worker to be stuck on {statement!r}")
            stack.processes.kill(worker)
        finally:
            conn.execute("ROLLBACK")
    wait_for(lambda: _no_backend_running(stack, statement), 30, "the dead worker's transaction to end")


def test_a_worker_killed_in_the_middle_of_an_sla_sweep(stack):
    seeded = stack.script("sla_cases", count=40)
    expected = 40 * 2 * 3  # two timers per case, three levels each
    worker = stack.start_worker(FAULT_VISIBILITY_TIMEOUT=VISIBILITY)
    # The sweep's one statement has locked and moved the timers; it waits to record a level another
    # transaction is recording at that moment (its text, as pg_stat_activity keeps it, begins with the
    # due timers). A case someone holds it passes by (SKIP LOCKED), so it is the escalation row here.
    first_case = stack.scalar("SELECT id FROM cases_case WHERE number = %s", [seeded["numbers"][0]])
    first_timer = stack.scalar("SELECT MIN(id) FROM cases_slatimer WHERE case_id = %s", [first_case])
    _kill_while_locked(stack, worker, "INSERT INTO cases_slaescalation (timer_id, case_id, level, fired_at, sweep) "
                       "VALUES (%s, %s, 50, now(), 'held by the test')", [first_timer, first_case], "WITH due AS",
                       start=lambda: stack.publish("sla.sweep", queue="sla"))
    assert stack.scalar("SELECT COUNT(*) FROM cases_slaescalation") == 0  # nothing of it was kept

    replacement = stack.start_worker(FAULT_VISIBILITY_TIMEOUT=VISIBILITY)
    wait_for(lambda: stack.scalar("SELECT COUNT(*) FROM cases_slaescalation WHERE notified_at IS NOT NULL")
             == expected, 90, "the redelivered sweep and its notices")
    stack.processes.stop(replacement)  # nothing more can arrive: count

    assert stack.scalar("SELECT COUNT(*) FROM cases_slaescalation") == expected
    assert stack.scalar("SELECT COUNT(*) FROM cases_caseevent WHERE kind = 'escalation'") == expected
    assert stack.scalar("SELECT COUNT(DISTINCT (case_id, data->>'metric', data->>'level')) FROM cases_caseevent "
                        "WHERE kind = 'escalation'") == expected
    # Each warning told once: 50 % and 75 % to the queue's team lead (nobody is assigned), 100 % to
    # the supervisor.
    notices = stack.rows("SELECT recipient_user_id, case_id, data->>'metric', data->>'level' "
                         "FROM notifications_notification WHERE event = 'sla_warning'")
    assert len(notices) == len(set(notices)) == expected
    assert stack.scalar("SELECT COUNT(*) FROM cases_slatimer WHERE state <> 'breached' OR fired_level <> 100") == 0
    assert stack.scalar("SELECT COUNT(*) FROM cases_case WHERE escalated_at IS NULL") == 0
    [message] = _received(stack, worker, "sla.sweep")
    assert _received(stack, replacement, "sla.sweep") == [message]  # the same message, handed out again


def test_a_worker_killed_in_the_middle_of_the_interest_accrual(stack):
    seeded = stack.script("accounts", count=100)
    day = (datetime.datetime.now(ZoneInfo("Asia/Shanghai")).date() - datetime.timedelta(days=1)).isoformat()
    before = dict(stack.rows("SELECT id, interest_fees FROM accounts_creditaccount"))
    worker = stack.start_worker(FAULT_VISIBILITY_TIMEOUT=VISIBILITY)
    stack.publish("interest.accrue", queue="celery", day=day)
    # The accrual has written the day's run and every line; it waits to post them to the accounts.
    _kill_while_locked(stack, worker, "SELECT 1 FROM accounts_creditaccount WHERE id = %s FOR NO KEY UPDATE",
                       [seeded["accounts"][0]], "UPDATE accounts_creditaccount")
    assert stack.scalar("SELECT COUNT(*) FROM accounts_interestaccrual") == 0
    assert stack.scalar("SELECT COUNT(*) FROM accounts_interestaccrualrun") == 0

    replacement = stack.start_worker(FAULT_VISIBILITY_TIMEOUT=VISIBILITY)
    wait_for(lambda: stack.scalar("SELECT COUNT(*) FROM accounts_interestaccrualrun WHERE lines > 0") == 1, 90,
             "the redelivered accrual")
    stack.processes.stop(replacement)

    lines = stack.rows("SELECT account_id, kind, amount, posted FROM accounts_interestaccrual WHERE day = %s", [day])
    assert len(lines) == len(seeded["accounts"])  # one interest line per account and day
    assert {account for account, *_rest in lines} == set(seeded["accounts"])
    assert stack.scalar("SELECT COUNT(*) FROM accounts_interestaccrualrun") == 1
    after = dict(stack.rows("SELECT id, interest_fees FROM accounts_creditaccount"))
    for account, _kind, amount, posted in lines:  # posted to the account once
        assert amount > 0 and after[account] == before[account] + posted
    [message] = _received(stack, worker, "interest.accrue")
    assert _received(stack, replacement, "interest.accrue") == [message]


def test_a_worker_killed_while_sending_a_notification(stack):
    seeded = stack.script("sms", count=12)
    stack.sms.hold(4)  # the fourth SMS reaches the gateway, which does not answer yet
    worker = stack.start_worker(FAULT_VISIBILITY_TIMEOUT=VISIBILITY)
    for notification_id in seeded["ids"]:
        stack.publish("notifications.send", notification_id, queue="notifications")
    assert stack.sms.holding.wait(60), stack.processes.logs()
    stack.processes.kill(worker)
    stack.sms.release()
    held = seeded["ids"][3]
    status, claim = stack.rows("SELECT status, claim_token FROM notifications_notification WHERE id = %s",
                               [held])[0]
    assert status == "pending" and claim is not None  # claimed by the dead worker, never finished
    assert stack.scalar("SELECT COUNT(*) FROM notifications_notification WHERE status = 'sent'") == 3

    # The claim of a dead worker expires (NOTIFICATION_CLAIM_TIMEOUT); the message handed out
    # again after the visibility timeout then sends it.
    replacement = stack.start_worker(FAULT_VISIBILITY_TIMEOUT=VISIBILITY, NOTIFICATION_CLAIM_TIMEOUT="4")
    wait_for(lambda: stack.scalar("SELECT COUNT(*) FROM notifications_notification WHERE status = 'sent'") == 12,
             90, "every SMS to be sent", explain=stack.unsent)
    stack.processes.stop(replacement)

    references = [request["reference"] for request in stack.sms.requests]
    # Twelve messages, each delivered once: the one the dead worker had in flight reached the
    # gateway twice with the same reference, which the gateway drops; no other was sent twice.
    assert sorted(stack.sms.delivered) == sorted(f"notification-{pk}" for pk in seeded["ids"])
    assert len(references) == 13 and references.count(f"notification-{held}") == 2
    rows = dict(stack.rows("SELECT id, attempts FROM notifications_notification"))
    assert rows == {pk: 2 if pk == held else 1 for pk in seeded["ids"]}
