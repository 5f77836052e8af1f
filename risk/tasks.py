"""Monitoring tasks (queue "monitoring", apart from notifications so a flood of messages never
delays a margin call). Idempotent: a run on unchanged prices changes nothing."""

import datetime
import logging

from celery import shared_task
from django.utils import timezone

from cases.calendars import CalendarUnavailable, CalendarYearMissing, load_schedule
from risk.monitoring import monitor_accounts
from servicedesk.task_retry import retried_while_database_down

logger = logging.getLogger(__name__)

SESSIONS = ((datetime.time(9, 30), datetime.time(11, 30)), (datetime.time(13, 0), datetime.time(15, 0)))
#: A run beat scheduled for a session's close starts a little after it (seconds, or minutes with a
#: queue behind it); it still counts as the close's run, the one at which the day's deadlines pass.
#: Within the 5-minute schedule's slot, so the run after the close is not one.
CLOSE_GRACE = datetime.timedelta(minutes=5)


@shared_task(name="monitoring.stress_outreach", bind=True, acks_late=True)
@retried_while_database_down
def stress_outreach_task(stress_test_id: int) -> int:
    """Open a stress test's outreach margin calls (risk.stress.stress_test_outreach)."""
    from risk.stress import stress_test_outreach

    return stress_test_outreach(stress_test_id)


@shared_task(name="monitoring.deadlines_after_calendar_change", bind=True, acks_late=True)
@retried_while_database_down
def deadlines_after_calendar_change_task(dates: list[str]) -> int:
    """After an edit of the trading calendar's days: the open margin calls that counted one of them
    get their trading days back (risk.deadlines)."""
    from risk.deadlines import deadlines_after_calendar_change

    return deadlines_after_calendar_change([datetime.date.fromisoformat(day) for day in dates])


@shared_task(name="monitoring.run", bind=True, acks_late=True)
@retried_while_database_down
def monitoring_run_task(trigger: str = "manual") -> int:
    outcome = monitor_accounts(trigger=trigger)
    return outcome.changed


def in_trading_session(moment: datetime.datetime) -> bool:
    local = timezone.localtime(moment)
    try:
        if not load_schedule("trading").is_business_day(local.date()):
            return False
    except CalendarYearMissing:
        return True  # never skip monitoring because a calendar year is missing: watch anyway
    return any(local.replace(hour=start.hour, minute=start.minute, second=0, microsecond=0) <= local
               < local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0) + CLOSE_GRACE
               for start, end in SESSIONS)


@shared_task(name="monitoring.periodic", acks_late=True)
def monitoring_periodic_task() -> int:
    """Every 5 minutes by beat; acts only during trading sessions (and at the 15:00 close, when
    the day's margin-call deadlines pass)."""
    if not in_trading_session(timezone.now()):
        return 0
    try:
        return monitor_accounts(trigger="schedule").changed
    except CalendarUnavailable as error:  # a margin call's deadline needs a year with no data: nothing was written
        logger.error("Monitoring run skipped: %s", error)  # one clear line every run until the year is added
        return 0
