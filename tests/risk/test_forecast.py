"""The risk forecast, checked against an independent Monte Carlo that knows the true parameters.

Prices for three securities are generated as driftless geometric Brownian motion with KNOWN
daily volatilities and correlations (fixed seed), stored as 250 days of SecurityPrice rows, and
the forecast (which only sees those prices) is compared with a brute-force simulation of the
same accounts under the TRUE covariance.

Tolerance: |forecast − brute force| ≤ 0.03 absolute for accounts near the line (probability
0.45–0.65). It covers the forecast's Monte-Carlo error (10,000 paths: standard error ≤ 0.005),
the brute force's (200,000 paths: ≤ 0.0011) and the error of a covariance estimated from 249
returns (volatilities off by about 1/√(2·249) ≈ 4.5 %, correlations by about 0.05). Over 12
independent price histories the largest differences were 0.019, 0.024 and 0.028 for the three
accounts below (0.048 for a leveraged long/short account further from the line, P ≈ 0.43: the
estimation error, not the simulation, dominates there). The simulation itself is checked
separately and more tightly (≤ 0.015, three standard errors) against the brute force run with
the covariance the forecast estimated.
"""

import datetime
from decimal import Decimal

import numpy as np
import pytest
from django.test import Client
from django.utils import timezone, translation

from accounts.models import Position, SecurityPrice
from accounts.roles import Role
from risk import forecast
from risk.models import StressMode
from risk.monitoring import monitor_accounts
from risk.web.pages import thin_history_label
from tests.factories import CreditAccountFactory, PositionFactory, SecurityFactory, UserFactory

pytestmark = pytest.mark.django_db
D = Decimal
URL = "/api/v1/risk/forecast/"
TOLERANCE = 0.03
HISTORY_DAYS = 250
TRUE_VOLATILITY = np.array([0.018, 0.025, 0.032])  # daily
TRUE_CORRELATION = np.array([[1.0, 0.6, 0.3], [0.6, 1.0, 0.4], [0.3, 0.4, 1.0]])
TRUE_COVARIANCE = np.outer(TRUE_VOLATILITY, TRUE_VOLATILITY) * TRUE_CORRELATION
SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))


def trading_days(count: int) -> list[datetime.date]:
    days, day = [], timezone.localdate() - datetime.timedelta(days=1)
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day -= datetime.timedelta(days=1)
    return days[::-1]


def store_history(security, prices, dates) -> None:
    SecurityPrice.objects.bulk_create(
        SecurityPrice(security=security, trade_date=day, price=D(f"{price:.4f}"),
                      as_of=datetime.datetime.combine(day, datetime.time(15), SHANGHAI))
        for day, price in zip(dates, prices, strict=True)
    )
    security.price = D(f"{prices[-1]:.4f}")
    security.save()


@pytest.fixture
def market():
    """Three securities with 250 days of GBM prices under the true covariance."""
    rng = np.random.default_rng(20_261_126)
    returns = rng.multivariate_normal(-0.5 * np.diag(TRUE_COVARIANCE), TRUE_COVARIANCE, size=HISTORY_DAYS - 1)
    start = np.array([12.0, 25.0, 8.0])
    prices = start * np.exp(np.vstack([np.zeros(3), np.cumsum(returns, axis=0)]))
    dates = trading_days(HISTORY_DAYS)
    securities = [SecurityFactory(symbol=f"60110{i}") for i in range(3)]
    for i, security in enumerate(securities):
        store_history(security, prices[:, i], dates)
    return securities


def account_with(securities, *, long=(), short=(), cash=D("0"), ratio: Decimal):
    """An account holding `long` / `short` values (yuan, by security index) with the debt that
    gives it `ratio` today."""
    account = CreditAccountFactory(cash=cash)
    long_value = short_value = D("0")
    for index, value in long:
        security = securities[index]
        quantity = int(D(value) / security.price)
        PositionFactory(account=account, security=security, quantity=quantity)
        long_value += quantity * security.price
    for index, value in short:
        security = securities[index]
        quantity = int(D(value) / security.price)
        PositionFactory(account=account, security=security, quantity=quantity, kind=Position.Kind.SHORT)
        short_value += quantity * security.price
    account.financing_debt = ((cash + long_value) / ratio - short_value).quantize(D("0.01"))
    account.save()
    return account


