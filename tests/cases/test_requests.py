"""Extension and relief requests end to end: each approval condition, four eyes, what an approval
changes, and the client told the outcome."""

import datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.roles import Role
from cases.models import Case, CaseEvent, ContractChange, RequestDetails
from cases.models.request_conditions import (
    debt_to_stage,
    interest_paid,
    margin_call_to_relieve,
    no_open_margin_call,
    ratio_above_extension_line,
    within_extension_window,
)
from cases.models.workflows import CONDITION_REASONS
from cases.services import case_create, case_transition
from notifications.models import Notification
from risk.models import MarginCall
from risk import stress
from risk.monitoring import monitor_accounts
from servicedesk.errors import Conflict
from tests.factories import CreditAccountFactory, PositionFactory, SecurityFactory, UserFactory

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
THU = datetime.datetime(2026, 2, 12, 10, tzinfo=SH)  # Thursday before the Spring Festival
TODAY = THU.date()


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(THU, tick=False):
        yield


@pytest.fixture
def security(frozen_time):
    return SecurityFactory(price=D("20.00"))


@pytest.fixture
def account(client_profile, security):
    """Eligible for an extension: matures in 10 days, interest paid, debt 100,000 against 10,000
    shares at 20.00 (a ratio of 200 %, the ratio is price / 10), no margin call."""
    account = CreditAccountFactory(client=client_profile, financing_debt=D("100000.00"),
                                   contract_maturity=TODAY + datetime.timedelta(days=10))
    PositionFactory(account=account, security=security, quantity=10000)
    return account


def set_price(security, value):
    security.price = D(value)
    security.save()


def open_margin_call(security, account) -> MarginCall:
    """Price 12.00: a ratio of 120 %, below the close-out line: the monitoring opens a margin call."""
    set_price(security, "12.00")
    monitor_accounts(trigger="test")
    return MarginCall.objects.get(account=account)


def new_request(api, client_profile, account, kind="extension", **extra):
    response = api.as_user(client_profile.user).post("/api/v1/cases/", {
        "kind": kind, "subject": "申请", "credit_account": account.account_no, **extra}, format="json")
    assert response.status_code == 201, response.data
    return response.data["number"]


def step(api, user, number, name, comment="说明"):
    return api.as_user(user).post(f"/api/v1/cases/{number}/transitions/{name}/", {"comment": comment}, format="json")


def under_review(api, client_profile, account, agent, kind="extension", **extra):
    number = new_request(api, client_profile, account, kind, **extra)
    assert step(api, agent, number, "start_review").status_code == 200
    return number


def refused_because(response, condition) -> bool:
    return response.status_code == 409 and str(CONDITION_REASONS[condition]) in response.data["detail"]


# --- extension: each condition ---------------------------------------------------------------------

def test_all_conditions_met_approval_extends_the_maturity_by_six_months(api, client_profile, account, agent,
                                                                        supervisor):
    number = under_review(api, client_profile, account, agent)
    assert step(api, agent, number, "propose_approval").status_code == 200
    response = step(api, supervisor, number, "approve")
    assert response.status_code == 200 and response.data["state"] == "approved"
    account.refresh_from_db()
    assert account.contract_maturity == datetime.date(2026, 8, 22)  # 2026-02-22 + 6 months
    change = ContractChange.objects.get(account=account)
    assert (change.field, change.old_value, change.new_value, change.case.number, change.changed_by) == (
        "contract_maturity", "2026-02-22", "2026-08-22", number, supervisor)
    assert response.data["request_details"]["contract_changes"][0]["new_value"] == "2026-08-22"
    assert CaseEvent.objects.filter(case__number=number).latest("id").name == "approve"


def test_the_maturity_moves_to_the_month_end_when_the_month_is_shorter(api, client_profile, account, agent,
                                                                       supervisor):
    with time_machine.travel(datetime.datetime(2025, 8, 20, 10, tzinfo=SH), tick=False):
        account.contract_maturity = datetime.date(2025, 8, 31)
        account.save()
        number = under_review(api, client_profile, account, agent)
        step(api, agent, number, "propose_approval")
        assert step(api, supervisor, number, "approve").status_code == 200
    account.refresh_from_db()
    assert account.contract_maturity == datetime.date(2026, 2, 28)


def mature_in(account, days):
    account.contract_maturity = TODAY + datetime.timedelta(days=days)
    account.save()


