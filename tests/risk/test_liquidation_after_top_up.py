"""A liquidation proposed before the client topped up: the monitoring leaves a call with a proposal to
the officers, and the second officer could approve it and sell the securities of an account back above
its warning line. The approval reads the ratio again: back above (by the band) it is a 409 with the
reason; the liquidation is declined and the next valuation closes the call."""

import datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import translation

from cases.models import Case
from cases.models.request_conditions import REASONS, still_not_restored
from cases.services import case_transition
from risk.models import StressMode
from risk.monitoring import monitor_accounts
from servicedesk.errors import Conflict
from tests.factories import CreditAccountFactory, PositionFactory, SecurityFactory

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
THU = datetime.datetime(2026, 2, 12, 10, tzinfo=SH)
PASSED = datetime.datetime(2026, 2, 24, 15, 5, tzinfo=SH)  # after the T+2 close across the Spring Festival


@pytest.fixture
def security():
    return SecurityFactory(price=D("12.00"))


@pytest.fixture
def account(client_profile, security):
    """Debt 100,000; 10,000 shares: the ratio is price / 10 (12.00 → 120 %, below close-out)."""
    account = CreditAccountFactory(client=client_profile, financing_debt=D("100000.00"))
    PositionFactory(account=account, security=security, quantity=10000)
    return account


def _run(at):
    with time_machine.travel(at, tick=False):
        return monitor_accounts(trigger="test")


@pytest.fixture
def proposed(account, risk_officer):
    _run(THU)
    _run(PASSED)
    case = Case.objects.get(credit_account=account, kind="margin_call")
    assert case.state == "liquidation_pending"
    return case_transition(case=case, user=risk_officer, name="propose_liquidation", comment="未补仓，建议平仓")


def _top_up(account, cash):
    account.cash = D(cash)
    account.save()


def test_a_liquidation_is_not_approved_once_the_client_has_topped_up(proposed, account, other_risk_officer):
    _top_up(account, "30000.00")  # (120,000 + 30,000) / 100,000 = 150 %: above 140 % + 2 points
    with pytest.raises(Conflict) as refused, translation.override("en"):
        case_transition(case=proposed, user=other_risk_officer, name="approve_liquidation")
    with translation.override("en"):
        assert str(REASONS[still_not_restored]) in str(refused.value.message)
    assert Case.objects.get(pk=proposed.pk).state == "liquidation_pending"

    case = case_transition(case=proposed, user=other_risk_officer, name="decline_liquidation", comment="客户已补仓")
    assert case.proposed_by_id is None
    _run(PASSED + datetime.timedelta(minutes=5))
    assert Case.objects.get(pk=proposed.pk).state == "restored"


def test_a_top_up_short_of_the_band_still_lets_the_liquidation_be_approved(proposed, account, other_risk_officer):
    _top_up(account, "21000.00")  # 141 %: above the warning line, not by the 2 points that restore a call
    case = case_transition(case=proposed, user=other_risk_officer, name="approve_liquidation")
    assert case.state == "liquidated"


def test_the_lines_raised_by_a_stress_mode_are_the_ones_read(proposed, account, other_risk_officer, risk_officer):
    StressMode.objects.create(points=D("10"), reason="市场剧烈波动", set_by=risk_officer)
    _top_up(account, "30000.00")  # 150 %: restored against 140 %, short of 150 % + 2 under the stress mode
    case = case_transition(case=proposed, user=other_risk_officer, name="approve_liquidation")
    assert case.state == "liquidated"


def test_the_console_offers_no_approval_it_would_refuse(proposed, account, client, other_risk_officer):
    from django.urls import reverse

    _top_up(account, "30000.00")
    client.force_login(other_risk_officer)
    page = client.get(reverse("console:case", args=[proposed.number]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Decline liquidation" in page
    assert "back above the warning line since the liquidation was proposed" in page