def brute_force(account, days: int, covariance=TRUE_COVARIANCE, line: float = 1.40, paths: int = 200_000) -> float:
    """First passage below `line` at any of `days` daily closes (by default under the TRUE covariance)."""
    long_values = np.zeros(3)
    short_values = np.zeros(3)
    symbols = {"601100": 0, "601101": 1, "601102": 2}
    for position in account.positions.select_related("security"):
        values = long_values if position.kind == Position.Kind.LONG else short_values
        values[symbols[position.security.symbol]] += float(position.quantity * position.security.price)
    cholesky = np.linalg.cholesky(covariance)
    rng = np.random.default_rng(4242)
    below = np.zeros(paths, dtype=bool)
    log_prices = np.zeros((paths, 3))
    for _day in range(days):
        log_prices += rng.standard_normal((paths, 3)) @ cholesky.T - 0.5 * np.diag(covariance)
        growth = np.exp(log_prices)
        assets = float(account.cash + account.other_collateral) + growth @ long_values
        liabilities = float(account.financing_debt + account.interest_fees) + growth @ short_values
        below |= assets / liabilities < line
    return float(below.mean())


def forecast_of(account, days: int):
    from accounts.models import CreditAccount
    from accounts.ratio import with_ratio

    (result,) = forecast.forecast_accounts(with_ratio(CreditAccount.objects.filter(pk=account.pk)), days=days)
    return result


def test_the_estimated_covariance_is_close_to_the_true_one(market):
    model = forecast.estimate_covariance([s.pk for s in market])
    volatility = np.sqrt(np.diag(model.covariance))
    correlation = model.covariance / np.outer(volatility, volatility)
    assert np.all(np.abs(volatility / TRUE_VOLATILITY - 1) < 0.15)
    assert np.all(np.abs(correlation - TRUE_CORRELATION) < 0.15)
    assert set(model.returns_used.values()) == {HISTORY_DAYS - 1}
    assert not model.defaulted


NEAR_THE_LINE = [
    # Diversified long book just above the warning line, over the default 5 days (P ≈ 0.48).
    (D("1.43"), 5, [(0, 100_000), (1, 100_000), (2, 100_000)], [], D("0")),
    # Further from the line over a longer horizon (P ≈ 0.51).
    (D("1.47"), 20, [(0, 150_000), (2, 150_000)], [], D("20000")),
    # Long two, short the third: the shorted price rising hurts too (P ≈ 0.63).
    (D("1.42"), 10, [(0, 200_000), (1, 100_000)], [(2, 60_000)], D("60000")),
]


@pytest.mark.parametrize("ratio, days, long, short, cash", NEAR_THE_LINE)
def test_forecast_matches_a_brute_force_monte_carlo_with_the_true_parameters(market, ratio, days, long, short,
                                                                             cash):
    account = account_with(market, long=long, short=short, cash=cash, ratio=ratio)
    result = forecast_of(account, days)
    expected = brute_force(account, days)
    assert 0.3 < expected < 0.7
    assert abs(float(result.probability) - expected) <= TOLERANCE, (float(result.probability), expected)
    assert result.flags == []


@pytest.mark.parametrize("ratio, days, long, short, cash", [
    *NEAR_THE_LINE,
    (D("1.50"), 20, [(0, 150_000), (2, 150_000)], [], D("20000")),
    (D("1.47"), 10, [(0, 200_000), (1, 100_000)], [(2, 60_000)], D("60000")),
    (D("1.60"), 60, [(1, 300_000)], [(0, 50_000)], D("50000")),
])
def test_the_simulation_matches_a_brute_force_with_the_estimated_covariance(market, ratio, days, long, short,
                                                                            cash):
    account = account_with(market, long=long, short=short, cash=cash, ratio=ratio)
    estimated = forecast.estimate_covariance([s.pk for s in market]).covariance
    expected = brute_force(account, days, covariance=estimated)
    assert 0.05 < expected < 0.95
    assert abs(float(forecast_of(account, days).probability) - expected) <= 0.015


