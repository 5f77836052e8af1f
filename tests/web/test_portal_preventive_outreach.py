"""A stress test's preventive outreach (the account would fall below the warning line under the test's
shock, it is not below it) is not described to the client as a ratio below the warning line with a
demand to add collateral: the ratio is in good order, and the firm is the one to call."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from accounts.roles import Role
from risk import stress
from risk.models import MarginCall
from risk.monitoring import monitor_accounts
from tests.factories import CreditAccountFactory, PositionFactory, SecurityFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def outreach(client_profile):
    """Debt 100,000 against 10,000 shares at 16.00: 160 %, above every line; a 20 % fall would take it
    to 128 %, so the stress test opens a preventive outreach case."""
    account = CreditAccountFactory(client=client_profile, account_no="A30000001", financing_debt=D("100000.00"))
    PositionFactory(account=account, security=SecurityFactory(price=D("16.00")), quantity=10000)
    monitor_accounts(trigger="test")
    stress.stress_test_run(user=UserFactory(roles=[Role.RISK_OFFICER]), market_shock=D("-0.20"), open_cases=True)
    call = MarginCall.objects.select_related("case").get(account=account)
    assert (call.stage, call.warned_at, call.case.state) == ("outreach", None, "open")
    return call


def test_the_client_is_not_told_the_ratio_is_below_the_warning_line(client, client_profile, outreach):
    client.force_login(client_profile.user)
    page = client.get(reverse("portal:case", args=[outreach.case.number]), HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert page.status_code == 200
    assert "Your ratio is below the warning line" not in text
    assert "Please add collateral or repay as soon as possible" not in text
    assert "could fall below the warning line" in text


def test_once_below_the_warning_line_the_same_case_asks_the_client_to_act(client, client_profile, outreach):
    security = outreach.account.positions.get().security
    security.price = D("13.50")  # 135 %: below the warning line now, the call is the monitoring's own
    security.save()
    monitor_accounts(trigger="test")
    client.force_login(client_profile.user)
    text = client.get(reverse("portal:case", args=[outreach.case.number]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Your ratio is below the warning line" in text and "could fall below" not in text
