"""Demo securities (real SSE and SZSE symbols, plausible prices) and 80 credit accounts whose
maintenance ratios land in every band: above the withdrawal line, normal, attention, warning,
below close-out, and a few with no debt. The financing debt is solved from the target ratio
with the same arithmetic as accounts.ratio."""

import datetime
import random
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from django.utils import timezone

from accounts import ratio
from accounts.interest import interest_accrue, settlement_period_start
from accounts.models import ClientProfile, CreditAccount, Position, Security, Tier
from cases.demo import data

CENT = Decimal("0.01")
CONTRACT_DAYS = 182  # six months
#: The days of interest an account owes, drawn: at least a settlement period, whose days the
#: demo itemises (interest_history_accrue).
OWED_DAYS = (31, 85)

#: band → (how many accounts, lowest and highest target ratio); targets keep clear of the lines.
BANDS = {
    "no_liability": (4, None),
    "above_withdrawal": (12, (3.05, 6.0)),
    "normal": (36, (1.55, 2.95)),
    "attention": (10, (1.41, 1.49)),
    "warning": (8, (1.31, 1.39)),
    "close_out": (10, (1.05, 1.28)),
}
SIZES = {Tier.STANDARD: (200_000, 2_000_000), Tier.VIP: (2_000_000, 8_000_000), Tier.HNW: (8_000_000, 40_000_000)}
RATES = {Tier.STANDARD: ["0.08350", "0.08350", "0.07850"], Tier.VIP: ["0.07350", "0.06850"],
         Tier.HNW: ["0.06350", "0.05850"]}


@dataclass
class DemoAccount:
    account: CreditAccount
    band: str
    near_maturity: bool


def last_close(now: datetime.datetime) -> datetime.datetime:
    """15:00 Asia/Shanghai on the latest weekday whose session has ended."""
    local = timezone.localtime(now)
    day = local.date() if local.hour >= 15 else local.date() - datetime.timedelta(days=1)
    while day.weekday() >= 5:
        day -= datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(15)), local.tzinfo)


def securities_create(now: datetime.datetime) -> dict[str, Security]:
    as_of = last_close(now)
    securities = {}
    for symbol, name, exchange, price, haircut in data.SECURITIES:
        securities[symbol], _created = Security.objects.update_or_create(
            symbol=symbol, defaults={"name": name, "exchange": exchange, "price": Decimal(price),
                                     "haircut": Decimal(haircut), "price_as_of": as_of})
    return securities


def _band_plan(rng: random.Random, count: int) -> list[str]:
    plan = [band for band, (how_many, _range) in BANDS.items() for _ in range(how_many)]
    assert len(plan) == count
    rng.shuffle(plan)
    return plan


def accounts_create(rng: random.Random, clients: list[ClientProfile], securities: dict[str, Security],
                    count: int = 80) -> list[DemoAccount]:
    """The first client (the demo login's) holds one account in the warning band and one healthy;
    29 more clients hold two accounts, everyone else one."""
    owners = [clients[0], clients[0]] + clients[1:] + rng.sample(clients[1:], count - len(clients) - 1)
    bands = _band_plan(rng, count)
    # The demo login's two accounts: swap a warning and a normal band into the first two places.
    for position, wanted in ((0, "warning"), (1, "normal")):
        other = bands.index(wanted, position)
        bands[position], bands[other] = bands[other], bands[position]
    near_maturity = set(rng.sample([i for i, band in enumerate(bands) if band != "no_liability" and i > 1], 10))
    today = timezone.localdate()
    accounts = []
    for index, (client, band) in enumerate(zip(owners, bands)):
        accounts.append(DemoAccount(
            account=_account_create(rng, index + 1, client, band, securities, today, index in near_maturity),
            band=band, near_maturity=index in near_maturity))
    return accounts


def _lots(value: Decimal, price: Decimal) -> int:
    return max(1, int(value / (price * 100))) * 100


