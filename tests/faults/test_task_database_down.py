"""A one-shot task (no beat runs it again: the quarter's return visits, the clocks a calendar edit
moves, a tier change's targets, a stress test's outreach, the revaluation after a price import)
that a worker takes while PostgreSQL is down is retried, not dropped: with acks_late a task that
raised was acknowledged and its message gone, the change never made (servicedesk/task_retry.py).
Once the database is back the work is done, once, by the same worker, without a restart."""

import re

import pytest

from tests.faults.infra import wait_for

pytestmark = [pytest.mark.faults, pytest.mark.timeout(300)]
VISITS = "SELECT COUNT(*) FROM cases_returnvisit WHERE reason = 'hnw_quarterly'"


def test_a_task_taken_while_the_database_is_down_is_done_once_it_is_back(stack):
    seeded = stack.script("hnw_clients", count=3)
    worker = stack.start_worker()
    stack.postgres.stop("fast")
    try:
        stack.publish("visits.schedule_quarterly", "2026-10-01", queue="celery")
        wait_for(lambda: re.search(r"visits\.schedule_quarterly\[[0-9a-f-]+\] retry: Retry in",
                                   stack.processes.log(worker)), 60, "the task to fail on the database and be retried")
    finally:
        stack.postgres.start()
    wait_for(lambda: stack.scalar(VISITS) == len(seeded["clients"]), 120, "the quarter's return visits",
             explain=lambda: stack.processes.log(worker)[-3000:])
    assert worker.poll() is None
    assert "raised unexpected" not in stack.processes.log(worker)
