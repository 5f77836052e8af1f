"""When an extension or relief request may be approved (PRODUCT.md; margin-trading-facts.md §5).

Checked when an agent proposes approval and again when a supervisor approves (the account may
have changed in between); a proposal to decline needs none. Each condition is a small function of
the case (it reads the case's credit account), so a refusal names exactly the ones that failed
(`REASONS`, merged into workflows.CONDITION_REASONS).

- Extension (展期): within EXTENSION_WINDOW_DAYS calendar days before the contract matures;
  interest and fees paid; the maintenance ratio above the contract's extension line
  (CreditAccount.extension_line, else EXTENSION_MIN_RATIO: 145 % in the broker example of the
  facts); no open margin call on the account.
- Relief (纾困): more time to top up needs an open margin call below the close-out line (one with
  a deadline to move); staged repayment (category "staged_repayment") needs financing debt.
"""

import functools
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cases.models.case import MARGIN_CALL_DEADLINE_STATES

STAGED_REPAYMENT = "staged_repayment"

_history = ContextVar("request_conditions_waived", default=False)


@contextmanager
def eligibility_waived():
    """Only for writing a made-up history (the demo data, cases/demo): the requests it decides were
    eligible when they were decided, which today's account data cannot show. Never for live work."""
    token = _history.set(True)
    try:
        yield
    finally:
        _history.reset(token)


def _eligibility(function):
    @functools.wraps(function)
    def condition(case) -> bool:
        return _history.get() or function(case)
    return condition


def extension_line(account) -> Decimal:
    """The ratio the contract names for an extension, else the firm's default."""
    if account.extension_line is not None:
        return account.extension_line
    return Decimal(str(settings.EXTENSION_MIN_RATIO))


def days_to_maturity(account) -> int:
    return (account.contract_maturity - timezone.localdate()).days


#: Where a page checks many requests at once (the approvals inbox), their accounts' open margin calls
#: are prefetched into this attribute of the account (`open_margin_calls_prefetch`).
PREFETCHED_CALLS = "open_margin_calls"


def open_margin_calls_prefetch():
    """Prefetch for cases (through their credit account) of the accounts' open margin calls with
    their monitoring stage: the conditions below then read them without a query per request."""
    from django.db.models import Prefetch

    return Prefetch("credit_account__cases", queryset=_open_margin_calls_of(), to_attr=PREFETCHED_CALLS)


def _open_margin_calls_of():
    from cases.models.case import Case, CaseKind

    return (Case.objects.filter(kind=CaseKind.MARGIN_CALL).exclude(state__in=["restored", "closed"])
            .select_related("margin_call"))


def _open_margin_calls(case) -> list:
    """The open margin calls on the case's account (at most one: a database constraint)."""
    if case.credit_account_id is None:
        return []
    prefetched = getattr(case.credit_account, PREFETCHED_CALLS, None)
    if prefetched is not None:
        return prefetched
    return list(_open_margin_calls_of().filter(credit_account_id=case.credit_account_id))


def _with_deadline(call) -> bool:
    margin_call = getattr(call, "margin_call", None)
    return call.state in MARGIN_CALL_DEADLINE_STATES and margin_call is not None and margin_call.stage == "margin_call"


# --- extension -----------------------------------------------------------------------------------

def in_extension_window(account) -> bool:
    return 0 <= days_to_maturity(account) <= settings.EXTENSION_WINDOW_DAYS


@_eligibility
def within_extension_window(case) -> bool:
    return case.credit_account is not None and in_extension_window(case.credit_account)


@_eligibility
def interest_paid(case) -> bool:
    account = case.credit_account
    return account is not None and account.interest_fees <= 0


@_eligibility
def ratio_above_extension_line(case) -> bool:
    """No liability means no ratio, and nothing at risk: that passes."""
    account = case.credit_account
    if account is None:
        return False
    ratio = account.maintenance_ratio
    return ratio is None or ratio > extension_line(account)


def preventive_outreach(case) -> bool:
    """A stress test's outreach whose account has not been below the warning line since: a forecast,
    not a default (a workflow condition of close_outreach too)."""
    margin_call = getattr(case, "margin_call", None)  # risk.MarginCall
    return margin_call is not None and margin_call.stage == "outreach" and margin_call.warned_at is None


@_eligibility
def no_open_margin_call(case) -> bool:
    """No margin call on the account (the broker's "no default record"); a stress test's preventive
    outreach is none: the account has not been below a line."""
    return case.credit_account_id is not None and all(preventive_outreach(call) for call in _open_margin_calls(case))


EXTENSION_CONDITIONS = (within_extension_window, interest_paid, ratio_above_extension_line, no_open_margin_call)


# --- relief --------------------------------------------------------------------------------------

@_eligibility
def margin_call_to_relieve(case) -> bool:
    """More time to top up needs a margin call with a deadline (not staged repayment)."""
    if case.category == STAGED_REPAYMENT:
        return True
    return any(_with_deadline(call) for call in _open_margin_calls(case))


@_eligibility
def debt_to_stage(case) -> bool:
    """Staged repayment needs financing debt to repay in stages."""
    if case.category != STAGED_REPAYMENT:
        return True
    return case.credit_account is not None and case.credit_account.financing_debt > 0


RELIEF_CONDITIONS = (margin_call_to_relieve, debt_to_stage)


# --- liquidation ----------------------------------------------------------------------------------

def ratio_restored(account) -> bool:
    """The account is back above its warning line (raised by an active stress mode) by the
    hysteresis band, or has no liability: what closes a margin call (risk.margin_calls.restore)."""
    from risk.lines import active_stress_points, effective_line, hysteresis_band

    ratio = account.maintenance_ratio
    if ratio is None:
        return True
    warning = effective_line(account, "warning", active_stress_points())
    return warning is not None and ratio >= warning + hysteresis_band()


@_eligibility
def still_not_restored(case) -> bool:
    """A liquidation is approved only of an account still short: one proposed before the client
    topped up stays pending (the monitoring leaves a call with a proposal to the officers), and
    approved it sold the securities of an account no longer at risk."""
    return case.credit_account is not None and not ratio_restored(case.credit_account)


def _window_reason() -> str:
    return gettext("An extension can be applied for only in the %(days)d calendar days before the contract "
                   "matures.") % {"days": settings.EXTENSION_WINDOW_DAYS}


REASONS = {
    within_extension_window: lazy(_window_reason, str)(),
    interest_paid: _("The interest and fees due must be paid before the contract can be extended."),
    ratio_above_extension_line: _("The maintenance collateral ratio must be above the contract's extension line."),
    no_open_margin_call: _("An account with an open margin call cannot be extended."),
    margin_call_to_relieve: _("More time to top up needs an open margin call with a deadline on the account."),
    debt_to_stage: _("Staged repayment needs financing debt to repay."),
    still_not_restored: _("The maintenance ratio is back above the warning line since the liquidation was "
                          "proposed: decline the liquidation, and the next valuation closes the margin call."),
}
