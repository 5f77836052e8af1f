"""Found by exploring the API as a risk officer and an auditor would (QA).

The auditor reads everything and changes nothing: every write is a 403, whatever the body. A body
the serializer refused was answered 400 with field errors first (a transition with a bad comment,
a case with no subject, a call with no outcome), as if a corrected body would be accepted."""

from decimal import Decimal

import pytest

from cases.models import Case, CaseEvent, CaseKind
from risk.models import MarginCallContact
from risk.monitoring import monitor_accounts
from tests.factories import CreditAccountFactory, PositionFactory, SecurityFactory

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def margin_call(db):
    """An account below close-out (cash 90,000 against 100,000 of debt): the monitoring's margin call."""
    account = CreditAccountFactory(account_no="QA1", cash=D("90000.00"), financing_debt=D("100000.00"))
    monitor_accounts(trigger="test")
    return Case.objects.get(kind=CaseKind.MARGIN_CALL, credit_account=account)


def _unchanged(case: Case) -> tuple:
    case.refresh_from_db()
    return (case.state, case.proposed_by_id, CaseEvent.objects.filter(case=case).count(),
            MarginCallContact.objects.filter(case=case).count(), Case.objects.count())


@pytest.mark.parametrize("body", [{"comment": ["not", "text"]}, {"comment": {"a": 1}}, {}])
def test_an_auditor_taking_a_step_is_403_whatever_the_body(api, auditor, margin_call, body):
    before = _unchanged(margin_call)
    response = api.as_user(auditor).post(
        f"/api/v1/cases/{margin_call.number}/transitions/propose_liquidation/", body, format="json")
    assert response.status_code == 403, response.content
    assert response.json()["code"] == "permission_denied"
    assert _unchanged(margin_call) == before


@pytest.mark.parametrize("body", [{}, {"outcome": "reached"}, {"outcome": 5, "called_at": "yesterday"}])
def test_an_auditor_logging_a_call_is_403_whatever_the_body(api, auditor, margin_call, body):
    before = _unchanged(margin_call)
    response = api.as_user(auditor).post(f"/api/v1/cases/{margin_call.number}/calls/", body, format="json")
    assert response.status_code == 403, response.content
    assert _unchanged(margin_call) == before


@pytest.mark.parametrize("body", [{}, {"kind": "ticket"}, {"kind": "ticket", "subject": "x", "client": "nobody"}])
def test_an_auditor_opening_a_case_is_403_whatever_the_body(api, auditor, margin_call, body):
    before = _unchanged(margin_call)
    response = api.as_user(auditor).post("/api/v1/cases/", body, format="json")
    assert response.status_code == 403, response.content
    assert _unchanged(margin_call) == before


def test_the_roles_that_write_still_get_their_field_errors(api, risk_officer, margin_call):
    """The 403 comes first for the auditor only: a risk officer's bad body is still a 400 naming the field."""
    response = api.as_user(risk_officer).post(
        f"/api/v1/cases/{margin_call.number}/transitions/propose_liquidation/", {"comment": ["x"]}, format="json")
    assert response.status_code == 400 and "comment" in response.json()
    response = api.as_user(risk_officer).post(f"/api/v1/cases/{margin_call.number}/calls/", {}, format="json")
    assert response.status_code == 400 and "outcome" in response.json()
    response = api.as_user(risk_officer).post("/api/v1/cases/", {}, format="json")
    assert response.status_code == 400 and "subject" in response.json()


def test_paging_back_through_the_alerts_of_one_run_gives_the_page_before(api, risk_officer):
    """Every alert a monitoring run opens has the run's moment: paged by that moment, the cursor's
    `previous` link of the third page answered a page of rows from the first and second (alerts
    shown twice, others never), as DRF's cursor does when its position is not unique."""
    for number in range(3):  # below close-out: an alert on each of three lines, all at the run's moment
        CreditAccountFactory(account_no=f"QB{number}", cash=D("90000.00"), financing_debt=D("100000.00"))
    monitor_accounts(trigger="test")
    http = api.as_user(risk_officer)
    everything = [row["id"] for row in http.get("/api/v1/risk/alerts/?page_size=100").json()["results"]]
    assert len(everything) == 9

    pages, url = [], "/api/v1/risk/alerts/?page_size=2"
    while url:
        data = http.get(url).json()
        pages.append((data, [row["id"] for row in data["results"]]))
        url = data["next"]
    assert [row for _data, ids in pages for row in ids] == everything  # forwards: each alert once, in order
    for number in range(len(pages) - 1, 0, -1):  # backwards from the last page: each page before it
        previous = http.get(pages[number][0]["previous"]).json()
        assert [row["id"] for row in previous["results"]] == pages[number - 1][1]


@pytest.mark.parametrize("position", ["abc", "", "7\x00"])
def test_a_hand_edited_alerts_cursor_is_an_invalid_cursor_not_a_server_error(api, risk_officer, margin_call, position):
    """The cursor is the client's to send back; one whose position is no alert id reached the query (a 500)."""
    import base64

    cursor = base64.b64encode(f"p={position}".encode()).decode()
    response = api.as_user(risk_officer).get("/api/v1/risk/alerts/", {"cursor": cursor})
    assert response.status_code == 404 and response.data["detail"].code == "not_found"
    good = base64.b64encode(f"p={10 ** 9}".encode()).decode()
    assert len(api.as_user(risk_officer).get("/api/v1/risk/alerts/", {"cursor": good}).json()["results"]) == 3


def test_an_outreach_case_states_the_market_shock_in_per_cent_as_the_pages_do(api, risk_officer):
    """The officer types -15 (per cent) on the page, which shows "-15.00%" in the test's result; the
    outreach case it opened said "market shock -0.1500", a figure an agent could read as 0.15 %."""
    account = CreditAccountFactory(account_no="QC1", cash=D("0.00"), financing_debt=D("100000.00"))
    PositionFactory(account=account, security=SecurityFactory(symbol="600990", price=D("10.00")), quantity=14_500)
    monitor_accounts(trigger="test")  # 1.4500: below attention only, no margin call yet; shocked 1.2325
    response = api.as_user(risk_officer).post("/api/v1/risk/stress-tests/", {
        "market_shock": "-0.15", "open_cases": True}, format="json")
    assert response.status_code == 201 and response.json()["cases_opened"] == 1
    case = Case.objects.get(kind=CaseKind.MARGIN_CALL, credit_account=account)
    assert case.description == f"压力测试 {response.json()['id']}（市场冲击 -15.00%）：维持担保比例将低于警戒线。"
