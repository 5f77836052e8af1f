"""Running things at the same moment, for the concurrency tests (PostgreSQL)."""

import threading

from django.db import connections


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
