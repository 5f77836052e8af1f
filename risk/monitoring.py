"""The monitoring run: revalue every credit account in SQL, keep the ratio history, open and
clear line alerts with hysteresis, tell clients, and open, raise or restore margin calls.

Set-based throughout: one statement values every account (positions ⨝ securities grouped by
account) and keeps those whose valuation changed since the last run (risk_revalued); each of
them gets a snapshot and its current valuation, and the alerts, notices and margin calls then
work only on those an alert or a margin call can concern (risk_watched: below an alert line, or
with an open alert or margin call), all held in temporary tables. Re-running on the same prices
changes nothing and sends nothing; runs are serialised (a PostgreSQL advisory lock) and a
partial unique index allows at most one open margin call per account whatever happens.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.services import dispatch_pending
from risk import margin_calls, notices
from risk.lines import active_stress_points, hysteresis_band, line_sql
from risk.models import ALERT_LINES, MonitoringRun
from risk.snapshot_keys import MONITORING_LOCK
from servicedesk.sql import db_time, divide, is_postgres, temp_table

LINE_COLUMNS = ("attention", "warning", "close_out", "immediate", "restore_to")


@dataclass
class Outcome:
    run: MonitoringRun | None
    changed: int = 0
    alerts_opened: int = 0
    alerts_cleared: int = 0
    cases_opened: int = 0
    cases_raised: int = 0
    cases_restored: int = 0
    deadlines_passed: int = 0
    deadlines_brought_forward: int = 0  # below the immediate line: pending liquidation at once


def outcome_summary(outcome: Outcome) -> str:
    """One line saying what a run did, in the active language (the commands print it)."""
    return (_("%(changed)d account(s) changed; %(opened)d alert(s) opened, %(cleared)d cleared; margin calls: "
              "%(cases)d opened, %(raised)d raised, %(restored)d restored; %(passed)d deadline(s) passed.")
            % {"changed": outcome.changed, "opened": outcome.alerts_opened, "cleared": outcome.alerts_cleared,
               "cases": outcome.cases_opened, "raised": outcome.cases_raised, "restored": outcome.cases_restored,
               "passed": outcome.deadlines_passed})


def _valuation_sql(stress: Decimal) -> str:
    lines = ",\n".join(f"{line_sql(name, stress)} AS {name}_line" for name in LINE_COLUMNS)
    ratio = f"CASE WHEN w.liabilities > 0 THEN ROUND({divide('w.assets', 'w.liabilities')}, 4) END"
    return f"""
        SELECT r.*, CASE
            WHEN r.ratio IS NULL THEN 'no_liability'
            WHEN r.immediate_line IS NOT NULL AND r.ratio < r.immediate_line THEN 'immediate'
            WHEN r.ratio < r.close_out_line THEN 'close_out'
            WHEN r.ratio < r.warning_line THEN 'warning'
            WHEN r.ratio < r.attention_line THEN 'attention'
            ELSE 'normal' END AS level
        FROM (
            SELECT w.*, {ratio} AS ratio FROM (
                SELECT a.id AS account_id, a.client_id, a.account_no,
                    a.cash + a.other_collateral + COALESCE(p.long_value, 0) AS assets,
                    a.financing_debt + COALESCE(p.short_value, 0) + a.interest_fees AS liabilities,
                    {lines}
                FROM accounts_creditaccount a
                LEFT JOIN (
                    SELECT pos.account_id,
                        SUM(pos.quantity * s.price) FILTER (WHERE pos.kind = 'long') AS long_value,
                        SUM(pos.quantity * s.price) FILTER (WHERE pos.kind = 'short') AS short_value
                    FROM accounts_position pos JOIN accounts_security s ON s.id = pos.security_id
                    GROUP BY pos.account_id
                ) p ON p.account_id = a.id
            ) w
        ) r
    """


def _revalued_sql(stress: Decimal, lines_moved: bool = False) -> str:
    """The valuation of each account whose valuation changed since the last run (or that was
    never valued), with `watched` = 1 where an alert or a margin call can concern it: below an
    alert line, or with an open alert or an open margin call (nothing after the snapshots looks
    at the others). When the stress mode moved every line since the last run (`lines_moved`),
    the accounts with an open alert or margin call are revalued too: a line lowered by the band
    or more clears its alert and restores its call even where the account's level stays the same.
    One statement, the valuation materialized first: inlined, PostgreSQL would repeat the ratio's
    expression in every comparison and give up the parallel aggregate (each worker summing all
    the positions)."""
    below = " OR ".join(f"v.ratio < v.{line}_line" for line in ALERT_LINES)
    concerned = f"""v.account_id IN (SELECT x.account_id FROM risk_accountalert x WHERE x.state = 'open')
                OR v.account_id IN (SELECT k.credit_account_id FROM cases_case k WHERE {margin_calls.open_call()})"""
    return f"""
        WITH v AS {"MATERIALIZED " if is_postgres() else ""}({_valuation_sql(stress)})
        SELECT v.*, CASE WHEN {below} OR {concerned} THEN 1 ELSE 0 END AS watched
        FROM v LEFT JOIN risk_accountrisk r ON r.account_id = v.account_id
        WHERE r.account_id IS NULL OR r.level <> v.level
           OR ROUND(r.total_assets, 2) <> ROUND(v.assets, 2)
           OR ROUND(r.total_liabilities, 2) <> ROUND(v.liabilities, 2)
           OR (r.maintenance_ratio IS NULL) <> (v.ratio IS NULL) OR r.maintenance_ratio <> v.ratio
           {f"OR {concerned}" if lines_moved else ""}
    """


def _stress_moved(stress: Decimal) -> bool:
    """The stress points differ from those of the last run that wrote snapshots (none yet: no)."""
    last = MonitoringRun.objects.order_by("-id").values_list("stress_points", flat=True).first()
    return last is not None and last != stress


#: The columns of risk_watched the alerts, notices and margin calls join and filter on.
WATCHED_KEYS = ("account_id", "client_id", "snapshot_id", "level", "ratio")
#: risk_watched: the revalued accounts the alerts and margin calls look at, with this run's
#: snapshot of each, from `{snapshots}` (account_id, snapshot_id).
WATCHED_SQL = """
    SELECT r.*, m.snapshot_id FROM risk_revalued r JOIN {snapshots} m ON m.account_id = r.account_id
    WHERE r.watched = 1
