"""The margin monitoring's state before a price import, and the price file of the next close.

The step (`monitored`): one monitoring run over every credit account at the stored prices, as the
last run of the previous session left things: every account's valuation (risk_accountrisk and
its snapshot), the alerts of accounts below a line, an outreach case for each account below the
warning line (a margin call with a deadline below close-out), and the generated open margin calls
of accounts well above the warning line restored (the case generator drew them at random
accounts). The notices it wrote are marked sent: yesterday's outbox. What it changed is recorded
(bench_monitoring_undo) so the step can be undone without regenerating the cases.

The price file (`price_file`): every security's price at the next trading close after the stored
prices, moved by a market move (−8 % on average) plus per-symbol noise, within each board's daily
limit (±10 % main boards, ±20 % STAR and ChiNext, ±30 % Beijing). Deterministic for a seed.
"""

import csv
import datetime
import random
from pathlib import Path

from django.db import connection
from django.db.models import Max
from django.utils import timezone

from accounts.models import Security
from bench.data.sla import dataset_now
from cases.calendars import SHANGHAI
from cases.models import Case, CaseEvent, CaseNumberSequence
from cases.sla import trading_day_close
from notifications.models import Notification
from risk import margin_calls
from risk.models import AccountAlert, AccountRisk, MarginCall, MonitoringRun, RatioSnapshot

UNDO_TABLE = "bench_monitoring_undo"
CASES_TABLE = "bench_monitoring_cases"
MARKET_MOVE = -0.08
NOISE = 0.04
#: Daily price limits by the code's board.
LIMITS = (("688", 0.20), ("300", 0.20), ("301", 0.20), ("8", 0.30), ("4", 0.30), ("9", 0.30))
MAIN_BOARD_LIMIT = 0.10
#: What `monitored` counts, in this order.
COUNTS = ("accounts revalued", "alerts open", "margin calls open", "margin calls raised", "cases restored",
          "notices")


def monitored(*, now: datetime.datetime | None = None) -> dict:
    """The step: one committed-to-be monitoring run at the stored prices (see the module). Returns
    the counts of COUNTS and "now" (a timestamp: the run's moment)."""
    from risk.monitoring import monitor_accounts

    now = now or dataset_now()
    _record_for_undo()
    outcome = monitor_accounts(trigger="bench", now=now)
    notices = Notification.objects.filter(created_at=now, recipient_client__isnull=False, status="pending")
    sent = notices.update(status="sent", sent_at=now, attempts=1)
    return {
        "accounts revalued": outcome.changed,
        "alerts open": AccountAlert.objects.filter(state="open").count(),
        "margin calls open": MarginCall.objects.filter(case__state__in=margin_calls.OPEN_STATES).count(),
        "margin calls raised": outcome.cases_raised,
        "cases restored": outcome.cases_restored,
        "notices": sent,
        "now": int(now.timestamp()),
    }


def _high_water() -> dict:
    return {
        "case": Case.objects.aggregate(n=Max("id"))["n"] or 0,
        "event": CaseEvent.objects.aggregate(n=Max("id"))["n"] or 0,
        "notification": Notification.objects.aggregate(n=Max("id"))["n"] or 0,
    }


def _record_for_undo() -> None:
    """What undo needs: the id high-water marks and case numbers, and the margin calls the run may
    move (restore or raise), as they were."""
    states = ", ".join(f"'{state}'" for state in margin_calls.OPEN_STATES)
    marks = _high_water()
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {UNDO_TABLE}")
        cursor.execute(f"DROP TABLE IF EXISTS {CASES_TABLE}")
        cursor.execute(f"CREATE TABLE {UNDO_TABLE} (name varchar(40) PRIMARY KEY, value bigint)")
        rows = [(f"max_{name}_id", value) for name, value in marks.items()]
        rows += [(f"sequence_{year}", last) for year, last in CaseNumberSequence.objects.values_list("year", "last")]
        cursor.executemany(f"INSERT INTO {UNDO_TABLE} (name, value) VALUES (%s, %s)", rows)
        cursor.execute(f"""
            CREATE TABLE {CASES_TABLE} AS SELECT id, state, priority, resolved_at, closed_at, updated_at
            FROM cases_case WHERE kind = 'margin_call' AND state IN ({states})
        """)


