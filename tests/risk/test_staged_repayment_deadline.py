"""An approved staged-repayment request (纾困: repay the debt in instalments) sets up the instalments;
only a request for more time moves an open margin call's deadline (README "Requests": "Relief for more
time needs an open margin call with a deadline; approval moves its deadline"). A staged repayment
cannot ask for trading days, and its approval notice says nothing of a deadline: moving it by the
default three trading days told the client nothing of it."""

import datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
import time_machine

from cases.models import CaseEvent
from cases.services import case_transition
from cases.services.requests import request_create
from notifications.models import Notification
from risk.models import MarginCall
from risk.monitoring import monitor_accounts
from tests.factories import CreditAccountFactory, PositionFactory, SecurityFactory

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
THU = datetime.datetime(2026, 2, 12, 10, tzinfo=SH)  # Thursday before the Spring Festival


@pytest.fixture
def call(client_profile):
    """Debt 100,000 against 10,000 shares at 12.00: 120 %, below the close-out line: a margin call
    due at the close of T+2, 2026-02-24 15:00 (the Spring Festival closes the exchange 02-15 to 02-23)."""
    account = CreditAccountFactory(client=client_profile, financing_debt=D("100000.00"))
    PositionFactory(account=account, security=SecurityFactory(price=D("12.00")), quantity=10000)
    with time_machine.travel(THU, tick=False):
        monitor_accounts(trigger="test")
    call = MarginCall.objects.get(account=account)
    assert call.deadline == datetime.datetime(2026, 2, 24, 15, tzinfo=SH)
    return call


def approve(relief, agent, supervisor):
    for name, user in (("start_review", agent), ("propose_approval", agent), ("approve", supervisor)):
        relief = case_transition(case=relief, user=user, name=name, comment="客户申请")
    return relief


def test_an_approved_staged_repayment_leaves_the_margin_call_deadline_alone(call, client_profile, agent,
                                                                           supervisor):
    with time_machine.travel(datetime.datetime(2026, 2, 13, 10, tzinfo=SH), tick=False):
        relief = request_create(created_by=client_profile.user, client=client_profile, kind="relief",
                                category="staged_repayment", subject="分期还款", credit_account=call.account,
                                staged_repayment=[{"due": datetime.date(2026, 3, 20), "amount": D("50000")},
                                                  {"due": datetime.date(2026, 4, 20), "amount": D("50000")}])
        relief = approve(relief, agent, supervisor)
    assert relief.state == "approved"
    call.refresh_from_db()
    assert call.deadline == datetime.datetime(2026, 2, 24, 15, tzinfo=SH)
    assert not CaseEvent.objects.filter(case=call.case, name="deadline_moved").exists()
    told = Notification.objects.get(case=relief, event="request_approved", channel="sms")
    assert "分期还款申请" in told.body and "截止" not in told.body


def test_an_approved_request_for_more_time_still_moves_it(call, client_profile, agent, supervisor):
    with time_machine.travel(datetime.datetime(2026, 2, 13, 10, tzinfo=SH), tick=False):
        relief = request_create(created_by=client_profile.user, client=client_profile, kind="relief",
                                category="more_time", subject="延期补仓", credit_account=call.account)
        approve(relief, agent, supervisor)
    call.refresh_from_db()
    assert call.deadline == datetime.datetime(2026, 2, 27, 15, tzinfo=SH)  # three trading days after 02-24