@pytest.mark.parametrize("maturity_in_days", [16, 40, -1])
def test_a_request_outside_the_fifteen_days_before_maturity_is_not_accepted(api, client_profile, account,
                                                                            maturity_in_days):
    mature_in(account, maturity_in_days)
    response = api.as_user(client_profile.user).post("/api/v1/cases/", {
        "kind": "extension", "subject": "申请展期", "credit_account": account.account_no}, format="json",
        headers={"accept-language": "en"})
    assert response.status_code == 400
    assert "15 calendar days before the contract matures" in response.data["credit_account"][0]
    assert not Case.objects.filter(kind="extension").exists()


@pytest.mark.parametrize("maturity_in_days", [16, 40, -1])
def test_outside_the_fifteen_days_before_maturity_is_refused(api, client_profile, account, agent, maturity_in_days):
    number = under_review(api, client_profile, account, agent)
    mature_in(account, maturity_in_days)  # the account changed after the request came in
    response = step(api, agent, number, "propose_approval")

    assert refused_because(response, within_extension_window)
    assert "到期前 15 个自然日内" in response.data["detail"]  # in Chinese by default
    assert "propose_approval" not in response.data["allowed"] and "propose_decline" in response.data["allowed"]
    case = Case.objects.get(number=number)
    assert case.proposed_by_id is None and case.state == "under_review"


def test_the_window_includes_its_fifteenth_day(api, client_profile, account, agent):
    account.contract_maturity = TODAY + datetime.timedelta(days=15)
    account.save()
    number = under_review(api, client_profile, account, agent)
    assert step(api, agent, number, "propose_approval").status_code == 200


def test_unpaid_interest_is_refused(api, client_profile, account, agent):
    account.interest_fees = D("231.94")
    account.save()
    number = under_review(api, client_profile, account, agent)

    assert refused_because(step(api, agent, number, "propose_approval"), interest_paid)


def test_a_ratio_not_above_the_extension_line_is_refused(api, client_profile, account, security, agent):
    set_price(security, "14.50")  # 145 %: not above 145 %
    number = under_review(api, client_profile, account, agent)

    assert refused_because(step(api, agent, number, "propose_approval"), ratio_above_extension_line)
    set_price(security, "14.51")
    assert step(api, agent, number, "propose_approval").status_code == 200


def test_the_contract_may_name_its_own_extension_line(api, client_profile, account, agent):
    account.extension_line = D("2.5000")  # the ratio is 200 %
    account.save()
    number = under_review(api, client_profile, account, agent)

    assert refused_because(step(api, agent, number, "propose_approval"), ratio_above_extension_line)


def test_an_open_margin_call_is_refused(api, client_profile, account, security, agent):
    open_margin_call(security, account)
    set_price(security, "20.00")  # the ratio is back, the margin call is not closed yet
    number = under_review(api, client_profile, account, agent)

    response = step(api, agent, number, "propose_approval")
    assert refused_because(response, no_open_margin_call)
    assert "ratio" not in response.data["detail"].lower()


def test_a_stress_tests_preventive_outreach_does_not_refuse_an_extension(api, client_profile, account, agent,
                                                                         supervisor):
    """The ratio is 200 %; a −40 % shock would take it to 120 %: the stress test opens an outreach case
    for a call, which is a forecast, not a margin call. Once the account is below the warning line it is
    (the supervisor's approval reads the conditions again)."""
    monitor_accounts(trigger="test")
    stress.stress_test_run(user=UserFactory(roles=[Role.RISK_OFFICER]), market_shock=D("-0.40"), open_cases=True)
    call = MarginCall.objects.get(account=account)
    assert (call.stage, call.warned_at) == ("outreach", None)
    number = under_review(api, client_profile, account, agent)
    assert step(api, agent, number, "propose_approval").status_code == 200

    MarginCall.objects.filter(pk=call.pk).update(warned_at=THU)  # below the warning line since
    assert refused_because(step(api, supervisor, number, "approve"), no_open_margin_call)


def test_every_failed_condition_is_named(api, client_profile, account, security, agent):
    number = under_review(api, client_profile, account, agent)
    account.interest_fees = D("10.00")
    mature_in(account, 60)
    response = api.as_user(agent).post(f"/api/v1/cases/{number}/transitions/propose_approval/",
                                       {"comment": "x"}, format="json", headers={"accept-language": "en"})
    assert response.status_code == 409
    assert "15 calendar days" in response.data["detail"] and "interest" in response.data["detail"]


