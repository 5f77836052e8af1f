"""A stress test's outreach and a monitoring run on the same accounts at once (PostgreSQL, real
concurrent transactions)."""

from decimal import Decimal as D

import pytest

from cases.models import Case, CaseKind
from cases.services import case_transition
from risk import stress
from risk.models import MarginCall
from risk.monitoring import monitor_accounts
from servicedesk.errors import Conflict
from tests.factories import CreditAccountFactory, PositionFactory, SecurityFactory
from tests.risk.test_margin_call_races import first_then_second

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def test_the_monitoring_opens_no_second_call_where_a_stress_test_just_opened_one(client_profile, risk_officer):
    """The run listed the accounts without an open margin call, then waited for the case numbers (the
    stress test's cases hold them until it commits) and inserted its calls anyway: the one-open-call
    index refused them, and the whole run failed with an IntegrityError (no account revalued, no call
    raised or restored in that run). It lists them again once it holds the numbers."""
    security = SecurityFactory(price=D("16.00"))
    account = CreditAccountFactory(client=client_profile, financing_debt=D("100000.00"))
    PositionFactory(account=account, security=security, quantity=10000)  # the ratio is price / 10
    monitor_accounts(trigger="test")  # valued, healthy
    security.price = D("13.50")  # 135 %: below the warning line, not yet seen by the monitoring
    security.save()

    tested, outcome = first_then_second(
        lambda: stress.stress_test_run(user=risk_officer, market_shock=D("-0.01"), open_cases=True),
        lambda: monitor_accounts(trigger="test"))
    assert tested.cases_opened == 1 and not isinstance(outcome, Exception), (tested, outcome)
    assert outcome.cases_opened == 0 and outcome.changed == 1
    assert Case.objects.filter(credit_account=account, kind=CaseKind.MARGIN_CALL).count() == 1


def test_an_outreach_closed_while_the_monitoring_finds_the_account_below_the_warning_line(client_profile,
                                                                                          risk_officer, agent):
    """The run marks the stress test's outreach a call like its own (below the warning line: warned)
    once it holds the case; closing it as a mere forecast is then refused. It marked the call without
    the case: the agent, reading it unmarked, closed it, and the account was left below the line with
    no margin call (the next run opens one only once the valuation changes)."""
    security = SecurityFactory(price=D("16.00"))
    account = CreditAccountFactory(client=client_profile, financing_debt=D("100000.00"))
    PositionFactory(account=account, security=security, quantity=10000)
    monitor_accounts(trigger="test")
    stress.stress_test_run(user=risk_officer, market_shock=D("-0.15"), open_cases=True)  # 136 % under the shock
    case = Case.objects.get(credit_account=account, kind=CaseKind.MARGIN_CALL)
    security.price = D("13.50")  # 135 %: below the warning line now
    security.save()

    outcome, refused = first_then_second(
        lambda: monitor_accounts(trigger="test"),
        lambda: case_transition(case=case, user=agent, name="close_outreach", comment="已联系客户"))
    assert outcome.changed == 1 and isinstance(refused, Conflict), (outcome, refused)
    case.refresh_from_db()
    assert case.state != "closed" and MarginCall.objects.get(case=case).warned_at is not None
