"""Each kind's lifecycle end to end through the REST API, as PRODUCT.md's workflows state them,
each step taken by the role that takes it; at every step the state, the transitions allowed, the
audit trail, the SLA timers, the notices recorded and the client's view (no staff fields)."""

import datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from cases.models import ReturnVisit
from notifications.models import Notification
from risk.monitoring import monitor_accounts
from tests.factories import CreditAccountFactory, PositionFactory, SecurityFactory, queue, without_quiet_hours

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
WED = datetime.datetime(2026, 11, 25, 10, tzinfo=SH)  # a working and trading day
HOUR = datetime.timedelta(hours=1)
STAFF_FIELDS = {"queue", "assignee", "created_by", "proposed_by", "proposed_outcome", "approved_by", "sla",
                "client_tier", "escalated_at"}


def url(number, tail=""):
    return f"/api/v1/cases/{number}/{tail}"


def step(api, user, number, name, comment="", status=200):
    response = api.as_user(user).post(url(number, f"transitions/{name}/"), {"comment": comment}, format="json",
                                      HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == status, response.data
    return response.data


def allowed(api, user, number):
    return sorted(t["name"] for t in api.as_user(user).get(url(number, "transitions/")).data)


def detail(api, user, number):
    return api.as_user(user).get(url(number)).data


def timers(api, user, number):
    return {t["metric"]: t for t in detail(api, user, number)["sla"]}


def last_event(api, user, number):
    event = api.as_user(user).get(url(number, "events/")).data[-1]
    return event["kind"], event["name"], event["actor"], event["from_value"], event["to_value"], event["comment"]


def told(number, event):
    """The notices of `event` recorded for the case's client: (channel, language), in order."""
    return [(n.channel, n.language) for n in Notification.objects.filter(
        case__number=number, event=event, recipient_client__isnull=False).order_by("id")]


def client_view(api, client, number):
    """What the client reads of the case: never a staff field, an actor or a comment."""
    case = detail(api, client, number)
    assert not STAFF_FIELDS & set(case)
    events = api.as_user(client).get(url(number, "events/")).data
    assert all("actor" not in event and "comment" not in event for event in events)
    return case


def client_numbers(api, user, state):
    return [row["number"] for row in api.as_user(user).get("/api/v1/cases/", {"state": state}).data["results"]]


def client_names(api, client, number):
    return [event["name"] for event in api.as_user(client).get(url(number, "events/")).data]


def test_ticket_new_open_waiting_resolved_reopened_closed(api, client, client_profile, agent):
    user = client_profile.user
    without_quiet_hours(client_profile)
    with time_machine.travel(WED, tick=False):
        number = api.as_user(user).post("/api/v1/cases/", {"kind": "ticket", "subject": "手续费", "category": "fees"},
                                        format="json").data["number"]
        assert client_view(api, user, number)["state"] == "new"
        assert (allowed(api, user, number), allowed(api, agent, number)) == (["cancel"], ["cancel", "open"])
        assert told(number, "case_created") == [("email", "zh-hans")]
        step(api, agent, number, "open")
        assert detail(api, agent, number)["assignee"] == agent.username
        step(api, agent, number, "wait_on_client", "请提供十月对账单")
        sla = timers(api, agent, number)
        assert (sla["resolution"]["state"], sla["resolution"]["pause_reason"]) == ("paused", "waiting_on_client")
        assert sla["first_response"]["state"] == "running"  # never paused: the client has no answer yet
        notice = Notification.objects.get(case__number=number, event="case_state_changed", channel="email")
        assert "请提供十月对账单" in notice.body and notice.recipient_client == client_profile
        step(api, agent, number, "cancel", "x", status=409)  # cancel only from new or open
    with time_machine.travel(WED + 2 * HOUR, tick=False):
        api.as_user(user).post(url(number, "messages/"), {"body": "已上传"}, format="json")
        assert last_event(api, agent, number) == ("transition", "resume", None, "waiting_on_client", "open",
                                                  "客户已回复。")
        sla = timers(api, agent, number)
        assert sla["resolution"]["state"] == sla["next_response"]["state"] == "running"
        api.as_user(agent).post(url(number, "messages/"), {"body": "按合同收取"}, format="json")
        sla = timers(api, agent, number)
        assert sla["first_response"]["state"] == sla["next_response"]["state"] == "met"
        step(api, agent, number, "resolve", "已解释")
        assert timers(api, agent, number)["resolution"]["state"] == "met"
        assert allowed(api, user, number) == ["close", "reopen"]
        assert [channel for channel, _language in told(number, "rating_request")] == ["email", "sms", "in_app"]
    with time_machine.travel(WED + datetime.timedelta(days=3), tick=False):
        step(api, user, number, "reopen", "还是不明白")
        assert client_view(api, user, number)["resolved_at"] is None
        sla = timers(api, agent, number)
        assert (sla["resolution"]["cycle"], sla["resolution"]["state"]) == (2, "running")
        step(api, agent, number, "resolve", "再次解释")
    resolved_at = datetime.datetime.fromisoformat(detail(api, agent, number)["resolved_at"])
    with time_machine.travel(resolved_at + datetime.timedelta(days=7, minutes=1), tick=False):
        assert allowed(api, user, number) == allowed(api, agent, number) == ["close"]
        refused = step(api, user, number, "reopen", "再看看", status=409)
        assert refused["allowed"] == ["close"] and "7 days" in refused["detail"]
        # Nobody can reopen it now: a reply would land where no one works it.
        response = api.as_user(user).post(url(number, "messages/"), {"body": "还在吗"}, format="json",
                                          HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 409 and "submit a new request" in response.data["detail"]
        client.force_login(user)
        page = client.post(f"/portal/cases/{number}/reply/", {"body": "还在吗"}, HTTP_ACCEPT_LANGUAGE="en")
        assert page.status_code == 409
        assert not client_profile.cases.get(number=number).messages.filter(body="还在吗").exists()
        step(api, user, number, "close")
        assert client_view(api, user, number)["state"] == "closed" and allowed(api, user, number) == []


def test_ticket_cancelled_from_new_by_the_client_and_from_open_by_an_agent(api, client_profile, agent):
    user = client_profile.user
    with time_machine.travel(WED, tick=False):
        first, second = (api.as_user(user).post("/api/v1/cases/", {"kind": "ticket", "subject": subject},
                                                format="json").data["number"] for subject in ("一", "二"))
        step(api, user, first, "cancel", "不需要了")
        step(api, agent, second, "open")
        step(api, agent, second, "cancel", "重复")
    for number in (first, second):
        case = client_view(api, user, number)
        assert (case["state"], allowed(api, agent, number)) == ("cancelled", [])
        assert case["closed_at"] is not None and case["resolved_at"] is None
        assert {t["state"] for t in timers(api, agent, number).values()} == {"cancelled"}  # stopped, none met
    assert told(first, "case_state_changed") == []  # the client cancelled it: nothing to tell them
    assert [channel for channel, _language in told(second, "case_state_changed")] == ["email", "in_app"]


def test_dispute_rejected_reinvestigated_then_referred_to_mediation_and_closed(
        api, client_profile, credit_account, agent, supervisor, other_supervisor):
    user = client_profile.user
    with time_machine.travel(WED, tick=False):
        created = api.as_user(agent).post("/api/v1/cases/", {
            "kind": "dispute", "subject": "利息多收", "category": "interest_fee", "client": client_profile.client_no,
            "credit_account": credit_account.account_no, "channel": "12386"}, format="json").data
        number = created["number"]
        assert (created["state"], created["channel"], created["queue"]) == ("received", "12386", "disputes")
        sla = timers(api, agent, number)
        assert sla["regulatory_ack"]["due_at"] == "2026-11-26T10:00:00+08:00"  # 1 working day
        assert sla["regulatory_final"]["due_at"] == "2026-12-16T10:00:00+08:00"  # 15 working days
        assert (allowed(api, agent, number), allowed(api, user, number)) == (["acknowledge"], [])
        step(api, agent, number, "acknowledge")
        assert timers(api, agent, number)["regulatory_ack"]["state"] == "met"
        assert [channel for channel, _language in told(number, "case_state_changed")] == ["email", "in_app"]
        step(api, agent, number, "investigate")
        step(api, agent, number, "propose_resolution", "退还利息 120.00 元")
        assert allowed(api, agent, number) == [] and allowed(api, user, number) == []
        # Not news before a supervisor approves: for the client the dispute is still investigated,
        # and the proposal step is not in their audit trail (as on the portal).
        seen = client_view(api, user, number)
        assert (seen["proposal"], seen["state"], seen["state_label"]) == ("", "investigating", "调查中")
        listed = api.as_user(user).get("/api/v1/cases/", HTTP_ACCEPT_LANGUAGE="en").data["results"]
        assert [(row["number"], row["state"]) for row in listed] == [(number, "investigating")]
        assert client_numbers(api, user, "investigating") == [number]
        assert client_numbers(api, user, "resolution_proposed") == []
        assert client_numbers(api, agent, "resolution_proposed") == [number]
        assert "propose_resolution" not in client_names(api, user, number)
        assert detail(api, agent, number)["state"] == "resolution_proposed"
        assert len(told(number, "case_state_changed")) == 2  # nothing told of the proposal
        assert step(api, agent, number, "approve_resolution", status=403)["code"] == "permission_denied"
        assert allowed(api, supervisor, number) == ["approve_resolution", "return_for_rework"]
    with time_machine.travel(WED + HOUR, tick=False):
        step(api, supervisor, number, "approve_resolution")
        assert last_event(api, agent, number)[:3] == ("approval", "approve_resolution", supervisor.username)
        sla = timers(api, agent, number)
        assert sla["regulatory_final"]["state"] == "met"  # the final response is sent
        assert sla["resolution"]["state"] == sla["periodic_update"]["state"] == "paused"  # the client's turn
        seen = client_view(api, user, number)
        assert (seen["proposal"], seen["state"]) == ("退还利息 120.00 元", "resolution_proposed")
        assert client_names(api, user, number)[-1] == "approve_resolution"
        assert client_numbers(api, user, "resolution_proposed,closed") == [number]
        assert client_numbers(api, user, "investigating") == []
        assert allowed(api, user, number) == ["accept", "reject"]
        step(api, user, number, "reject", "太少")
        assert timers(api, agent, number)["resolution"]["state"] == "running"
        assert allowed(api, agent, number) == ["refer_to_mediation", "reinvestigate"]
        step(api, agent, number, "reinvestigate")
        assert client_view(api, user, number)["proposal"] == ""  # the approval is gone with it
        step(api, supervisor, number, "propose_resolution", "退还利息 300.00 元")
        step(api, other_supervisor, number, "return_for_rework", "补充说明")  # sent back: staff's own business
        assert "return_for_rework" not in client_names(api, user, number)
        step(api, supervisor, number, "propose_resolution", "退还利息 300.00 元")
        step(api, supervisor, number, "approve_resolution", status=403)  # never one's own proposal
        step(api, other_supervisor, number, "approve_resolution")
        step(api, user, number, "reject", "仍不同意")
        step(api, agent, number, "refer_to_mediation", "已转 12386")
        assert all(t["state"] in ("met", "breached") for t in timers(api, agent, number).values())
        assert allowed(api, user, number) == [] and allowed(api, agent, number) == ["close"]
        step(api, agent, number, "close")
    case = client_view(api, user, number)
    assert case["state"] == "closed" and case["resolved_at"] == case["closed_at"]
    told_steps = [n.data["transition"] for n in Notification.objects.filter(
        case__number=number, event="case_state_changed", channel="email").order_by("id")]
    assert told_steps == ["acknowledge", "approve_resolution", "approve_resolution", "refer_to_mediation", "close"]
    assert ReturnVisit.objects.filter(case__number=number, reason="dispute_resolved").count() == 1
    assert len(told(number, "rating_request")) == 3  # e-mail, SMS and in-app, once


@pytest.fixture
def maturing_account(client_profile):
    """Inside the extension window (10 days to maturity), interest paid, no debt."""
    return CreditAccountFactory(client=client_profile,
                                contract_maturity=timezone.localdate() + datetime.timedelta(days=10))


def test_extension_approved_by_a_second_person_moves_the_maturity_and_tells_the_client(
        api, client_profile, maturing_account, agent, supervisor):
    user, old = client_profile.user, maturing_account.contract_maturity
    asked = old + datetime.timedelta(days=30)
    number = api.as_user(user).post("/api/v1/cases/", {
        "kind": "extension", "subject": "展期", "credit_account": maturing_account.account_no,
        "requested_maturity": asked.isoformat()}, format="json").data["number"]
    assert allowed(api, agent, number) == ["start_review"] and allowed(api, user, number) == []
    step(api, agent, number, "start_review")
    assert allowed(api, agent, number) == ["propose_approval", "propose_decline"]
    step(api, agent, number, "propose_approval", "条件均满足")
    assert allowed(api, agent, number) == [] and allowed(api, supervisor, number) == ["approve", "decline",
                                                                                   "return_for_rework"]
    step(api, agent, number, "approve", status=403)
    step(api, supervisor, number, "approve")
    maturing_account.refresh_from_db()
    assert maturing_account.contract_maturity == asked
    case = client_view(api, user, number)
    assert (case["state"], case["proposal"]) == ("approved", "")
    assert case["request_details"]["contract_changes"][0]["new_value"] == asked.isoformat()
    assert {t["state"] for t in timers(api, agent, number).values()} <= {"met", "breached"}
    notices = Notification.objects.filter(case__number=number, event="request_approved").order_by("id")
    assert [(n.channel, n.language) for n in notices] == [("email", "zh-hans"), ("sms", "zh-hans"),
                                                          ("in_app", "zh-hans")]
    assert f"{asked.year}年{asked.month}月{asked.day}日" in notices[0].body


def test_extension_declined_keeps_the_maturity_and_tells_the_client(
        api, client_profile, maturing_account, agent, supervisor):
    user, old = client_profile.user, maturing_account.contract_maturity
    number = api.as_user(user).post("/api/v1/cases/", {
        "kind": "extension", "subject": "展期", "credit_account": maturing_account.account_no},
        format="json").data["number"]
    step(api, agent, number, "start_review")
    step(api, agent, number, "propose_decline", "已多次展期")
    step(api, supervisor, number, "decline", "已多次展期")
    maturing_account.refresh_from_db()
    assert maturing_account.contract_maturity == old
    assert client_view(api, user, number)["state"] == "declined"
    assert last_event(api, agent, number)[:5] == ("approval", "decline", supervisor.username, "under_review",
                                                  "declined")
    assert told(number, "request_declined") == [("email", "zh-hans"), ("sms", "zh-hans"), ("in_app", "zh-hans")]


@pytest.fixture
def security():
    return SecurityFactory(price=D("16.00"))


@pytest.fixture
def margin_account(client_profile, security, agent):
    """Debt 100,000; 10,000 shares: the ratio is price / 10. The agent works the risk queue too."""
    queue("risk").members.add(agent)
    account = CreditAccountFactory(client=client_profile, financing_debt=D("100000.00"))
    PositionFactory(account=account, security=security, quantity=10000)
    return account


def priced(security, value, at):
    security.price = D(value)
    security.save()
    with time_machine.travel(at, tick=False):
        monitor_accounts(trigger="test")


def test_margin_call_outreach_notified_raised_and_restored(api, client_profile, margin_account, security, agent):
    user = client_profile.user
    without_quiet_hours(client_profile)
    priced(security, "13.50", WED)  # below the warning line: outreach, no deadline
    number = margin_account.margin_calls.get().case.number
    case = client_view(api, user, number)
    assert (case["state"], case["margin_call"]["stage"], case["margin_call"]["deadline"]) == ("open", "outreach", None)
    assert allowed(api, agent, number) == ["notify_client"] and allowed(api, user, number) == []
    with time_machine.travel(WED, tick=False):
        step(api, agent, number, "notify_client")  # the agent called the client
    priced(security, "12.00", WED + HOUR)  # below the close-out line: the same case, now with a deadline
    call = client_view(api, user, number)["margin_call"]
    assert (call["stage"], call["deadline"], call["top_up_cash"]) == (
        "margin_call", "2026-11-27T15:00:00+08:00", "20000.00")  # T+2 close; C = 1.40 × 100,000 − 120,000
    assert told(number, "margin_call") == [("sms", "zh-hans"), ("email", "zh-hans")]
    priced(security, "14.20", WED + 2 * HOUR)  # back above the warning line by the band
    case = client_view(api, user, number)
    assert case["state"] == "restored" and case["closed_at"] is not None and allowed(api, agent, number) == []
    assert last_event(api, agent, number)[:5] == ("transition", "restore", None, "client_notified", "restored")
    assert [channel for channel, _language in told(number, "margin_call_restored")] == ["sms", "email"]


def test_margin_call_deadline_passed_liquidated_by_two_risk_officers_visited_and_closed(
        api, client_profile, margin_account, security, agent, risk_officer, other_risk_officer):
    user = client_profile.user
    priced(security, "12.00", WED)
    number = margin_account.margin_calls.get().case.number
    priced(security, "11.90", datetime.datetime(2026, 11, 27, 15, 1, tzinfo=SH))  # after the deadline
    assert client_view(api, user, number)["state"] == "liquidation_pending"
    assert last_event(api, agent, number)[:5] == ("transition", "pass_deadline", None, "client_notified",
                                                  "liquidation_pending")
    # the client is told at once that the deadline passed and liquidation may follow
    assert told(number, "margin_call_deadline_passed") == [("sms", "zh-hans"), ("email", "zh-hans")]
    sms = Notification.objects.get(case__number=number, event="margin_call_deadline_passed", channel="sms")
    assert margin_account.account_no in sms.body and "截止时间已过" in sms.body and "强制平仓" in sms.body
    assert allowed(api, agent, number) == [] and allowed(api, risk_officer, number) == ["propose_liquidation"]
    step(api, risk_officer, number, "propose_liquidation", "卖出全部持仓")
    assert allowed(api, risk_officer, number) == []
    step(api, risk_officer, number, "approve_liquidation", status=403)  # four eyes
    step(api, other_risk_officer, number, "decline_liquidation", "客户正在转入资金")
    case = detail(api, agent, number)
    assert (case["state"], case["proposed_by"], case["proposal"]) == ("liquidation_pending", None, "")
    step(api, risk_officer, number, "propose_liquidation", "资金未到账，卖出")
    step(api, other_risk_officer, number, "approve_liquidation")
    case = client_view(api, user, number)
    assert (case["state"], case["proposal"]) == ("liquidated", "")
    assert [channel for channel, _language in told(number, "case_state_changed")] == ["sms", "email", "in_app"]
    assert ReturnVisit.objects.filter(case__number=number, reason="liquidation").count() == 1
    assert allowed(api, agent, number) == ["schedule_return_visit"]
    step(api, agent, number, "schedule_return_visit")
    step(api, agent, number, "close", "已回访")
    assert client_view(api, user, number)["state"] == "closed" and allowed(api, agent, number) == []