def test_conditions_are_checked_again_at_approval(api, client_profile, account, agent, supervisor):
    number = under_review(api, client_profile, account, agent)
    assert step(api, agent, number, "propose_approval").status_code == 200
    account.interest_fees = D("12.50")  # interest accrued and was not paid meanwhile
    account.save()

    assert refused_because(step(api, supervisor, number, "approve"), interest_paid)
    account.refresh_from_db()
    assert account.contract_maturity == TODAY + datetime.timedelta(days=10)
    assert not Notification.objects.filter(event="request_approved").exists()


def test_a_proposal_to_decline_needs_no_condition(api, client_profile, account, agent, supervisor):
    number = under_review(api, client_profile, account, agent)
    account.interest_fees = D("99.00")
    mature_in(account, 90)
    assert step(api, agent, number, "propose_decline").status_code == 200
    assert step(api, supervisor, number, "decline", "不符合展期条件").data["state"] == "declined"


# --- four eyes -------------------------------------------------------------------------------------

def test_a_supervisor_approves_only_what_was_proposed_and_returns_the_rest_for_rework(
        api, client_profile, account, agent, supervisor):
    """A proposal to decline is never approved by the supervisor alone: approving is refused with
    the reason (409); returning it for rework withdraws it, the agent proposes again, and the
    supervisor approves that proposal."""
    from cases.models.workflows import proposes_approval

    number = under_review(api, client_profile, account, agent)
    assert step(api, agent, number, "propose_decline", "资料不全").status_code == 200
    allowed = api.as_user(supervisor).get(f"/api/v1/cases/{number}/transitions/").data
    assert {t["name"] for t in allowed} == {"decline", "return_for_rework"}
    assert refused_because(step(api, supervisor, number, "approve"), proposes_approval)
    assert Case.objects.get(number=number).state == "under_review"
    response = step(api, supervisor, number, "return_for_rework", "资料已补齐，请重新评估")
    assert response.status_code == 200 and response.data["state"] == "under_review"
    case = Case.objects.get(number=number)
    assert (case.proposed_by, case.proposed_outcome, case.proposal) == (None, "", "")
    assert step(api, agent, number, "propose_approval", "符合条件").status_code == 200
    assert step(api, supervisor, number, "approve").data["state"] == "approved"
    events = [event.name for event in CaseEvent.objects.filter(case=case, kind__in=["transition", "approval"])
              .order_by("id")]
    assert events[-4:] == ["propose_decline", "return_for_rework", "propose_approval", "approve"]
    client_view = api.as_user(client_profile.user).get(f"/api/v1/cases/{number}/events/").data
    assert "return_for_rework" not in {event["name"] for event in client_view}  # staff's deliberation


def test_a_supervisor_cannot_approve_their_own_proposal(api, client_profile, account, supervisor, other_supervisor):
    number = under_review(api, client_profile, account, supervisor)
    assert step(api, supervisor, number, "propose_approval").status_code == 200
    assert step(api, supervisor, number, "approve").status_code == 403
    assert Case.objects.get(number=number).state == "under_review"
    assert step(api, other_supervisor, number, "approve").status_code == 200


def test_an_agent_cannot_approve(api, client_profile, account, agent, other_agent):
    number = under_review(api, client_profile, account, agent)
    step(api, agent, number, "propose_approval")
    assert step(api, other_agent, number, "approve").status_code == 403
    assert step(api, client_profile.user, number, "approve").status_code in (403, 404)
    assert Case.objects.get(number=number).state == "under_review"


# --- the client is told ----------------------------------------------------------------------------

def test_an_approval_tells_the_client_in_their_language(api, client_profile, account, agent, supervisor):
    client_profile.language = "en"
    client_profile.save()
    number = under_review(api, client_profile, account, agent)
    step(api, agent, number, "propose_approval")
    step(api, supervisor, number, "approve")
    notices = Notification.objects.filter(case__number=number, event="request_approved")
    assert set(notices.values_list("channel", flat=True)) == {"email", "sms", "in_app"}
    email = notices.get(channel="email")
    assert (email.recipient_client, email.language, email.status, email.address) == (
        client_profile, "en", "pending", client_profile.email)
    assert number in email.subject and "approved" in email.subject
    assert account.account_no in email.body and "Aug. 22, 2026" in email.body


