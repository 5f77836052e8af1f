"""Celery tasks: take dates, call services, idempotent (a re-run or a second worker adds nothing)."""

import datetime

from celery import shared_task

from accounts.interest import interest_accrue, interest_accrue_due
from accounts.reminders import reminders_send


@shared_task(name="interest.accrue", acks_late=True)
def interest_accrue_task(day: str | None = None) -> int:
    """Daily after midnight: accrue yesterday's interest, and any day missed before it (at most
    31 days back). With `day` (YYYY-MM-DD): that day only. Returns the lines added."""
    if day is not None:
        return interest_accrue(datetime.date.fromisoformat(day))
    return sum(interest_accrue_due().values())


@shared_task(name="reminders.send", acks_late=True)
def reminders_send_task(today: str | None = None) -> int:
    """Daily in the morning: the maturity and interest settlement reminders due (14, 7 and 1 days
    before), each sent once. Returns how many reminders were sent."""
    return reminders_send(datetime.date.fromisoformat(today) if today else None)
