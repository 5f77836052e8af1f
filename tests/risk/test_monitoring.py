"""The monitoring run: levels, snapshots, alerts with hysteresis, margin-call cases, notices."""

import datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
import time_machine

from cases.models import Case, CaseEvent
from notifications.models import Notification
from risk.models import AccountAlert, AccountRisk, MarginCall, RatioSnapshot, StressMode
from risk.monitoring import monitor_accounts
from tests.factories import CreditAccountFactory, PositionFactory, SecurityFactory

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
THU = datetime.datetime(2026, 2, 12, 10, tzinfo=SH)  # Thursday before the Spring Festival


@pytest.fixture
def security():
    return SecurityFactory(price=D("10.00"))


@pytest.fixture
def account(client_profile, security):
    """Debt 100,000; 10,000 shares: the ratio is price × 10,000 / 100,000 = price / 10."""
    account = CreditAccountFactory(client=client_profile, financing_debt=D("100000.00"))
    PositionFactory(account=account, security=security, quantity=10000)
    return account


def price(security, value):
    security.price = D(value)
    security.save()


def run(at=THU):
    with time_machine.travel(at, tick=False):
        return monitor_accounts(trigger="test")


def open_alerts(account):
    return set(AccountAlert.objects.filter(account=account, state="open").values_list("line", flat=True))


def test_levels_snapshots_and_idempotence(account, security):
    price(security, "16.00")
    first = run()
    assert first.changed == 1 and AccountRisk.objects.get(account=account).level == "normal"
    assert run().run is None  # same prices: nothing changes, nothing is sent
    assert RatioSnapshot.objects.count() == 1
    price(security, "14.50")
    run()
    risk = AccountRisk.objects.get(account=account)
    assert (risk.maintenance_ratio, risk.level) == (D("1.4500"), "attention")
    assert RatioSnapshot.objects.filter(account=account).count() == 2


def test_each_line_crossing_and_hysteresis(account, security, client_profile):
    price(security, "16.00")
    run()
    price(security, "13.90")  # below attention (1.50) and warning (1.40)
    run()
    assert open_alerts(account) == {"attention", "warning"}
    alert = AccountAlert.objects.get(account=account, line="warning")
    assert alert.opened_snapshot.maintenance_ratio == D("1.3900")
    notices = Notification.objects.filter(recipient_client=client_profile, event="margin_alert")
    assert set(notices.values_list("channel", flat=True)) == {"sms", "email"}
    assert "139.00%" in notices.get(channel="sms").body  # two decimals on every database
    price(security, "14.10")  # above warning but within the 2-point band: stays open
    run()
    assert open_alerts(account) == {"attention", "warning"}
    price(security, "14.20")  # back above warning + band
    run()
    assert open_alerts(account) == {"attention"}
    cleared = AccountAlert.objects.get(account=account, line="warning")
    assert cleared.state == "cleared" and cleared.cleared_snapshot.maintenance_ratio == D("1.4200")
    price(security, "13.95")  # crosses warning again: a new alert, not a reopened one
    run()
    assert AccountAlert.objects.filter(account=account, line="warning").count() == 2


def test_stress_mode_raises_every_line(account, security, risk_officer):
    price(security, "15.20")
    run()
    assert AccountRisk.objects.get(account=account).level == "normal"
    StressMode.objects.create(points=D("5.00"), set_by=risk_officer)
    run()
    assert AccountRisk.objects.get(account=account).level == "attention"  # 1.52 < 1.55


def test_an_alert_names_the_line_s_value_raised_by_a_stress_mode(account, security, client_profile, risk_officer):
    """142 % is above the contract's warning line (140 %): under a stress mode of 5 points the
    client is told it is below the warning line of 145 %, not left to wonder why."""
    price(security, "16.00")
    run()
    StressMode.objects.create(points=D("5.00"), set_by=risk_officer)
    price(security, "14.20")
    run()
    assert open_alerts(account) == {"attention", "warning"}
    sms = Notification.objects.get(recipient_client=client_profile, event="margin_alert", channel="sms")
    assert "142.00%，已低于警戒线（145.00%）" in sms.body
    client_profile.language = "en"
    client_profile.save()
    price(security, "16.00")  # clear (the ratio above 155 % + band), then cross again in English
    run()
    StressMode.objects.update(lifted_at=THU)
    price(security, "13.90")
    run()
    english = Notification.objects.filter(recipient_client=client_profile, event="margin_alert", channel="sms",
                                          language="en").get()
    assert "139.00%, below the warning line (140.00%)" in english.body