def test_a_decline_tells_the_client(api, client_profile, account, agent, supervisor):
    number = under_review(api, client_profile, account, agent)
    step(api, agent, number, "propose_decline")
    step(api, supervisor, number, "decline", "资料不全")
    notices = Notification.objects.filter(case__number=number, event="request_declined")
    assert set(notices.values_list("channel", flat=True)) == {"email", "sms", "in_app"}
    sms = notices.get(channel="sms")
    assert sms.language == "zh-hans" and number in sms.body and sms.address == client_profile.phone
    assert "未获批准" in sms.body
    # the supervisor's reasons are written to the client (the notice sends them to the portal for them)
    assert sms.body.endswith("资料不全")
    account.refresh_from_db()
    assert account.contract_maturity == TODAY + datetime.timedelta(days=10)
    assert not ContractChange.objects.exists()


def test_a_client_without_an_email_gets_no_e_mail(api, client_profile, account, agent, supervisor):
    client_profile.email = ""
    client_profile.save()
    number = under_review(api, client_profile, account, agent)
    step(api, agent, number, "propose_decline")
    step(api, supervisor, number, "decline", "x")
    assert set(Notification.objects.filter(event="request_declined").values_list("channel", flat=True)) == {
        "sms", "in_app"}


# --- relief ----------------------------------------------------------------------------------------

def refused_on_submission(api, client_profile, account, condition) -> bool:
    response = api.as_user(client_profile.user).post("/api/v1/cases/", {
        "kind": "relief", "subject": "申请", "credit_account": account.account_no}, format="json")
    return (response.status_code == 400 and response.data["credit_account"] == [str(CONDITION_REASONS[condition])]
            and not Case.objects.filter(kind="relief").exists())


def test_relief_without_a_margin_call_is_refused_when_submitted(api, client_profile, account):
    assert refused_on_submission(api, client_profile, account, margin_call_to_relieve)


def test_relief_for_an_outreach_case_without_deadline_is_refused_when_submitted(api, client_profile, account,
                                                                                 security):
    set_price(security, "13.50")  # below the warning line only: outreach, no deadline to move
    monitor_accounts(trigger="test")
    assert MarginCall.objects.get(account=account).stage == "outreach"
    assert refused_on_submission(api, client_profile, account, margin_call_to_relieve)


def test_relief_for_a_call_restored_since_it_was_asked_is_refused_at_proposal(api, client_profile, account, security,
                                                                               agent):
    open_margin_call(security, account)
    number = under_review(api, client_profile, account, agent, kind="relief")
    set_price(security, "16.00")  # the client topped up meanwhile: the call is restored, nothing to relieve
    monitor_accounts(trigger="test")
    assert refused_because(step(api, agent, number, "propose_approval"), margin_call_to_relieve)


def test_relief_approval_moves_the_deadline_by_the_days_asked_for(api, client_profile, account, security, agent,
                                                                  supervisor):
    call = open_margin_call(security, account)
    assert call.deadline == datetime.datetime(2026, 2, 24, 15, tzinfo=SH)  # T+2 across the Spring Festival
    with time_machine.travel(datetime.datetime(2026, 2, 13, 10, tzinfo=SH), tick=False):
        number = under_review(api, client_profile, account, agent, kind="relief", requested_days=5)
        assert RequestDetails.objects.get(case__number=number).requested_days == 5
        assert step(api, agent, number, "propose_approval").status_code == 200
        response = step(api, supervisor, number, "approve")
    assert response.status_code == 200 and response.data["request_details"]["requested_days"] == 5
    call.refresh_from_db()
    assert call.deadline == datetime.datetime(2026, 3, 3, 15, tzinfo=SH)  # five trading days after the 24th
    moved = CaseEvent.objects.get(case=call.case, name="deadline_moved")
    assert moved.data == {"relief": number, "trading_days": 5}
    notice = Notification.objects.get(case__number=number, event="request_approved", channel="sms")
    assert "5" in notice.body


def test_relief_decline_leaves_the_deadline_and_tells_the_client(api, client_profile, account, security, agent,
                                                                 supervisor):
    call = open_margin_call(security, account)
    number = under_review(api, client_profile, account, agent, kind="relief")
    step(api, agent, number, "propose_decline")
    step(api, supervisor, number, "decline", "x")
    call.refresh_from_db()
    assert call.deadline == datetime.datetime(2026, 2, 24, 15, tzinfo=SH)
    assert Notification.objects.filter(case__number=number, event="request_declined").count() == 3