"""


def monitor_accounts(*, trigger: str = "manual", now=None) -> Outcome:
    """One monitoring run over every credit account (idempotent)."""
    now = now or timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        if is_postgres():
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [MONITORING_LOCK])
        stress = active_stress_points()
        temp_table(cursor, "risk_revalued", _revalued_sql(stress, lines_moved=_stress_moved(stress)))
        cursor.execute("SELECT COUNT(*) FROM risk_revalued")
        changed = cursor.fetchone()[0]
        outcome = Outcome(run=None, changed=changed)
        if changed:
            cursor.execute("SELECT COUNT(*) FROM accounts_creditaccount")  # every account is valued
            run = MonitoringRun.objects.create(started_at=now, trigger=trigger, stress_points=stress,
                                               accounts=cursor.fetchone()[0], changed=changed)
            outcome.run = run
            _record_snapshots(cursor, run, now, stress)
            if is_postgres():
                # PostgreSQL plans an unanalyzed temp table blind; the columns the later statements
                # join and filter on are enough (all 25 took 160-190 ms for 40,000 rows).
                cursor.execute(f"ANALYZE risk_watched ({', '.join(WATCHED_KEYS)})")
            outcome.alerts_cleared = _clear_alerts(cursor, now)
            outcome.alerts_opened = _open_alerts(cursor, now)
            notices.alert_notices(cursor, now)
            margin_calls.lock_watched_calls(cursor)
            margin_calls.mark_warned(cursor, now)
            outcome.cases_restored = margin_calls.restore(cursor, now)
            outcome.cases_opened = margin_calls.open_new(cursor, now)
            outcome.cases_raised = margin_calls.raise_to_margin_call(cursor, now)
            margin_calls.refresh_amounts(cursor)
            outcome.deadlines_brought_forward = margin_calls.bring_forward(cursor, now)
        margin_calls.refresh_restore_to(cursor, stress)
        outcome.deadlines_passed = margin_calls.pass_deadlines(cursor, now)
        if outcome.run is not None:
            for name in ("alerts_opened", "alerts_cleared", "cases_opened", "cases_raised", "cases_restored"):
                setattr(outcome.run, name, getattr(outcome, name))
            outcome.run.finished_at = timezone.now()
            outcome.run.save()
        if outcome.run is not None or outcome.deadlines_passed:
            dispatch_pending()  # the notices written above are sent once this commits
    return outcome


SNAPSHOT_INSERT = """
    INSERT INTO risk_ratiosnapshot (run_id, account_id, taken_at, total_assets, total_liabilities,
                                    maintenance_ratio, level, stress_points)
    SELECT %(run)s, account_id, %(now)s, assets, liabilities, ratio, level, %(stress)s FROM risk_revalued
