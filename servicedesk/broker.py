"""Publishing a Celery task without letting a broker outage fail the caller.

A change that has committed stays committed when Redis is down; what was to be queued is logged
and left to whoever picks it up later (the outbox's resend task, the next sweep, the next
scheduled monitoring run) or done another way by the caller."""

import logging

from kombu.exceptions import OperationalError as KombuOperationalError

logger = logging.getLogger(__name__)

#: What publishing raises when the broker is unreachable.
BROKER_ERRORS = (KombuOperationalError, ConnectionError, OSError, TimeoutError)


def publish(task, *args, **kwargs) -> bool:
    """`task.delay(*args, **kwargs)`; False (and a warning in the log) when the broker is
    unreachable."""
    try:
        task.delay(*args, **kwargs)
    except BROKER_ERRORS as error:
        logger.warning("Task %s not queued: the broker is unavailable (%s).", task.name, error)
        return False
    return True
