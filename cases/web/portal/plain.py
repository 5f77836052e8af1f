"""A client's account and cases in plain words: where the ratio stands against the lines and what to
do by when, when the contract matures, and what state a case is in and whom it is waiting for.
Nothing here names a member of staff, a queue, an internal proposal or an SLA target."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import CreditAccount
from accounts.ratio import top_up
from cases.models import Case, CaseKind
from cases.models.case import MARGIN_CALL_DEADLINE_STATES
from cases.models.workflows import state_label
from cases.services.messages import client_may_reply
from risk.lines import effective_lines
from risk.models import Level, MarginCall
from servicedesk.formats import moment, money

HUNDRED = Decimal(100)
#: Margin-call states in which the client can still restore the ratio before the deadline.
CALL_RUNNING = ("open", "client_notified")
#: Margin-call states after the deadline, before the securities are sold.
CALL_OVERDUE = ("liquidation_pending",)


def subject_shown(case: Case) -> str:
    """The case's subject for its client (risk.subjects: a margin call's in the client's language)."""
    from risk.subjects import case_subject

    return case_subject(case)


def percent(ratio: Decimal | None) -> str:
    """1.3512 → "135.12%", 1.4 → "140%"."""
    if ratio is None:
        return ""
    value = (ratio * HUNDRED).quantize(Decimal("0.01")).normalize()
    return f"{value:f}%"


def level_of(lines: dict[str, Decimal | None], ratio: Decimal | None) -> str:
    """The worst of the account's `lines` (account_status) the ratio is below."""
    if ratio is None:
        return Level.NO_LIABILITY
    for name, level in (("immediate", Level.IMMEDIATE), ("close_out", Level.CLOSE_OUT),
                        ("warning", Level.WARNING), ("attention", Level.ATTENTION)):
        line = lines[name]
        if line is not None and ratio < line:
            return level
    return Level.NORMAL


@dataclass
class AccountStatus:
    account: CreditAccount
    ratio: Decimal | None
    #: name → line as a ratio: the contract's own or the firm's default, raised by the stress mode
    lines: dict[str, Decimal | None]
    level: str
    level_label: str
    ratio_text: str  # where the ratio stands
    advice: str  # what to do, by when
    cash: Decimal | None  # to add, when the ratio is below the warning line
    sell: Decimal | None
    deadline: datetime.datetime | None
    margin_call: MarginCall | None
    maturity_text: str
    can_extend: bool  # within the window before maturity in which an extension is accepted
    can_ask_relief: bool  # a margin call with a deadline still running: more time may be asked for


def account_status(account: CreditAccount, margin_call: MarginCall | None = None,
                   today: datetime.date | None = None, stress_points: Decimal = Decimal(0)) -> AccountStatus:
    """`account` carries the ratio computed in SQL (accounts.selectors.credit_accounts_visible_to);
    `margin_call` is its open margin call, if any (its amounts are what the notice asked for);
    `stress_points` those of the active stress mode, which the monitoring adds to every line."""
    ratio = account.maintenance_ratio_sql
    lines = effective_lines(account, stress_points)
    level = level_of(lines, ratio)
    cash = sell = deadline = None
    values = {"ratio": percent(ratio), **{name: percent(line) for name, line in lines.items()}}
    if level == Level.NO_LIABILITY:
        ratio_text = _("You have no financing debt and no borrowed shares, so there is no ratio to watch.")
        advice = ""
    elif level == Level.NORMAL:
        ratio_text = _("Your ratio is %(ratio)s, above the attention line %(attention)s: your account is in good "
                       "order.") % values
        withdrawal = lines["withdrawal"]
        advice = (_("You may withdraw cash or securities as long as the ratio stays above %(withdrawal)s.") % values
                  if withdrawal is not None and ratio > withdrawal else _("Nothing to do."))
    elif level == Level.ATTENTION:
        ratio_text = _("Your ratio is %(ratio)s, below the attention line %(attention)s.") % values
        advice = _("Nothing to do yet, but keep an eye on it: below the warning line %(warning)s we will ask you to "
                   "add collateral or repay.") % values
    else:
        if level == Level.WARNING:
            ratio_text = _("Your ratio is %(ratio)s, below the warning line %(warning)s.") % values
        elif level == Level.IMMEDIATE:
            ratio_text = _("Your ratio is %(ratio)s, below the immediate close-out line %(immediate)s: your "
                           "position may be liquidated today.") % values
        else:
            ratio_text = _("Your ratio is %(ratio)s, below the close-out line %(close_out)s.") % values
        # A call liquidated already (liquidated, return visit) asks for nothing any more: neither its
        # amounts nor its passed deadline; what the ratio still needs is worked out afresh.
        call_running = margin_call is not None and margin_call.case.state in MARGIN_CALL_DEADLINE_STATES
        if call_running and margin_call.top_up_cash:
            cash, sell = margin_call.top_up_cash, margin_call.top_up_sell
            target = margin_call.restore_to or lines["restore_to"]
        else:
            target = lines["restore_to"]
            needed = top_up(account.total_assets_sql, account.total_liabilities_sql, target)
            cash, sell = needed.cash, needed.sell
        if call_running and margin_call.stage == MarginCall.Stage.MARGIN_CALL:
            deadline = margin_call.deadline
        if cash:
            advice = top_up_advice(cash=cash, sell=sell, target=target, deadline=deadline,
                                   overdue=margin_call is not None and margin_call.case.state in CALL_OVERDUE)
        else:  # below a warning line the contract sets above its restore-to line: C = t·D − A ≤ 0
            cash = sell = None
            advice = _("Nothing to add for now: your ratio is at or above the restore-to line %(target)s.") % {
                "target": percent(target)}
    maturity_text, can_extend = _maturity(account, today or timezone.localdate())
    can_ask_relief = deadline is not None and margin_call.case.state in CALL_RUNNING
    return AccountStatus(account=account, ratio=ratio, lines=lines, level=level, level_label=str(Level(level).label),
                         ratio_text=ratio_text, advice=advice, cash=cash, sell=sell, deadline=deadline,
                         margin_call=margin_call, maturity_text=maturity_text, can_extend=can_extend,
                         can_ask_relief=can_ask_relief)