def test_margin_call_opened_raised_and_restored(account, security, client_profile):
    price(security, "16.00")
    run()
    price(security, "13.50")
    run()
    case = Case.objects.get(credit_account=account, kind="margin_call")
    assert (case.state, case.queue.code, case.channel, case.priority) == ("open", "risk", "system", "high")
    call = MarginCall.objects.get(case=case)
    # opened with its amounts: cash 1.40 × 100,000 − 135,000 = 5,000; sell 5,000 / 0.40 = 12,500
    assert (call.stage, call.top_up_cash, call.top_up_sell) == ("outreach", D("5000.00"), D("12500.00"))
    assert call.latest_snapshot == call.opened_snapshot == RatioSnapshot.objects.filter(account=account).latest("id")
    price(security, "13.20")  # still below warning: the open call's amounts follow the ratio
    run()
    call.refresh_from_db()
    assert (call.stage, call.top_up_cash, call.top_up_sell) == ("outreach", D("8000.00"), D("20000.00"))
    assert call.latest_snapshot.maintenance_ratio == D("1.3200") != call.opened_snapshot.maintenance_ratio
    price(security, "12.50")  # below close-out: the same case becomes a margin call with a deadline
    run()
    case.refresh_from_db()
    call = MarginCall.objects.get(case=case)
    assert (case.state, case.priority, call.stage) == ("client_notified", "urgent", "margin_call")
    assert call.deadline == datetime.datetime(2026, 2, 24, 15, tzinfo=SH)  # T+2 across the Spring Festival
    # restore to 140 %: cash 1.40 × 100,000 − 125,000 = 15,000; sell 15,000 / 0.40 = 37,500
    assert (call.top_up_cash, call.top_up_sell) == (D("15000.00"), D("37500.00"))
    notice = Notification.objects.get(recipient_client=client_profile, event="margin_call", channel="sms")
    assert "¥15,000.00" in notice.body and "¥37,500.00" in notice.body and notice.case_id == case.pk
    assert Case.objects.filter(credit_account=account, kind="margin_call").count() == 1
    price(security, "14.30")  # above warning + band: restored, closed with the snapshot
    run()
    case.refresh_from_db()
    call.refresh_from_db()
    assert case.state == "restored" and call.restored_snapshot.maintenance_ratio == D("1.4300")
    names = list(CaseEvent.objects.filter(case=case).values_list("name", flat=True))
    assert names == ["", "margin_call_raised", "notify_client", "restore"]
    restored = Notification.objects.get(recipient_client=client_profile, event="margin_call_restored",
                                        channel="sms")
    assert "维持担保比例已恢复至 143.00%" in restored.body


@pytest.mark.parametrize("language, told", [("zh-hans", "已无负债，追保已解除"),
                                            ("en", "has no liability left. The margin call is closed.")])
def test_a_call_restored_by_repaying_every_liability_says_so_not_a_ratio_of_zero(
        account, security, client_profile, language, told):
    client_profile.language = language
    client_profile.save()
    price(security, "12.00")
    run()
    account.financing_debt = D("0.00")  # the client repaid everything
    account.save()
    run()
    assert Case.objects.get(credit_account=account, kind="margin_call").state == "restored"
    for channel in ("sms", "email"):
        notice = Notification.objects.get(recipient_client=client_profile, event="margin_call_restored",
                                          channel=channel)
        assert told in notice.body and "0.00" not in notice.body and "%" not in notice.body


def test_a_restored_call_shows_the_valuation_that_restored_it(account, security, supervisor, client):
    """The API's case shows the restoring snapshot, with nothing left to top up, and the ratio
    history has the same snapshot (the restore event names it)."""
    price(security, "12.50")
    run()
    price(security, "14.10")  # above the warning line, not by the band: still open
    run()
    price(security, "14.50")
    run()
    case = Case.objects.get(credit_account=account, kind="margin_call")
    client.force_login(supervisor)
    shown = client.get(f"/api/v1/cases/{case.number}/").json()
    call = shown["margin_call"]
    assert shown["state"] == "restored"
    assert (call["maintenance_ratio"], call["level"], call["top_up_cash"], call["top_up_sell"]) == (
        "1.4500", "attention", "0.00", "0.00")
    assert call["opened_by"]["maintenance_ratio"] == "1.2500"
    restored = call["restored_by"]
    assert restored["maintenance_ratio"] == "1.4500"
    assert CaseEvent.objects.get(case=case, name="restore").data == {"snapshot": restored["snapshot"]}
    history = client.get(f"/api/v1/accounts/{account.account_no}/ratio-history/").json()["results"]
    assert history[0]["id"] == restored["snapshot"] and history[0]["maintenance_ratio"] == "1.4500"


