"""Publishing a Celery task without letting a broker outage fail the caller.

A change that has committed stays committed when Redis is down; what was to be queued is logged
and left to whoever picks it up later (the outbox's resend task, the next sweep, the next
scheduled monitoring run) or done another way by the caller.

Once a publish has failed, the process does not try the same broker again for a few seconds:
publishing to an unreachable broker takes a while (Kombu retries), and a request that writes
several notices would otherwise wait that long for each of them."""

import logging
import time

from celery import current_app
from kombu.exceptions import OperationalError as KombuOperationalError

logger = logging.getLogger(__name__)

#: After a failed publish, how long publishing to that broker fails at once.
QUIET_SECONDS = 5.0
_down_until: dict[str, float] = {}


class BrokerUnavailable(ConnectionError):
    """The broker failed moments ago: not tried again yet."""


#: What publishing raises when the broker is unreachable.
BROKER_ERRORS = (KombuOperationalError, ConnectionError, OSError, TimeoutError)


def _broker() -> str:
    return current_app.conf.broker_url or ""


def check_broker() -> None:
    """Raise BrokerUnavailable if publishing to the broker failed moments ago."""
    if not current_app.conf.task_always_eager and time.monotonic() < _down_until.get(_broker(), 0.0):
        raise BrokerUnavailable("the broker was unreachable moments ago")


def broker_failed() -> None:
    """Publishing failed: leave the broker alone for QUIET_SECONDS."""
    _down_until[_broker()] = time.monotonic() + QUIET_SECONDS


def publish(task, *args, **kwargs) -> bool:
    """`task.delay(*args, **kwargs)`; False (and a warning in the log) when the broker is
    unreachable."""
    try:
        check_broker()
        task.delay(*args, **kwargs)
    except BROKER_ERRORS as error:
        if not isinstance(error, BrokerUnavailable):
            broker_failed()
        logger.warning("Task %s not queued: the broker is unavailable (%s).", task.name, error)
        return False
    return True