def top_up_advice(*, cash, sell, target, deadline, overdue: bool) -> str:
    if overdue:
        return _("The deadline to top up has passed: we may sell securities in your account (forced liquidation) "
                 "at any time. Please deposit %(cash)s or call us now.") % {"cash": money(cash)}
    values = {"cash": money(cash), "sell": money(sell), "target": percent(target), "deadline": moment(deadline)}
    if deadline is not None:
        if sell is None:
            text = _("Deposit %(cash)s by %(deadline)s to bring it back to %(target)s.")
        else:
            text = _("Deposit %(cash)s, or sell securities worth %(sell)s and repay with the proceeds, by "
                     "%(deadline)s to bring it back to %(target)s.")
        return (text % values) + " " + _("Otherwise we may sell securities in your account (forced liquidation).")
    if sell is None:
        return _("Deposit %(cash)s as soon as possible to bring it back to %(target)s.") % values
    return _("Deposit %(cash)s, or sell securities worth %(sell)s and repay with the proceeds, as soon as possible "
             "to bring it back to %(target)s.") % values


def _maturity(account: CreditAccount, today: datetime.date) -> tuple[str, bool]:
    maturity = account.contract_maturity
    days = (maturity - today).days
    window = settings.EXTENSION_WINDOW_DAYS
    values = {"date": maturity.isoformat(), "days": days,
              "from": (maturity - datetime.timedelta(days=window)).isoformat()}
    owed = getattr(account, "total_liabilities_sql", None)
    if days < 0 and not (owed if owed is not None else account.total_liabilities):
        return _("Your contract matured on %(date)s. Nothing is owed on it.") % values, False
    if days < 0:
        return _("Your contract matured on %(date)s. Please repay the financing debt: penalty interest is charged "
                 "on overdue debt.") % values, False
    if days == 0:
        return _("Your contract matures today (%(date)s). You can still request an extension.") % values, True
    if days <= window:
        return ngettext("Your contract matures on %(date)s, in %(days)d day. You can request an extension now.",
                        "Your contract matures on %(date)s, in %(days)d days. You can request an extension now.",
                        days) % values, True
    return _("Your contract matures on %(date)s. You can request an extension from %(from)s.") % values, False


# --- cases -------------------------------------------------------------------------------------

YOU, US = "you", "us"


@dataclass(frozen=True)
class CaseStatus:
    label: str  # the state in plain words
    explanation: str  # what happens next
    waiting_on: str | None  # YOU (the client), US (the firm) or None (finished)
    finished: bool