def made() -> bool:
    return MonitoringRun.objects.exists() or AccountRisk.objects.exists()


def undo() -> None:
    """Remove what the step made and put the margin calls it moved back as they were."""
    tables = connection.introspection.table_names()
    if UNDO_TABLE not in tables or CASES_TABLE not in tables:
        raise RuntimeError("The database holds monitoring runs the bench did not record; regenerate the dataset "
                           "(--regenerate).")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT name, value FROM {UNDO_TABLE}")
        marks = dict(cursor.fetchall())
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("DELETE FROM notifications_notification WHERE id > %s", [marks["max_notification_id"]])
        if connection.vendor == "postgresql":
            # The audit trail refuses DELETE (a trigger); these are the bench's own generated events.
            cursor.execute("ALTER TABLE cases_caseevent DISABLE TRIGGER cases_caseevent_append_only")
        cursor.execute("DELETE FROM cases_caseevent WHERE id > %s", [marks["max_event_id"]])
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE cases_caseevent ENABLE TRIGGER cases_caseevent_append_only")
        for model in (MarginCall, AccountAlert, AccountRisk, RatioSnapshot, MonitoringRun):
            cursor.execute(f"DELETE FROM {model._meta.db_table}")
        cursor.execute("DELETE FROM cases_case WHERE id > %s", [marks["max_case_id"]])
        cursor.execute(f"""
            UPDATE cases_case SET state = b.state, priority = b.priority, resolved_at = b.resolved_at,
                closed_at = b.closed_at, updated_at = b.updated_at
            FROM {CASES_TABLE} b WHERE cases_case.id = b.id
        """)
        for name, value in marks.items():
            if name.startswith("sequence_"):
                cursor.execute("UPDATE cases_casenumbersequence SET last = %s WHERE year = %s",
                               [value, int(name.removeprefix("sequence_"))])
        cursor.execute(f"DROP TABLE {UNDO_TABLE}")
        cursor.execute(f"DROP TABLE {CASES_TABLE}")
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def next_close(after: datetime.datetime) -> datetime.datetime:
    """The first trading close (15:00 Asia/Shanghai) after `after`."""
    close = trading_day_close(after.astimezone(SHANGHAI).date(), 0)
    return close if close > after else trading_day_close(after.astimezone(SHANGHAI).date(), 1)


def limit(symbol: str) -> float:
    return next((share for prefix, share in LIMITS if symbol.startswith(prefix)), MAIN_BOARD_LIMIT)


def moved_prices(*, seed: int, move: float = MARKET_MOVE, noise: float = NOISE) -> list[tuple[str, str]]:
    """[(symbol, new price as text)] for every security, by id: price × (1 + move + noise), within
    the board's limit, to the cent (at least 0.01)."""
    rng = random.Random(f"{seed}/prices")
    prices = []
    for symbol, price in Security.objects.order_by("id").values_list("symbol", "price"):
        bound = limit(symbol)
        change = min(bound, max(-bound, move + rng.gauss(0, noise)))
        prices.append((symbol, f"{max(0.01, round(float(price) * (1 + change), 2)):.2f}"))
    return prices


def price_file(path: Path, *, seed: int, as_of: datetime.datetime | None = None, move: float = MARKET_MOVE,
               noise: float = NOISE) -> datetime.datetime:
    """Write the price file (symbol,price,as_of) of every security to `path`; returns its as_of
    (default: the next trading close after the newest stored price)."""
    if as_of is None:
        stored = Security.objects.aggregate(latest=Max("price_as_of"))["latest"] or timezone.now()
        as_of = next_close(stored)
    stamp = as_of.astimezone(SHANGHAI).isoformat()
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["symbol", "price", "as_of"])
        for symbol, price in moved_prices(seed=seed, move=move, noise=noise):
            writer.writerow([symbol, price, stamp])
    return as_of
