"""Financing interest (PRODUCT.md "Credit account rules"; margin-trading-facts.md §4): the daily
accrual, the lines that explain a charge, and the settlement dates.

Rules as implemented:
- interest = principal × annual rate × days / 360, in calendar days, one line per account and day;
- the rate in force on a day is the account's latest RateChange on or before that day, else its
  `annual_rate`, so a rate change splits a period into segments by itself;
- debt still outstanding after the contract's maturity day is overdue: each such day adds a
  second, `penalty` line of principal × `penalty_rate` (a daily rate, default 0.0005 = 万分之五);
  the penalty line shows the rate as penalty_rate × 360 so every line reads
  principal × annual_rate × days / 360;
- amounts are kept to 4 decimals; a total is rounded to cents once, half up;
- interest is settled on settlement dates, the INTEREST_SETTLEMENT_DAY (default 20) of every
  month. [M] in the facts sheet ("monthly or quarterly, often around the 20th"): a setting, not
  a verified rule. A settlement period runs from one settlement date up to the day before the
  next, so its last day is accrued (after midnight) before the settlement day's business.

Which principal a day accrues on: the financing debt outstanding at the close of that day (the
balance the desk holds when the accrual runs after midnight). That is the reading under which
"the draw day counts, the repayment day doesn't": money drawn on day D is in D's closing
balance, money repaid on D is already out of it. (The opening balance of D would count the
repayment day and miss the draw day.) Intraday use, drawn and repaid the same day, counts as one
day in the rules but leaves no closing balance, so it accrues nothing here: the desk has no
intraday ledger; that charge must come from the core system.
"""

import datetime
import logging
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import CreditAccount, InterestAccrual, InterestAccrualRun
from servicedesk.errors import ValidationFailed

logger = logging.getLogger(__name__)

CENT = Decimal("0.01")
#: How far back the daily task looks for missed days (yesterday included).
MAX_CATCH_UP_DAYS = 31
_ACCRUAL_LOCK = 0x1A7E_0001  # pg_advisory_xact_lock key: one accrual at a time


def settlement_day() -> int:
    day = getattr(settings, "INTEREST_SETTLEMENT_DAY", 20)
    if not isinstance(day, int) or not 1 <= day <= 28:
        raise ImproperlyConfigured("INTEREST_SETTLEMENT_DAY must be a day of the month from 1 to 28.")
    return day


