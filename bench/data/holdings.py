"""Securities, credit accounts and their positions, sized so maintenance ratios come out realistic:
most accounts comfortably above the lines, a few near the warning line, a handful below close-out."""

import math
from datetime import timedelta
from decimal import Decimal

from accounts.models import CreditAccount, Position, Security
from bench.data.texts import SECURITY_PREFIXES, SECURITY_WORDS
from bench.data.world import World
from bench.writers import TableWriter, next_id

CENT = Decimal("0.01")
RATES = (Decimal("0.06350"), Decimal("0.07350"), Decimal("0.08350"), Decimal("0.08350"))
OWN_LINES = (Decimal("1.6000"), Decimal("1.5000"), Decimal("1.4000"), Decimal("1.5000"), Decimal("3.0000"), None)
EXCHANGES = (("SSE", 600000), ("SSE", 688000), ("SZSE", 1), ("SZSE", 300000), ("BSE", 830000))


def money(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


def securities(world: World, count: int) -> int:
    rng = world.rng
    taken = set(Security.objects.values_list("symbol", flat=True))
    first_id = next_id(Security)
    columns = ["id", "symbol", "name", "exchange", "haircut", "price", "price_as_of"]
    next_code = {start: start for _exchange, start in EXCHANGES}
    with TableWriter(Security, columns) as write:
        for n in range(count):
            exchange, start = EXCHANGES[n % len(EXCHANGES)]
            while f"{next_code[start]:06d}" in taken:
                next_code[start] += 1
            symbol = f"{next_code[start]:06d}"
            next_code[start] += 1
            price = max(1.0, round(math.exp(rng.gauss(2.7, 0.8)), 2))
            name = rng.choice(SECURITY_PREFIXES) + rng.choice(SECURITY_WORDS)
            write((first_id + n, symbol, name, exchange, Decimal(rng.choice(("0.5000", "0.6000", "0.7000", "0.8000"))),
                   Decimal(f"{price:.4f}"), world.now))
            world.security_ids.append(first_id + n)
            world.security_prices.append(price)
    return count


def target_ratio(world: World) -> float:
    """The maintenance ratio an indebted account is built to have."""
    roll = world.rng.random()
    if roll < 0.02:
        return world.rng.uniform(1.05, 1.30)  # below the close-out line
    if roll < 0.07:
        return world.rng.uniform(1.30, 1.50)  # between close-out and attention
    return 1.5 + world.rng.lognormvariate(0.3, 0.6)


def accounts_and_positions(world: World, count: int, *, positions_per_account: int) -> tuple[int, int]:
    """Credit accounts spread over the clients (each client one first, then a few more), then
    their positions: long holdings worth what the target ratio asks for, and a few short sales."""
    rng = world.rng
    clients = len(world.client_ids)
    first_id = next_id(CreditAccount)
    today = world.now.date()
    columns = ["id", "account_no", "client_id", "contract_no", "credit_limit", "cash", "other_collateral",
               "financing_debt", "interest_fees", "annual_rate", "contract_start", "contract_maturity",
               "attention_line", "warning_line", "close_out_line", "restore_to_line", "withdrawal_line",
               "immediate_line", "created_at", "updated_at"]
    #: What positions must match, per account: (cash + other collateral, debt + fees, target ratio).
    plans = []
    with TableWriter(CreditAccount, columns, rows=count) as write:
        for n in range(count):
            account_id = first_id + n
            client = n if n < clients else rng.randrange(clients)
            world.client_accounts[client].append(account_id)
            in_debt = rng.random() < 0.8
            debt = rng.lognormvariate(12.5, 1.0) if in_debt else 0.0
            cash = rng.lognormvariate(9.5, 1.5) if rng.random() < 0.7 else 0.0
            other = rng.lognormvariate(11, 1) if rng.random() < 0.05 else 0.0
            rate = rng.choice(RATES)
            fees = debt * float(rate) * rng.uniform(0, 0.25)
            start = today - timedelta(days=rng.randint(30, 1500))
            maturity = start + timedelta(days=182 * (1 + (today - start).days // 182))
            limit = max(100_000, math.ceil(debt * 1.5 / 100_000) * 100_000)
            lines = OWN_LINES if rng.random() < 0.1 else (None,) * 6
            opened = world.now - timedelta(days=(today - start).days)
            write((account_id, f"6{account_id:09d}", world.client_ids[client], f"HT{start:%Y}{account_id:08d}",
                   money(limit), money(cash), money(other), money(debt), money(fees), rate, start, maturity,
                   *lines, opened, opened))
            plans.append((cash + other, debt + fees, target_ratio(world) if in_debt else None))
    positions = _positions(world, first_id, plans, positions_per_account)
    return count, positions


def _positions(world: World, first_account_id: int, plans: list, per_account: int) -> int:
    rng = world.rng
    security_ids, prices = world.security_ids, world.security_prices
    per_account = min(per_account, len(security_ids))
    first_id = next_id(Position)
    written = 0
    with TableWriter(Position, ["id", "account_id", "security_id", "quantity", "kind"],
                     rows=len(plans) * per_account) as write:
        for n, (assets, liabilities, ratio) in enumerate(plans):
            account_id = first_account_id + n
            picks = rng.sample(range(len(security_ids)), per_account)
            shorts = rng.randint(1, 2) if ratio is not None and per_account > 2 and rng.random() < 0.1 else 0
            for pick in picks[:shorts]:
                quantity = max(100, round(liabilities * rng.uniform(0.05, 0.15) / prices[pick] / 100) * 100)
                liabilities += quantity * prices[pick]
                write((first_id + written, account_id, security_ids[pick], quantity, Position.Kind.SHORT))
                written += 1
            longs = picks[shorts:]
            if ratio is None:
                long_value = rng.lognormvariate(12.5, 1.0)
            else:
                long_value = max(10_000.0, ratio * liabilities - assets)
            weights = [rng.random() + 0.1 for _pick in longs]
            scale = long_value / sum(weights) if weights else 0
            for pick, weight in zip(longs, weights):
                quantity = max(100, round(weight * scale / prices[pick] / 100) * 100)
                write((first_id + written, account_id, security_ids[pick], quantity, Position.Kind.LONG))
                written += 1
    return written
