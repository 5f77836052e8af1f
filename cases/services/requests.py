"""Extension (展期) and relief (纾困) requests: what they ask for, and what their decision does.

Whether a request may be approved is decided by the workflow's conditions
(cases/models/request_conditions.py). Once a supervisor decides, in the same transaction:
- an approved extension moves the contract's maturity (by EXTENSION_MONTHS, or to the maturity
  asked for if earlier), recorded as a ContractChange of the request;
- an approved relief request moves the margin call's deadline (risk/effects.py);
- the client is told the outcome (e-mail, SMS and the portal's bell, in their language; the texts
  are the notice templates request_approved and request_declined, notifications/defaults.py), once
  the effects above are done: an approved relief's notice names the new deadline.
"""

import datetime
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import ClientProfile, CreditAccount, User
from cases.models import Case, CaseEvent, CaseKind, ContractChange, Priority, RequestDetails
from cases.models.request_conditions import (
    EXTENSION_CONDITIONS,
    REASONS,
    STAGED_REPAYMENT,
    in_extension_window,
    margin_call_to_relieve,
    within_extension_window,
)
from cases.models.workflows import conditions_refusal
from cases.services.cases import case_create, case_numbers_locked
from cases.services.client_notices import client_notice
from cases.services.locking import CONCURRENT
from cases.services.transitions import after_transition
from servicedesk.errors import Conflict, ValidationFailed

REQUEST_KINDS = (CaseKind.EXTENSION, CaseKind.RELIEF)
MAX_INSTALMENTS = 12
#: How far ahead an instalment may fall due (relief is a bridge, not a new loan).
MAX_PLAN_MONTHS = 12


def extended_maturity(maturity: datetime.date) -> datetime.date:
    """The maturity after a full extension (the same day EXTENSION_MONTHS later, or the month's
    last day when that month is shorter)."""
    return maturity + relativedelta(months=settings.EXTENSION_MONTHS)


def _staged_repayment_errors(plan: list[dict], account: CreditAccount | None) -> list[str]:
    """A plan is 1 to MAX_INSTALMENTS positive instalments, each due after today, within
    MAX_PLAN_MONTHS and after the one before, adding up to no more than the account owes (financing
    debt, interest and fees)."""
    if not 1 <= len(plan) <= MAX_INSTALMENTS:
        return [_("Propose 1 to %(max)d instalments.") % {"max": MAX_INSTALMENTS}]
    amounts = [Decimal(item["amount"]) for item in plan]
    if any(amount <= 0 for amount in amounts):
        return [_("Each instalment must be a positive amount.")]
    errors = []
    dues = [item["due"] for item in plan]
    today = timezone.localdate()
    if min(dues) <= today:
        errors.append(_("Each instalment must fall due after today."))
    if max(dues) > today + relativedelta(months=MAX_PLAN_MONTHS):
        errors.append(_("Each instalment must fall due within %(months)d months.") % {"months": MAX_PLAN_MONTHS})
    if any(later <= earlier for earlier, later in zip(dues, dues[1:])):
        errors.append(_("List the instalments in the order they fall due, each on a later day than the one "
                        "before."))
    if account is not None and sum(amounts) > account.financing_debt + account.interest_fees:
        errors.append(_("The instalments add up to more than the account owes (financing debt, interest and "
                        "fees)."))
    return errors


