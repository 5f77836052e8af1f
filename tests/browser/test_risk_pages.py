"""The risk officer in a real browser: the overview's ratio chart, and a stress test run from the form."""

from decimal import Decimal

import pytest

from accounts.roles import Role
from risk.monitoring import monitor_accounts
from tests.browser.conftest import screenshot
from tests.factories import CreditAccountFactory, PositionFactory, SecurityFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
D = Decimal

#: Cash against 100,000 of debt (ratio = cash / 100,000), and the buckets they fall in:
#: <100, 100–110, …, 190–200, 200–250, 250–300, ≥300.
CASH = ["90000", "120000", "130000", "135000", "145000", "160000", "165000", "220000", "350000"]
EXPECTED_BUCKETS = [1, 0, 0, 1, 2, 1, 0, 2, 0, 0, 0, 1, 0, 1]


@pytest.fixture
def book(db):
    for i, cash in enumerate(CASH):
        CreditAccountFactory(account_no=f"R{i:03d}", cash=D(cash), financing_debt=D("100000.00"))
    security = SecurityFactory(symbol="600901", price=D("10.00"))
    account = CreditAccountFactory(account_no="S001", financing_debt=D("100000.00"))
    PositionFactory(account=account, security=security, quantity=15_000)  # 150 %: 135 % after -10 %
    monitor_accounts(trigger="test")


def test_risk_officer_sees_the_distribution_and_runs_a_stress_test(new_page, book):
    officer = UserFactory(username="risk-browser", roles=[Role.RISK_OFFICER])
    page = new_page(officer, language="en")
    assert page.url.endswith("/risk/")

    page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('ratio-distribution'))")
    drawn = page.evaluate("""() => {
        const chart = Chart.getChart(document.getElementById('ratio-distribution'));
        return {labels: chart.data.labels, counts: chart.data.datasets[0].data, type: chart.config.type};
    }""")
    # The 150 % account adds to the 150–160 bucket.
    expected = list(EXPECTED_BUCKETS)
    expected[6] += 1
    assert drawn["type"] == "bar" and drawn["counts"] == expected
    assert drawn["labels"][0] == "<100%" and drawn["labels"][-1] == "≥300%"
    assert page.locator('[data-level="warning"] [data-count]').inner_text() == "2"
    screenshot(page, "risk-overview")

    page.click('a[data-level="warning"]')
    page.wait_for_url("**/risk/accounts/?level=warning")
    listed = page.locator("table.risk-accounts tr[data-account]")
    assert [listed.nth(i).get_attribute("data-account") for i in range(listed.count())] == ["R002", "R003"]
    page.go_back()

    page.click("text=Stress tests")
    page.fill("input[name=market_shock]", "-10")
    page.fill("textarea[name=symbol_shocks]", "600901 -10")
    page.click("form.stress-test-form button[type=submit]")
    page.wait_for_url("**/risk/stress-tests/*/")
    # −10 %: S001 falls from 150 % to 135 %; the cash-only accounts do not move. Below the warning
    # line: 90, 120, 130 and 135 % and S001; below close-out: 90 and 120 %.
    assert page.locator('tr[data-line="warning"] [data-count]').inner_text() == "5"
    assert page.locator('tr[data-line="close_out"] [data-count]').inner_text() == "2"
    listed = page.locator("table.stress-accounts tr[data-account]")
    assert listed.count() == 5 and listed.first.get_attribute("data-account") == "R000"  # worst first
    assert "S001" in page.locator("table.stress-accounts").inner_text()
    page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('stress-lines-chart'))")
    screenshot(page, "risk-stress-result")
    assert page.errors == []


def test_stress_mode_switch_and_forecast_in_chinese(new_page, book):
    officer = UserFactory(username="risk-browser-zh", roles=[Role.RISK_OFFICER])
    page = new_page(officer)
    page.goto("/risk/stress-mode/")
    assert page.locator("#stress-mode").get_attribute("data-stress-mode") == "off"
    page.fill("input[name=points]", "5")
    page.fill("textarea[name=reason]", "市场大幅波动")
    with page.expect_navigation():  # back to the same address: waiting for the URL alone would not wait
        page.click("form.stress-mode-set button[type=submit]")
    banner = page.locator("#stress-mode")
    assert banner.get_attribute("data-stress-mode") == "on" and banner.get_attribute("data-points") == "5.00"
    assert "市场大幅波动" in banner.inner_text()
    screenshot(page, "risk-stress-mode")

    page.goto("/risk/forecast/?days=5")
    rows = page.locator("table.forecast-list tr[data-account]")
    # The lines are 5 points higher: from 145 % up to 200 % not yet below the warning line; S001
    # holds a security with no price history (60 % a year assumed), the others cash only.
    assert [rows.nth(i).get_attribute("data-account") for i in range(rows.count())] == [
        "S001", "R004", "R005", "R006"]
    assert float(rows.first.get_attribute("data-probability")) > 0.3
    page.check("input[name=include_breached]")
    page.click("form.forecast-form button[type=submit]")
    page.wait_for_url("**include_breached=on**")
    rows = page.locator("table.forecast-list tr[data-account]")
    assert rows.count() == 8  # and 90, 120, 130, 135 %, already below 145 %: probability 1
    assert [rows.nth(i).get_attribute("data-probability") for i in range(4)] == ["1.0000"] * 4
    assert page.locator("#stress-mode").get_attribute("data-stress-mode") == "on"
    screenshot(page, "risk-forecast")
    assert page.errors == []