def test_the_margin_call_notice_is_written_with_the_query_log_on(account, security, client_profile):
    """`make demo` runs with DEBUG, whose query log formats every statement with its parameters:
    the monitoring's money formatting in SQL (printf's % signs) broke the demo there."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    price(security, "12.50")
    with CaptureQueriesContext(connection):  # the debug cursor, as DEBUG = True
        run()
    notice = Notification.objects.get(recipient_client=client_profile, event="margin_call", channel="sms")
    assert "¥15,000.00" in notice.body and "¥37,500.00" in notice.body


def test_deadline_passed_across_the_holiday(account, security):
    price(security, "12.00")
    run()
    case = Case.objects.get(credit_account=account, kind="margin_call")
    run(datetime.datetime(2026, 2, 24, 14, 59, tzinfo=SH))
    case.refresh_from_db()
    assert case.state == "client_notified"
    run(datetime.datetime(2026, 2, 24, 15, 0, tzinfo=SH))
    case.refresh_from_db()
    assert case.state == "liquidation_pending"  # for the risk officers to decide
    passed = CaseEvent.objects.filter(case=case, name="pass_deadline").get()
    assert (passed.from_value, passed.to_value, passed.actor) == ("client_notified", "liquidation_pending", None)


def test_a_client_who_added_what_the_notice_asked_is_not_sent_to_liquidation(account, security):
    price(security, "12.00")  # ratio 120 %: cash to add C = 1.40 × 100,000 − 120,000 = 20,000
    run()
    call = MarginCall.objects.get(account=account)
    assert call.top_up_cash == D("20000.00")
    account.cash = call.top_up_cash  # the client pays exactly that: the ratio is the restore-to line, 140 %
    account.save()
    run(datetime.datetime(2026, 2, 24, 10, tzinfo=SH))
    call.case.refresh_from_db()
    assert call.case.state == "client_notified"  # not restored: the warning line's band is 142 %
    run(datetime.datetime(2026, 2, 24, 15, 30, tzinfo=SH))
    call.case.refresh_from_db()
    assert call.case.state == "client_notified"  # the deadline passed, but nothing is to be liquidated
    price(security, "11.90")  # back under the restore-to line after the deadline: for the risk officers
    run(datetime.datetime(2026, 2, 25, 10, tzinfo=SH))
    call.case.refresh_from_db()
    assert call.case.state == "liquidation_pending"


@pytest.mark.parametrize("raised_by", ["stress_mode", "contract"])
def test_a_line_raised_after_the_notice_does_not_send_the_client_who_paid_it_to_liquidation(
        api, account, security, client_profile, risk_officer, raised_by):
    """The notice asked for 140 % (C = 20,000); a stress mode, or the contract's own line, then raised
    the call's restore-to line to 150 %, and no new notice said so. The client who paid the 20,000 is
    not handed to the risk officers at the deadline; under the notice's line again, they are."""
    price(security, "12.00")
    run()
    notice = Notification.objects.get(recipient_client=client_profile, event="margin_call", channel="sms")
    assert "¥20,000.00" in notice.body
    if raised_by == "stress_mode":
        StressMode.objects.create(points=D("10.00"), set_by=risk_officer)
    else:
        account.restore_to_line = D("1.5000")
    account.cash = D("20000.00")  # what the notice asked: the ratio is 140 %
    account.save()
    run(datetime.datetime(2026, 2, 24, 10, tzinfo=SH))
    call = MarginCall.objects.get(account=account)
    assert (call.restore_to, call.notice_restore_to, call.top_up_cash) == (D("1.5000"), D("1.4000"), D("10000.00"))
    assert Notification.objects.filter(recipient_client=client_profile, event="margin_call").count() == 2  # no new one
    shown = api.as_user(risk_officer).get(f"/api/v1/cases/{call.case.number}/").json()["margin_call"]
    assert (shown["restore_to"], shown["notice_restore_to"]) == ("1.5000", "1.4000")
    run(datetime.datetime(2026, 2, 24, 15, 5, tzinfo=SH))
    call.case.refresh_from_db()
    assert call.case.state == "client_notified"
    price(security, "11.90")  # under the line the notice asked for: now it passes
    run(datetime.datetime(2026, 2, 25, 10, tzinfo=SH))
    call.case.refresh_from_db()
    assert call.case.state == "liquidation_pending"


