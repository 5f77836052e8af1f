"""The monitoring beat runs every 5 minutes on trading days and acts only in the sessions, the
run scheduled for the 15:00 close included, however late it starts within its slot."""

import datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
import time_machine

from cases.models import Case
from risk.monitoring import monitor_accounts
from risk.tasks import in_trading_session, monitoring_periodic_task
from tests.factories import CreditAccountFactory, PositionFactory, SecurityFactory

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def at(day: str, clock: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=SH)


@pytest.mark.parametrize(("day", "clock", "acts"), [
    ("2026-02-24", "09:29:59", False),
    ("2026-02-24", "09:30:00.4", True),
    ("2026-02-24", "11:33:10", True),   # the 11:30 run, started late
    ("2026-02-24", "11:35:00", False),
    ("2026-02-24", "12:00:00", False),
    ("2026-02-24", "15:00:00.3", True),  # the close's run: the day's deadlines pass in it
    ("2026-02-24", "15:00:02", True),
    ("2026-02-24", "15:04:59", True),
    ("2026-02-24", "15:05:00", False),
    ("2026-10-01", "10:00:00", False),  # National Day
    ("2026-10-10", "10:00:00", False),  # a make-up Saturday: a working day, never a trading day
])
def test_the_sessions_and_the_close(day, clock, acts):
    assert in_trading_session(at(day, clock)) is acts


def test_the_close_run_starting_late_passes_the_days_deadlines():
    security = SecurityFactory(price=D("12.00"))
    account = CreditAccountFactory(financing_debt=D("100000.00"))
    PositionFactory(account=account, security=security, quantity=10000)  # 120 %: below close-out
    with time_machine.travel(at("2026-02-12", "10:00:00"), tick=False):
        monitor_accounts(trigger="test")  # the deadline: T+2 trading days, 2026-02-24 15:00
    case = Case.objects.get(credit_account=account, kind="margin_call")
    assert case.state == "client_notified"
    with time_machine.travel(at("2026-02-24", "15:00:02"), tick=False):
        monitoring_periodic_task()
    case.refresh_from_db()
    assert case.state == "liquidation_pending"