"""
#: The current valuation of each account in `{source}` (account_id, snapshot_id, assets,
#: liabilities, ratio, level): updated in place, then inserted for accounts never valued. Runs are
#: serialised, so nothing else inserts one meanwhile; an upsert (ON CONFLICT) took twice as long,
#: a speculative insert per row against one join.
VALUATION_UPDATE = """
    UPDATE risk_accountrisk SET snapshot_id = s.snapshot_id, total_assets = s.assets,
        total_liabilities = s.liabilities, maintenance_ratio = s.ratio, level = s.level, updated_at = %(now)s
    FROM ({source}) s WHERE risk_accountrisk.account_id = s.account_id
"""
VALUATION_INSERT = """
    INSERT INTO risk_accountrisk (account_id, snapshot_id, total_assets, total_liabilities, maintenance_ratio,
                                  level, updated_at)
    SELECT s.account_id, s.snapshot_id, s.assets, s.liabilities, s.ratio, s.level, %(now)s FROM ({source}) s
    WHERE NOT EXISTS (SELECT 1 FROM risk_accountrisk r WHERE r.account_id = s.account_id)
"""


def _record_snapshots(cursor, run: MonitoringRun, now, stress: Decimal) -> None:
    """A snapshot of each revalued account, its current valuation (risk_accountrisk), and
    risk_watched (WATCHED_SQL)."""
    params = {"run": run.pk, "now": db_time(now), "stress": stress}
    if is_postgres():
        # One statement: the snapshots' ids come back from the insert, straight into the current
        # valuations and the watched accounts, instead of being looked up.
        shape = "(SELECT 0::bigint AS account_id, 0::bigint AS snapshot_id)"
        temp_table(cursor, "risk_watched", WATCHED_SQL.format(snapshots=shape) + " WITH NO DATA")
        cursor.execute(f"""
            WITH snap AS ({SNAPSHOT_INSERT}
                RETURNING id AS snapshot_id, account_id, total_assets AS assets, total_liabilities AS liabilities,
                          maintenance_ratio AS ratio, level),
            watched AS (INSERT INTO risk_watched {WATCHED_SQL.format(snapshots="snap")}),
            updated AS ({VALUATION_UPDATE.format(source="SELECT * FROM snap")})
            {VALUATION_INSERT.format(source="SELECT * FROM snap")}
        """, params)
        return
    cursor.execute(SNAPSHOT_INSERT, params)
    snapshots = "(SELECT account_id, id AS snapshot_id FROM risk_ratiosnapshot WHERE run_id = %(run)s)"
    temp_table(cursor, "risk_watched", WATCHED_SQL.format(snapshots=snapshots), params)
    source = f"""SELECT c.account_id, m.snapshot_id, c.assets, c.liabilities, c.ratio, c.level
                 FROM risk_revalued c JOIN {snapshots} m ON m.account_id = c.account_id"""
    cursor.execute(VALUATION_UPDATE.format(source=source), params)
    cursor.execute(VALUATION_INSERT.format(source=source), params)


def _clear_alerts(cursor, now) -> int:
    """An open alert clears once the ratio is back above its line by the hysteresis band (or
    there is no liability any more)."""
    cleared = 0
    for line in ALERT_LINES:
        cursor.execute(f"""
            UPDATE risk_accountalert SET state = 'cleared', cleared_at = %s, cleared_snapshot_id = c.snapshot_id
            FROM risk_watched c
            WHERE risk_accountalert.state = 'open' AND risk_accountalert.line = %s
              AND risk_accountalert.account_id = c.account_id
              AND (c.ratio IS NULL OR c.{line}_line IS NULL OR c.ratio >= c.{line}_line + %s)
        """, [db_time(now), line, hysteresis_band()])
        cleared += cursor.rowcount
    return cleared


def _open_alerts(cursor, now) -> int:
    opened = 0
    for line in ALERT_LINES:
        cursor.execute(f"""
            INSERT INTO risk_accountalert (account_id, line, line_value, state, opened_at, opened_snapshot_id,
                                           cleared_at, cleared_snapshot_id)
            SELECT c.account_id, %s, c.{line}_line, 'open', %s, c.snapshot_id, NULL, NULL
            FROM risk_watched c
            WHERE c.ratio IS NOT NULL AND c.{line}_line IS NOT NULL AND c.ratio < c.{line}_line
              AND NOT EXISTS (SELECT 1 FROM risk_accountalert x
                              WHERE x.account_id = c.account_id AND x.line = %s AND x.state = 'open')
        """, [line, db_time(now), line])
        opened += cursor.rowcount
    return opened