def test_an_account_without_liability_has_probability_zero_and_is_flagged(api, risk_officer, market):
    account = CreditAccountFactory(cash=D("1000.00"))
    PositionFactory(account=account, security=market[2], quantity=1_000)
    (row,) = api.as_user(risk_officer).get(URL).json()["results"]
    assert row["account_no"] == account.account_no
    assert (row["probability"], row["ratio"], row["flags"]) == ("0.0000", None, ["no_liability"])


def test_an_account_far_above_the_line_has_probability_about_zero(market):
    account = account_with(market, long=[(0, 100_000), (1, 100_000)], ratio=D("3.00"))
    assert forecast_of(account, 5).probability == D("0")
    assert forecast_of(account, 60).probability < D("0.01")


def test_an_account_already_below_the_line_has_probability_one(market):
    account = account_with(market, long=[(0, 100_000)], ratio=D("1.35"))
    result = forecast_of(account, 5)
    assert (result.probability, result.flags) == (D("1.0000"), ["already_below"])


def test_a_security_with_too_little_history_gets_the_conservative_default_and_a_flag(market):
    young = SecurityFactory(symbol="688999", price=D("30.00"))
    store_history(young, [30.0] * 10, trading_days(10))
    account = account_with([young], long=[(0, 100_000)], ratio=D("1.60"))
    result = forecast_of(account, 5)
    assert result.flags == ["default_volatility"]
    assert result.thin_history == ["688999"]
    assert result.volatility == D("0.6000")  # annualised
    assert D("0") < result.probability < D("1")


