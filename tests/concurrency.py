"""Running things at the same moment, for the concurrency tests (PostgreSQL)."""

import contextlib
import threading
import time

from django.db import connections, transaction


def run_together(*functions):
    """Start every function at once (a barrier), each in its own thread and database connection;
    returns their results in order, an exception standing for a function that raised."""
    barrier = threading.Barrier(len(functions))
    results = [None] * len(functions)

    def runner(index, function):
        try:
            barrier.wait()
            results[index] = function()
        except Exception as error:  # collected and asserted by the test
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner, args=(i, f)) for i, f in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@contextlib.contextmanager
def held_open(work, *, timeout: float = 10):
    """Run `work()` in a transaction of its own (another thread and connection) and hold that
    transaction open, its locks held, while the `with` body runs; commit it on leaving (and fail
    if it did not commit)."""
    ready, may_commit, committed, failed = threading.Event(), threading.Event(), threading.Event(), []

    def holder():
        try:
            with transaction.atomic():
                work()
                ready.set()
                may_commit.wait(timeout)
            committed.set()
        except Exception as error:  # reported below, in the test's thread
            failed.append(error)
            ready.set()
        finally:
            connections.close_all()

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert ready.wait(timeout), "the held transaction did not start"
        if failed:
            raise failed[0]
        yield
    finally:
        may_commit.set()
        thread.join(timeout + 5)
    if failed:
        raise failed[0]
    assert committed.is_set(), "the held transaction did not commit"


def someone_waits_for_a_lock() -> bool:
    """Another connection to this database waits for a lock (PostgreSQL)."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()")
        return cursor.fetchone()[0] > 0


def holding_then(hold, then, other, *, timeout: float = 30):
    """One transaction that does `hold()` (takes a lock), then, once `other` (started meanwhile in
    another thread and connection) waits for a lock or is done, `then()`: the moment between a
    service's first lock and its next, forced. Returns (`then`'s result, `other`'s), an exception
    standing for a side that raised."""
    results, held, go_on = {}, threading.Event(), threading.Event()

    def holder():
        try:
            with transaction.atomic():
                hold()
                held.set()
                go_on.wait(timeout)
                results["then"] = then()
        except Exception as error:  # collected and asserted by the test
            results["then"] = error
        finally:
            held.set()
            connections.close_all()

    def other_side():
        try:
            results["other"] = other()
        except Exception as error:  # collected and asserted by the test
            results["other"] = error
        finally:
            connections.close_all()

    one = threading.Thread(target=holder)
    one.start()
    assert held.wait(timeout), "the holding transaction did not start"
    two = threading.Thread(target=other_side)
    two.start()
    deadline = time.monotonic() + timeout
    while not someone_waits_for_a_lock() and two.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    go_on.set()
    one.join(timeout)
    two.join(timeout)
    return results["then"], results["other"]