def test_an_approved_relief_request_moves_the_deadline(account, security, client_profile, agent, supervisor,
                                                       other_supervisor):
    from cases.services import case_create, case_transition

    price(security, "12.00")
    run()
    call = MarginCall.objects.get(account=account)
    assert call.deadline == datetime.datetime(2026, 2, 24, 15, tzinfo=SH)
    with time_machine.travel(datetime.datetime(2026, 2, 13, 10, tzinfo=SH), tick=False):
        relief = case_create(created_by=client_profile.user, client=client_profile, kind="relief",
                             subject="请求延期补仓", credit_account=account)
        for name, user in (("start_review", agent), ("propose_approval", agent), ("approve", supervisor)):
            relief = case_transition(case=relief, user=user, name=name, comment="疫情隔离，申请延期")
    call.refresh_from_db()
    assert call.deadline == datetime.datetime(2026, 2, 27, 15, tzinfo=SH)  # three trading days later
    assert CaseEvent.objects.filter(case=call.case, name="deadline_moved", data__relief=relief.number).exists()


def test_relief_after_the_deadline_gives_the_call_back_to_the_client(account, security, client_profile, agent,
                                                                     supervisor, risk_officer):
    """Pending liquidation, a liquidation already proposed: an approved relief request withdraws the
    proposal and sends the call back to the client with its new deadline."""
    from cases.services import case_create, case_transition

    price(security, "12.00")
    run()
    run(datetime.datetime(2026, 2, 24, 15, 5, tzinfo=SH))
    call = MarginCall.objects.get(account=account)
    with time_machine.travel(datetime.datetime(2026, 2, 25, 10, tzinfo=SH), tick=False):
        case_transition(case=call.case, user=risk_officer, name="propose_liquidation", comment="未补仓，建议平仓")
        relief = case_create(created_by=client_profile.user, client=client_profile, kind="relief",
                             subject="请求延期补仓", credit_account=account)
        for name, user in (("start_review", agent), ("propose_approval", agent), ("approve", supervisor)):
            relief = case_transition(case=relief, user=user, name=name, comment="客户已承诺补仓")
    call.refresh_from_db()
    case = call.case
    assert (case.state, case.proposed_by, case.proposal) == ("client_notified", None, "")
    assert call.deadline == datetime.datetime(2026, 3, 2, 15, tzinfo=SH)  # 3 trading days after 2-25
    steps = list(CaseEvent.objects.filter(case=case, kind="transition").order_by("id")
                 .values_list("name", "to_value"))
    assert steps[-3:] == [("pass_deadline", "liquidation_pending"), ("propose_liquidation", "liquidation_pending"),
                          ("grant_more_time", "client_notified")]
    run(datetime.datetime(2026, 2, 27, 15, 5, tzinfo=SH))  # the old deadline would have passed long ago
    case.refresh_from_db()
    assert case.state == "client_notified"


def test_an_open_calls_amounts_follow_its_restore_to_line_when_only_the_line_moves(account, security,
                                                                                  risk_officer):
    """A stress mode set or lifted, or the contract's own restore-to line changed, leaves the ratio
    and the level where they were: the call kept the old line and amounts while the account's lines
    on the same case page showed the new one."""
    price(security, "12.50")
    run()
    call = MarginCall.objects.get(account=account)
    assert (call.restore_to, call.top_up_cash, call.top_up_sell) == (D("1.4000"), D("15000.00"), D("37500.00"))
    mode = StressMode.objects.create(points=D("5.00"), set_by=risk_officer)
    run()  # 1.25 is below close-out either way: the same valuation
    call.refresh_from_db()
    # 1.45 × 100,000 − 125,000 = 20,000; 20,000 / 0.45 = 44,444.45 (up to the cent)
    assert (call.restore_to, call.top_up_cash, call.top_up_sell) == (D("1.4500"), D("20000.00"), D("44444.45"))
    # the same ratio, valued again under the moved lines (its open alerts are checked against them)
    assert list(RatioSnapshot.objects.filter(account=account).order_by("id").values_list(
        "maintenance_ratio", "stress_points")) == [(D("1.2500"), D("0.00")), (D("1.2500"), D("5.00"))]
    StressMode.objects.filter(pk=mode.pk).update(lifted_at=THU, lifted_by=risk_officer, is_active=False)
    account.restore_to_line = D("1.5000")
    account.save()
    run()
    call.refresh_from_db()
    assert (call.restore_to, call.top_up_cash, call.top_up_sell) == (D("1.5000"), D("25000.00"), D("50000.00"))
    assert run().run is None  # nothing moved since: nothing changes


