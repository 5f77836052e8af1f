"""Found by exploring the risk pages as a risk officer and an auditor would (QA): what they read
on the page after a bad input, and how a saved stress test states its parameters."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from risk import stress
from risk.monitoring import monitor_accounts
from tests.factories import CreditAccountFactory

pytestmark = pytest.mark.django_db
D = Decimal
FORECAST = reverse("risk_pages:forecast")


def text(response) -> str:
    html = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r"\s+", " ", html)


@pytest.mark.parametrize("query", [{"days": "0"}, {"days": "abc", "below": "1"}])
def test_a_refused_forecast_query_still_states_which_accounts_are_assessed(client, risk_officer, query):
    """A bad horizon gave a 400 whose "Model and parameters" read "ratio below  % at the latest
    valuation, at most  , lowest first": the numbers were missing."""
    client.force_login(risk_officer)
    response = client.get(FORECAST, query, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    page = text(response)
    assert "ratio below 200 % at the latest valuation, at most 2,000, lowest first" in page or \
        "ratio below 200 % at the latest valuation, at most 2000, lowest first" in page
    assert "ratio below  %" not in page and "at most  ," not in page

    response = client.get(FORECAST, query)  # zh-hans, the default
    page = text(response)
    assert "低于 200 %" in page or "低于 200%" in page, page[page.find("评估"):][:200]


def test_a_refused_forecast_query_keeps_the_valid_ratio_typed(client, risk_officer):
    client.force_login(risk_officer)
    response = client.get(FORECAST, {"days": "0", "below": "150"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert 'data-below="150"' in response.content.decode()


def test_a_stress_test_run_without_stress_mode_shows_its_stress_points_as_the_api_does(client, risk_officer):
    """The API says "0.00" for a test run without stress mode, the overview "+5.00" with one; the
    test's page said "0" (and "5.00" with one)."""
    CreditAccountFactory(account_no="S1", cash=D("135000.00"), financing_debt=D("100000.00"))
    monitor_accounts(trigger="test")
    test = stress.stress_test_run(user=risk_officer, market_shock=D("-0.10"))
    client.force_login(risk_officer)
    html = client.get(reverse("risk_pages:stress_test", args=[test.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert re.search(r"Stress points</dt>\s*<dd>0\.00</dd>", html)

    stress.stress_mode_set(user=risk_officer, points=D("5"), reason="volatile")
    test = stress.stress_test_run(user=risk_officer, market_shock=D("-0.10"))
    html = client.get(reverse("risk_pages:stress_test", args=[test.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert re.search(r"Stress points</dt>\s*<dd>5\.00</dd>", html)


def test_the_forecast_states_its_stress_points_to_the_hundredth(client, risk_officer):
    """"0" without stress mode, "5.00" with one: the forecast's parameters now say "0.00"."""
    client.force_login(risk_officer)
    html = client.get(FORECAST, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert re.search(r"Stress points</dt>\s*<dd>0\.00</dd>", html)
    stress.stress_mode_set(user=risk_officer, points=D("2.5"), reason="volatile")
    html = client.get(FORECAST, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert re.search(r"Stress points</dt>\s*<dd>2\.50</dd>", html)


def test_the_ratio_history_says_when_a_stress_mode_raised_the_lines(client, risk_officer, auditor):
    """At 131 % an account read "Below the close-out line" at one valuation and "Below the warning
    line" at the next with the same ratio: the first was judged with the lines of a stress mode
    (+5 points, the close-out line at 135 %), which the history did not say."""
    CreditAccountFactory(account_no="SH1", cash=D("131000.00"), financing_debt=D("100000.00"))
    monitor_accounts(trigger="test")
    stress.stress_mode_set(user=risk_officer, points=D("5"), reason="volatile")
    monitor_accounts(trigger="test")  # what setting it starts once committed
    stress.stress_mode_lift(user=risk_officer)
    monitor_accounts(trigger="test")
    client.force_login(auditor)
    url = "/console/accounts/SH1/"
    page = text(client.get(url, HTTP_ACCEPT_LANGUAGE="en"))
    history = page[page.index("Ratio history"):page.index("Lines crossed")]
    assert history.count("131%") == 3
    assert "Below the close-out line lines raised by 5.00 points" in history
    assert history.count("lines raised by") == 1
    page = text(client.get(url))
    assert "各线上调 5.00 个百分点" in page


def test_the_accounts_assessed_read_as_one_sentence_in_chinese(client, risk_officer):
    """The note on accounts already below their warning line was joined with an English "; "."""
    client.force_login(risk_officer)
    zh = text(client.get(FORECAST))
    assert "比例最低者优先；不含已低于其警戒线的账户" in zh and "优先; " not in zh
    en = text(client.get(FORECAST, HTTP_ACCEPT_LANGUAGE="en"))
    assert "lowest first; not those already below their warning line" in en