def _month_shift(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return day.replace(year=index // 12, month=index % 12 + 1)


def settlement_period_start(day: datetime.date) -> datetime.date:
    """The settlement date that opens the settlement period `day` is in."""
    start = day.replace(day=settlement_day())
    return start if start <= day else _month_shift(start, -1)


def settlement_dates(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    """Every settlement date from `start` to `end`, both included."""
    dates, current = [], settlement_period_start(start)
    while current <= end:
        if current >= start:
            dates.append(current)
        current = _month_shift(current, 1)
    return dates


# --- the daily accrual ---------------------------------------------------------------------------

_RATE_IN_FORCE = """COALESCE(
    (SELECT rc.annual_rate FROM accounts_ratechange rc
     WHERE rc.account_id = a.id AND rc.effective_date <= %(day)s
     ORDER BY rc.effective_date DESC LIMIT 1),
    a.annual_rate)"""

# Accrued so far in the day's settlement period: every line of the period already there (the
# day's interest line before its penalty line; the later days too when a missed day is filled in),
# so that each line posts what it moves the period's total rounded to cents, whatever the order.
_PERIOD_SO_FAR = """COALESCE(
    (SELECT SUM(x.amount) FROM accounts_interestaccrual x
     WHERE x.account_id = a.id AND x.day >= %(period_start)s AND x.day <= %(period_end)s), 0)"""

_INSERT = """
    INSERT INTO accounts_interestaccrual (account_id, run_id, day, kind, principal, annual_rate, days, amount,
                                          posted)
    SELECT s.account_id, %(run)s, %(day)s, %(kind)s, s.principal, s.annual_rate, 1, s.amount,
           ROUND(s.so_far + s.amount, 2) - ROUND(s.so_far, 2)
    FROM (SELECT r.account_id, r.principal, r.annual_rate, r.so_far, {amount} AS amount
          FROM (SELECT a.id AS account_id, a.financing_debt AS principal, {rate} AS annual_rate,
                       a.penalty_rate AS penalty_rate, {so_far} AS so_far
                FROM accounts_creditaccount a
                WHERE a.financing_debt > 0 AND a.contract_start <= %(day)s {overdue}) AS r) AS s
    WHERE 1 = 1
    ORDER BY s.account_id
    ON CONFLICT (account_id, day, kind) DO NOTHING
"""
_INTEREST_SQL = _INSERT.format(rate=_RATE_IN_FORCE, so_far=_PERIOD_SO_FAR, overdue="",
                               amount="ROUND(r.principal * r.annual_rate / 360.0, 4)")
_PENALTY_SQL = _INSERT.format(rate="a.penalty_rate * 360", so_far=_PERIOD_SO_FAR,
                              overdue="AND a.contract_maturity < %(day)s AND a.penalty_rate > 0",
                              amount="ROUND(r.principal * r.penalty_rate, 4)")

# Only the lines this run inserted move the accounts' interest and fees.
_POST_SQL = """
    UPDATE accounts_creditaccount
    SET interest_fees = ROUND(accounts_creditaccount.interest_fees + p.posted, 2), updated_at = %(now)s
    FROM (SELECT account_id, SUM(posted) AS posted FROM accounts_interestaccrual
          WHERE run_id = %(run)s GROUP BY account_id) AS p
    WHERE accounts_creditaccount.id = p.account_id
"""


def _accrual_period_start(day: datetime.date) -> datetime.date:
    """The settlement period's first day for the running total, or the first date there is when the
    period opens before year 1 (the 1st to the 19th of January of year 1): nothing is accrued before
    it. `accrue_interest --day 0001-01-01` died of the ValueError."""
    try:
        return settlement_period_start(day)
    except ValueError:
        return datetime.date.min


def _accrual_period_end(day: datetime.date) -> datetime.date:
    """The settlement period's last day (the day before the next settlement date), or the last
    date there is when the next one would fall after year 9999."""
    following = day.replace(day=settlement_day())
    if following <= day:
        try:
            following = _month_shift(following, 1)
        except ValueError:
            return datetime.date.max
    return following - datetime.timedelta(days=1)


def _serialize(cursor, key: int) -> None:
    """One at a time on PostgreSQL (SQLite transactions here are IMMEDIATE: serial already)."""
    if connection.vendor == "postgresql":
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def interest_accrue(day: datetime.date) -> int:
    """Accrue one calendar day's interest (and penalty interest) on every account with financing
    debt, and add it to the accounts' interest and fees; returns how many lines were added.

    Once per day: the day's run row is the claim, and the lines are unique per account, day and
    kind (ON CONFLICT DO NOTHING), so a second or concurrent run of the same day adds nothing,
    and interest and fees move only by the lines this run inserted. Set-based: two INSERT …
    SELECT statements and one UPDATE, whatever the number of accounts. Only a day that has ended
    (before today, Asia/Shanghai) can be accrued: its closing balance is the principal, taken
    from the accounts as they are now (a past day accrued late uses today's balances).

    Each line posts the cents by which it moves the settlement period's total rounded to cents,
    so a period posts exactly its lines' total rounded once, also when a missed day is filled in
    behind days already accrued (it left the period a cent away from its lines' total)."""
    if day >= timezone.localdate():
        raise ValidationFailed(_("Only a day that has ended can be accrued: %(day)s is today or later.")
                               % {"day": day.isoformat()}, extra={"day": [_("Give a day before today.")]})
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        _serialize(cursor, _ACCRUAL_LOCK)
        if InterestAccrualRun.objects.filter(day=day).exists():
            return 0
        run = InterestAccrualRun.objects.create(day=day)
        params = {"run": run.pk, "day": connection.ops.adapt_datefield_value(day),
                  "period_start": connection.ops.adapt_datefield_value(_accrual_period_start(day)),
                  "period_end": connection.ops.adapt_datefield_value(_accrual_period_end(day)),
                  "now": connection.ops.adapt_datetimefield_value(now)}
        cursor.execute(_INTEREST_SQL, {**params, "kind": InterestAccrual.Kind.INTEREST.value})
        cursor.execute(_PENALTY_SQL, {**params, "kind": InterestAccrual.Kind.PENALTY.value})
        cursor.execute(_POST_SQL, params)
        run.lines = InterestAccrual.objects.filter(run=run).count()
        run.save(update_fields=["lines"])
    return run.lines


def interest_days_due(today: datetime.date | None = None) -> list[datetime.date]:
    """The days the daily task accrues: yesterday, and every day missed since the first accrued
    day, looking back at most MAX_CATCH_UP_DAYS: the days after the last accrued day, and those
    left behind it (after an outage an operator ran `accrue_interest --day` for yesterday only: the
    days between were never charged, and never caught up). Older missing days are left alone and
    logged as an error: charging them on today's balances could be far off, so a person decides
    (`manage.py accrue_interest --day`)."""
    yesterday = (today or timezone.localdate()) - datetime.timedelta(days=1)
    runs = InterestAccrualRun.objects.values_list("day", flat=True)
    # The desk's first accrued day is the day accrued first, not the oldest day accrued: an older day
    # accrued by hand since (`--day` with a year typed wrong) made every day between it and the first
    # one "missed", and the next run charged up to a month nobody had asked for.
    earliest, last = runs.order_by("ran_at", "id").first(), runs.order_by("-day").first()
    if last is None:
        return [yesterday]
    first = last + datetime.timedelta(days=1)
    window_start = yesterday - datetime.timedelta(days=MAX_CATCH_UP_DAYS - 1)
    if first < window_start:
        logger.error("interest: %s to %s were never accrued and are older than %d days: not accrued "
                     "automatically (manage.py accrue_interest --day)", first,
                     window_start - datetime.timedelta(days=1), MAX_CATCH_UP_DAYS)
    first = max(earliest, window_start)
    done = set(runs.filter(day__gte=first, day__lte=yesterday))
    days = (first + datetime.timedelta(days=offset) for offset in range((yesterday - first).days + 1))
    return [day for day in days if day not in done]


def interest_accrue_due(today: datetime.date | None = None) -> dict[datetime.date, int]:
    """Accrue every day due (see interest_days_due), each in its own transaction; returns the
    lines added per day. A missed day is accrued on the balances of now (the desk keeps no
    history of balances): the warning in the log says which days that was."""
    days = interest_days_due(today)
    if len(days) > 1:
        logger.warning("interest: catching up %s to %s on today's balances", days[0], days[-1])
    return {day: interest_accrue(day) for day in days}


# --- the lines behind a charge -------------------------------------------------------------------

@dataclass(frozen=True)
class InterestStatement:
    account: CreditAccount
    start: datetime.date
    end: datetime.date
    lines: list[InterestAccrual]
    total: Decimal  # the lines' amounts summed, rounded to cents once (half up)
    posted: Decimal  # what the lines added to interest and fees (equal to total over a settlement period)
    not_accrued: list[datetime.date]  # the days of the range not accrued (yet): neither lines nor total cover them


def interest_lines(account: CreditAccount, start: datetime.date, end: datetime.date) -> InterestStatement:
    """The day-by-day lines of `account` from `start` to `end` (both included), their total, and
    the days of the range that have not been accrued: a day with no line is a day without debt
    only if it was accrued. (Yesterday before the 00:30 run, the days of an outage not caught up
    yet, or older than the catch-up: the statement said it covered them and its total was short.)"""
    lines = list(InterestAccrual.objects.filter(account=account, day__gte=start, day__lte=end)
                 .order_by("day", "kind"))
    total = sum((line.amount for line in lines), Decimal("0")).quantize(CENT, rounding=ROUND_HALF_UP)
    posted = sum((line.posted for line in lines), Decimal("0")).quantize(CENT)
    accrued = set(InterestAccrualRun.objects.filter(day__gte=start, day__lte=end).values_list("day", flat=True))
    not_accrued = [day for day in (start + datetime.timedelta(days=n) for n in range((end - start).days + 1))
                   if day not in accrued]
    return InterestStatement(account=account, start=start, end=end, lines=lines, total=total, posted=posted,
                             not_accrued=not_accrued)
