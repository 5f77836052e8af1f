"""The SLA sweep: find every timer that crossed 50 %, 75 % or 100 % of its target and act, each
level exactly once per timer even when sweeps overlap or a worker dies mid-sweep. A running timer
crossed a level when the level's moment passed; a paused one when it ran that far before its
pause (cases/sla_engine.py gives it a next alert for such a level, and no moments ahead); a clock
stopped after its due moment before a sweep fired its breach has that breach (100 %) to fire.

Set-based, no loop over timers in Python. On PostgreSQL it is one statement (one round trip): it
locks the due timers (FOR UPDATE SKIP LOCKED: a concurrent sweep passes them by), lists their
crossed levels and moves the timers on (fired level, next alert, breached); a timer's fired level
only grows, so a level is never found twice. The escalation rows (unique per timer and level: ON
CONFLICT DO NOTHING) record what this sweep fired, and for those alone the cases are escalated
and the audit events written. Elsewhere (the embedded SQLite) the same steps run one after the
other under SQLite's single writer, through a work table: find, record, move, then act.
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


#: The sweep's work table: one row per timer and level this sweep fires.
DUE_TABLE = """
    CREATE TEMPORARY TABLE IF NOT EXISTS sla_sweep_due (
        timer_id bigint, case_id bigint, level integer, metric varchar(20), cycle integer)
"""


def due_timers(alias: str = "") -> str:
    """SQL condition: the timers (called `alias`) a sweep looks at, with an alert due (running, paused
    after crossing a level not fired yet, or stopped after its due moment before its breach was fired:
    a dispute acknowledged late between two sweeps is still escalated and told)."""
    t = f"{alias}." if alias else ""
    return f"{t}next_alert_at IS NOT NULL AND {t}next_alert_at <= %(now)s"


#: A level of timer `t` not fired yet and crossed by %(now)s (lvl: LEVELS): its moment passed, or
#: the paused timer had run that share of its target (the engine's whole seconds) when it paused.
#: A clock stopped late has its breach alone to fire: a warning that time is running out would
#: reach the assignee and the team leads after nobody can act on it any more. A clock marked breached
#: and not fired (late when its target changed: cases/sla_engine.py) has its breach to fire at once.
CROSSED = (f"lvl.level > t.fired_level AND ({LEVEL_MOMENT} <= %(now)s OR (t.resumed_at IS NULL "
           "AND t.elapsed_seconds >= CAST(t.target_seconds AS bigint) * lvl.level / 100) "
           "OR (t.breached AND lvl.level >= 100)) "
           "AND (t.stopped_at IS NULL OR lvl.level >= 100)")
#: A timer moved on to `f.max_level`: its next alert is the next level's moment; at 100 % it is breached.
MOVE_TIMER = """
    fired_level = f.max_level,
    breached = cases_slatimer.breached OR f.max_level >= 100,
    state = CASE WHEN f.max_level >= 100 THEN 'breached' ELSE cases_slatimer.state END,
    next_alert_at = CASE WHEN f.max_level < 50 THEN cases_slatimer.warn_50_at
                         WHEN f.max_level < 75 THEN cases_slatimer.warn_75_at
                         WHEN f.max_level < 100 THEN cases_slatimer.due_at END
