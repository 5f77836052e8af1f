"""An extension approved while a price import's monitoring run opens a margin call on the same
account (PostgreSQL, real concurrent transactions). The approval reads its conditions before it
locks the contract: the run's new prices and its call were not committed yet, so the ratio was
above the extension line and there was no open margin call. The contract was then extended for an
account the run had just found below the warning line. Now the conditions are read again once the
contract is locked, and the run's call (its case row names the account, so the lock waits for the
run to commit) refuses the extension with the reasons."""

import datetime
from decimal import Decimal as D

import pytest
import time_machine
from django.conf import settings
from django.utils import translation

from accounts.models import CreditAccount
from cases.models import Case, ContractChange
from cases.models.request_conditions import no_open_margin_call, ratio_above_extension_line
from cases.models.workflows import CONDITION_REASONS
from cases.services import case_transition
from cases.services.requests import extended_maturity, request_create
from risk.models import MarginCall
from servicedesk.errors import Conflict
from tests.factories import CreditAccountFactory, PositionFactory
from tests.risk.test_margin_call_races import (  # noqa: F401 - fixtures
    THU, first_then_second, monitor, price, security,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]
MATURITY = THU.date() + datetime.timedelta(days=10)


@pytest.fixture
def account(client_profile, security):
    """Debt 100,000; 10,000 shares at 16.00: a ratio of 160 %, above the 145 % extension line;
    matures in 10 days (within the window), interest paid."""
    account = CreditAccountFactory(client=client_profile, financing_debt=D("100000.00"), contract_maturity=MATURITY)
    PositionFactory(account=account, security=security, quantity=10000)
    return account


@pytest.fixture
def extension(account, client_profile, agent):
    with time_machine.travel(THU, tick=False):
        case = request_create(created_by=client_profile.user, client=client_profile, kind="extension",
                              subject="申请展期", credit_account=account)
        for name in ("start_review", "propose_approval"):
            case = case_transition(case=case, user=agent, name=name, comment="符合条件")
    return case


def approving(case, supervisor):
    def approve():
        with time_machine.travel(THU, tick=False):
            return case_transition(case=case, user=supervisor, name="approve").state
    return approve


def prices_fall_and_the_monitoring_runs(security):
    """An import's new price (13.50: a ratio of 135 %, below the warning line) and the run on it."""
    def run():
        price(security, "13.50")
        return monitor(THU)
    return run


def test_an_extension_approved_while_the_monitoring_opens_a_margin_call_is_refused(account, security, extension,
                                                                                   supervisor):
    outcome, refused = first_then_second(prices_fall_and_the_monitoring_runs(security),
                                         approving(extension, supervisor))
    assert outcome.cases_opened == 1, outcome
    assert isinstance(refused, Conflict), refused
    with translation.override(settings.LANGUAGE_CODE):  # the approval's thread speaks the site's language
        assert str(CONDITION_REASONS[no_open_margin_call]) in str(refused.message)
        assert str(CONDITION_REASONS[ratio_above_extension_line]) in str(refused.message)
    assert CreditAccount.objects.get(pk=account.pk).contract_maturity == MATURITY
    assert not ContractChange.objects.filter(account=account).exists()
    assert Case.objects.get(pk=extension.pk).state == "under_review"  # still to decide
    assert MarginCall.objects.filter(account=account).count() == 1


def test_an_extension_approved_before_the_monitoring_opens_its_call_stands(account, security, extension,
                                                                           supervisor):
    """The other order: the approval holds the contract first; the run's call waits for it and is
    opened once the extension is committed. Both stand, as if one had run after the other."""
    state, outcome = first_then_second(approving(extension, supervisor), prices_fall_and_the_monitoring_runs(security))
    assert state == "approved" and outcome.cases_opened == 1, (state, outcome)
    assert CreditAccount.objects.get(pk=account.pk).contract_maturity == extended_maturity(MATURITY)
    assert MarginCall.objects.filter(account=account).count() == 1
