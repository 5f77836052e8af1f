"""What a timer means right now: remaining business seconds and whether it is breached."""

import datetime

from django.utils import timezone

from cases.calendars import load_schedule
from cases.models import SlaTimer
from cases.sla import business_time_between


class ScheduleCache(dict):
    """Calendars loaded once per request or report, not once per timer."""

    def __missing__(self, code):
        self[code] = load_schedule(code)
        return self[code]


def elapsed_seconds(timer: SlaTimer, schedules: ScheduleCache, now: datetime.datetime | None = None) -> int:
    if timer.resumed_at is None or timer.stopped_at is not None:
        return timer.elapsed_seconds
    now = now or timezone.now()
    running = business_time_between(timer.resumed_at, now, schedules[timer.calendar_code]) if now > timer.resumed_at \
        else datetime.timedelta(0)
    return timer.elapsed_seconds + int(running.total_seconds())