"""


def _sweep_postgresql(cursor, now, run: str) -> int:
    """PostgreSQL: one statement, one round trip. It locks the due timers (a concurrent sweep
    passes them by), lists their crossed levels, moves the timers on, records the levels (ON
    CONFLICT: a level recorded before stays out) and, for what it recorded, escalates the cases
    and writes the audit events. Returns how many levels it fired.

    A case to escalate (a breach) is locked first, before any of its timers, and passed by while
    someone else holds it, its timers left for the next sweep: a person changing the case locks it
    and then its timers (the event moves them), so a sweep that held the timers and waited for the
    case deadlocked with them, and PostgreSQL aborted one (the agent's reply, or the sweep). Two
    sweeps split the work by those locks: the one that holds a breached case fires all of its
    timers, the other none of them, so between them every level is fired, once."""
    # A backlog of a few hundred thousand rows sorts and hashes in memory, not on disk.
    cursor.execute("SET LOCAL work_mem = '64MB'")
    cursor.execute(f"""
        WITH due AS (
            SELECT t.case_id, lvl.level FROM cases_slatimer t CROSS JOIN {LEVELS}
            WHERE {due_timers("t")} AND {CROSSED}
        ), breaching AS (
            SELECT DISTINCT case_id FROM due WHERE level >= 100
        ), held AS (
            SELECT id FROM cases_case
            WHERE id = ANY(ARRAY(SELECT case_id FROM breaching ORDER BY case_id))
            FOR NO KEY UPDATE SKIP LOCKED
        ), locked AS (
            SELECT ctid, id, case_id, metric, cycle, fired_level, warn_50_at, warn_75_at, due_at, resumed_at,
                   elapsed_seconds, target_seconds, stopped_at, breached
            FROM cases_slatimer
            WHERE {due_timers()}
              AND (case_id NOT IN (SELECT case_id FROM breaching) OR case_id IN (SELECT id FROM held))
            FOR UPDATE SKIP LOCKED
        ), crossed AS (
            -- a breach only on a case held (a timer changed since it was read may have come to one)
            SELECT t.ctid, t.id, t.case_id, t.metric, t.cycle, lvl.level FROM locked t CROSS JOIN {LEVELS}
            WHERE {CROSSED} AND (lvl.level < 100 OR t.case_id IN (SELECT id FROM held))
        ), moved AS (
            UPDATE cases_slatimer SET {MOVE_TIMER}
            FROM (SELECT id, ctid, MAX(level) AS max_level FROM crossed GROUP BY id, ctid ORDER BY ctid) AS f
            WHERE cases_slatimer.ctid = f.ctid
        ), fired AS (
            INSERT INTO cases_slaescalation (timer_id, case_id, level, fired_at, sweep)
            SELECT id, case_id, level, %(now)s, %(run)s FROM crossed ORDER BY id, level
            ON CONFLICT (timer_id, level) DO NOTHING
            RETURNING timer_id, case_id, level
        ), escalated AS (
            -- the cases by their ids in order: index lookups page by page
            UPDATE cases_case SET escalated_at = %(now)s
            WHERE escalated_at IS NULL
              AND id = ANY(ARRAY(SELECT DISTINCT case_id FROM fired WHERE level >= 100 ORDER BY case_id))
        ), events AS (
            INSERT INTO cases_caseevent (case_id, kind, actor_id, name, from_value, to_value, comment,
                                         is_internal, data, created_at)
            SELECT d.case_id, 'escalation', NULL, 'sla_warning', d.metric, CAST(d.level AS varchar), '', TRUE,
                   {warning_data_sql("d")}, %(now)s
            FROM (SELECT c.case_id, c.id AS timer_id, c.metric, c.cycle, c.level
                  FROM fired f JOIN crossed c ON c.id = f.timer_id AND c.level = f.level) AS d
            ORDER BY d.case_id, d.timer_id, d.level
        )
        SELECT COUNT(*) FROM fired
    """, {"now": now, "run": run})
    return cursor.fetchone()[0]


def _sweep_sqlite(cursor, now, run: str) -> int:
    """Elsewhere (the embedded SQLite, one writer at a time): find into a work table, record,
    keep what this sweep recorded, move the timers, then escalate the cases and write the events."""
    cursor.execute(DUE_TABLE)
    cursor.execute("DELETE FROM sla_sweep_due")
    cursor.execute(f"""
        INSERT INTO sla_sweep_due (timer_id, case_id, level, metric, cycle)
        SELECT t.id, t.case_id, lvl.level, t.metric, t.cycle FROM cases_slatimer t CROSS JOIN {LEVELS}
        WHERE {due_timers("t")} AND {CROSSED}
    """, {"now": now})
    cursor.execute("""
        INSERT INTO cases_slaescalation (timer_id, case_id, level, fired_at, sweep)
        SELECT timer_id, case_id, level, %s, %s FROM sla_sweep_due WHERE 1 = 1
        ON CONFLICT (timer_id, level) DO NOTHING
    """, [now, run])
    cursor.execute("""
        DELETE FROM sla_sweep_due WHERE NOT EXISTS (
            SELECT 1 FROM cases_slaescalation e
            WHERE e.timer_id = sla_sweep_due.timer_id AND e.level = sla_sweep_due.level AND e.sweep = %s)
    """, [run])
    cursor.execute(f"""
        UPDATE cases_slatimer SET {MOVE_TIMER}
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
    cursor.execute("SELECT COUNT(*) FROM sla_sweep_due")
    fired = cursor.fetchone()[0]
    cursor.execute("DELETE FROM sla_sweep_due")
    return fired


def sla_sweep(now=None) -> int:
    """Fire every crossed warning level once, with its audit event; returns how many levels this
    sweep fired. Telling people is a task of its own on the notifications queue, started once
    this sweep committed (cases.services.escalations): a flood of notices never holds the
    sweep's locks, and the escalation rows say which warnings still wait to be told."""
    from cases.tasks import sla_notify_task
    from servicedesk.broker import publish

    now = connection.ops.adapt_datetimefield_value(now or timezone.now())
    run = uuid.uuid4().hex
    sweep = _sweep_postgresql if connection.vendor == "postgresql" else _sweep_sqlite
    with transaction.atomic(), connection.cursor() as cursor:
        fired = sweep(cursor, now, run)
        if fired:
            # With the broker down the escalation rows wait untold: the next sweep tells them.
            transaction.on_commit(lambda: publish(sla_notify_task, run))
    return fired