def test_the_immediate_line_when_the_contract_has_one(client_profile, security):
    account = CreditAccountFactory(client=client_profile, financing_debt=D("100000.00"), immediate_line=D("1.1500"))
    PositionFactory(account=account, security=security, quantity=10000)
    price(security, "11.40")
    run()
    assert AccountRisk.objects.get(account=account).level == "immediate"
    assert open_alerts(account) == {"attention", "warning", "close_out", "immediate"}


def test_the_account_api_gives_the_lines_the_monitoring_applies_under_a_stress_mode(
        account, security, risk_officer, supervisor, api):
    """The account API gave the contract's lines and a top-up to its restore-to line while the
    margin call on the same account asked for the stress-raised one."""
    price(security, "12.50")
    StressMode.objects.create(points=D("5.00"), set_by=risk_officer)
    run()
    shown = api.as_user(supervisor).get(f"/api/v1/accounts/{account.account_no}/").json()
    assert (shown["lines"]["warning"], shown["monitored_lines"]["warning"]) == ("1.4000", "1.4500")
    assert (shown["stress_points"], shown["monitored_lines"]["restore_to"]) == ("5.00", "1.4500")
    call = MarginCall.objects.get(account=account)
    assert (shown["top_up"]["target"], shown["top_up"]["cash"], shown["top_up"]["sell"]) == (
        str(call.restore_to), str(call.top_up_cash), str(call.top_up_sell))  # 1.4500, 20000.00, 44444.45
    listed = api.as_user(supervisor).get("/api/v1/accounts/").json()["results"]
    assert listed[0]["monitored_lines"]["close_out"] == "1.3500"
    StressMode.objects.update(lifted_at=THU, lifted_by=risk_officer, is_active=False)
    shown = api.as_user(supervisor).get(f"/api/v1/accounts/{account.account_no}/").json()
    assert (shown["stress_points"], shown["monitored_lines"]) == ("0.00", shown["lines"])


@pytest.fixture
def immediate_account(client_profile, security):
    """Debt 100,000; 10,000 shares; an immediate close-out line at 115 %: ratio = price / 10."""
    account = CreditAccountFactory(client=client_profile, financing_debt=D("100000.00"), immediate_line=D("1.1500"))
    PositionFactory(account=account, security=security, quantity=10000)
    return account


def test_below_the_immediate_line_a_call_is_due_at_once_and_the_client_told_so(
        immediate_account, security, client_profile, risk_officer):
    """Below the immediate line the call was given T+2 like any other: the brokers liquidate the same day."""
    from cases.services import available_transitions

    price(security, "16.00")
    run()
    price(security, "11.00")
    outcome = run()
    call = MarginCall.objects.select_related("case").get(account=immediate_account)
    assert (call.stage, call.deadline, call.case.state) == ("margin_call", THU, "liquidation_pending")
    assert (outcome.cases_raised, outcome.deadlines_passed) == (1, 1)
    raised = CaseEvent.objects.get(case=call.case, name="margin_call_raised")
    assert raised.data["level"] == "immediate" and raised.data["deadline"] == THU.isoformat()
    notice = Notification.objects.get(recipient_client=client_profile, event="margin_call", channel="sms")
    assert "紧急追保通知" in notice.subject and "已低于即时平仓线" in notice.body and "今日" in notice.body
    # restore to 140 %: cash 1.40 × 100,000 − 110,000 = 30,000; sell 30,000 / 0.40 = 75,000
    assert "¥30,000.00" in notice.body and "¥75,000.00" in notice.body
    # a risk officer decides now (a second approves), as after any deadline
    assert "propose_liquidation" in {t.name for t in available_transitions(case=call.case, user=risk_officer)}
    assert run().run is None and Notification.objects.filter(event="margin_call").count() == 2  # sms, e-mail


