"""The monitoring as the API shows it: ratio history, alerts, margin-call details, calls."""

from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest

from cases.models import Case, CaseEvent
from notifications.models import Notification
from notifications.rendering import render
from risk.models import MarginCallContact
from risk.monitoring import monitor_accounts
from tests.factories import ClientProfileFactory, CreditAccountFactory, PositionFactory, SecurityFactory, queue

pytestmark = pytest.mark.django_db


def call_at(client_profile, agent, price: str) -> tuple[Case, object]:
    """Debt 100,000 against 10,000 shares valued at 16.00 (160 %), then at `price`: the margin call
    for `client_profile` and the security; `agent` works the risk queue the call lands in."""
    queue("risk").members.add(agent)
    security = SecurityFactory(price=D("16.00"))
    account = CreditAccountFactory(client=client_profile, financing_debt=D("100000.00"))
    PositionFactory(account=account, security=security, quantity=10000)
    monitor_accounts()
    security.price = D(price)
    security.save()
    monitor_accounts()
    return Case.objects.get(credit_account=account, kind="margin_call"), security


@pytest.fixture
def margin_call(client_profile, agent):
    """A margin call for `client_profile` (125 %); `agent` works the risk queue it lands in."""
    return call_at(client_profile, agent, "12.50")[0]


def test_ratio_history_newest_first_and_scoped(api, client_profile, margin_call):
    url = f"/api/v1/accounts/{margin_call.credit_account.account_no}/ratio-history/"
    rows = api.as_user(client_profile.user).get(url).data["results"]
    assert [(r["maintenance_ratio"], r["level"]) for r in rows] == [("1.2500", "close_out"), ("1.6000", "normal")]
    assert api.as_user(ClientProfileFactory().user).get(url).status_code == 404


def test_ratio_history_filtered_by_level_and_date_like_the_alerts(api, client_profile, margin_call):
    """?level=close_out answered every valuation, ?level=bogus and ?date=bogus too, as if they were filters."""
    url = f"/api/v1/accounts/{margin_call.credit_account.account_no}/ratio-history/"
    http = api.as_user(client_profile.user)
    assert [r["maintenance_ratio"] for r in http.get(f"{url}?level=close_out").data["results"]] == ["1.2500"]
    assert [r["level"] for r in http.get(f"{url}?level=normal").data["results"]] == ["normal"]
    today = margin_call.created_at.astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat()
    assert len(http.get(f"{url}?date={today}").data["results"]) == 2
    assert http.get(f"{url}?date=2000-01-01").data["results"] == []
    assert http.get(f"{url}?date_to=2000-01-01T00:00:00%2B08:00").data["results"] == []
    for query, field in (("level=bogus", "level"), ("date=2026-13-01", "date"), ("date_from=soon", "date_from")):
        response = http.get(f"{url}?{query}")
        assert response.status_code == 400 and field in response.json(), query


def test_alerts_filtered_by_level_state_and_date(api, risk_officer, margin_call):
    http = api.as_user(risk_officer)
    rows = http.get("/api/v1/risk/alerts/?state=open").data["results"]
    assert {r["line"] for r in rows} == {"attention", "warning", "close_out"}
    assert [r["ratio"] for r in http.get("/api/v1/risk/alerts/?level=close_out").data["results"]] == ["1.2500"]
    assert http.get("/api/v1/risk/alerts/?date=2000-01-01").data["results"] == []
    assert http.get("/api/v1/risk/alerts/?state=nonsense").status_code == 400