def _dispute(case: Case) -> tuple[str, str, str | None]:
    state = case.state
    if state == "received":
        return _("Received"), _("We have received your complaint and will acknowledge it shortly."), US
    if state == "acknowledged":
        return _("Acknowledged"), _("We have acknowledged your complaint and are starting to look into it."), US
    if state == "investigating" or (state == "resolution_proposed" and not case.approved_by_id):
        # A proposal waiting for a supervisor is not news to the client yet.
        return _("Under investigation"), _("We are investigating."), US
    if state == "resolution_proposed":
        return (_("Resolution proposed"),
                _("We have proposed a resolution. Please read it and accept or reject it."), YOU)
    if state == "accepted":
        return _("Resolved"), _("You accepted our resolution. We will close the case."), None
    if state == "rejected_by_client":
        return _("Resolution rejected"), _("You rejected our resolution. We are reviewing your objection."), US
    if state == "referred_to_mediation":
        return (_("Referred to mediation"),
                _("Your complaint has been referred to mediation (12386 / the investor service centre). The "
                  "mediator will contact you."), None)
    return _("Closed"), _("This case is closed."), None


def _ticket(case: Case) -> tuple[str, str, str | None]:
    state = case.state
    if state == "new":
        return _("Received"), _("We have received your request and will take it up shortly."), US
    if state == "open":
        return _("In progress"), _("We are working on it."), US
    if state == "waiting_on_client":
        return _("Waiting for your reply"), _("We are waiting for your reply. Please answer below."), YOU
    if state == "resolved":
        return (_("Resolved"), _("We consider this solved. If it is not, you can reopen it within 7 days; please "
                                 "tell us how we did."), None)
    if state == "cancelled":
        return _("Cancelled"), _("This case was cancelled."), None
    return _("Closed"), _("This case is closed."), None


def _request(case: Case) -> tuple[str, str, str | None]:
    state = case.state
    if state == "submitted":
        return _("Received"), _("We have received your request and will review it."), US
    if state == "under_review":
        return _("Under review"), _("We are reviewing your request."), US
    if state == "approved":
        return _("Approved"), _("Your request is approved."), None
    return _("Declined"), _("We are sorry: your request is declined."), None


def _margin_call(case: Case) -> tuple[str, str, str | None]:
    state = case.state
    if state in CALL_RUNNING:
        call = getattr(case, "margin_call", None)  # loaded for its subject already (risk.subjects)
        if call is not None and call.stage == MarginCall.Stage.MARGIN_CALL and not call.top_up_cash:
            # At or above the restore-to line (C = t·D − A ≤ 0): the call closes once the ratio clears
            # the warning line by the band (risk.margin_calls.restore).
            return (_("In progress"), _("Your ratio is at or above the restore-to line again: nothing more to add. "
                                        "The margin call closes by itself once the ratio has risen clear of the "
                                        "warning line."), US)
        if call is not None and call.stage == MarginCall.Stage.MARGIN_CALL:
            return (_("Action needed"), _("Your ratio fell below the close-out line. Please add collateral or repay "
                                          "before the deadline: the amount and the deadline are below."), YOU)
        if call is not None and call.warned_at is None:  # a stress test's preventive outreach: not below a line
            return (_("In progress"), _("A stress test shows that your ratio could fall below the warning line if "
                                        "prices fall. We will call you to talk it through; nothing is required of "
                                        "you yet."), US)
        # Outreach: no deadline (PRODUCT.md); the amount is on this page (portal case_views._margin_call_advice).
        return (_("Action needed"), _("Your ratio is below the warning line. Please add collateral or repay as "
                                      "soon as possible. There is no deadline yet: one is set only if the ratio "
                                      "falls below the close-out line."), YOU)
    if state in CALL_OVERDUE:
        return (_("Deadline passed"), _("The deadline to top up has passed: we may sell securities in your "
                                        "account at any time. Please call us now."), YOU)
    if state == "restored":
        return _("Restored"), _("Your ratio is back above the warning line. Nothing more to do."), None
    if state == "liquidated":
        return _("Securities sold"), _("Securities in your account were sold to repay the debt (forced "
                                       "liquidation). We will call you about it."), US
    if state == "return_visit":
        return _("Follow-up call"), _("We will call you to go through what happened."), US
    return _("Closed"), _("This case is closed."), None


_BY_KIND = {CaseKind.TICKET: _ticket, CaseKind.DISPUTE: _dispute, CaseKind.EXTENSION: _request,
            CaseKind.RELIEF: _request, CaseKind.MARGIN_CALL: _margin_call}


def case_status(case: Case) -> CaseStatus:
    describe = _BY_KIND.get(case.kind)
    if describe is None:
        return CaseStatus(str(state_label(case.kind, case.state)), "", None, True)
    label, explanation, waiting_on = describe(case)
    return CaseStatus(str(label), str(explanation), waiting_on, not client_may_reply(case))
