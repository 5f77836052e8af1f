"""Risk forecast: how likely is each account's ratio to fall below its warning line within the
next N trading days?

The model (also in README.md, "Risk forecast"):

* Prices. Each security's daily closes come from SecurityPrice (one row per trading day,
  written by every price import). On the last LOOKBACK_RETURNS + 1 trade dates present for the
  securities involved, the daily log return r_t = ln(P_t / P_{t−1}) is taken between
  consecutive stored dates (missing where either price is missing).
* Covariance. Σ is the sample covariance (ddof = 1) of the daily log returns, pairwise over
  the dates both securities have (made positive semi-definite by clipping negative eigenvalues
  when gaps leave it indefinite). A security with fewer than MIN_RETURNS returns gets the
  conservative DEFAULT_DAILY_VOLATILITY, no correlation with the others, and the account is
  flagged `default_volatility`.
* Prices move as driftless geometric Brownian motion: over h trading days the log price
  changes X ~ N(−½·diag(Σ)·h, Σ·h), so every price is a martingale.
* An account with cash and other collateral C, debt and fees D, long values L_i and short
  values S_i (at today's prices) has at day t the ratio
      R(t) = (C + Σ L_i·e^{X_i(t)}) / (D + Σ S_i·e^{X_i(t)}).
  Interest accrued over the horizon, top-ups, trades and stress-mode changes are ignored.
* "Within N trading days" is first passage: the probability that R(t) < warning line at any
  daily close t = 1 … N. It is estimated by Monte Carlo: PATHS paths of N daily steps with the
  Cholesky-like factor of Σ, a fixed seed per account (results are reproducible), in numpy.
  The standard error is at most 0.005 (√(p(1−p)/PATHS)).
* Shortcuts that change nothing visible: no liability → probability 0 (`no_liability`);
  already below the line → 1 (`already_below`); no securities, or a distance to the line
  beyond SCREEN_SIGMAS standard deviations of ln R over N days (delta method) → 0 without
  simulating (the simulated estimate would be 0 at this precision too).
* The warning line is the effective one (the account's own or the firm's default, raised by the
  active stress mode). `volatility` is the annualised (×√252) volatility of the account's long
  securities as a portfolio (0 without long positions).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import numpy as np

from accounts.models import CreditAccount, Position, SecurityPrice
from risk.lines import active_stress_points, effective_line

DEFAULT_DAYS = 5
MAX_DAYS = 60
LOOKBACK_RETURNS = 250  # one trading year: the estimate's volatility error is about 1/√(2·250) ≈ 4.5 %
MIN_RETURNS = 20
TRADING_DAYS_PER_YEAR = 252
DEFAULT_DAILY_VOLATILITY = 0.60 / np.sqrt(TRADING_DAYS_PER_YEAR)  # 60 % a year: conservative for A-shares
PATHS = 10_000
BATCH = 2_000
#: Random numbers drawn at a time (paths × days × securities): about 24 MB in float64, with the
#: arrays derived from them about 100 MB. Without the cap an account of 300 securities over 60 days
#: drew 36 million at once (well over a gigabyte in all), enough to kill the worker serving the API.
#: The draws continue one random stream, so the paths are the same whatever the batch size.
MAX_BATCH_CELLS = 3_000_000
SEED = 20_260_101
SCREEN_SIGMAS = 8.0
PROBABILITY_PLACES = Decimal("0.0001")


@dataclass
class CovarianceModel:
    """Daily log-return covariance of a set of securities."""

    security_ids: list[int]
    covariance: np.ndarray
    returns_used: dict[int, int]
    defaulted: set[int] = field(default_factory=set)

    def __post_init__(self):
        self.index = {security_id: i for i, security_id in enumerate(self.security_ids)}

    def sub(self, security_ids: list[int]) -> np.ndarray:
        positions = [self.index[security_id] for security_id in security_ids]
        return self.covariance[np.ix_(positions, positions)]


def _price_matrix(security_ids: list[int], lookback: int) -> np.ndarray:
    """Prices (trade dates × securities, NaN where missing) on the last lookback + 1 dates."""
    dates: list[date] = list(
        SecurityPrice.objects.filter(security_id__in=security_ids).order_by("-trade_date")
        .values_list("trade_date", flat=True).distinct()[: lookback + 1]
    )
    prices = np.full((len(dates), len(security_ids)), np.nan)
    if not dates:
        return prices
    dates.reverse()
    row = {day: i for i, day in enumerate(dates)}
    column = {security_id: j for j, security_id in enumerate(security_ids)}
    history = SecurityPrice.objects.filter(security_id__in=security_ids, trade_date__gte=dates[0]).values_list(
        "security_id", "trade_date", "price")
    for security_id, day, price in history.iterator(chunk_size=10_000):
        if price and price > 0:
            prices[row[day], column[security_id]] = float(price)
    return prices


def estimate_covariance(security_ids: list[int], lookback: int = LOOKBACK_RETURNS) -> CovarianceModel:
    security_ids = sorted(set(security_ids))
    n = len(security_ids)
    if n == 0:
        return CovarianceModel([], np.zeros((0, 0)), {})
    prices = _price_matrix(security_ids, lookback)
    if prices.shape[0] >= 2:
        returns = np.log(prices[1:] / prices[:-1])
    else:
        returns = np.full((0, n), np.nan)
    valid = ~np.isnan(returns)
    counts = valid.sum(axis=0)
    means = np.where(counts > 0, np.nansum(returns, axis=0) / np.maximum(counts, 1), 0.0)
    centred = np.where(valid, returns - means, 0.0)
    mask = valid.astype(float)
    overlap = mask.T @ mask
    covariance = np.where(overlap > 1, (centred.T @ centred) / np.maximum(overlap - 1, 1), 0.0)

    enough = counts >= MIN_RETURNS
    # Too little common history for a pair: no correlation assumed.
    thin_pairs = (overlap < MIN_RETURNS) & ~np.eye(n, dtype=bool)
    covariance[thin_pairs] = 0.0
    good = np.flatnonzero(enough)
    if good.size:
        block = covariance[np.ix_(good, good)]
        eigenvalues, eigenvectors = np.linalg.eigh((block + block.T) / 2)
        if eigenvalues.min() < 0:
            block = (eigenvectors * np.clip(eigenvalues, 0, None)) @ eigenvectors.T
            covariance[np.ix_(good, good)] = block
    defaulted = set()
    for j in np.flatnonzero(~enough):
        covariance[j, :] = covariance[:, j] = 0.0
        covariance[j, j] = DEFAULT_DAILY_VOLATILITY ** 2
        defaulted.add(security_ids[j])
    return CovarianceModel(security_ids, covariance, dict(zip(security_ids, counts.tolist(), strict=True)),
                           defaulted)


def _factor(covariance: np.ndarray) -> np.ndarray:
    """F with F·Fᵀ = Σ, for a positive semi-definite Σ."""
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)
    return eigenvectors * np.sqrt(np.clip(eigenvalues, 0, None))


def first_passage_probability(*, fixed_assets: float, fixed_liabilities: float, long_values: np.ndarray,
                              short_values: np.ndarray, covariance: np.ndarray, line: float, days: int,
                              seed, paths: int = PATHS) -> float:
    """P(R(t) < line for some t = 1 … days) by Monte Carlo (daily steps, driftless GBM)."""
    k = covariance.shape[0]
    factor = _factor(covariance)
    drift = -0.5 * np.diag(covariance)
    rng = np.random.default_rng(seed)
    hits = 0
    batch = max(1, min(BATCH, MAX_BATCH_CELLS // max(days * k, 1)))
    for start in range(0, paths, batch):
        size = min(batch, paths - start)
        steps = rng.standard_normal((size, days, k)) @ factor.T + drift
        growth = np.exp(np.cumsum(steps, axis=1))
        assets = fixed_assets + growth @ long_values
        liabilities = fixed_liabilities + growth @ short_values
        hits += int(np.count_nonzero((assets < line * liabilities).any(axis=1)))
    return hits / paths


@dataclass
class Forecast:
    account: CreditAccount
    ratio: Decimal | None
    warning_line: Decimal | None
    probability: Decimal
    volatility: Decimal
    flags: list[str]
    #: The symbols of the account's securities with too little price history (flag
    #: `default_volatility`: the conservative default assumed for them, not for the others).
    thin_history: list[str] = field(default_factory=list)


def _decimal(value: float, places: Decimal = PROBABILITY_PLACES) -> Decimal:
    return Decimal(repr(float(value))).quantize(places)


def forecast_accounts(accounts, *, days: int = DEFAULT_DAYS, lookback: int = LOOKBACK_RETURNS,
                      paths: int = PATHS) -> list[Forecast]:
    """Forecasts for the credit accounts of `accounts` (a queryset annotated by
    accounts.ratio.with_ratio, e.g. accounts.selectors.credit_accounts_visible_to), most likely
    to hit the warning line first."""
    stress_points = active_stress_points()
    holdings: dict[int, dict[int, list[float]]] = defaultdict(dict)
    positions = Position.objects.filter(account__in=accounts.order_by().values("pk")).values_list(
        "account_id", "security_id", "kind", "quantity", "security__price", "security__symbol")
    symbols: dict[int, str] = {}
    for account_id, security_id, kind, quantity, price, symbol in positions.iterator(chunk_size=10_000):
        symbols[security_id] = symbol
        values = holdings[account_id].setdefault(security_id, [0.0, 0.0])
        values[0 if kind == Position.Kind.LONG else 1] += float(quantity * price)
    model = estimate_covariance([s for held in holdings.values() for s in held], lookback)

    accounts = accounts.select_related("client")
    forecasts = [_forecast_one(account, holdings.get(account.pk, {}), model, symbols, stress_points, days, paths)
                 for account in accounts]
    forecasts.sort(key=lambda f: (-f.probability, f.ratio is None, f.ratio or 0, f.account.account_no))
    return forecasts


def _forecast_one(account, held: dict[int, list[float]], model: CovarianceModel, symbols: dict[int, str],
                  stress_points: Decimal, days: int, paths: int) -> Forecast:
    line = effective_line(account, "warning", stress_points)
    ratio = account.maintenance_ratio_sql
    security_ids = sorted(held)
    long_values = np.array([held[s][0] for s in security_ids])
    short_values = np.array([held[s][1] for s in security_ids])
    covariance = model.sub(security_ids)
    thin_history = sorted(symbols[security_id] for security_id in model.defaulted.intersection(security_ids))
    flags = ["default_volatility"] if thin_history else []

    volatility = 0.0
    if long_values.sum() > 0:
        weights = long_values / long_values.sum()
        volatility = float(np.sqrt(max(weights @ covariance @ weights, 0.0) * TRADING_DAYS_PER_YEAR))

    def result(probability: float, *extra: str) -> Forecast:
        return Forecast(account, ratio, line, _decimal(probability), _decimal(volatility), [*extra, *flags],
                        thin_history)

    if ratio is None:
        return result(0.0, "no_liability")
    if line is None:
        return result(0.0, "no_warning_line")
    if ratio < line:
        return result(1.0, "already_below")
    fixed_assets = float(account.cash + account.other_collateral)
    fixed_liabilities = float(account.financing_debt + account.interest_fees)
    assets = fixed_assets + long_values.sum()
    liabilities = fixed_liabilities + short_values.sum()
    gradient = long_values / assets - short_values / liabilities  # ∂ ln R / ∂ X_i
    spread = float(np.sqrt(max(gradient @ covariance @ gradient, 0.0) * days))
    distance = float(np.log(assets / liabilities / float(line)))
    if spread == 0.0 or distance > SCREEN_SIGMAS * spread:
        return result(0.0)
    probability = first_passage_probability(
        fixed_assets=fixed_assets, fixed_liabilities=fixed_liabilities, long_values=long_values,
        short_values=short_values, covariance=covariance, line=float(line), days=days,
        seed=(SEED, account.pk), paths=paths,
    )
    return result(probability)
