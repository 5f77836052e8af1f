"""A price import and the margin monitoring after it, end to end (`monitoring`).

What `manage.py import_prices FILE` and the monitoring task it queues do, called in-process:
`prices_import(file)` then `monitor_accounts(trigger="bench")`, over the state the dataset's
monitoring step left (every account valued at the stored prices, alerts and margin calls open
where they belong). The price file is the next trading close's, every security moved:

- a fall, −8 % on average with ±4 % per symbol (within the boards' daily limits): every account
  revalued, alerts and outreach cases opened, calls below close-out raised with their notices;
- a rebound, +6 % ± 4 % from the same state: calls restored and alerts cleared.

Each run is rolled back, so every run meets the same state (foreign keys checked at once, as the
commit would; the touched tables vacuumed between runs, untimed, as autovacuum would). Baseline,
timed in turns with it: one bare SQL aggregate computing every account's ratio with the same
formula, (cash + other collateral + Σ long qty × price) / (financing debt + Σ short qty × price
+ interest and fees), grouped over positions ⨝ securities.

A last row applies the fall's file a second time in the transaction of a first import and run:
nothing may change, be opened or be sent (cases and notices counted before and after).
"""

import datetime
import tempfile
import time
from pathlib import Path

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.importers.prices import prices_import
from bench.benchmarks import Run, benchmark
from bench.data import monitoring as data
from bench.measure import Row, Timings, explain
from notifications.models import Notification
from risk.models import AccountRisk
from risk.monitoring import monitor_accounts
from servicedesk.sql import divide

RUNS = 5
TARGET_MS = 5000.0
TARGET_RATIO = 2.0
TARGET = f"median ≤ {TARGET_MS / 1000:.0f} s and ≤ {TARGET_RATIO:.0f}× baseline median"
#: name → (market move, per-symbol noise): the price files benchmarked.
MOVES = {"fall": (-0.08, 0.04), "rebound": (0.06, 0.04)}
#: The monitoring's run, this long after the prices' close.
RUN_DELAY = datetime.timedelta(minutes=5)
#: Tables a run writes to (vacuumed between runs: a rolled-back run leaves dead rows behind).
WRITTEN_TABLES = ["accounts_security", "accounts_securityprice", "risk_monitoringrun", "risk_ratiosnapshot",
                  "risk_accountrisk", "risk_accountalert", "risk_margincall", "cases_case", "cases_caseevent",
                  "cases_casenumbersequence", "notifications_notification", "cases_slatimer",
                  "cases_slatallychange"]
OUTCOME = ("changed", "alerts_opened", "alerts_cleared", "cases_opened", "cases_raised", "cases_restored",
           "deadlines_passed")


def baseline_sql() -> str:
    """Every account's ratio (NULL without liabilities), summed up so one row comes back."""
    liabilities = "a.financing_debt + COALESCE(p.short_value, 0) + a.interest_fees"
    ratio = divide("a.cash + a.other_collateral + COALESCE(p.long_value, 0)", liabilities)
    return f"""
        SELECT COUNT(*), COUNT(t.ratio), SUM(ROUND(t.ratio, 4)) FROM (
            SELECT CASE WHEN {liabilities} > 0 THEN {ratio} END AS ratio
            FROM accounts_creditaccount a LEFT JOIN (
                SELECT pos.account_id,
                    SUM(pos.quantity * s.price) FILTER (WHERE pos.kind = 'long') AS long_value,
                    SUM(pos.quantity * s.price) FILTER (WHERE pos.kind = 'short') AS short_value
                FROM accounts_position pos JOIN accounts_security s ON s.id = pos.security_id
                GROUP BY pos.account_id
            ) p ON p.account_id = a.id
        ) t
    """


def vacuum() -> None:
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM {', '.join(WRITTEN_TABLES)}")


def _checks_now(cursor) -> None:
    if connection.vendor == "postgresql":
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the foreign keys checked now, as the commit would


