"""Margin-call deadlines after a change of the trading calendar.

A deadline is the close of the n-th trading day after a date (MarginCall.deadline_from and
deadline_trading_days: T+2 from the day the call was raised, or a relief's days). When a supervisor
turns one of those days into a holiday (an unscheduled closure, a year's estimated dates corrected),
the client would lose a trading day to top up: the deadline moves to where the n trading days end
now, the case records it (deadline_moved, with the days) and the client is told by SMS, e-mail and
in the portal. A deadline is never brought forward: a day turned into a trading day leaves it where
the client was told it is, nor moved to a moment already past (a past day corrected). A call whose
deadline had passed, pending liquidation and not liquidated, goes back to the client with the new
deadline, as an approved relief sends it back (a liquidation proposed meanwhile is withdrawn): the
day the client was counted on to top up or sell was a day the market did not open. Idempotent: a
call whose deadline is already where the calendar puts it is left alone.
"""

import datetime
import logging

from django.db import transaction
from django.utils import timezone

from cases.models import EventKind
from cases.models.case import MARGIN_CALL_DEADLINE_STATES
from cases.services.events import event_record
from cases.services.transitions import case_transition
from cases.sla import day_start, trading_day_close
from notifications.case_notices import MARGIN_CALL_CHANNELS
from notifications.services import notification_queue
from risk.margin_calls import call_locked
from risk.models import MarginCall

logger = logging.getLogger(__name__)

#: The notice that tells the client the new deadline (notifications.defaults).
DEADLINE_MOVED = "margin_call_deadline_moved"


def deadlines_after_calendar_change(dates: list[datetime.date]) -> int:
    """The margin calls not liquidated whose trading days to the deadline include one of `dates`
    (changed in the trading calendar) get the deadline the calendar gives them now, if it is later and
    still ahead. Returns how many moved."""
    if not dates:
        return 0
    first, last = min(dates), max(dates)
    candidates = (MarginCall.objects.filter(stage=MarginCall.Stage.MARGIN_CALL,
                                            case__state__in=MARGIN_CALL_DEADLINE_STATES,
                                            deadline_from__isnull=False, deadline_from__lt=last,
                                            deadline__gte=day_start(first))
                  .values_list("pk", flat=True).order_by("pk"))
    days = sorted(day.isoformat() for day in dates)
    return sum(_move(pk, days) for pk in list(candidates))


@transaction.atomic
def _move(pk: int, days: list[str]) -> bool:
    # The case locked first, as the monitoring locks it before passing a deadline: a call it has just
    # sent to liquidation_pending is seen so once it commits (and given back to the client if its new
    # deadline is ahead), one liquidated meanwhile is left alone.
    call = call_locked(pk=pk, stage=MarginCall.Stage.MARGIN_CALL, case__state__in=MARGIN_CALL_DEADLINE_STATES)
    if call is None or call.deadline_from is None or not call.deadline_trading_days:
        return False
    deadline = trading_day_close(call.deadline_from, call.deadline_trading_days)
    if deadline <= call.deadline or deadline <= timezone.now():  # a past day corrected: no deadline already gone
        return False
    if call.case.state == "liquidation_pending":
        call.case = case_transition(case=call.case, user=None, name="grant_more_time", comment=", ".join(days),
                                    data={"calendar": "trading", "dates": days})
    old, call.deadline = call.deadline, deadline
    call.save(update_fields=["deadline"])
    event_record(case=call.case, kind=EventKind.UPDATE, actor=None, name="deadline_moved",
                 from_value=timezone.localtime(old).isoformat(), to_value=timezone.localtime(deadline).isoformat(),
                 comment=", ".join(days), data={"calendar": "trading", "dates": days})
    for channel in MARGIN_CALL_CHANNELS:
        notification_queue(event=DEADLINE_MOVED, channel=channel, recipient_client=call.case.client,
                           case=call.case, data={"dates": days})
    logger.info("Margin call %s: deadline moved from %s to %s (trading calendar changed on %s).",
                call.case.number, timezone.localtime(old).isoformat(), timezone.localtime(deadline).isoformat(),
                ", ".join(days))
    return True
