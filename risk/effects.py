"""What case decisions do to margin calls (registered as follow-ups of case transitions)."""

from django.conf import settings
from django.utils import timezone

from cases.models import CaseKind, EventKind
from cases.models.case import MARGIN_CALL_DEADLINE_STATES
from cases.models.request_conditions import STAGED_REPAYMENT, margin_call_to_relieve
from cases.models.workflows import conditions_refusal
from cases.services.events import event_record
from cases.services.transitions import after_transition, case_transition
from cases.sla import trading_day_close
from risk.margin_calls import call_locked
from risk.models import MarginCall
from servicedesk.errors import Conflict

RELIEF_TRADING_DAYS = getattr(settings, "RELIEF_TRADING_DAYS", 3)


@after_transition(CaseKind.RELIEF, "approve")
def relief_moves_the_deadline(relief, user) -> None:
    """An approved relief request gives the account's open margin call more time: its deadline
    moves to the close of the n-th trading day after the later of the old deadline and today,
    n being the trading days the request asked for, else RELIEF_TRADING_DAYS. A call whose deadline
    had passed, not yet liquidated, goes back to the client with the new deadline (a liquidation
    proposed meanwhile is withdrawn: the relief is the firm's decision to give the time). Not a staged
    repayment: it sets up instalments and asks for no time (its notice names no deadline).

    The call is looked for again once locked: the approval's conditions read it before, and a
    monitoring run may have restored it meanwhile. Then the approval is refused with the condition's
    reason, as it is for a call restored before; approved, it moved nothing and told the client of
    more time on a call that was over."""
    if relief.category == STAGED_REPAYMENT:
        return
    call = call_locked(account_id=relief.credit_account_id, stage=MarginCall.Stage.MARGIN_CALL,
                       case__state__in=MARGIN_CALL_DEADLINE_STATES)
    if call is None:
        if not margin_call_to_relieve(relief):
            raise Conflict(conditions_refusal([margin_call_to_relieve]), extra={"code": "concurrent_change"})
        return
    if call.case.state == "liquidation_pending":
        case_transition(case=call.case, user=None, name="grant_more_time", comment=relief.number,
                        data={"relief": relief.number})
    start = max(timezone.localtime(call.deadline).date(), timezone.localdate())
    details = getattr(relief, "request_details", None)  # cases.models.RequestDetails, if any was given
    days = (details.requested_days if details is not None else None) or RELIEF_TRADING_DAYS
    old, call.deadline = call.deadline, trading_day_close(start, days)
    call.deadline_from, call.deadline_trading_days = start, days
    call.save(update_fields=["deadline", "deadline_from", "deadline_trading_days"])
    event_record(case=call.case, kind=EventKind.UPDATE, actor=user, name="deadline_moved",
                 from_value=timezone.localtime(old).isoformat(), to_value=timezone.localtime(call.deadline).isoformat(),
                 comment=relief.number, data={"relief": relief.number, "trading_days": days})
