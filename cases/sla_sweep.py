"""The SLA sweep: find every running timer that crossed 50 %, 75 % or 100 % of its target and act,
each level exactly once per timer even when sweeps overlap or a worker dies mid-sweep.

Set-based: one statement locks the due timers (FOR UPDATE SKIP LOCKED on PostgreSQL) and
inserts one escalation row per crossed level (unique per timer and level: ON CONFLICT DO
NOTHING), returning only what this sweep fired; the timers, cases and audit trail are then
updated with one statement each. No loop over timers in Python.
"""

import uuid

from django.db import connection, transaction
from django.utils import timezone

from servicedesk.sql import json_object

LEVEL_MOMENT = "CASE lvl.level WHEN 50 THEN t.warn_50_at WHEN 75 THEN t.warn_75_at ELSE t.due_at END"
LEVELS = "(SELECT 50 AS level UNION ALL SELECT 75 UNION ALL SELECT 100) AS lvl"


def warning_data_sql(alias: str) -> str:
    """SQL for the JSON {"metric", "cycle", "level"} of a fired warning row called `alias`
    (the data of the escalation event and of its notices)."""
    return json_object(metric=f"{alias}.metric", cycle=f"{alias}.cycle", level=f"{alias}.level")


def _find_and_record(cursor, now, run: str) -> int:
    lock = "FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    cursor.execute(f"""
        CREATE TEMPORARY TABLE IF NOT EXISTS sla_sweep_due (
            timer_id bigint, case_id bigint, level integer, metric varchar(20), cycle integer,
            kind varchar(16), queue_id bigint, assignee_id bigint)
    """)
    cursor.execute("DELETE FROM sla_sweep_due")
    # The case's kind, queue and assignee come along (read once here, not joined again by each
    # statement that tells someone).
    cursor.execute(f"""
        INSERT INTO sla_sweep_due (timer_id, case_id, level, metric, cycle, kind, queue_id, assignee_id)
        SELECT t.id, t.case_id, lvl.level, t.metric, t.cycle, c.kind, c.queue_id, c.assignee_id
        FROM cases_slatimer t JOIN cases_case c ON c.id = t.case_id CROSS JOIN {LEVELS}
        WHERE t.id IN (SELECT id FROM cases_slatimer
                       WHERE next_alert_at IS NOT NULL AND next_alert_at <= %s {lock})
          AND t.stopped_at IS NULL AND t.resumed_at IS NOT NULL
          AND lvl.level > t.fired_level AND {LEVEL_MOMENT} <= %s
    """, [now, now])
    insert = """
        INSERT INTO cases_slaescalation (timer_id, case_id, level, fired_at, sweep)
        SELECT timer_id, case_id, level, %s, %s FROM sla_sweep_due WHERE 1 = 1
        ON CONFLICT (timer_id, level) DO NOTHING
    """
    # Keep only what this sweep fired (a level fired before, by this or another sweep, stays out).
    if connection.vendor == "postgresql":
        # What the insert returns, not the rows of this run looked up again: the planner cannot
        # know how many rows carry a run id it has never seen, and takes it for one (at 75,000
        # fired levels, a nested loop of 75,000 × 75,000).
        cursor.execute(f"""
            WITH fired AS ({insert} RETURNING timer_id, level)
            DELETE FROM sla_sweep_due d
            WHERE NOT EXISTS (SELECT 1 FROM fired f WHERE f.timer_id = d.timer_id AND f.level = d.level)
        """, [now, run])
    else:
        cursor.execute(insert, [now, run])
        cursor.execute("""
            DELETE FROM sla_sweep_due WHERE NOT EXISTS (
                SELECT 1 FROM cases_slaescalation e
                WHERE e.timer_id = sla_sweep_due.timer_id AND e.level = sla_sweep_due.level AND e.sweep = %s)
        """, [run])
    cursor.execute("SELECT COUNT(*) FROM sla_sweep_due")
    fired = cursor.fetchone()[0]
    if fired and connection.vendor == "postgresql":
        # Temporary tables get no statistics of their own: without them the statements below are
        # planned for a few hundred rows whatever fired (JIT and spilling hash joins at 75,000).
        cursor.execute("ANALYZE sla_sweep_due")
    return fired


def _apply(cursor, now) -> None:
    cursor.execute("""
        UPDATE cases_slatimer SET
            fired_level = f.max_level,
            breached = cases_slatimer.breached OR f.max_level >= 100,
            state = CASE WHEN f.max_level >= 100 THEN 'breached' ELSE cases_slatimer.state END,
            next_alert_at = CASE WHEN f.max_level < 50 THEN cases_slatimer.warn_50_at
                                 WHEN f.max_level < 75 THEN cases_slatimer.warn_75_at
                                 WHEN f.max_level < 100 THEN cases_slatimer.due_at END
        FROM (SELECT timer_id, MAX(level) AS max_level FROM sla_sweep_due GROUP BY timer_id) AS f
        WHERE cases_slatimer.id = f.timer_id
    """)
    cursor.execute("""
        UPDATE cases_case SET escalated_at = %s
        WHERE escalated_at IS NULL AND id IN (SELECT case_id FROM sla_sweep_due WHERE level >= 100)
    """, [now])
    cursor.execute(f"""
        INSERT INTO cases_caseevent (case_id, kind, actor_id, name, from_value, to_value, comment,
                                     is_internal, data, created_at)
        SELECT d.case_id, 'escalation', NULL, 'sla_warning', d.metric, CAST(d.level AS varchar), '', %s,
               {warning_data_sql("d")}, %s
        FROM sla_sweep_due d ORDER BY d.case_id, d.timer_id, d.level
    """, [True, now])


def sla_sweep(now=None) -> int:
    """Fire every crossed warning level once, with its audit event; returns how many levels this
    sweep fired. Telling people is a task of its own on the notifications queue, started once
    this sweep committed (cases.services.escalations): a flood of notices never holds the
    sweep's locks, and the escalation rows say which warnings still wait to be told."""
    from cases.tasks import sla_notify_task
    from servicedesk.broker import publish

    now = connection.ops.adapt_datetimefield_value(now or timezone.now())
    run = uuid.uuid4().hex
    with transaction.atomic(), connection.cursor() as cursor:
        fired = _find_and_record(cursor, now, run)
        if fired:
            _apply(cursor, now)
            # With the broker down the escalation rows wait untold: the next sweep tells them.
            transaction.on_commit(lambda: publish(sla_notify_task, run))
        cursor.execute("DELETE FROM sla_sweep_due")
    return fired