def test_a_call_crossing_the_immediate_line_later_is_brought_forward_once(
        immediate_account, security, client_profile, agent, supervisor):
    from cases.services import case_create, case_transition

    price(security, "12.50")
    run()
    call = MarginCall.objects.select_related("case").get(account=immediate_account)
    assert call.deadline == datetime.datetime(2026, 2, 24, 15, tzinfo=SH)  # T+2 across the Spring Festival
    later = THU + datetime.timedelta(hours=1)
    price(security, "11.20")
    outcome = run(later)
    call.refresh_from_db(), call.case.refresh_from_db()
    assert (outcome.deadlines_brought_forward, call.deadline, call.case.state) == (1, later, "liquidation_pending")
    moved = CaseEvent.objects.get(case=call.case, name="deadline_moved")
    assert (moved.from_value, moved.to_value) == ("2026-02-24T15:00:00+08:00", later.isoformat())
    urgent = Notification.objects.filter(recipient_client=client_profile, event="margin_call", channel="sms")
    assert [("紧急" in n.subject) for n in urgent.order_by("id")] == [False, True]
    # A relief approved now gives the time; a later valuation still below the line keeps it.
    with time_machine.travel(later, tick=False):
        relief = case_create(created_by=client_profile.user, client=client_profile, kind="relief",
                             subject="请求延期补仓", credit_account=immediate_account)
        for name, user in (("start_review", agent), ("propose_approval", agent), ("approve", supervisor)):
            relief = case_transition(case=relief, user=user, name=name, comment="正在筹款")
    call.refresh_from_db(), call.case.refresh_from_db()
    assert (call.deadline, call.case.state) == (datetime.datetime(2026, 2, 25, 15, tzinfo=SH), "client_notified")
    price(security, "11.10")
    assert run(later + datetime.timedelta(hours=1)).deadlines_brought_forward == 0
    call.refresh_from_db()
    assert call.deadline == datetime.datetime(2026, 2, 25, 15, tzinfo=SH)


def test_liquidation_after_the_deadline_needs_two_risk_officers(account, security, risk_officer,
                                                               other_risk_officer):
    from cases.services import case_transition
    from servicedesk.errors import NotAllowed

    price(security, "12.00")
    run()
    run(datetime.datetime(2026, 2, 24, 15, 5, tzinfo=SH))
    case = Case.objects.get(credit_account=account, kind="margin_call")
    assert case.state == "liquidation_pending"
    case = case_transition(case=case, user=risk_officer, name="propose_liquidation", comment="未补仓，建议平仓")
    with pytest.raises(NotAllowed):
        case_transition(case=case, user=risk_officer, name="approve_liquidation")
    case = case_transition(case=case, user=other_risk_officer, name="approve_liquidation")
    assert (case.state, case.proposed_by, case.approved_by) == ("liquidated", risk_officer, other_risk_officer)


def test_the_risk_officers_are_told_of_each_call_past_its_deadline_once(account, security, risk_officer,
                                                                         other_risk_officer, agent):
    """A call passed its deadline silently: the risk officers learnt of it only from the risk page."""
    from notifications.serializers import notice_text

    other_risk_officer.preferred_language = "en"
    other_risk_officer.save()
    price(security, "12.00")
    run()
    passed_at = datetime.datetime(2026, 2, 24, 15, 5, tzinfo=SH)
    run(passed_at)
    case = Case.objects.get(credit_account=account, kind="margin_call")
    told = Notification.objects.filter(event="liquidation_decision_due")
    assert sorted(told.values_list("recipient_user__username", "channel", "case")) == sorted(
        [(risk_officer.username, "in_app", case.pk), (other_risk_officer.username, "in_app", case.pk)])
    zh_subject, zh_body = notice_text(told.get(recipient_user=risk_officer), {})
    en_subject, en_body = notice_text(told.get(recipient_user=other_risk_officer), {})
    assert zh_subject == f"{case.number}：追保已过截止时间，待决定强制平仓" and account.account_no in zh_body
    assert en_subject == f"{case.number}: margin call past its deadline, liquidation to decide"
    assert "One risk officer decides on forced liquidation; another approves or declines it." in en_body
    price(security, "11.90")
    run(passed_at + datetime.timedelta(minutes=5))  # still pending: nobody is told again
    assert told.count() == 2