def _max_notification_id() -> int:
    return Notification.objects.order_by("-id").values_list("id", flat=True).first() or 0


def import_and_monitor(path: Path, now: datetime.datetime) -> tuple[float, float, dict]:
    """(import ms, monitoring ms, counts) of one end-to-end run; the caller's transaction holds it."""
    notices_before = _max_notification_id()
    started = time.perf_counter()
    result = prices_import(path, now=now)  # the file is stamped at the bench's next close
    imported = time.perf_counter()
    outcome = monitor_accounts(trigger="bench", now=now)
    ended = time.perf_counter()
    counts = {name: getattr(outcome, name) for name in OUTCOME}
    counts["prices"] = len(result.updated_security_ids)
    counts["notices"] = Notification.objects.filter(id__gt=notices_before).count()
    return (imported - started) * 1000, (ended - imported) * 1000, counts


def end_to_end(path: Path, now: datetime.datetime) -> tuple[float, float, dict]:
    """One run, rolled back afterwards."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            _checks_now(cursor)
        measured = import_and_monitor(path, now)
        transaction.set_rollback(True)
    return measured


def baseline() -> tuple[float, tuple]:
    """(ms, (accounts, ratios, sum of the ratios rounded to 4 places)) of the baseline statement."""
    with transaction.atomic():
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(baseline_sql())
            found = tuple(cursor.fetchone())
        ms = (time.perf_counter() - started) * 1000
        transaction.set_rollback(True)
    return ms, found


def statements(path: Path, now: datetime.datetime) -> list[tuple[str, float]]:
    """Each statement of one (rolled-back) run with its time, slowest first."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            _checks_now(cursor)
        with CaptureQueriesContext(connection) as captured:
            prices_import(path, now=now)
            monitor_accounts(trigger="bench", now=now)
        transaction.set_rollback(True)
    timed = [(" ".join(query["sql"].split()), float(query["time"]) * 1000) for query in captured.captured_queries]
    return sorted(timed, key=lambda pair: -pair[1])


def price_files(directory: Path, seed: int) -> dict[str, tuple[Path, datetime.datetime]]:
    files = {}
    for name, (move, noise) in MOVES.items():
        path = directory / f"prices-{name}.csv"
        files[name] = (path, data.price_file(path, seed=seed, move=move, noise=noise))
    return files


def describe(counts: dict) -> str:
    return (f"{counts['changed']:,} accounts revalued; alerts {counts['alerts_opened']:,} opened, "
            f"{counts['alerts_cleared']:,} cleared; margin calls {counts['cases_opened']:,} opened, "
            f"{counts['cases_raised']:,} raised, {counts['cases_restored']:,} restored; "
            f"{counts['notices']:,} notices")


@benchmark("monitoring")
def monitoring(run: Run, *, runs: int = RUNS) -> list[Row]:
    if not AccountRisk.objects.exists():
        raise LookupError("monitoring: no account was ever valued; run without --keep so the dataset's monitoring "
                          "step is done first")
    seed = (run.dataset.get("spec") or {}).get("seed", 2026)
    with tempfile.TemporaryDirectory() as directory:
        files = price_files(Path(directory), seed)
        rows = []
        for name, (path, as_of) in files.items():
            move, noise = MOVES[name]
            rows.append(scenario_row(run, f"{move:+.0%} ± {noise:.0%}", path, as_of + RUN_DELAY, runs=runs))
        path, as_of = files["fall"]
        rows.append(second_run_row(run, path, as_of + RUN_DELAY, runs=runs))
    return rows


