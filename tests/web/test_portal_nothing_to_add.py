"""The portal's account card when the ratio is below the contract's warning line but already at or
above its restore-to line: nothing is to be added, and the client is not told to deposit ¥0.00."""

import datetime
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from accounts.selectors import credit_accounts_visible_to
from cases.web.portal.plain import account_status
from risk.models import MarginCall
from risk.monitoring import monitor_accounts
from tests.factories import CreditAccountFactory, PositionFactory, SecurityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(client_profile):
    """Debt 100,000 against 10,000 shares at 14.20: 142 %, below this contract's warning line of
    145 % and above the restore-to line of 140 % (C = 1.40 × 100,000 − 142,000 < 0: nothing to add)."""
    account = CreditAccountFactory(client=client_profile, account_no="A20000001", financing_debt=D("100000.00"),
                                   warning_line=D("1.4500"))
    PositionFactory(account=account, security=SecurityFactory(price=D("14.20")), quantity=10000)
    return account


def test_no_deposit_of_nothing_is_asked_above_the_restore_to_line(account, client):
    monitor_accounts(trigger="test")
    assert MarginCall.objects.get(account=account).top_up_cash == D("0.00")  # outreach: below the warning line
    with translation.override("en"):
        status = account_status(credit_accounts_visible_to(account.client.user).get(pk=account.pk),
                                MarginCall.objects.select_related("case").get(account=account))
    assert status.level == "warning" and (status.cash, status.sell) == (None, None)
    assert "¥0.00" not in status.advice
    assert status.advice == "Nothing to add for now: your ratio is at or above the restore-to line 140%."
    client.force_login(account.client.user)
    page = client.get(reverse("portal:home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "¥0.00" not in page and "Nothing to add for now" in page


def test_a_margin_call_paid_up_to_the_restore_to_line_asks_for_nothing_more(client, client_profile):
    """Below the close-out line (120 %) the notice asks C = 1.40 × 100,000 − 120,000 = 20,000; the client
    adds exactly that (140 %). The call stays open until the ratio clears the warning line by the band
    (142 %), but the portal no longer tells the client to add collateral or repay."""
    account = CreditAccountFactory(client=client_profile, account_no="A20000002", financing_debt=D("100000.00"))
    PositionFactory(account=account, security=SecurityFactory(price=D("12.00")), quantity=10000)
    monitor_accounts(trigger="test")
    call = MarginCall.objects.get(account=account)
    assert (call.stage, call.top_up_cash) == ("margin_call", D("20000.00"))
    account.cash = D("20000.00")
    account.save()
    monitor_accounts(trigger="test")
    call.refresh_from_db()
    assert (call.case.state, call.top_up_cash) == ("client_notified", D("0.00"))
    client.force_login(client_profile.user)
    page = client.get(reverse("portal:case", args=[call.case.number]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Please add collateral or repay" not in page
    assert "nothing more to add" in page


def test_a_matured_contract_with_nothing_owed_is_not_told_to_repay(client, client_profile):
    """Past maturity with no debt, no shares lent and no interest (the reminders tell such a client
    nothing either): no demand to repay, no threat of penalty interest."""
    today = timezone.localdate()
    account = CreditAccountFactory(client=client_profile, account_no="A20000003", cash=D("5000.00"),
                                   contract_maturity=today - datetime.timedelta(days=3))
    with translation.override("en"):
        status = account_status(credit_accounts_visible_to(client_profile.user).get(pk=account.pk))
    assert "repay" not in status.maturity_text and "penalty" not in status.maturity_text
    matured = account.contract_maturity.isoformat()
    assert status.maturity_text == f"Your contract matured on {matured}. Nothing is owed on it."
    account.financing_debt = D("1000.00")
    account.save()
    with translation.override("en"):
        status = account_status(credit_accounts_visible_to(client_profile.user).get(pk=account.pk))
    assert "Please repay the financing debt: penalty interest is charged on overdue debt." in status.maturity_text
