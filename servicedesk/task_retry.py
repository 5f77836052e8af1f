"""A task that finds the database unreachable (restarting, failing over) is retried until it is back
(for about an hour), not dropped. With acks_late a task that raises is still acknowledged, its message gone: a one-shot
task (the clocks a calendar edit moves, the targets of a tier change, a stress test's outreach, the
revaluation after a price import, the quarter's return visits) would leave its change undone for good.

In process (no broker, or called directly) the error is raised as it was: a retry there would run
at once, over and over, instead of after its wait."""

import functools

from servicedesk.unavailable import DATABASE_DOWN

FIRST_WAIT_SECONDS = 5
LONGEST_WAIT_SECONDS = 300
#: 5 s doubling to 5 min, then every 5 min: about an hour in all. An error that outlasts it (or
#: is no outage at all: a statement timeout, a deadlock every time) is raised and logged then,
#: not retried forever; the periodic jobs revalue and sweep on their own schedule meanwhile.
MAX_RETRIES = 17


def retried_while_database_down(run):
    """For a task declared with `bind=True`: `run` (without the task argument) is retried after
    5, 10, 20 … seconds, at most 5 minutes apart, while the database stays unreachable, for about
    an hour (MAX_RETRIES)."""

    @functools.wraps(run)
    def task_run(task, *args, **kwargs):
        try:
            return run(*args, **kwargs)
        except DATABASE_DOWN as error:
            if task.request.is_eager or task.request.called_directly:
                raise
            wait = min(LONGEST_WAIT_SECONDS, FIRST_WAIT_SECONDS * 2 ** min(task.request.retries, 16))
            raise task.retry(exc=error, countdown=wait, max_retries=MAX_RETRIES) from error

    return task_run