def _account_create(rng, number, client, band, securities, today, near_maturity) -> CreditAccount:
    low, high = SIZES[client.tier]
    size = Decimal(rng.uniform(low, high)).quantize(CENT)
    long_symbols = [symbol for symbol in securities if symbol != "510300" or rng.random() < 0.3]
    picks = rng.sample(long_symbols, rng.choice([1, 2, 2, 3, 3, 4]))
    weights = [Decimal(rng.uniform(0.5, 1.5)).quantize(CENT) for _ in picks]
    holdings = {symbol: _lots(size * weight / sum(weights), securities[symbol].price)
                for symbol, weight in zip(picks, weights)}
    long_value = sum(ratio.market_value(quantity, securities[symbol].price) for symbol, quantity in holdings.items())
    cash = (size * Decimal(rng.uniform(0, 0.08))).quantize(CENT) + Decimal(rng.randint(1, 99)) / 100
    assets = ratio.total_assets(cash=cash, other_collateral=Decimal("0"), long_value=long_value)

    annual_rate = Decimal(rng.choice(RATES[client.tier]))
    debt = interest = short_value = Decimal("0")
    short = None
    target_range = BANDS[band][1]
    if target_range is not None:
        target = Decimal(str(round(rng.uniform(*target_range), 4)))
        liabilities = assets / target
        if rng.random() < 0.2:
            symbol = rng.choice(data.SHORTABLE)
            short = (symbol, _lots(liabilities * Decimal(rng.uniform(0.08, 0.25)), securities[symbol].price))
            short_value = ratio.market_value(short[1], securities[symbol].price)
        accrual = annual_rate * rng.randint(*OWED_DAYS) / 360
        debt = ((liabilities - short_value) / (1 + accrual)).quantize(CENT)
        interest = (debt * accrual).quantize(CENT)

    if near_maturity:
        start = today - datetime.timedelta(days=CONTRACT_DAYS - rng.randint(3, 14))
    else:
        start = today - datetime.timedelta(days=rng.randint(20, CONTRACT_DAYS - 20))
    limit = max(Decimal("500000"), (debt * Decimal("1.3") / 100_000).to_integral_value(ROUND_CEILING) * 100_000)
    account = CreditAccount.objects.create(
        account_no=f"0600{number:06d}", client=client, contract_no=f"RZRQ{start:%Y%m%d}{number:04d}",
        credit_limit=limit, cash=cash, financing_debt=debt, interest_fees=interest, annual_rate=annual_rate,
        contract_start=start, contract_maturity=start + datetime.timedelta(days=CONTRACT_DAYS),
    )
    positions = [Position(account=account, security=securities[symbol], quantity=quantity, kind=Position.Kind.LONG)
                 for symbol, quantity in holdings.items()]
    if short is not None:
        positions.append(Position(account=account, security=securities[short[0]], quantity=short[1],
                                  kind=Position.Kind.SHORT))
    Position.objects.bulk_create(positions)
    return account


def band_of(value: Decimal | None, lines: dict[str, Decimal | None]) -> str:
    """Which band a ratio falls in against an account's lines (the names of BANDS)."""
    if value is None:
        return "no_liability"
    if value < lines["close_out"]:
        return "close_out"
    if value < lines["warning"]:
        return "warning"
    if value < lines["attention"]:
        return "attention"
    if value < lines["withdrawal"]:
        return "normal"
    return "above_withdrawal"


def interest_history_accrue(today: datetime.date) -> int:
    """The current settlement period's interest, day by day up to yesterday, as the daily task
    would have accrued it: what the interest pages, the interest API and an interest dispute
    show. The interest each account owes was drawn to include these days (OWED_DAYS), so it is
    kept as drawn: the lines itemise the latest part of it. Returns the lines written."""
    owed = list(CreditAccount.objects.only("pk", "interest_fees"))
    yesterday = today - datetime.timedelta(days=1)
    day, lines = settlement_period_start(yesterday), 0
    while day <= yesterday:
        lines += interest_accrue(day)
        day += datetime.timedelta(days=1)
    CreditAccount.objects.bulk_update(owed, ["interest_fees"])
    return lines