def _details_errors(*, kind: str, category: str, account: CreditAccount | None, requested_days: int | None,
                    requested_maturity: datetime.date | None, staged_repayment: list | None) -> dict:
    errors: dict[str, list[str]] = {}
    if kind == CaseKind.EXTENSION and account is not None and not in_extension_window(account):
        # PRODUCT.md: extension requests are accepted in the window only (checked again when an
        # agent proposes and a supervisor approves: request_conditions.within_extension_window).
        errors["credit_account"] = [str(REASONS[within_extension_window])]
    if (kind == CaseKind.RELIEF and account is not None
            and not margin_call_to_relieve(Case(kind=kind, category=category, credit_account=account))):
        # More time to top up is asked of a margin call with a deadline: without one, nothing could
        # be granted (checked again at proposal and approval, as the call may be restored meanwhile).
        errors["credit_account"] = [str(REASONS[margin_call_to_relieve])]
    if requested_days is not None:
        if kind != CaseKind.RELIEF:
            errors["requested_days"] = [_("Only a relief request asks for trading days.")]
        elif category == STAGED_REPAYMENT:
            errors["requested_days"] = [_("Leave this empty for staged repayment.")]
        elif not 1 <= requested_days <= settings.RELIEF_MAX_TRADING_DAYS:
            errors["requested_days"] = [_("Ask for 1 to %(max)d trading days.")
                                        % {"max": settings.RELIEF_MAX_TRADING_DAYS}]
    if requested_maturity is not None:
        if kind != CaseKind.EXTENSION:
            errors["requested_maturity"] = [_("Only an extension request asks for a new maturity.")]
        elif account is not None and not (account.contract_maturity < requested_maturity
                                          <= extended_maturity(account.contract_maturity)):
            errors["requested_maturity"] = [
                _("The new maturity must be after %(maturity)s and at most %(months)d months later.")
                % {"maturity": account.contract_maturity.isoformat(), "months": settings.EXTENSION_MONTHS}]
    if staged_repayment is not None:
        if kind != CaseKind.RELIEF:
            errors["staged_repayment"] = [_("Only a relief request proposes staged repayment.")]
        elif category != STAGED_REPAYMENT:
            errors["staged_repayment"] = [_("Instalments go with a staged repayment request only.")]
        elif problems := _staged_repayment_errors(staged_repayment, account):
            errors["staged_repayment"] = problems
    return errors


#: A request's states while it is still to be decided.
UNDECIDED_STATES = ("submitted", "under_review")


def _refuse_a_second_open_request(*, kind: str, category: str, account: CreditAccount) -> None:
    """One undecided request per account and kind (for relief, per kind of relief: more time and
    staged repayment are different asks): a second one, sent again from another tab or by a staff
    member on the client's behalf, would be reviewed twice and could be decided twice. Read under the
    year's case numbers (case_numbers_locked): whoever opens a case meanwhile has committed, so two
    sent at once cannot both pass."""
    case_numbers_locked(timezone.localdate().year)
    same = Case.objects.filter(credit_account=account, kind=kind, state__in=UNDECIDED_STATES)
    if kind == CaseKind.RELIEF:  # any category but staged repayment asks for more time (margin_call_to_relieve)
        staged = Q(category=STAGED_REPAYMENT)
        same = same.filter(staged if category == STAGED_REPAYMENT else ~staged)
    open_request = same.order_by("id").values_list("number", flat=True).first()
    if open_request is not None:
        raise Conflict(
            _("Request %(number)s for account %(account)s is still being reviewed: add what is new to it instead "
              "of sending another.") % {"number": open_request, "account": account.account_no},
            extra={"code": "open_request", "case": open_request})


@transaction.atomic
def request_create(
    *, created_by: User | None, client: ClientProfile, kind: str, subject: str, description: str = "",
    category: str = "", priority: str = Priority.NORMAL, credit_account: CreditAccount | None = None,
    channel: str | None = None, requested_days: int | None = None,
    requested_maturity: datetime.date | None = None, staged_repayment: list[dict] | None = None,
) -> Case:
    """Open a request (case_create) with what it asks for. `staged_repayment`: instalments as
    {"due": date, "amount": Decimal} (_staged_repayment_errors says what a plan must be). Any bad
    input: ValidationFailed, nothing written; a request like it still undecided on the account:
    Conflict."""
    errors = _details_errors(kind=kind, category=category, account=credit_account, requested_days=requested_days,
                             requested_maturity=requested_maturity, staged_repayment=staged_repayment)
    if errors:
        raise ValidationFailed(_("Invalid request."), extra=errors)
    if credit_account is not None:
        _refuse_a_second_open_request(kind=kind, category=category, account=credit_account)
    case = case_create(created_by=created_by, client=client, kind=kind, subject=subject, description=description,
                       category=category, priority=priority, credit_account=credit_account, channel=channel)
    if any(value is not None for value in (requested_days, requested_maturity, staged_repayment)):
        plan = None if staged_repayment is None else [
            {"due": str(item["due"]), "amount": str(Decimal(item["amount"]).quantize(Decimal("0.01")))}
            for item in staged_repayment]
        RequestDetails.objects.create(case=case, requested_days=requested_days,
                                      requested_maturity=requested_maturity, staged_repayment=plan)
    return case


def _details(case: Case) -> RequestDetails | None:
    return RequestDetails.objects.filter(case=case).first()


# --- what an approval does ----------------------------------------------------------------------