@pytest.mark.parametrize("url", ["/api/v1/risk/alerts/", "ratio-history"])
def test_a_date_range_that_ends_before_it_starts_is_refused(api, risk_officer, margin_call, url):
    """Answered 200 with an empty list, as if no alert had been opened in it; the interest API says 400."""
    if url == "ratio-history":
        url = f"/api/v1/accounts/{margin_call.credit_account.account_no}/ratio-history/"
    http = api.as_user(risk_officer)
    response = http.get(f"{url}?date_from=2026-11-20T00:00:00%2B08:00&date_to=2026-11-19T00:00:00%2B08:00",
                        HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json()["date_to"] == ["“date_to” must not be before “date_from”."]
    opened = margin_call.created_at.isoformat().replace("+", "%2B")
    assert len(http.get(f"{url}?date_from={opened}&date_to={opened}").data["results"]) == 0  # an empty range
    assert http.get(f"{url}?date_from=2000-01-01T00:00:00Z&date_to=2100-01-01T00:00:00Z").data["results"]


@pytest.mark.parametrize("url", ["/api/v1/risk/alerts/", "ratio-history"])
def test_a_range_ending_on_a_date_alone_includes_that_whole_day(api, risk_officer, margin_call, url):
    """?date_from=D&date_to=D (the day the alerts opened) answered nothing: a date alone ended the range
    at that day's midnight, where the SLA report's `to` includes the day."""
    from django.utils import timezone

    if url == "ratio-history":
        url = f"/api/v1/accounts/{margin_call.credit_account.account_no}/ratio-history/"
    http = api.as_user(risk_officer)
    day = timezone.localtime(margin_call.created_at).date().isoformat()
    everything = http.get(url).data["results"]
    assert everything and http.get(f"{url}?date_from={day}&date_to={day}").data["results"] == everything
    assert http.get(f"{url}?date_to={day.replace('-', '')}").data["results"] == everything  # 20261120 too
    assert http.get(f"{url}?date_to={day}T00:00:00%2B08:00").data["results"] == []  # a moment: before it


def test_an_alert_carries_the_valuations_that_opened_and_cleared_it(api, risk_officer, margin_call):
    account = margin_call.credit_account
    close_out = api.as_user(risk_officer).get("/api/v1/risk/alerts/?level=close_out").data["results"][0]
    opened = close_out["opened_snapshot"]
    assert (opened["maintenance_ratio"], opened["level"]) == ("1.2500", "close_out")
    assert (opened["total_assets"], opened["total_liabilities"]) == ("125000.00", "100000.00")  # to the cent
    assert opened["id"] == account.snapshots.order_by("-taken_at", "-id").first().pk
    assert close_out["cleared_snapshot"] is None

    PositionFactory._meta.model.objects.filter(account=account).update(quantity=20000)
    monitor_accounts()  # 20,000 × 12.50 / 100,000: back above every line
    cleared = api.as_user(risk_officer).get("/api/v1/risk/alerts/?level=close_out").data["results"][0]
    assert cleared["state"] == "cleared"
    assert (cleared["cleared_snapshot"]["maintenance_ratio"], cleared["cleared_snapshot"]["level"]) == (
        "2.5000", "normal")


def test_a_client_reads_the_margin_calls_subject_in_their_language_at_its_stage(
        api, client_profile, margin_call):
    """Stored in the firm's language (Chinese), rewritten when raised below close-out."""
    account_no = margin_call.credit_account.account_no
    assert margin_call.subject == f"追保：信用账户 {account_no} 低于平仓线"
    http = api.as_user(client_profile.user)
    english = f"Margin call: credit account {account_no} is below the close-out line"
    assert http.get(f"/api/v1/cases/{margin_call.number}/", HTTP_ACCEPT_LANGUAGE="en").data["subject"] == english
    listed = http.get("/api/v1/cases/", HTTP_ACCEPT_LANGUAGE="en").data["results"]
    assert [row["subject"] for row in listed] == [english]
    chinese = http.get(f"/api/v1/cases/{margin_call.number}/", HTTP_ACCEPT_LANGUAGE="zh-hans").data["subject"]
    assert chinese == margin_call.subject


def test_case_detail_shows_the_margin_call_to_staff_and_client(api, agent, client_profile, margin_call):
    staff = api.as_user(agent).get(f"/api/v1/cases/{margin_call.number}/").data["margin_call"]
    assert (staff["stage"], staff["top_up_cash"], staff["top_up_sell"], staff["level"]) == (
        "margin_call", "15000.00", "37500.00", "close_out")
    client = api.as_user(client_profile.user).get(f"/api/v1/cases/{margin_call.number}/").data["margin_call"]
    assert client["deadline"] == staff["deadline"] and client["top_up_cash"] == "15000.00"


def test_a_call_on_an_account_under_water_asks_for_cash_not_an_impossible_sale(api, agent, client_profile):
    """A gap from 160 % to 85 %: selling (1.40 × 100,000 − 85,000) / 0.40 = 137,500 of the 85,000 held
    was shown as the way out; no sale restores the line, only the 55,000 of cash does."""
    case, security = call_at(client_profile, agent, "8.50")
    staff = api.as_user(agent).get(f"/api/v1/cases/{case.number}/").data["margin_call"]
    assert (staff["stage"], staff["top_up_cash"], staff["top_up_sell"]) == ("margin_call", "55000.00", None)
    # the notice asks for the cash alone (it said "or sell ¥0.00 of securities")
    sms = Notification.objects.get(case=case, event="margin_call", channel="sms")
    assert "请于" in sms.body and "前追加现金 ¥55,000.00；否则" in sms.body and "卖出" not in sms.body
    assert "卖出" not in render(event="margin_call", language="zh-hans", channel="sms", case=case)[1]
    security.price = D("8.00")  # still under water at the next valuation
    security.save()
    monitor_accounts()
    staff = api.as_user(agent).get(f"/api/v1/cases/{case.number}/").data["margin_call"]
    assert (staff["top_up_cash"], staff["top_up_sell"]) == ("60000.00", None)


def test_agents_log_calls(api, agent, auditor, client_profile, margin_call):
    url = f"/api/v1/cases/{margin_call.number}/calls/"
    response = api.as_user(agent).post(url, {"outcome": "promised", "note": "客户承诺明天补仓"}, format="json")
    assert response.status_code == 201, response.data
    assert api.as_user(agent).post(url, {"outcome": "maybe"}, format="json").status_code == 400
    year_one = api.as_user(agent).post(url, {"outcome": "reached", "called_at": "0001-01-01T00:00"}, format="json")
    assert year_one.status_code == 400 and "called_at" in year_one.data  # no UTC moment: it was a 500
    too_long = api.as_user(agent).post(url, {"outcome": "reached", "note": "长" * 2001}, format="json")
    assert too_long.status_code == 400 and "note" in too_long.data  # the log is append-only
    assert api.as_user(auditor).post(url, {"outcome": "reached"}, format="json").status_code == 403
    assert api.as_user(client_profile.user).get(url).status_code == 404
    assert [c["outcome"] for c in api.as_user(auditor).get(url).data] == ["promised"]
    assert MarginCallContact.objects.count() == 1
    assert CaseEvent.objects.filter(case=margin_call, name="call_logged").count() == 1
    margin_call.refresh_from_db()
    assert margin_call.updated_at == MarginCallContact.objects.get().recorded_at  # the console's last update


def test_risk_officer_reads_the_monitoring_in_the_admin(client, risk_officer, margin_call):
    client.force_login(risk_officer)
    for page in ("monitoringrun", "ratiosnapshot", "accountalert", "margincall"):
        assert client.get(f"/admin/risk/{page}/").status_code == 200, page


def test_an_unknown_alert_level_is_bad_input_naming_the_levels(api, risk_officer, margin_call):
    """?level=bogus answered an empty list, as if no account had crossed a line."""
    http = api.as_user(risk_officer)
    for name in ("level", "line"):
        response = http.get(f"/api/v1/risk/alerts/?{name}=bogus")
        assert response.status_code == 400, name
        assert "attention, warning, close_out, immediate" in response.json()[name][0]
    response = http.get("/api/v1/risk/alerts/?state=nonsense")
    assert response.status_code == 400 and "open, cleared" in response.json()["state"][0]
    assert [r["line"] for r in http.get("/api/v1/risk/alerts/?line=warning").data["results"]] == ["warning"]


def test_a_liability_of_a_cent_is_valued_and_shown_whatever_the_ratio(api, risk_officer, margin_call):
    """The client repays the debt and tops up, leaving a cent of interest: a ratio of 112,500,000
    overflowed the 12 digits it was stored in, failing every monitoring run on PostgreSQL, and the
    account, its history, its alerts and its margin call answered 500."""
    account = margin_call.credit_account
    account.cash, account.financing_debt, account.interest_fees = D("1000000.00"), D("0"), D("0.01")
    account.save()
    outcome = monitor_accounts()
    assert outcome.cases_restored == 1
    http = api.as_user(risk_officer)
    number = account.account_no
    assert http.get(f"/api/v1/accounts/{number}/").data["maintenance_ratio"] == "112500000.0000"
    assert http.get("/api/v1/accounts/").status_code == 200
    assert http.get(f"/api/v1/accounts/{number}/ratio-history/").data["results"][0]["maintenance_ratio"] == (
        "112500000.0000")
    cleared = http.get("/api/v1/risk/alerts/?level=close_out").data["results"][0]
    assert cleared["cleared_ratio"] == "112500000.0000"
    restored_by = http.get(f"/api/v1/cases/{margin_call.number}/").data["margin_call"]["restored_by"]
    assert restored_by["maintenance_ratio"] == "112500000.0000"
    assert http.get("/api/v1/risk/forecast/").status_code == 200
