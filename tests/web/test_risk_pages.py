"""The risk officer's pages: overview by level, ratio distribution, level lists, stress tests,
forecast and the stress-mode switch."""

import json
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Position, Tier
from accounts.roles import Role
from cases.models import Case, CaseKind
from risk import stress
from risk.models import AccountRisk, StressMode, StressTest
from risk.monitoring import monitor_accounts
from risk.web import selectors
from tests.factories import (
    ClientProfileFactory,
    CreditAccountFactory,
    PositionFactory,
    SecurityFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
D = Decimal
OVERVIEW = reverse("risk_pages:overview")
ACCOUNTS = reverse("risk_pages:accounts")
STRESS_TESTS = reverse("risk_pages:stress_tests")
STRESS_MODE = reverse("risk_pages:stress_mode")
FORECAST = reverse("risk_pages:forecast")

#: Cash against 100,000 of debt: the ratio is cash / 100,000 (no securities).
BOOK = {
    "N1": "160000", "N2": "220000", "N3": "350000",  # normal
    "T1": "145000",  # attention (below 150 %)
    "W1": "135000", "W2": "130000",  # warning (below 140 %; 130 % is not below close-out)
    "X1": "120000", "X2": "90000",  # close-out (below 130 %)
}
EXPECTED_LEVELS = {"no_liability": 1, "normal": 3, "attention": 1, "warning": 2, "close_out": 2, "immediate": 0}
#: <100, 100–110, 110–120, 120–130, 130–140, 140–150, 150–160, 160–170, 170–180, 180–190, 190–200,
#: 200–250, 250–300, ≥300
EXPECTED_BUCKETS = [1, 0, 0, 1, 2, 1, 0, 1, 0, 0, 0, 1, 0, 1]


def login(client, user):
    client.force_login(user)
    return client


def body(response) -> str:
    return response.content.decode()


@pytest.fixture
def book(db):
    accounts = {}
    for account_no, cash in BOOK.items():
        tier = Tier.VIP if account_no == "X1" else Tier.STANDARD
        accounts[account_no] = CreditAccountFactory(
            account_no=account_no, cash=D(cash), financing_debt=D("100000.00"),
            client=ClientProfileFactory(tier=tier, name=f"Client {account_no}"))
    accounts["F1"] = CreditAccountFactory(account_no="F1", cash=D("5000.00"))  # no liability
    outcome = monitor_accounts(trigger="test")
    assert outcome.run is not None
    return accounts


def level_counts(html: str) -> dict[str, int]:
    return {level: int(count) for level, count in re.findall(
        r'data-level="(\w+)">\s*<span class="value" data-count="(\d+)"', html)}


def json_data(html: str, element_id: str):
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S)
    assert match, f"no json_script {element_id}"
    return json.loads(match.group(1))


# --- who may see what --------------------------------------------------------------------------

@pytest.mark.parametrize("url", [OVERVIEW, f"{ACCOUNTS}?level=normal", STRESS_TESTS, STRESS_MODE, FORECAST])
def test_agents_and_clients_get_403_and_visitors_the_login(client, agent, client_profile, url):
    assert client.get(url).status_code == 302
    assert login(client, agent).get(url).status_code == 403
    assert login(client, client_profile.user).get(url).status_code == 403


@pytest.mark.parametrize("role", [Role.RISK_OFFICER, Role.SUPERVISOR, Role.AUDITOR])
def test_risk_officers_supervisors_and_auditors_read_every_page(client, book, role):
    user = UserFactory(roles=[role])
    test = stress.stress_test_run(user=UserFactory(roles=[Role.RISK_OFFICER]), market_shock=D("-0.1"))
    login(client, user)
    for url in (OVERVIEW, f"{ACCOUNTS}?level=warning", STRESS_TESTS, STRESS_MODE, FORECAST,
                reverse("risk_pages:stress_test", args=[test.pk])):
        assert client.get(url).status_code == 200, url


def test_auditor_reads_but_gets_no_forms_and_every_post_is_403(client, auditor, book):
    login(client, auditor)
    assert 'class="form stress-test-form"' not in body(client.get(STRESS_TESTS))
    assert 'stress-mode-set' not in body(client.get(STRESS_MODE))
    assert client.post(STRESS_TESTS, {"market_shock": "-10"}).status_code == 403
    assert client.post(STRESS_MODE, {"action": "set", "points": "5", "reason": "x"}).status_code == 403
    assert not StressTest.objects.exists() and not StressMode.objects.exists()


def test_risk_officer_lands_on_the_overview(client, risk_officer):
    response = login(client, risk_officer).get(reverse("home"))
    assert response.url == OVERVIEW