@after_transition(CaseKind.EXTENSION, "approve")
def extension_moves_the_maturity(case: Case, user: User | None) -> None:
    """The change is recorded as a ContractChange of the request (shown with it in the API); the
    approval event stays the request's last event.

    The conditions are read again once the contract is locked and no case is being opened: the
    approval read them before, and meanwhile another extension of the same contract approved at that
    moment had moved the maturity (this one extended it a second time, from there), or a price
    import's monitoring run had opened a margin call on the account (its new prices and its call not
    committed yet: the contract was extended for an account below the warning line). The contract is
    locked FOR NO KEY UPDATE: the run's new cases name the account, and their foreign keys' check at
    its commit must not wait for this approval, which waits for the run's case numbers."""
    account = CreditAccount.objects.select_for_update(no_key=True).get(pk=case.credit_account_id)
    case_numbers_locked(timezone.localdate().year)
    case.credit_account = account
    failed = [condition for condition in EXTENSION_CONDITIONS if not condition(case)]
    if failed:
        raise Conflict(conditions_refusal(failed), extra={"code": CONCURRENT})
    old = account.contract_maturity
    details = _details(case)
    asked = details.requested_maturity if details is not None else None
    new = asked if asked is not None and old < asked <= extended_maturity(old) else extended_maturity(old)
    account.contract_maturity = new
    account.save(update_fields=["contract_maturity", "updated_at"])
    ContractChange.objects.create(account=account, field="contract_maturity", old_value=old.isoformat(),
                                  new_value=new.isoformat(), case=case, changed_by=user)


# --- telling the client -------------------------------------------------------------------------

def _request_kind(case: Case) -> str:
    """Which text of the decision's template applies: extension, relief or staged_repayment."""
    if case.kind == CaseKind.EXTENSION:
        return "extension"
    return STAGED_REPAYMENT if case.category == STAGED_REPAYMENT else "relief"


def _moved_deadline(relief: Case) -> str | None:
    """The margin call's deadline as this relief's approval moved it (ISO, Asia/Shanghai), read from the
    deadline_moved event risk/effects.py records on the call; None when it moved none (no open call)."""
    return (CaseEvent.objects.filter(case__credit_account_id=relief.credit_account_id, case__kind=CaseKind.MARGIN_CALL,
                                     name="deadline_moved", data__relief=relief.number)
            .order_by("-id").values_list("to_value", flat=True).first())


def _decision_data(case: Case, approved: bool) -> dict:
    """What the decision's notice says beyond the case itself (its template's placeholders): the
    contract's maturity as the decision left it (and whether it had passed: an extension declined after
    the contract matured), the trading days a relief moves the deadline and the deadline it moved to
    (the notice is written after the approval's effects: after_transition(..., tells=True)), and
    a decline's reasons (written to the client: the decline's comment is client-facing,
    cases.models.workflows.CLIENT_FACING_COMMENTS)."""
    data = {"kind": case.kind, "request_kind": _request_kind(case)}
    if case.kind == CaseKind.EXTENSION:
        account = CreditAccount.objects.get(pk=case.credit_account_id)  # as the approval left it
        data["maturity"] = account.contract_maturity.isoformat()
        if account.contract_maturity < timezone.localdate():  # declined after it matured: repay now
            data["matured"] = True
    elif approved and data["request_kind"] == "relief":
        details = _details(case)
        asked = details.requested_days if details is not None else None
        data["trading_days"] = asked or settings.RELIEF_TRADING_DAYS
        if deadline := _moved_deadline(case):
            data["deadline"] = deadline
    if not approved:
        reasons = case.events.filter(name="decline").order_by("-id").values_list("comment", flat=True).first()
        data["reasons"] = reasons or ""
    return data


def _decision_notice(case: Case, approved: bool) -> None:
    client_notice(case=case, event="request_approved" if approved else "request_declined",
                  data=_decision_data(case, approved))


@after_transition(CaseKind.EXTENSION, "approve", tells=True)
@after_transition(CaseKind.RELIEF, "approve", tells=True)
def request_approved_notice(case: Case, user: User | None) -> None:
    _decision_notice(case, approved=True)


@after_transition(CaseKind.EXTENSION, "decline", tells=True)
@after_transition(CaseKind.RELIEF, "decline", tells=True)
def request_declined_notice(case: Case, user: User | None) -> None:
    _decision_notice(case, approved=False)
