"""People act on a margin call while the monitoring moves it (PostgreSQL, real concurrent
transactions): whoever locks the case first wins, the other gets a conflict (a person) or leaves
the case alone (the monitoring); nothing is overwritten, nothing is told or logged that did not
happen.

Each interleaving is forced, not hoped for: one side does its work inside a transaction it keeps
open until the other side is seen waiting for the lock (pg_stat_activity), then commits."""

import datetime
import threading
import time
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connections, transaction

from cases.models import Case, CaseEvent
from cases.services import case_transition, case_update
from notifications.models import Notification
from risk.models import MarginCall
from risk.monitoring import monitor_accounts
from servicedesk.errors import Conflict
from tests.concurrency import someone_waits_for_a_lock
from tests.factories import CreditAccountFactory, PositionFactory, SecurityFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]
SH = ZoneInfo("Asia/Shanghai")
THU = datetime.datetime(2026, 2, 12, 10, tzinfo=SH)  # margin call raised: deadline Tue 24 Feb 15:00
AFTER_DEADLINE = datetime.datetime(2026, 2, 24, 15, 5, tzinfo=SH)
LATER = datetime.datetime(2026, 2, 24, 15, 10, tzinfo=SH)


@pytest.fixture
def security():
    return SecurityFactory(price=D("16.00"))


@pytest.fixture
def account(client_profile, security):
    """Debt 100,000; 10,000 shares: the ratio is price / 10."""
    account = CreditAccountFactory(client=client_profile, financing_debt=D("100000.00"))
    PositionFactory(account=account, security=security, quantity=10000)
    return account


@pytest.fixture
def bystander(security):
    """Another account on the same security: its margin call moves in the same runs, uncontested."""
    account = CreditAccountFactory(financing_debt=D("100000.00"))
    PositionFactory(account=account, security=security, quantity=10000)
    return account


def price(security, value):
    security.price = D(value)
    security.save()


def monitor(at):
    with time_machine.travel(at, tick=False):
        return monitor_accounts(trigger="test")


def first_then_second(first, second):
    """Run `first` in a transaction held open until `second` (started meanwhile in another
    thread) waits for a lock, then commit it; returns both results (an exception for a side that
    raised)."""
    results, first_done, go_on = {}, threading.Event(), threading.Event()

    def run_first():
        try:
            with transaction.atomic():
                results["first"] = first()
                first_done.set()
                go_on.wait(30)
        except Exception as error:  # noqa: BLE001 - reported by the test
            results["first"] = error
        finally:
            first_done.set()
            connections.close_all()

    def run_second():
        try:
            results["second"] = second()
        except Exception as error:  # noqa: BLE001
            results["second"] = error
        finally:
            connections.close_all()

    one = threading.Thread(target=run_first)
    one.start()
    assert first_done.wait(30)
    assert not isinstance(results.get("first"), Exception), results
    two = threading.Thread(target=run_second)
    two.start()
    deadline = time.monotonic() + 30
    while not someone_waits_for_a_lock() and two.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    waited = two.is_alive()
    go_on.set()
    one.join(30)
    two.join(30)
    assert waited, f"the second side never waited for the first: {results}"
    return results["first"], results["second"]


def _passed_deadline(account, security) -> Case:
    price(security, "12.00")  # below close-out: margin call with a deadline
    monitor(THU)
    monitor(AFTER_DEADLINE)
    case = Case.objects.get(credit_account=account, kind="margin_call")
    assert case.state == "liquidation_pending"
    return case


def _events(case):
    """The case's trail, without the rows that say a message went out."""
    return list(CaseEvent.objects.filter(case=case).exclude(kind="notification").order_by("id")
                .values_list("name", "from_value", "to_value"))


def test_a_liquidation_proposed_while_the_monitoring_restores_the_call(account, security, bystander,
                                                                       risk_officer):
    """The officer locks first: the monitoring leaves the call alone — no restore logged, no
    "back to normal" message to the client for a call that is pending liquidation."""
    case = _passed_deadline(account, security)
    price(security, "14.30")  # rebound above warning + band
    proposed, outcome = first_then_second(
        lambda: case_transition(case=case, user=risk_officer, name="propose_liquidation", comment="未补仓"),
        lambda: monitor(LATER))
    assert proposed.state == "liquidation_pending" and outcome.cases_restored == 1  # the bystander's
    case.refresh_from_db()
    assert case.state == "liquidation_pending"
    assert ("restore", "liquidation_pending", "restored") not in _events(case)
    assert not Notification.objects.filter(event="margin_call_restored", case=case).exists()
    assert MarginCall.objects.get(case=case).restored_snapshot is None
    other = Case.objects.get(credit_account=bystander, kind="margin_call")
    assert other.state == "restored" and _events(other)[-1] == ("restore", "liquidation_pending", "restored")
    assert Notification.objects.filter(event="margin_call_restored", case=other).count() == 2


