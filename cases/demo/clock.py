"""A controlled clock for seeding: the demo's history happens over the last weeks, so every
row (cases, events, messages, SLA timers) is written with the time it would have had. Rows are
INSERTed with those times; nothing is UPDATEd afterwards (the audit trail refuses updates)."""

import datetime
from contextlib import contextmanager

from django.utils import timezone


class DemoClock:
    def __init__(self, real_now: datetime.datetime):
        self.real_now = real_now
        self.current = real_now

    def now(self) -> datetime.datetime:
        return self.current

    def set(self, moment: datetime.datetime) -> None:
        """Move to `moment`, never past the real present."""
        self.current = min(moment, self.real_now)


@contextmanager
def controlled_clock():
    """Within the block django.utils.timezone.now (and so auto_now fields, localdate(), the
    workflows' timestamps) reads the demo clock; the real clock comes back afterwards."""
    original = timezone.now
    # History is dated back from the start of this hour, so two seeds within an hour write the
    # same rows (times included): the data is reproducible, not only its shape.
    clock = DemoClock(original().replace(minute=0, second=0, microsecond=0))
    timezone.now = clock.now
    try:
        yield clock
    finally:
        timezone.now = original