def test_the_visit_after_a_liquidation_closes_the_call_and_the_account_may_have_one_again(
        account, security, risk_officer, other_risk_officer, agent):
    """The liquidated call stayed open for good (the visit's outcome moved nothing), and the
    one-open-call index then kept the account from ever having a margin call again."""
    from cases.models import ReturnVisit
    from cases.services import case_transition
    from cases.services.visits import return_visit_complete

    price(security, "12.00")
    run()
    run(datetime.datetime(2026, 2, 24, 15, 5, tzinfo=SH))
    case = Case.objects.get(credit_account=account, kind="margin_call")
    case = case_transition(case=case, user=risk_officer, name="propose_liquidation", comment="未补仓，建议平仓")
    case_transition(case=case, user=other_risk_officer, name="approve_liquidation")
    price(security, "15.00")  # part of the positions sold, the debt partly repaid
    run(datetime.datetime(2026, 2, 25, 10, tzinfo=SH))
    visit = ReturnVisit.objects.get(case=case)
    with time_machine.travel(datetime.datetime(2026, 2, 26, 10, tzinfo=SH), tick=False):
        return_visit_complete(visit=visit, user=agent, outcome="客户已知悉平仓结果", reached=True)
    case.refresh_from_db()
    assert case.state == "closed"
    assert list(case.events.filter(kind="transition").order_by("id").values_list("name", "comment"))[-2:] == [
        ("schedule_return_visit", ""), ("close", "客户已知悉平仓结果")]
    price(security, "12.50")  # the market falls again
    run(datetime.datetime(2026, 2, 27, 10, tzinfo=SH))
    calls = Case.objects.filter(credit_account=account, kind="margin_call").order_by("id")
    assert [call.state for call in calls] == ["closed", "client_notified"]


def test_every_price_import_revalues_the_accounts(account, security, tmp_path):
    from django.core.management import call_command

    feed = tmp_path / "prices.csv"
    as_of = (security.price_as_of + datetime.timedelta(minutes=5)).isoformat()
    feed.write_text(f"symbol,price,as_of\n{security.symbol},12.80,{as_of}\n", encoding="utf-8")
    call_command("import_prices", str(feed), stdout=open(tmp_path / "out.txt", "w"))
    risk = AccountRisk.objects.get(account=account)
    assert (risk.maintenance_ratio, risk.level) == (D("1.2800"), "close_out")
    assert Case.objects.filter(credit_account=account, kind="margin_call", state="client_notified").exists()


def test_the_database_allows_one_active_stress_mode(risk_officer):
    from django.db import IntegrityError, transaction

    StressMode.objects.create(points=D("3"), set_by=risk_officer)
    with pytest.raises(IntegrityError), transaction.atomic():
        StressMode.objects.create(points=D("5"), set_by=risk_officer)


def test_setting_stress_mode_revalues_at_once(account, security, risk_officer, django_capture_on_commit_callbacks):
    from risk.stress import stress_mode_set

    price(security, "15.20")
    run()
    with django_capture_on_commit_callbacks(execute=True):
        stress_mode_set(user=risk_officer, points=D("5.00"), reason="市场剧烈波动")
    assert AccountRisk.objects.get(account=account).level == "attention"


def test_lifting_stress_mode_clears_an_alert_and_restores_a_call_whose_level_stays_the_same(
        account, security, risk_officer, django_capture_on_commit_callbacks):
    """Under 5 points of stress the ratio fell below the raised warning line (1.45) and came back to
    1.46, within the band. Lifted, the warning line is 1.40: 1.46 clears it by the band, though the
    account stays at the attention level and its valuation did not move."""
    from risk.stress import stress_mode_lift, stress_mode_set

    price(security, "15.00")
    run()
    with django_capture_on_commit_callbacks(execute=True):
        stress_mode_set(user=risk_officer, points=D("5.00"), reason="市场剧烈波动")
    price(security, "14.40")
    run()
    price(security, "14.60")
    run()
    assert open_alerts(account) == {"attention", "warning"}
    call = MarginCall.objects.get(account=account)
    with django_capture_on_commit_callbacks(execute=True):
        stress_mode_lift(user=risk_officer)
    assert open_alerts(account) == {"attention"}
    call.case.refresh_from_db()
    assert call.case.state == "restored"
    assert RatioSnapshot.objects.filter(account=account).latest("id").stress_points == 0
    assert run().run is None  # and the next run on the same prices changes nothing


def test_the_run_monitoring_command(account, security):
    import io

    from django.core.management import call_command
    from django.utils import translation

    price(security, "12.50")
    out = io.StringIO()
    with translation.override("en"):
        call_command("run_monitoring", stdout=out)
    assert "1 account(s) changed" in out.getvalue() and "1 opened, 1 raised" in out.getvalue()