def test_the_monitoring_restores_the_call_while_an_officer_proposes_liquidation(account, security, risk_officer):
    """The monitoring locks first: the officer's proposal is a conflict, not applied."""
    case = _passed_deadline(account, security)
    price(security, "14.30")
    outcome, proposed = first_then_second(
        lambda: monitor(LATER),
        lambda: case_transition(case=case, user=risk_officer, name="propose_liquidation", comment="未补仓"))
    assert outcome.cases_restored == 1 and isinstance(proposed, Conflict), proposed
    case.refresh_from_db()
    assert case.state == "restored" and case.proposed_by is None
    assert _events(case)[-1] == ("restore", "liquidation_pending", "restored")
    assert Notification.objects.filter(event="margin_call_restored", case=case).count() == 2  # SMS, e-mail


def test_an_agent_edits_while_the_monitoring_restores_the_call(account, security, supervisor):
    """Both orders: the edit first — both changes kept; the monitoring first — the edit is a
    conflict (made on a case that had moved), the restore kept."""
    case = _passed_deadline(account, security)
    price(security, "14.30")
    edited, outcome = first_then_second(
        lambda: case_update(case=case, user=supervisor, subject="客户已来电，称今日补仓"),
        lambda: monitor(LATER))
    assert outcome.cases_restored == 1, edited
    case.refresh_from_db()
    assert (case.state, case.subject) == ("restored", "客户已来电，称今日补仓")
    *_earlier, edit, restore = _events(case)
    assert edit[0::2] == ("subject", "客户已来电，称今日补仓")
    assert restore == ("restore", "liquidation_pending", "restored")


def test_the_monitoring_restores_while_an_agent_edits_the_call(account, security, supervisor):
    case = _passed_deadline(account, security)
    price(security, "14.30")
    stale = Case.objects.get(pk=case.pk)
    outcome, edited = first_then_second(
        lambda: monitor(LATER),
        lambda: case_update(case=stale, user=supervisor, subject="客户已来电，称今日补仓"))
    assert outcome.cases_restored == 1 and isinstance(edited, Conflict), edited
    case.refresh_from_db()
    assert case.state == "restored" and case.subject != "客户已来电，称今日补仓"


def test_an_agent_tells_the_client_while_the_monitoring_raises_the_call(account, security, bystander,
                                                                         supervisor):
    """An outreach call (below warning) that the monitoring raises to a margin call (below
    close-out) just as an agent marks the client told: one "client notified" step in the trail,
    the agent's, and the raise with its deadline on top of it."""
    price(security, "13.50")
    monitor(THU)
    case = Case.objects.get(credit_account=account, kind="margin_call")
    assert case.state == "open" and MarginCall.objects.get(case=case).stage == "outreach"
    price(security, "12.50")
    told, outcome = first_then_second(
        lambda: case_transition(case=case, user=supervisor, name="notify_client", comment="电话已通知"),
        lambda: monitor(THU + datetime.timedelta(minutes=5)))
    assert told.state == "client_notified" and outcome.cases_raised == 2
    case.refresh_from_db()
    call = MarginCall.objects.get(case=case)
    assert (case.state, case.priority, call.stage) == ("client_notified", "urgent", "margin_call")
    steps = [event for event in _events(case) if event[0] == "notify_client"]
    assert steps == [("notify_client", "open", "client_notified")]
    assert CaseEvent.objects.get(case=case, name="notify_client").actor == supervisor
    assert Notification.objects.filter(event="margin_call", case=case).count() == 2


def test_the_monitoring_raises_the_call_while_an_agent_tells_the_client(account, security, supervisor):
    price(security, "13.50")
    monitor(THU)
    case = Case.objects.get(credit_account=account, kind="margin_call")
    price(security, "12.50")
    outcome, told = first_then_second(
        lambda: monitor(THU + datetime.timedelta(minutes=5)),
        lambda: case_transition(case=case, user=supervisor, name="notify_client", comment="电话已通知"))
    assert outcome.cases_raised == 1 and isinstance(told, Conflict), told
    case.refresh_from_db()
    assert case.state == "client_notified"
    steps = list(CaseEvent.objects.filter(case=case, name="notify_client").values_list("actor", flat=True))
    assert steps == [None]  # the monitoring's step only


def test_a_relief_approved_as_the_deadline_passes(account, security, client_profile, agent, supervisor):
    """A supervisor approves more time for the margin call just as its deadline passes: the
    approval locked the call first, so the deadline it moved is the one the monitoring goes by."""
    from cases.services import case_create

    price(security, "12.00")
    monitor(THU)
    case = Case.objects.get(credit_account=account, kind="margin_call")
    relief = case_create(created_by=client_profile.user, client=client_profile, kind="relief",
                         subject="请求延期补仓", credit_account=account)
    for name in ("start_review", "propose_approval"):
        relief = case_transition(case=relief, user=agent, name=name, comment="疫情隔离，申请延期")
    approved, outcome = first_then_second(
        lambda: case_transition(case=relief, user=supervisor, name="approve", comment="同意延期"),
        lambda: monitor(datetime.datetime(2026, 2, 24, 15, 0, tzinfo=SH)))
    assert approved.state == "approved" and outcome.deadlines_passed == 0, outcome
    case.refresh_from_db()
    assert case.state == "client_notified"
    assert MarginCall.objects.get(case=case).deadline > datetime.datetime(2026, 2, 24, 15, 0, tzinfo=SH)
    assert not CaseEvent.objects.filter(case=case, name="pass_deadline").exists()
