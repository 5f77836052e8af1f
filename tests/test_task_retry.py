"""A one-shot task that meets the database down is retried with growing waits for about an hour,
then gives up (its error raised and logged), never retried forever (servicedesk/task_retry.py)."""

from types import SimpleNamespace

import pytest
from django.db import OperationalError

from servicedesk.task_retry import MAX_RETRIES, retried_while_database_down


class Retry(Exception):
    pass


class FakeTask:
    def __init__(self, retries: int):
        self.request = SimpleNamespace(retries=retries, is_eager=False, called_directly=False)
        self.asked = None

    def retry(self, **kwargs):
        self.asked = kwargs
        return Retry()


@retried_while_database_down
def failing():
    raise OperationalError("server closed the connection unexpectedly")


def test_the_waits_grow_to_five_minutes_and_stop_after_about_an_hour():
    waits = []
    for retries in range(MAX_RETRIES):
        task = FakeTask(retries)
        with pytest.raises(Retry):
            failing(task)
        assert task.asked["max_retries"] == MAX_RETRIES  # celery raises the error itself past it
        waits.append(task.asked["countdown"])
    assert waits[:4] == [5, 10, 20, 40] and max(waits) == 300
    assert 55 * 60 <= sum(waits) <= 65 * 60


def test_in_process_the_error_is_raised_at_once():
    task = FakeTask(0)
    task.request.is_eager = True
    with pytest.raises(OperationalError):
        failing(task)
    assert task.asked is None
