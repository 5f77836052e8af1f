"""Two supervisors approve two extension requests of one contract at the same moment (PostgreSQL,
real concurrent transactions). The conditions are read before the contract is locked: both saw it
maturing within the window, and the second approval, once the first had moved the maturity,
extended it again from there — a year instead of six months. The second is a conflict now, with the
reason, and the contract is extended once."""

import datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.utils import translation

from accounts.models import CreditAccount
from cases.models import Case, ContractChange
from cases.models.request_conditions import within_extension_window
from cases.models.workflows import CONDITION_REASONS
from cases.services import case_transition
from cases.services.cases import case_create
from cases.services.requests import extended_maturity, request_create
from servicedesk.errors import Conflict
from tests.factories import CreditAccountFactory, PositionFactory, SecurityFactory
from tests.risk.test_margin_call_races import first_then_second

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]
SH = ZoneInfo("Asia/Shanghai")
THU = datetime.datetime(2026, 2, 12, 10, tzinfo=SH)
MATURITY = THU.date() + datetime.timedelta(days=10)


@pytest.fixture
def account(client_profile):
    """Eligible for an extension: matures in 10 days, interest paid, a ratio of 200 %."""
    account = CreditAccountFactory(client=client_profile, financing_debt=D("100000.00"), contract_maturity=MATURITY)
    PositionFactory(account=account, security=SecurityFactory(price=D("20.00")), quantity=10000)
    return account


def _proposed(client_profile, account, agent, subject, create=request_create) -> Case:
    with time_machine.travel(THU, tick=False):
        case = create(created_by=client_profile.user, client=client_profile, kind="extension",
                      subject=subject, credit_account=account)
        for name in ("start_review", "propose_approval"):
            case = case_transition(case=case, user=agent, name=name, comment="符合条件")
    return case


def _approve(case, user):
    def approve():
        with time_machine.travel(THU, tick=False):
            return case_transition(case=case, user=user, name="approve").state
    return approve


def test_two_extensions_of_one_contract_approved_at_once_extend_it_once(client_profile, account, agent, supervisor,
                                                                         other_supervisor):
    first = _proposed(client_profile, account, agent, "申请展期")
    # A second undecided request of the contract is refused when it is sent (test_one_open_request.py);
    # one opened before that rule, or beside it (case_create), still meets the approval's lock.
    second = _proposed(client_profile, account, agent, "申请展期（电话）", create=case_create)

    approved, refused = first_then_second(_approve(first, supervisor), _approve(second, other_supervisor))
    assert approved == "approved" and isinstance(refused, Conflict), (approved, refused)
    with translation.override(settings.LANGUAGE_CODE):  # the approvals' threads speak the site's language
        assert str(CONDITION_REASONS[within_extension_window]) in str(refused.message)
    assert CreditAccount.objects.get(pk=account.pk).contract_maturity == extended_maturity(MATURITY)
    assert ContractChange.objects.filter(account=account).count() == 1
    assert Case.objects.get(pk=second.pk).state == "under_review"