def test_staged_repayment_needs_debt_not_a_margin_call(api, client_profile, account, agent, supervisor):
    plan = [{"due": "2026-03-20", "amount": "50000.00"}, {"due": "2026-04-20", "amount": "50000.00"}]
    number = under_review(api, client_profile, account, agent, kind="relief", category="staged_repayment",
                          staged_repayment=plan)
    assert RequestDetails.objects.get(case__number=number).staged_repayment == plan
    step(api, agent, number, "propose_approval")
    assert step(api, supervisor, number, "approve").status_code == 200

    debt_free = CreditAccountFactory(client=client_profile)
    number = under_review(api, client_profile, debt_free, agent, kind="relief", category="staged_repayment")

    assert refused_because(step(api, agent, number, "propose_approval"), debt_to_stage)


@pytest.mark.parametrize(("kind", "extra", "field"), [
    ("ticket", {"requested_days": 2}, "requested_days"),
    ("extension", {"requested_days": 2}, "requested_days"),
    ("relief", {"requested_days": 11}, "requested_days"),
    ("relief", {"requested_days": 0}, "requested_days"),
    ("relief", {"requested_maturity": "2026-05-01"}, "requested_maturity"),
    ("extension", {"requested_maturity": "2027-01-01"}, "requested_maturity"),
    ("relief", {"staged_repayment": [{"due": "2026-03-20", "amount": "-1"}]}, "staged_repayment"),
])
def test_what_a_request_asks_for_is_checked_and_nothing_is_written(api, client_profile, account, kind, extra,
                                                                    field):
    response = api.as_user(client_profile.user).post("/api/v1/cases/", {
        "kind": kind, "subject": "x", "credit_account": account.account_no, **extra}, format="json")
    assert response.status_code == 400 and field in response.data
    assert not Case.objects.exists() and not RequestDetails.objects.exists()


@pytest.mark.parametrize("plan, message", [
    pytest.param([("2026-02-12", "50000")], "Each instalment must fall due after today.", id="today"),
    pytest.param([("2020-01-01", "50000")], "Each instalment must fall due after today.", id="past"),
    pytest.param([("2027-02-13", "50000")], "Each instalment must fall due within 12 months.", id="too-far"),
    pytest.param([("9999-12-31", "5")], "Each instalment must fall due within 12 months.", id="year-9999"),
    pytest.param([("2026-04-20", "50000"), ("2026-03-20", "50000")],
                 "List the instalments in the order they fall due, each on a later day than the one before.",
                 id="out-of-order"),
    pytest.param([("2026-03-20", "60000"), ("2026-04-20", "40000.01")],
                 "The instalments add up to more than the account owes (financing debt, interest and fees).",
                 id="above-the-debt"),
])
def test_an_instalment_plan_is_checked_as_the_portal_checks_it(api, client_profile, account, plan, message):
    response = api.as_user(client_profile.user).post("/api/v1/cases/", {
        "kind": "relief", "category": "staged_repayment", "subject": "分期", "credit_account": account.account_no,
        "staged_repayment": [{"due": due, "amount": amount} for due, amount in plan]},
        format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert message in response.data["staged_repayment"]
    assert not Case.objects.exists() and not RequestDetails.objects.exists()


@pytest.mark.parametrize(("extra", "field", "message"), [
    ({"category": "more_time", "staged_repayment": [{"due": "2026-03-20", "amount": "100"}]}, "staged_repayment",
     "Instalments go with a staged repayment request only."),
    ({"category": "staged_repayment", "requested_days": 3}, "requested_days",
     "Leave this empty for staged repayment."),
])
def test_a_relief_request_asks_for_time_or_instalments_not_both(api, client_profile, account, extra, field, message):
    response = api.as_user(client_profile.user).post("/api/v1/cases/", {
        "kind": "relief", "subject": "纾困", "credit_account": account.account_no, **extra},
        format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.data[field] == [message]
    assert not Case.objects.exists()


def test_an_extension_may_ask_for_an_earlier_maturity(api, client_profile, account, agent, supervisor):
    number = under_review(api, client_profile, account, agent, requested_maturity="2026-05-22")
    step(api, agent, number, "propose_approval")
    step(api, supervisor, number, "approve")
    account.refresh_from_db()
    assert account.contract_maturity == datetime.date(2026, 5, 22)


def test_services_refuse_with_a_conflict_naming_the_condition(client_profile, account, agent):
    account.interest_fees = D("1.00")
    account.save()
    case = case_create(created_by=agent, client=client_profile, kind="extension", subject="展期",
                       credit_account=account)
    case = case_transition(case=case, user=agent, name="start_review")
    with pytest.raises(Conflict) as error:
        case_transition(case=case, user=agent, name="propose_approval", comment="ok")
    assert str(CONDITION_REASONS[interest_paid]) in error.value.message