def test_a_margin_call_is_open_in_every_state_but_the_closed_ones():
    """risk.margin_calls.open_call states "open" as the one-open-call index does (not closed);
    it must mean the same as OPEN_STATES, which the console and the portal filter by."""
    from cases.models import Case, CaseKind
    from cases.models.case import MARGIN_CALL_CLOSED_STATES as CLOSED_STATES
    from cases.models.workflows import CLOSED_STATES as WORKFLOW_CLOSED_STATES
    from cases.models.workflows import MarginCallCase
    from risk.margin_calls import OPEN_STATES

    assert set(MarginCallCase.State.values) == set(OPEN_STATES) | set(CLOSED_STATES)
    assert not set(OPEN_STATES) & set(CLOSED_STATES)
    assert set(CLOSED_STATES) == WORKFLOW_CLOSED_STATES[CaseKind.MARGIN_CALL]
    constraint = next(c for c in Case._meta.constraints if c.name == "case_one_open_margin_call")
    kind, not_closed = constraint.condition.children
    assert kind == ("kind", "margin_call")
    assert not_closed.negated and not_closed.children == [("state__in", list(CLOSED_STATES))]


def test_a_call_due_at_once_is_not_told_twice_in_the_run_that_raised_it(
        immediate_account, security, client_profile, risk_officer):
    """Below the immediate line the call is raised and passes its deadline (now) in one run: its
    urgent notice says the position may be liquidated today. The same run sent a second SMS and
    e-mail, 'deadline passed', for the deadline that notice had just set."""
    price(security, "16.00")
    run()
    price(security, "11.00")
    run()
    told = Notification.objects.filter(recipient_client=client_profile, event__startswith="margin_call")
    assert sorted(told.values_list("event", "channel")) == [("margin_call", "email"), ("margin_call", "sms")]


def test_the_monitorings_notices_name_the_client_where_the_template_greets_them(account, security, client_profile):
    """`{{ client_name }}` / `{{ client_no }}` are placeholders of every notice (the admin offers them, its
    preview fills them in): the alerts and margin calls the monitoring writes for many clients at once
    greet each client by name, not "尊敬的：", and a margin call's text names its case."""
    from notifications.models import NotificationTemplate

    client_profile.name, client_profile.client_no = "王小明", "C900001"
    client_profile.save()
    NotificationTemplate.objects.filter(event="margin_alert", language="zh-hans").update(
        body="尊敬的{{ client_name }}（{{ client_no }}）：信用账户 {{ account_no }} 维持担保比例为 {{ ratio }}%。")
    NotificationTemplate.objects.filter(event="margin_call", language="zh-hans").update(
        body="尊敬的{{ client_name }}：{{ case_number }} 请于 {{ deadline }} 前追加现金 {{ cash }}。")
    price(security, "16.00")
    run()
    price(security, "14.50")  # below attention
    run()
    alert = Notification.objects.get(recipient_client=client_profile, event="margin_alert", channel="sms")
    assert alert.body == f"尊敬的王小明（C900001）：信用账户 {account.account_no} 维持担保比例为 145.00%。"
    price(security, "12.50")  # below close-out: a margin call
    run()
    call = Notification.objects.get(recipient_client=client_profile, event="margin_call", channel="sms")
    assert call.body.startswith(f"尊敬的王小明：{call.case.number} 请于 ") and "¥15,000.00" in call.body


def test_a_client_with_no_e_mail_and_no_phone_is_on_the_record_as_not_told_of_the_margin_call(
        account, security, client_profile):
    """The monitoring wrote nothing for such a client: the margin call showed no notice at all, as if
    the firm had never tried. Now each notice keeps one e-mail, given up by the outbox with the reason
    (on the case's timeline), so the firm can show why the client was not told in writing."""
    from notifications.delivery import notifications_resend
    from notifications.policy import NO_CONTACT

    client_profile.email = client_profile.phone = ""
    client_profile.save()
    price(security, "16.00")
    run()
    price(security, "12.50")  # below close-out: alerts, and a margin call with a deadline
    run()
    call = MarginCall.objects.get(account=account)
    notices = Notification.objects.filter(recipient_client=client_profile)
    assert sorted(notices.values_list("event", "channel", "address")) == [
        ("margin_alert", "email", ""), ("margin_call", "email", "")]
    with time_machine.travel(THU, tick=False):
        assert notifications_resend() == 2
    assert set(notices.values_list("status", "error", "attempts")) == {("gave_up", NO_CONTACT, 0)}
    told = CaseEvent.objects.get(case=call.case, kind="notification")
    assert (told.name, told.to_value) == ("margin_call", "gave_up")