# --- overview ------------------------------------------------------------------------------------

def test_counts_per_level_are_the_data_set(client, risk_officer, book):
    html = body(login(client, risk_officer).get(OVERVIEW))
    assert level_counts(html) == EXPECTED_LEVELS
    assert f'href="{ACCOUNTS}?level=warning"' in html


def test_distribution_buckets_are_in_the_page_as_json(client, risk_officer, book):
    html = body(login(client, risk_officer).get(OVERVIEW))
    chart = json_data(html, "ratio-distribution-data")
    assert chart["counts"] == EXPECTED_BUCKETS
    assert chart["labels"][0] == "<100%" and chart["labels"][4] == "130%–140%" and chart["labels"][-1] == "≥300%"
    # Bars coloured by the level a ratio at the bucket's lower edge has (default lines).
    assert chart["levels"][3:7] == ["close_out", "warning", "attention", "normal"]
    assert 'data-source="ratio-distribution-data"' in html and "<script>" not in html  # no inline script


def test_distribution_edges_follow_stress_mode_colours(client, risk_officer, book):
    StressMode.objects.create(points=D("10"), set_by=risk_officer)
    html = body(login(client, risk_officer).get(OVERVIEW))
    chart = json_data(html, "ratio-distribution-data")
    assert chart["counts"] == EXPECTED_BUCKETS  # the stored valuations, unchanged until the next run
    assert chart["levels"][3:8] == ["close_out", "close_out", "warning", "attention", "normal"]
    assert 'data-stress-mode="on"' in html and 'data-points="10.00"' in html


def test_latest_run_open_alerts_and_margin_calls(client, risk_officer, book):
    html = body(login(client, risk_officer).get(OVERVIEW))
    assert 'data-run-accounts="9"' in html
    alerts = re.search(r'data-run-alerts="(\d+)"', html).group(1)
    assert int(alerts) == 1 + 2 * 2 + 2 * 3  # attention: 1 line, warning: 2 lines each, close-out: 3 each
    calls = Case.objects.filter(kind=CaseKind.MARGIN_CALL).count()
    assert calls == 4 and f'data-open-margin-calls="{calls}"' in html


def test_overview_before_any_run(client, risk_officer):
    html = body(login(client, risk_officer).get(OVERVIEW))
    assert level_counts(html) == {level: 0 for level in EXPECTED_LEVELS}
    assert json_data(html, "ratio-distribution-data")["counts"] == [0] * len(EXPECTED_BUCKETS)


def test_overview_in_english(client, risk_officer, book):
    html = body(login(client, risk_officer).get(OVERVIEW, HTTP_ACCEPT_LANGUAGE="en"))
    assert "Risk overview" in html and "Latest monitoring run" in html and "Below the warning line" in html


def test_overview_runs_a_constant_number_of_queries(client, risk_officer, book, django_assert_max_num_queries):
    login(client, risk_officer)
    stress.stress_test_run(user=risk_officer, market_shock=D("-0.1"))
    with django_assert_max_num_queries(12):
        assert client.get(OVERVIEW).status_code == 200
    for i in range(20):
        CreditAccountFactory(cash=D("100000"), financing_debt=D("100000"))
        stress.stress_test_run(user=risk_officer, market_shock=D("-0.2"))
    monitor_accounts(trigger="test")
    with django_assert_max_num_queries(12):
        assert client.get(OVERVIEW).status_code == 200


# --- accounts at a level ----------------------------------------------------------------------------

def test_level_list_shows_the_accounts_worst_first_with_their_details(client, risk_officer, book):
    html = body(login(client, risk_officer).get(ACCOUNTS, {"level": "close_out"}))
    assert re.findall(r'<tr data-account="(\w+)">', html) == ["X2", "X1"]
    row = html[html.index('data-account="X1"'):]
    row = row[:row.index("</tr>")]
    case = Case.objects.get(credit_account=book["X1"], kind=CaseKind.MARGIN_CALL)
    assert "Client X1" in row and "tier-vip" in row and 'data-ratio="1.2000"' in row and "120.00%" in row
    assert "150.00% / 140.00% / 130.00%" in row and "level-close_out" in row
    assert f'href="{reverse("console:case", args=[case.number])}"' in row
    assert AccountRisk.objects.get(account=book["X1"]).updated_at is not None
    warning = body(client.get(ACCOUNTS, {"level": "warning"}))
    assert re.findall(r'<tr data-account="(\w+)">', warning) == ["W2", "W1"]


