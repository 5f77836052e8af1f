"""The monitoring run: revalue every credit account in SQL, keep the ratio history, open and
clear line alerts with hysteresis, tell clients, and open, raise or restore margin calls.

Set-based throughout: one statement values every account (positions ⨝ securities grouped by
account), the rest works on the accounts whose valuation changed since the last run, held in
temporary tables. Re-running on the same prices changes nothing and sends nothing; runs are
serialised (a PostgreSQL advisory lock) and a partial unique index allows at most one open
margin call per account whatever happens.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from notifications.services import dispatch_pending
from risk import margin_calls, notices
from risk.lines import active_stress_points, hysteresis_band, line_sql
from risk.models import ALERT_LINES, MonitoringRun
from risk.sql import db_time, divide, is_postgres, temp_table

ADVISORY_LOCK = 7_004_001  # any constant; one monitoring run at a time
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
                        SUM(CASE WHEN pos.kind = 'long' THEN pos.quantity * s.price ELSE 0 END) AS long_value,
                        SUM(CASE WHEN pos.kind = 'short' THEN pos.quantity * s.price ELSE 0 END) AS short_value
                    FROM accounts_position pos JOIN accounts_security s ON s.id = pos.security_id
                    GROUP BY pos.account_id
                ) p ON p.account_id = a.id
            ) w
        ) r
    """


CHANGED_SQL = """
    SELECT v.* FROM risk_values v LEFT JOIN risk_accountrisk r ON r.account_id = v.account_id
    WHERE r.account_id IS NULL OR r.level <> v.level
       OR ROUND(r.total_assets, 2) <> ROUND(v.assets, 2)
       OR ROUND(r.total_liabilities, 2) <> ROUND(v.liabilities, 2)
       OR (r.maintenance_ratio IS NULL) <> (v.ratio IS NULL) OR r.maintenance_ratio <> v.ratio
"""


def monitor_accounts(*, trigger: str = "manual", now=None) -> Outcome:
    """One monitoring run over every credit account (idempotent)."""
    now = now or timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        if is_postgres():
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK])
        stress = active_stress_points()
        temp_table(cursor, "risk_values", _valuation_sql(stress))
        temp_table(cursor, "risk_changed", CHANGED_SQL)
        cursor.execute("SELECT COUNT(*) FROM risk_changed")
        changed = cursor.fetchone()[0]
        outcome = Outcome(run=None, changed=changed)
        if changed:
            cursor.execute("SELECT COUNT(*) FROM risk_values")
            run = MonitoringRun.objects.create(started_at=now, trigger=trigger, stress_points=stress,
                                               accounts=cursor.fetchone()[0], changed=changed)
            outcome.run = run
            _record_snapshots(cursor, run, now, stress)
            outcome.alerts_cleared = _clear_alerts(cursor, now)
            outcome.alerts_opened = _open_alerts(cursor, now)
            notices.alert_notices(cursor, now)
            outcome.cases_restored = margin_calls.restore(cursor, now)
            outcome.cases_opened = margin_calls.open_new(cursor, now)
            outcome.cases_raised = margin_calls.raise_to_margin_call(cursor, now)
            margin_calls.refresh_amounts(cursor)
        outcome.deadlines_passed = margin_calls.pass_deadlines(cursor, now)
        if outcome.run is not None:
            for name in ("alerts_opened", "alerts_cleared", "cases_opened", "cases_raised", "cases_restored"):
                setattr(outcome.run, name, getattr(outcome, name))
            outcome.run.finished_at = timezone.now()
            outcome.run.save()
            dispatch_pending()  # the notices written above are sent once this commits
    return outcome


def _record_snapshots(cursor, run: MonitoringRun, now, stress: Decimal) -> None:
    cursor.execute("""
        INSERT INTO risk_ratiosnapshot (run_id, account_id, taken_at, total_assets, total_liabilities,
                                        maintenance_ratio, level, stress_points)
        SELECT %s, account_id, %s, assets, liabilities, ratio, level, %s FROM risk_changed
    """, [run.pk, db_time(now), stress])
    temp_table(cursor, "risk_snap", "SELECT account_id, id AS snapshot_id FROM risk_ratiosnapshot WHERE run_id = %s",
               [run.pk])
    cursor.execute("""
        INSERT INTO risk_accountrisk (account_id, snapshot_id, total_assets, total_liabilities, maintenance_ratio,
                                      level, updated_at)
        SELECT c.account_id, m.snapshot_id, c.assets, c.liabilities, c.ratio, c.level, %s
        FROM risk_changed c JOIN risk_snap m ON m.account_id = c.account_id WHERE 1 = 1
        ON CONFLICT (account_id) DO UPDATE SET snapshot_id = excluded.snapshot_id,
            total_assets = excluded.total_assets, total_liabilities = excluded.total_liabilities,
            maintenance_ratio = excluded.maintenance_ratio, level = excluded.level, updated_at = excluded.updated_at
    """, [db_time(now)])


def _clear_alerts(cursor, now) -> int:
    """An open alert clears once the ratio is back above its line by the hysteresis band (or
    there is no liability any more)."""
    cleared = 0
    for line in ALERT_LINES:
        cursor.execute(f"""
            UPDATE risk_accountalert SET state = 'cleared', cleared_at = %s,
                cleared_snapshot_id = (SELECT m.snapshot_id FROM risk_snap m
                                       WHERE m.account_id = risk_accountalert.account_id)
            WHERE state = 'open' AND line = %s AND account_id IN (
                SELECT account_id FROM risk_changed
                WHERE ratio IS NULL OR {line}_line IS NULL OR ratio >= {line}_line + %s)
        """, [db_time(now), line, hysteresis_band()])
        cleared += cursor.rowcount
    return cleared


def _open_alerts(cursor, now) -> int:
    opened = 0
    for line in ALERT_LINES:
        cursor.execute(f"""
            INSERT INTO risk_accountalert (account_id, line, line_value, state, opened_at, opened_snapshot_id,
                                           cleared_at, cleared_snapshot_id)
            SELECT c.account_id, %s, c.{line}_line, 'open', %s, m.snapshot_id, NULL, NULL
            FROM risk_changed c JOIN risk_snap m ON m.account_id = c.account_id
            WHERE c.ratio IS NOT NULL AND c.{line}_line IS NOT NULL AND c.ratio < c.{line}_line
              AND NOT EXISTS (SELECT 1 FROM risk_accountalert x
                              WHERE x.account_id = c.account_id AND x.line = %s AND x.state = 'open')
        """, [line, db_time(now), line])
        opened += cursor.rowcount
    return opened