def test_the_thin_history_flag_names_only_the_securities_it_concerns(api, risk_officer, market):
    young = SecurityFactory(symbol="688999", price=D("30.00"))
    store_history(young, [30.0] * 10, trading_days(10))
    account = account_with([market[0], young], long=[(0, 100_000), (1, 50_000)], ratio=D("1.45"))
    row = next(row for row in api.as_user(risk_officer).get(URL).json()["results"]
               if row["account_no"] == account.account_no)
    assert (row["flags"], row["thin_history"]) == (["default_volatility"], ["688999"])
    monitor_accounts(trigger="test")  # the page assesses the accounts the monitoring has valued
    page = Client()
    page.force_login(risk_officer)
    html = page.get("/risk/forecast/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Too little price history for 688999: 60 % a year assumed for them" in html
    assert market[0].symbol not in html.split("Too little price history for")[1].split("</span>")[0]


def test_the_thin_history_badge_counts_what_it_does_not_name():
    with translation.override("en"):
        assert thin_history_label(["A", "B", "C", "D", "E"], 60) == (
            "Too little price history for A, B, C and 2 more: 60 % a year assumed for them")
        assert thin_history_label(["A", "B"], 60) == "Too little price history for A, B: 60 % a year assumed for them"
    with translation.override("zh-hans"):
        assert thin_history_label(["A", "B", "C", "D"], 60) == "A, B, C 等，另有 1 只 价格历史不足：对其假定年化波动率 60%"


def test_the_account_volatility_is_the_annualised_volatility_of_its_long_collateral(market):
    account = account_with(market, long=[(1, 100_000)], ratio=D("2.00"))
    annual = TRUE_VOLATILITY[1] * np.sqrt(252)
    assert abs(float(forecast_of(account, 5).volatility) / annual - 1) < 0.15


def test_the_api_lists_accounts_by_probability_with_pages_of_fifty(api, agent, market):
    near = account_with(market, long=[(0, 100_000), (2, 100_000)], ratio=D("1.42"))
    middle = account_with(market, long=[(0, 100_000), (2, 100_000)], ratio=D("1.48"))
    far = account_with(market, long=[(0, 100_000)], ratio=D("2.50"))
    for _ in range(50):
        CreditAccountFactory(cash=D("10.00"))
    response = api.as_user(agent).get(URL, {"days": 5})
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 53 and len(data["results"]) == 50 and data["next"] and data["days"] == 5
    top = data["results"][:3]
    assert [row["account_no"] for row in top] == [near.account_no, middle.account_no, far.account_no]
    probabilities = [D(row["probability"]) for row in data["results"]]
    assert probabilities == sorted(probabilities, reverse=True)
    assert top[0]["warning_line"] == "1.4000" and top[0]["ratio"] == "1.4200"
    assert set(top[0]) == {"account_no", "client", "client_name", "ratio", "warning_line", "probability",
                           "volatility", "flags", "thin_history"}
    assert len(top[0]["probability"].split(".")[1]) == 4
    # Fixed seeds: the same request gives the same numbers.
    assert api.as_user(agent).get(URL, {"days": 5}).json()["results"][:3] == top


def test_the_forecast_uses_the_warning_line_raised_by_stress_mode(api, risk_officer, market):
    account = account_with(market, long=[(0, 100_000)], ratio=D("1.43"))
    StressMode.objects.create(points=D("5.00"), set_by=risk_officer)
    (row,) = api.as_user(risk_officer).get(URL).json()["results"]
    assert row["account_no"] == account.account_no
    assert (row["warning_line"], row["probability"], row["flags"]) == ("1.4500", "1.0000", ["already_below"])


@pytest.mark.parametrize("days", ["0", "61", "-3", "five"])
def test_days_outside_1_to_60_are_400(api, risk_officer, days):
    response = api.as_user(risk_officer).get(URL, {"days": days})
    assert response.status_code == 400 and "days" in response.json()


@pytest.mark.parametrize("role", [Role.RISK_OFFICER, Role.SUPERVISOR, Role.AUDITOR, Role.TEAM_LEAD, Role.AGENT])
def test_staff_read_the_forecast(api, role, market):
    account_with(market, long=[(0, 100_000)], ratio=D("1.60"))
    assert api.as_user(UserFactory(roles=[role])).get(URL).status_code == 200


def test_clients_may_not_read_the_forecast(api, client_profile):
    assert api.as_user(client_profile.user).get(URL).status_code == 403


def test_an_account_of_many_securities_is_simulated_in_batches_of_bounded_size(monkeypatch):
    """300 securities over 60 days drew 2,000 × 60 × 300 random numbers at once (with the arrays
    made from them, gigabytes: the worker serving the whole book's forecast was killed). Now at most
    MAX_BATCH_CELLS at a time, and the same paths whatever the batch size."""
    drawn = []
    default_rng = np.random.default_rng

    class Recording:
        def __init__(self, seed):
            self.rng = default_rng(seed)

        def standard_normal(self, shape):
            drawn.append(int(np.prod(shape)))
            return self.rng.standard_normal(shape)

    monkeypatch.setattr(forecast.np.random, "default_rng", Recording)
    k, days = 300, 60
    many = {"fixed_assets": 0.0, "fixed_liabilities": 100_000.0, "long_values": np.full(k, 140_000.0 / k),
            "short_values": np.zeros(k), "covariance": np.eye(k) * 0.02 ** 2, "line": 1.40, "days": days,
            "seed": 7}
    forecast.first_passage_probability(**many, paths=200)
    assert drawn and max(drawn) <= forecast.MAX_BATCH_CELLS and sum(drawn) == 200 * days * k

    few = {**many, "long_values": np.array([150_000.0, 0.0]), "short_values": np.zeros(2),
           "covariance": np.array([[0.0004, 0.0001], [0.0001, 0.0009]]), "days": 5}
    whole = forecast.first_passage_probability(**few, paths=3_000)
    monkeypatch.setattr(forecast, "MAX_BATCH_CELLS", 70)  # batches of 7 paths
    assert forecast.first_passage_probability(**few, paths=3_000) == whole > 0