def scenario_row(run: Run, move: str, path: Path, now: datetime.datetime, *, runs: int) -> Row:
    vacuum()
    baseline()  # warm-up (caches), untimed
    end_to_end(path, now)
    total_ms, import_ms, monitor_ms, baseline_ms, outcomes, found = [], [], [], [], set(), set()
    for _run in range(runs):
        vacuum()
        ms, result = baseline()
        baseline_ms.append(ms)
        found.add(result)
        imported, monitored, counts = end_to_end(path, now)
        import_ms.append(imported)
        monitor_ms.append(monitored)
        total_ms.append(imported + monitored)
        outcomes.add(tuple(sorted(counts.items())))
    if len(outcomes) != 1 or len(found) != 1:
        raise AssertionError(f"monitoring ({move}): the runs differ: {sorted(outcomes)} / {sorted(found)}")
    counts = dict(next(iter(outcomes)))
    if not counts["changed"]:
        raise AssertionError(f"monitoring ({move}): the price file changed no account")
    timed = statements(path, now)
    vacuum()
    run.note(f"monitoring ({move}): import median {Timings(import_ms).median:.0f} ms ({counts['prices']:,} prices "
             f"written), monitoring median {Timings(monitor_ms).median:.0f} ms; slowest statements: "
             + "; ".join(f"{ms:.0f} ms {sql[:90]}" for sql, ms in timed[:4]))
    if run.verbose_explain:
        run.note(f"monitoring baseline plan:\n{explain(baseline_sql())}")
    total, base = Timings(total_ms), Timings(baseline_ms)
    return Row(
        f"price import + monitoring, {counts['prices']:,} prices {move} ({describe(counts)}; {runs} runs)",
        n=run.cases, timings=total, queries=len(timed), baseline=base, target=TARGET,
        passed=total.median <= TARGET_MS and total.median <= TARGET_RATIO * base.median,
    )


def _table_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        counts = {}
        for table in ("cases_case", "cases_caseevent", "notifications_notification", "risk_ratiosnapshot",
                      "risk_accountalert", "risk_margincall"):
            cursor.execute(f"SELECT COUNT(*) FROM {table}")
            counts[table] = cursor.fetchone()[0]
        return counts


def _ratios() -> tuple:
    """What the monitoring stored, as the baseline sums it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*), COUNT(maintenance_ratio), SUM(maintenance_ratio) FROM risk_accountrisk")
        return tuple(cursor.fetchone())


def second_run_row(run: Run, path: Path, now: datetime.datetime, *, runs: int) -> Row:
    """The same file imported again after a first import and run, `runs` times, in one
    transaction rolled back afterwards: each must change, open and send nothing."""
    vacuum()
    again_ms, baseline_ms, changes = [], [], []
    with transaction.atomic():
        with connection.cursor() as cursor:
            _checks_now(cursor)
        _import_ms, _monitor_ms, first = import_and_monitor(path, now)
        stored, (_ms, computed) = _ratios(), baseline()
        same = stored[:2] == computed[:2] and abs((stored[2] or 0) - (computed[2] or 0)) <= (
            0 if connection.vendor == "postgresql" else 1e-6 * max(1, stored[1]))
        if not same:
            raise AssertionError(f"monitoring: the baseline's ratios {computed} are not the stored ones {stored}")
        before = _table_counts()
        for _run in range(runs):
            ms, _found = baseline()
            baseline_ms.append(ms)
            imported, monitored, counts = import_and_monitor(path, now)
            again_ms.append(imported + monitored)
            changes.append(counts)
        after = _table_counts()
        transaction.set_rollback(True)
    vacuum()
    written = {table: after[table] - before[table] for table in before}
    moved = {name: sum(counts[name] for counts in changes) for name in (*OUTCOME, "prices", "notices")}
    passed = not any(written.values()) and not any(moved.values())
    if not passed:
        run.note(f"monitoring, second run: rows written {written}, outcome {moved}")
    return Row(
        f"second run with the same price file after the first ({first['changed']:,} accounts revalued by the "
        f"first; each again: {moved['prices']} prices, {moved['changed']} accounts changed, "
        f"{written['cases_case']} cases and {written['notifications_notification']} notices written; {runs} runs)",
        n=run.cases, timings=Timings(again_ms), queries="", baseline=Timings(baseline_ms),
        target="nothing opened, nothing sent", passed=passed,
    )