def test_level_list_shows_lines_raised_by_half_a_point_as_they_are(client, risk_officer, book):
    """Stress mode +2.5 points: the lines are 152.5 / 142.5 / 132.5 %, not rounded to whole per cent."""
    stress.stress_mode_set(user=risk_officer, points=D("2.5"), reason="volatile")
    html = body(login(client, risk_officer).get(ACCOUNTS, {"level": "close_out"}))
    row = html[html.index('data-account="X1"'):]
    assert "152.50% / 142.50% / 132.50%" in row[:row.index("</tr>")]


def test_level_list_pages_forward_and_back_without_counting(client, risk_officer, book, monkeypatch):
    monkeypatch.setattr(selectors, "PAGE_SIZE", 2)
    login(client, risk_officer)
    seen, url, pages = [], f"{ACCOUNTS}?level=normal", []
    for _ in range(5):
        html = body(client.get(url))
        rows = re.findall(r'<tr data-account="(\w+)">', html)
        seen += rows
        pages.append((url, rows))
        following = re.search(r'rel="next" href="([^"]+)"', html)
        if not following:
            break
        url = following.group(1).replace("&amp;", "&")
    assert seen == ["N1", "N2", "N3"]
    previous = re.search(r'rel="prev" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert re.findall(r'<tr data-account="(\w+)">', body(client.get(previous))) == ["N1", "N2"]


def test_level_list_of_accounts_without_liability(client, risk_officer, book):
    html = body(login(client, risk_officer).get(ACCOUNTS, {"level": "no_liability"}))
    assert re.findall(r'<tr data-account="(\w+)">', html) == ["F1"]


@pytest.mark.parametrize("query", [{}, {"level": "bogus"}, {"level": "normal", "after": "x~y"},
                                   {"level": "normal", "after": "NaN~1"}, {"level": "no_liability", "before": "1.2~3"},
                                   {"level": "normal", "after": "1e999999~1"},
                                   {"level": "normal", "before": "1.2~99999999999999999999999"},
                                   {"level": "no_liability", "after": "-5"}, {"level": "normal", "after": "x" * 200}])
def test_bad_level_list_requests_are_400(client, risk_officer, book, query):
    assert login(client, risk_officer).get(ACCOUNTS, query).status_code == 400


def test_level_list_runs_a_constant_number_of_queries(client, risk_officer, book, django_assert_max_num_queries):
    login(client, risk_officer)
    with django_assert_max_num_queries(10) as few:
        client.get(ACCOUNTS, {"level": "normal"})
    for i in range(12):
        CreditAccountFactory(cash=D("200000"), financing_debt=D("100000"))
    monitor_accounts(trigger="test")
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = body(client.get(ACCOUNTS, {"level": "normal"}))
    assert html.count("<tr data-account=") == 15


# --- stress tests ----------------------------------------------------------------------------------

@pytest.fixture
def shocked_book(db):
    """The hand-checked book of tests/risk/test_stress.py (−10 %, 600902 −20 %)."""
    s1 = SecurityFactory(symbol="600901", price=D("10.00"))
    s2 = SecurityFactory(symbol="600902", price=D("20.00"))
    a = CreditAccountFactory(account_no="A1", financing_debt=D("100000.00"))
    PositionFactory(account=a, security=s1, quantity=10_000)
    PositionFactory(account=a, security=s2, quantity=2_500)
    b = CreditAccountFactory(account_no="B1", cash=D("10000.00"), financing_debt=D("100000.00"),
                             interest_fees=D("5000.00"))
    PositionFactory(account=b, security=s1, quantity=12_000)
    c = CreditAccountFactory(account_no="C1", cash=D("40000.00"), financing_debt=D("50000.00"))
    PositionFactory(account=c, security=s1, quantity=10_000)
    PositionFactory(account=c, security=s2, quantity=1_000, kind=Position.Kind.SHORT)
    return {"a": a, "b": b, "c": c}


@pytest.fixture
def valued_book(shocked_book):
    """Valued by the monitoring, as every account is (an outreach needs the account's valuation),
    B's margin call from that run since restored: both A and B may be called."""
    from risk.monitoring import monitor_accounts

    monitor_accounts(trigger="test")
    Case.objects.filter(kind=CaseKind.MARGIN_CALL).update(state="restored")
    return shocked_book


def test_stress_form_runs_the_service_and_shows_its_numbers(client, risk_officer, shocked_book):
    login(client, risk_officer)
    response = client.post(STRESS_TESTS, {"market_shock": "-10", "symbol_shocks": "600902 -20\n"})
    saved = StressTest.objects.get()
    assert response.status_code == 302 and response.url == reverse("risk_pages:stress_test", args=[saved.pk])
    assert saved.run_by == risk_officer and saved.market_shock == D("-0.1")
    assert saved.symbol_shocks == {"600902": "-0.2000"} and not saved.open_cases

    # The same inputs through the service give the same result, and the page shows it.
    direct = stress.stress_test_run(user=risk_officer, market_shock=D("-0.10"), symbol_shocks={"600902": D("-0.20")})
    assert saved.result == direct.result
    html = body(client.get(response.url))
    for name, line in direct.result["lines"].items():
        row = re.search(rf'<tr data-line="{name}".*?</tr>', html, re.S).group(0)
        assert f'data-count="{line["count"]}"' in row and f'data-top-up="{line["top_up_total"]}"' in row
    restore = re.search(r'<tr data-line="restore_to".*?</tr>', html, re.S).group(0)
    assert 'data-top-up="29000.00"' in restore and 'data-count="1"' in restore
    # Hand-checked (tests/risk/test_stress.py): back to the warning line 39,000 in all; B1 worst.
    assert 'data-top-up="39000.00">¥39,000.00<' in html  # money as on every page, whatever the language
    assert re.findall(r'<tr data-account="(\w+)">', html) == ["B1", "A1"]
    chart = json_data(html, "stress-lines-data")
    assert chart["names"] == ["attention", "warning", "close_out"] and chart["counts"] == [2, 2, 1]


def test_stress_result_lists_the_accounts_of_the_chosen_line(client, risk_officer, shocked_book):
    test = stress.stress_test_run(user=risk_officer, market_shock=D("-0.10"), symbol_shocks={"600902": D("-0.20")})
    login(client, risk_officer)
    url = reverse("risk_pages:stress_test", args=[test.pk])
    html = body(client.get(url, {"line": "close_out"}))
    assert re.findall(r'<tr data-account="(\w+)">', html) == ["B1"]
    assert 'data-top-up="18500.00"' in html
    assert client.get(url, {"line": "bogus"}).status_code == 400
    assert client.get(url, {"page": "0"}).status_code == 400
    assert client.get(reverse("risk_pages:stress_test", args=[test.pk + 1])).status_code == 404


def test_stress_form_can_open_outreach_cases(client, supervisor, valued_book):
    login(client, supervisor)
    response = client.post(STRESS_TESTS, {"market_shock": "-10", "symbol_shocks": "600902: -20%",
                                          "open_cases": "on"})
    assert response.status_code == 302
    assert StressTest.objects.get().cases_opened == 2
    assert Case.objects.filter(kind=CaseKind.MARGIN_CALL, category="stress_test").count() == 2


def test_an_outreach_still_opening_says_so(client, supervisor, valued_book, settings,
                                           django_capture_on_commit_callbacks):
    settings.STRESS_OUTREACH_IN_REQUEST = 1
    login(client, supervisor)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(STRESS_TESTS, {"market_shock": "-10", "symbol_shocks": "600902: -20%", "open_cases": "on"})
    test = StressTest.objects.get()
    page = body(client.get(reverse("risk_pages:stress_test", args=[test.pk]), HTTP_ACCEPT_LANGUAGE="en"))
    assert 'data-outreach="running"' in page and "2 accounts to reach" in page
    assert "0 / 2" in body(client.get(STRESS_TESTS))

    status_url = reverse("risk_pages:stress_test_outreach", args=[test.pk])
    assert f'hx-get="{status_url}"' in page  # followed every 5 s while running
    assert 'data-outreach-state="running"' in body(client.get(status_url, HTTP_ACCEPT_LANGUAGE="en"))

    for callback in callbacks:
        callback()
    page = body(client.get(reverse("risk_pages:stress_test", args=[test.pk]), HTTP_ACCEPT_LANGUAGE="en"))
    assert 'data-outreach=' not in page and "2 opened" in page
    status = body(client.get(status_url, HTTP_ACCEPT_LANGUAGE="en"))
    assert 'data-outreach-state="done"' in status and "2 opened" in status and "hx-get" not in status
    assert client.get(reverse("risk_pages:stress_test_outreach", args=[test.pk + 1])).status_code == 404
    client.logout()
    assert client.get(status_url, HTTP_HX_REQUEST="true")["HX-Refresh"] == "true"


@pytest.mark.parametrize("data, field, text", [
    ({"market_shock": "-150"}, "market_shock", "-99"),
    ({"market_shock": "101"}, "market_shock", "100"),
    ({"market_shock": "abc"}, "market_shock", ""),
    ({"market_shock": "-10.123"}, "market_shock", ""),
    ({}, "market_shock", ""),
    ({"market_shock": "-10", "symbol_shocks": "600999 -20"}, "symbol_shocks", "600999"),
    ({"market_shock": "-10", "symbol_shocks": "600901"}, "symbol_shocks", "1"),
    ({"market_shock": "-10", "symbol_shocks": "600901 -200"}, "symbol_shocks", "600901"),
    ({"market_shock": "-10", "symbol_shocks": "600901 -20\n600901 -30"}, "symbol_shocks", "600901"),
    ({"market_shock": "-10", "symbol_shocks": "\x00 -1"}, "symbol_shocks", ""),
])
def test_bad_stress_input_is_400_with_field_errors_and_runs_nothing(client, risk_officer, shocked_book, data,
                                                                    field, text):
    response = login(client, risk_officer).post(STRESS_TESTS, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors.get(field) and text in " ".join(form.errors[field])
    assert 'class="error" role="alert"' in body(response)
    assert not StressTest.objects.exists()


def test_shocks_typed_with_a_chinese_input_method_are_read(client, risk_officer, shocked_book):
    """Full-width comma, colon, minus, plus, per cent and digits, as a Chinese input method types them,
    and the minus sign (U+2212) of a pasted document."""
    SecurityFactory(symbol="600903", price=D("5.00"))
    response = login(client, risk_officer).post(
        STRESS_TESTS, {"market_shock": "-10", "symbol_shocks": "600902，－20％\n６００９０１：＋5\n600903 \u22127.5"})
    assert response.status_code == 302, response.context["form"].errors
    assert StressTest.objects.get().symbol_shocks == {"600902": "-0.2000", "600901": "0.0500", "600903": "-0.0750"}


@pytest.mark.parametrize("role", [Role.AGENT, Role.ADVISOR, Role.TEAM_LEAD, Role.AUDITOR, Role.CLIENT])
def test_only_risk_officers_and_supervisors_run_stress_tests(client, shocked_book, role):
    response = login(client, UserFactory(roles=[role])).post(STRESS_TESTS, {"market_shock": "-10"})
    assert response.status_code == 403 and not StressTest.objects.exists()


def test_saved_stress_tests_are_listed_newest_first_a_page_at_a_time(client, risk_officer, shocked_book,
                                                                     django_assert_max_num_queries):
    tests = [stress.stress_test_run(user=risk_officer, market_shock=D(f"-0.{i:02d}")) for i in range(1, 25)]
    login(client, risk_officer)
    with django_assert_max_num_queries(10):
        html = body(client.get(STRESS_TESTS))
    listed = [int(pk) for pk in re.findall(r'<tr data-stress-test="(\d+)">', html)]
    assert listed == [test.pk for test in tests[::-1][:20]]
    assert 'rel="next" href="?page=2"' in html
    second = [int(pk) for pk in re.findall(r'<tr data-stress-test="(\d+)">', body(client.get(STRESS_TESTS,
                                                                                               {"page": 2})))]
    assert second == [test.pk for test in tests[::-1][20:]]
    assert client.get(STRESS_TESTS, {"page": "x"}).status_code == 400


def test_a_page_past_the_last_saved_stress_test_does_not_say_none_was_run(client, risk_officer, shocked_book):
    stress.stress_test_run(user=risk_officer, market_shock=D("-0.10"))
    login(client, risk_officer)
    for language in ("en", "zh-hans"):
        html = body(client.get(STRESS_TESTS, {"page": 3}, HTTP_ACCEPT_LANGUAGE=language))
        assert 'class="empty past-last-page"' in html and 'rel="prev" href="?page=2"' in html
        assert not re.findall(r'<tr data-stress-test="(\d+)">', html)
    html = body(client.get(STRESS_TESTS, {"page": 3}, HTTP_ACCEPT_LANGUAGE="en"))
    assert "No stress test on this page" in html and "No stress test has been run yet." not in html
    StressTest.objects.all().delete()
    assert "No stress test has been run yet." in body(client.get(STRESS_TESTS, HTTP_ACCEPT_LANGUAGE="en"))


# --- stress mode -----------------------------------------------------------------------------------

def test_risk_officer_sets_and_lifts_stress_mode(client, risk_officer, book, django_capture_on_commit_callbacks):
    login(client, risk_officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(STRESS_MODE, {"action": "set", "points": "5", "reason": "Market crash",
                                             "expected": ""})
    assert response.status_code == 302
    mode = StressMode.objects.get(is_active=True)
    assert (mode.points, mode.reason, mode.set_by) == (D("5.00"), "Market crash", risk_officer)
    # Every risk page shows it; the monitoring ran against the raised lines (tasks run eagerly here).
    for url in (OVERVIEW, STRESS_TESTS, FORECAST, f"{ACCOUNTS}?level=normal"):
        html = body(client.get(url))
        assert 'data-stress-mode="on"' in html and 'data-points="5.00"' in html and "Market crash" in html
    assert AccountRisk.objects.get(account=book["W2"]).level == "close_out"  # 130 % < 130 % + 5

    response = client.post(STRESS_MODE, {"action": "lift", "expected": str(mode.pk)})
    assert response.status_code == 302
    mode.refresh_from_db()
    assert not mode.is_active and mode.lifted_by == risk_officer
    assert 'data-stress-mode="off"' in body(client.get(OVERVIEW))


def test_lifting_when_stress_mode_is_off_says_nothing_changed(client, risk_officer, book,
                                                             django_capture_on_commit_callbacks):
    from risk.models import MonitoringRun

    runs = MonitoringRun.objects.count()
    login(client, risk_officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(STRESS_MODE, {"action": "lift", "expected": ""}, HTTP_ACCEPT_LANGUAGE="en",
                               follow=True)
    html = body(response)
    assert response.status_code == 200 and "Stress mode was not on: nothing was changed." in html
    assert "Every account is being revalued" not in html
    assert MonitoringRun.objects.count() == runs and not StressMode.objects.exists()


@pytest.mark.parametrize("data, field", [
    ({"points": "0", "reason": "x"}, "points"),
    ({"points": "100.01", "reason": "x"}, "points"),
    ({"points": "abc", "reason": "x"}, "points"),
    ({"points": "5"}, "reason"),
    ({"points": "5", "reason": "x" * 2001}, "reason"),
])
def test_bad_stress_mode_input_is_400_and_changes_nothing(client, risk_officer, data, field):
    response = login(client, risk_officer).post(STRESS_MODE, {"action": "set", "expected": "", **data})
    assert response.status_code == 400
    assert response.context["set_form"].errors.get(field)
    assert not StressMode.objects.exists()


def test_unknown_action_is_400(client, risk_officer):
    assert login(client, risk_officer).post(STRESS_MODE, {"action": "explode"}).status_code == 400


@pytest.mark.parametrize("active", [False, True])
def test_unknown_action_says_which_actions_there_are(client, risk_officer, active):
    """With or without an active stress mode (the lift form is only shown while one is active)."""
    if active:
        stress.stress_mode_set(user=risk_officer, points=D("3"), reason="first")
    http = login(client, risk_officer)
    response = http.post(STRESS_MODE, {"action": "bogus"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert ('<div class="message error" role="alert" data-status="400">Unknown action: the actions are “set” '
            '(set or replace stress mode) and “lift” (lift it).</div>') in body(response)
    chinese = http.post(STRESS_MODE, {"action": "bogus"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert chinese.status_code == 400 and 'role="alert" data-status="400">' in body(chinese)
    assert StressMode.objects.filter(is_active=True).exists() == active


def test_stress_mode_changed_meanwhile_is_409_and_changes_nothing(client, risk_officer, other_risk_officer):
    login(client, risk_officer)
    page = body(client.get(STRESS_MODE))
    assert 'name="expected" value=""' in page or 'name="expected" id="id_expected"' in page
    other = stress.stress_mode_set(user=other_risk_officer, points=D("3"), reason="first")
    response = client.post(STRESS_MODE, {"action": "set", "points": "8", "reason": "mine", "expected": ""})
    assert response.status_code == 409 and 'data-status="409"' in body(response)
    assert list(StressMode.objects.filter(is_active=True)) == [other]
    # The page now carries the current mode and the officer's input for the next try.
    assert f'value="{other.pk}"' in body(response) and "mine" in body(response)
    response = client.post(STRESS_MODE, {"action": "lift", "expected": ""})
    assert response.status_code == 409
    assert StressMode.objects.get(pk=other.pk).is_active


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.AGENT, Role.AUDITOR, Role.CLIENT])
def test_only_risk_officers_switch_stress_mode(client, role):
    response = login(client, UserFactory(roles=[role])).post(
        STRESS_MODE, {"action": "set", "points": "5", "reason": "x", "expected": ""})
    assert response.status_code == 403 and not StressMode.objects.exists()


def test_supervisor_sees_the_mode_but_no_switch(client, supervisor, risk_officer):
    stress.stress_mode_set(user=risk_officer, points=D("2.5"), reason="volatile")
    html = body(login(client, supervisor).get(STRESS_MODE))
    assert 'data-points="2.50"' in html and "stress-mode-set" not in html and "stress-mode-lift" not in html
    assert 'class="active"' in html  # the history marks the active mode


# --- forecast ----------------------------------------------------------------------------------------

def test_forecast_lists_accounts_most_likely_to_breach_with_the_parameters(client, risk_officer, book,
                                                                            django_assert_max_num_queries):
    login(client, risk_officer)
    with django_assert_max_num_queries(12):
        html = body(client.get(FORECAST, {"days": 10}, HTTP_ACCEPT_LANGUAGE="en"))
    rows = re.findall(r'<tr data-account="(\w+)" data-probability="([\d.]+)">', html)
    # By default the accounts below 200 % not yet below their warning line: T1 (145 %) and N1 (160 %);
    # cash only, their ratios cannot move: probability 0.
    assert rows == [("T1", "0.0000"), ("N1", "0.0000")] and 'data-assessed="2"' in html
    assert 'data-days="10"' in html and 'data-paths="10000"' in html and 'data-below="200"' in html
    assert "capped" not in html

    html = body(client.get(FORECAST, {"days": 10, "include_breached": "on"}, HTTP_ACCEPT_LANGUAGE="en"))
    rows = re.findall(r'<tr data-account="(\w+)" data-probability="([\d.]+)">', html)
    # Below the warning line already: probability 1, worst ratio first.
    assert rows == [("X2", "1.0000"), ("X1", "1.0000"), ("W2", "1.0000"), ("W1", "1.0000"),
                    ("T1", "0.0000"), ("N1", "0.0000")]
    assert "Already below the line" in html

    wider = body(client.get(FORECAST, {"days": 10, "below": 1000, "include_breached": "on"}))
    # N2 (220 %), N3 (350 %) now; F1 has no liability, hence no ratio: never in scope.
    assert [no for no, _p in re.findall(r'<tr data-account="(\w+)" data-probability="([\d.]+)">', wider)] == [
        "X2", "X1", "W2", "W1", "T1", "N1", "N2", "N3"]


def test_a_forecast_page_past_the_last_account_says_so_and_links_back(client, risk_officer, book):
    login(client, risk_officer)
    html = body(client.get(FORECAST, {"page": 5}, HTTP_ACCEPT_LANGUAGE="en"))
    assert 'data-assessed="2"' in html and not re.findall(r'<tr data-account="(\w+)"', html)
    assert "No account on this page" in html and "No credit account to assess." not in html
    assert 'rel="prev"' in html and "page=4" in html


def test_forecast_assesses_at_most_the_cap_lowest_ratios_first_and_says_so(client, risk_officer, book,
                                                                           monkeypatch):
    from risk.web import forecast_page

    monkeypatch.setattr(forecast_page, "MAX_ASSESSED", 3)
    html = body(login(client, risk_officer).get(FORECAST, {"include_breached": "on", "below": 1000}))
    assert re.findall(r'<tr data-account="(\w+)"', html) == ["X2", "X1", "W2"]
    assert 'class="message warning capped"' in html
    monkeypatch.setattr(forecast_page, "MAX_ASSESSED", 2)
    html = body(client.get(FORECAST))
    assert re.findall(r'<tr data-account="(\w+)"', html) == ["T1", "N1"] and "capped" not in html


@pytest.mark.parametrize("query, field", [({"days": "0"}, "days"), ({"days": "61"}, "days"), ({"days": "abc"}, "days"),
                                          ({"below": "99"}, "below"), ({"below": "1e9"}, "below"),
                                          ({"page": "0"}, "page")])
def test_bad_forecast_query_is_400(client, risk_officer, query, field):
    response = login(client, risk_officer).get(FORECAST, query)
    assert response.status_code == 400 and response.context["form"].errors.get(field)


# --- odd input never breaks a page ----------------------------------------------------------------

@pytest.mark.parametrize("url, query", [
    (STRESS_TESTS, {"page": "99999999999"}),
    (STRESS_TESTS, {"page": "-1"}),
    (FORECAST, {"page": "0"}),
    (FORECAST, {"days": "1e3"}),
    (FORECAST, {"days": "\x00"}),
])
def test_odd_query_strings_are_400(client, risk_officer, url, query):
    assert login(client, risk_officer).get(url, query).status_code == 400


def test_odd_stress_input_is_400(client, risk_officer):
    login(client, risk_officer)
    for data in ({"market_shock": "NaN"}, {"market_shock": "Infinity"}, {"market_shock": "-1e2"},
                 {"market_shock": "-10", "symbol_shocks": "600901 -1\n" * 20_001},
                 {"market_shock": "-10", "symbol_shocks": "".join(f"{600000 + i} -1\n" for i in range(501))},
                 {"market_shock": "-10", "symbol_shocks": "６０００００ -1"}):
        assert client.post(STRESS_TESTS, data).status_code == 400, data
    assert not StressTest.objects.exists()


def test_result_page_past_the_last_account_is_empty_and_a_silly_page_is_400(client, risk_officer, shocked_book):
    test = stress.stress_test_run(user=risk_officer, market_shock=D("-0.10"))
    url = reverse("risk_pages:stress_test", args=[test.pk])
    login(client, risk_officer)
    assert client.get(url, {"page": "5"}).status_code == 200
    assert client.get(url, {"page": "10000000000"}).status_code == 400


def test_a_result_page_past_the_last_account_does_not_say_no_account_falls_below(client, risk_officer, shocked_book):
    test = stress.stress_test_run(user=risk_officer, market_shock=D("-0.10"), symbol_shocks={"600902": D("-0.20")})
    url = reverse("risk_pages:stress_test", args=[test.pk])
    html = body(login(client, risk_officer).get(url, {"line": "warning", "page": 3}, HTTP_ACCEPT_LANGUAGE="en"))
    assert not re.findall(r'<tr data-account="(\w+)">', html)
    assert "No account would fall below this line." not in html
    assert "No account on this page: 2 accounts are listed under this line." in html
    assert 'rel="prev"' in html and "page=2" in html
    chinese = body(client.get(url, {"line": "warning", "page": 3}, HTTP_ACCEPT_LANGUAGE="zh-hans"))
    assert 'class="empty past-last-page"' in chinese


def test_result_and_stress_mode_pages_run_a_constant_number_of_queries(client, risk_officer, shocked_book,
                                                                        django_assert_max_num_queries):
    for points in ("1", "2", "3"):
        stress.stress_mode_set(user=risk_officer, points=D(points), reason="x")
    test = stress.stress_test_run(user=risk_officer, market_shock=D("-0.30"))
    login(client, risk_officer)
    with django_assert_max_num_queries(8):
        assert client.get(reverse("risk_pages:stress_test", args=[test.pk])).status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(STRESS_MODE).status_code == 200


def test_counts_are_kept_per_monitoring_run_and_a_new_run_shows_new_counts(client, risk_officer, book):
    login(client, risk_officer)
    first = body(client.get(OVERVIEW))
    assert level_counts(first)["normal"] == 3
    CreditAccountFactory(cash=D("500000"), financing_debt=D("100000"))  # not valued yet: not counted
    assert level_counts(body(client.get(OVERVIEW)))["normal"] == 3
    monitor_accounts(trigger="test")
    html = body(client.get(OVERVIEW))
    assert level_counts(html)["normal"] == 4
    assert json_data(html, "ratio-distribution-data")["counts"][-1] == 2


def test_the_overview_lists_the_liquidation_decisions_waiting(client, risk_officer, other_risk_officer):
    """Margin calls past their deadline, earliest first, each saying whose move it is."""
    import datetime
    from zoneinfo import ZoneInfo

    import time_machine

    from cases.services import case_transition

    shanghai = ZoneInfo("Asia/Shanghai")
    security = SecurityFactory(price=D("12.00"))
    for account_no in ("L1", "L2"):
        account = CreditAccountFactory(account_no=account_no, financing_debt=D("100000.00"))
        PositionFactory(account=account, security=security, quantity=10_000)  # 120 %: below close-out
    with time_machine.travel(datetime.datetime(2026, 2, 12, 10, tzinfo=shanghai), tick=False):
        monitor_accounts(trigger="test")
    with time_machine.travel(datetime.datetime(2026, 2, 24, 15, 1, tzinfo=shanghai), tick=False):
        monitor_accounts(trigger="test")
    first, second = Case.objects.filter(kind=CaseKind.MARGIN_CALL).order_by("credit_account__account_no")
    assert first.state == second.state == "liquidation_pending"
    case_transition(case=first, user=risk_officer, name="propose_liquidation", comment="未补仓")
    page = body(login(client, other_risk_officer).get(OVERVIEW, HTTP_ACCEPT_LANGUAGE="en"))
    assert "Deadlines passed: liquidation decisions" in page
    rows = re.findall(r'<tr data-case="([^"]+)" data-proposed="(\d)">', page)
    assert sorted(rows) == sorted([(first.number, "1"), (second.number, "0")])
    assert f'href="{reverse("console:case", args=[first.number])}"' in page
    assert "a second risk officer approves or declines" in page and "Waiting for a risk officer" in page
    assert "120.00%" in page
