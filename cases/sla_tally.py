"""The SLA report's tally on PostgreSQL (models in cases/models/sla_tally.py).

Statement-level triggers on the timers, the cases and the clients append, for each statement,
the change it makes to the report's counts, per report group, metric and the local day the case
was opened: a timer started, met, breached or removed; a case moved to another queue, assignee
or priority; a client given another tier. Whatever writes (the engine, the sweep's one UPDATE of
200,000 timers, the admin, raw SQL) is counted the same way. `fold` (every minute, beat) adds the
committed changes into one row per key; `counts` reads the tally and the changes not yet folded
in one statement, so the report is exact at every moment.

A timer's part in the counts is the report's: met = met and not breached; breached; running =
not stopped and not breached; and the timer itself (a group exists while it has timers)."""

import datetime

from django.conf import settings
from django.db import connections, transaction

from cases.models.sla_tally import DIMENSIONS

#: The day a case was opened is counted in this zone; the report uses the tally only when it is
#: the site's (settings.TIME_ZONE).
ZONE = "Asia/Shanghai"
#: pg_try_advisory_xact_lock key of the fold: one at a time (a second finds it busy and leaves).
FOLD_LOCK = 0x5_1A_7A11

#: The counts' columns, in the tables' order.
COUNTS = ("timers", "met", "breached", "running")
_COLUMNS = ", ".join(COUNTS)
_SUMS = ", ".join(f"SUM({c}) AS {c}" for c in COUNTS)

#: Each report group's value for a row `r` of timer and case columns ("" for none).
_KEYS = ", ".join(
    f"('{dimension}', {expression})" for dimension, expression in zip(DIMENSIONS, (
        "''", "COALESCE(r.queue_id::text, '')", "COALESCE(r.assignee_id::text, '')", "r.kind",
        "COALESCE(r.tier, '')", "r.priority")))

#: The case columns the counts are kept by (the client's tier comes from p).
_CASE = "c.queue_id, c.assignee_id, c.kind, c.priority, c.created_at"


def _part(sign: str) -> str:
    """A timer t's part in the counts, counted (`sign` 1) or taken back (-1)."""
    return (f"{sign} AS timers, {sign} * (t.state = 'met' AND NOT t.breached)::int AS met, "
            f"{sign} * t.breached::int AS breached, {sign} * (t.stopped_at IS NULL AND NOT t.breached)::int AS running")


def _append(rows: str) -> str:
    """The statement appending the counts of `rows` (metric, the counts, the case columns and
    the tier), summed per key; keys whose changes cancel out are left out."""
    return f"""
    INSERT INTO cases_slatallychange (dimension, value, day, metric, timers, met, breached, running)
    SELECT * FROM (
        SELECT k.dimension, k.value, (r.created_at AT TIME ZONE '{ZONE}')::date AS day, r.metric,
               SUM(r.timers) AS timers, SUM(r.met) AS met, SUM(r.breached) AS breached, SUM(r.running) AS running
        FROM ({rows}) r
        CROSS JOIN LATERAL (VALUES {_KEYS}) AS k(dimension, value)
        GROUP BY 1, 2, 3, 4
    ) summed
    WHERE timers <> 0 OR met <> 0 OR breached <> 0 OR running <> 0;"""


def _timers(*tables: tuple[str, int]) -> str:
    """The timers of `tables` (transition tables, each with its sign), netted per case and metric
    before their cases are looked up: a statement that only moves the warning levels on (the
    sweep) nets to nothing and looks up no case."""
    parts = " UNION ALL ".join(f"SELECT t.case_id, t.metric, {_part(str(sign))} FROM {table} t"
                               for table, sign in tables)
    return f"""
        SELECT n.metric, n.timers, n.met, n.breached, n.running, {_CASE}, p.tier
        FROM (SELECT case_id, metric, {_SUMS}
              FROM ({parts}) part GROUP BY case_id, metric
              HAVING {" OR ".join(f"SUM({c}) <> 0" for c in COUNTS)}) n
        JOIN cases_case c ON c.id = n.case_id JOIN accounts_clientprofile p ON p.id = c.client_id"""


def _moved(columns: str) -> str:
    """The updated rows whose `columns` changed: once with the old values and sign -1, once with
    the new and sign 1 (an unchanged row's two cancel out)."""
    return f"""(SELECT id, {columns}, SUM(sign) AS sign
               FROM (SELECT -1 AS sign, id, {columns} FROM old_rows
                     UNION ALL SELECT 1, id, {columns} FROM new_rows) both_sides
               GROUP BY id, {columns} HAVING SUM(sign) <> 0)"""


#: Per trigger: (table, operation, transition tables, the rows it counts).
TRIGGERS = {
    "timers_inserted": ("cases_slatimer", "INSERT", "NEW TABLE AS new_rows", _timers(("new_rows", 1))),
    "timers_deleted": ("cases_slatimer", "DELETE", "OLD TABLE AS old_rows", _timers(("old_rows", -1))),
    "timers_updated": ("cases_slatimer", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows",
                       _timers(("old_rows", -1), ("new_rows", 1))),
    "cases_updated": ("cases_case", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows", f"""
        SELECT t.metric, {_part("c.sign")}, {_CASE}, p.tier
        FROM {_moved("queue_id, assignee_id, kind, priority, client_id, created_at")} c
        JOIN cases_slatimer t ON t.case_id = c.id JOIN accounts_clientprofile p ON p.id = c.client_id"""),
    "clients_updated": ("accounts_clientprofile", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows", f"""
        SELECT t.metric, {_part("p.sign")}, {_CASE}, p.tier
        FROM {_moved("tier")} p JOIN cases_case c ON c.client_id = p.id JOIN cases_slatimer t ON t.case_id = c.id"""),
}


def install_sql() -> str:
    """The functions and triggers (idempotent).

    Transition tables have no statistics: the planner guesses their size and, for the 20,000
    timers a sweep breaches, hashed the whole case table (0.6 s at a million cases, each side).
    A statement's changes are few beside the tables they are looked up in, so the functions
    look them up by index (nested loops); netting the changes is still hashed."""
    statements = []
    for name, (table, operation, transitions, rows) in TRIGGERS.items():
        statements.append(f"""
CREATE OR REPLACE FUNCTION sla_tally_{name}() RETURNS trigger AS $$
BEGIN
    {_append(rows)}
    RETURN NULL;
END;
$$ LANGUAGE plpgsql SET enable_hashjoin = off SET enable_mergejoin = off;
DROP TRIGGER IF EXISTS sla_tally_{name} ON {table};
CREATE TRIGGER sla_tally_{name} AFTER {operation} ON {table}
    REFERENCING {transitions} FOR EACH STATEMENT EXECUTE FUNCTION sla_tally_{name}();""")
    # TRUNCATE fires no row or statement DELETE trigger: with no timer left, nothing is counted.
    statements.append("""
CREATE OR REPLACE FUNCTION sla_tally_timers_truncated() RETURNS trigger AS $$
BEGIN
    DELETE FROM cases_slatallychange;
    DELETE FROM cases_slatally;
    DELETE FROM cases_slatallymonth;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS sla_tally_timers_truncated ON cases_slatimer;
CREATE TRIGGER sla_tally_timers_truncated AFTER TRUNCATE ON cases_slatimer
    FOR EACH STATEMENT EXECUTE FUNCTION sla_tally_timers_truncated();""")
    # A queue: rows come in all the time and go every minute. Vacuumed after every thousand
    # gone rather than a fifth of the table, so the report's scan of it never wades through
    # what the folds left behind.
    statements.append("ALTER TABLE cases_slatallychange SET (autovacuum_vacuum_threshold = 1000, "
                      "autovacuum_vacuum_scale_factor = 0.0, autovacuum_vacuum_insert_threshold = 1000, "
                      "autovacuum_vacuum_insert_scale_factor = 0.0);")
    return "\n".join(statements)


def uninstall_sql() -> str:
    return "\n".join(f"DROP TRIGGER IF EXISTS sla_tally_{name} ON {table};\n"
                      f"DROP FUNCTION IF EXISTS sla_tally_{name}();"
                      for name, table in [*((name, table) for name, (table, *_rest) in TRIGGERS.items()),
                                          ("timers_truncated", "cases_slatimer")])


#: The months' rows from the days' (the fold's `summed`, the rebuild's days).
_MONTHS = f"""
    INSERT INTO cases_slatallymonth (dimension, value, day, metric, {_COLUMNS})
    SELECT dimension, value, date_trunc('month', day)::date, metric, {_SUMS} FROM {{days}}
    GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
    ON CONFLICT (dimension, value, day, metric) DO UPDATE SET
        {", ".join(f"{c} = cases_slatallymonth.{c} + EXCLUDED.{c}" for c in COUNTS)}"""

#: Every timer counted afresh (the migration's first fill, `rebuild`).
REBUILD_SQL = "DELETE FROM cases_slatallychange; DELETE FROM cases_slatally; DELETE FROM cases_slatallymonth;" + \
    _append(f"""
    SELECT t.metric, {_part("1")}, {_CASE}, p.tier
    FROM cases_slatimer t JOIN cases_case c ON c.id = t.case_id
    JOIN accounts_clientprofile p ON p.id = c.client_id""") + f"""
    INSERT INTO cases_slatally (dimension, value, day, metric, {_COLUMNS})
    SELECT dimension, value, day, metric, {_COLUMNS} FROM cases_slatallychange;
    DELETE FROM cases_slatallychange;
    {_MONTHS.format(days="cases_slatally")};"""

#: The committed changes into the days' and the months' rows, in one statement.
FOLD_SQL = f"""
    WITH folded AS (DELETE FROM cases_slatallychange RETURNING dimension, value, day, metric, {_COLUMNS}),
    summed AS (SELECT dimension, value, day, metric, {_SUMS} FROM folded GROUP BY 1, 2, 3, 4),
    days AS (
        INSERT INTO cases_slatally (dimension, value, day, metric, {_COLUMNS})
        SELECT dimension, value, day, metric, {_COLUMNS} FROM summed ORDER BY 1, 2, 3, 4
        ON CONFLICT (dimension, value, day, metric) DO UPDATE SET
            {", ".join(f"{c} = cases_slatally.{c} + EXCLUDED.{c}" for c in COUNTS)}
        RETURNING 1
    ),
    months AS ({_MONTHS.format(days="summed")} RETURNING 1)
    SELECT (SELECT COUNT(*) FROM folded), (SELECT COUNT(*) FROM days), (SELECT COUNT(*) FROM months)"""

#: Keys whose timers have all gone elsewhere (a case moved to another queue, say).
EMPTY_KEYS_SQL = "; ".join(f"DELETE FROM {table} WHERE {' AND '.join(f'{c} = 0' for c in COUNTS)}"
                           for table in ("cases_slatally", "cases_slatallymonth"))


def in_use(using: str = "default") -> bool:
    """The report reads the tally: PostgreSQL, and the days are the site's days."""
    return connections[using].vendor == "postgresql" and settings.TIME_ZONE == ZONE


def fold(using: str = "default") -> int | None:
    """Fold the committed changes into the tally; the number of changes folded, None when another
    fold is running (it folds them) or the database has no tally."""
    if connections[using].vendor != "postgresql":
        return None
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [FOLD_LOCK])
        if not cursor.fetchone()[0]:
            return None
        cursor.execute(FOLD_SQL)
        folded = cursor.fetchone()[0]
        cursor.execute(EMPTY_KEYS_SQL)
        return folded


def rebuild(using: str = "default") -> None:
    """Count every timer afresh (after a restore, or to check the triggers' work)."""
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [FOLD_LOCK])
        cursor.execute("LOCK TABLE cases_slatimer, cases_case, accounts_clientprofile IN SHARE MODE")
        cursor.execute(REBUILD_SQL)


def counts(dimension: str, *, first_day: datetime.date | None, stop_day: datetime.date | None,
           period: str | None, using: str = "default") -> list[tuple]:
    """(value, metric, period start or None, timers, met, breached, running) per group value and
    metric (and period: "day" or "week") for the cases opened on the days in [first_day,
    stop_day) (None: unbounded), folded and not, in one statement. Without a period the whole
    months of the range are read by month and only the days around them by day."""
    assert dimension in DIMENSIONS
    period_sql = {None: "NULL::date", "day": "day", "week": "date_trunc('week', day)::date"}[period]
    parts, params = [], []

    def part(table: str, days: list[tuple]) -> None:
        ranges = [_between(start, stop) for start, stop in days]
        parts.append(f"SELECT value, metric, day, {_COLUMNS} FROM {table} WHERE dimension = %s"
                     f" AND ({' OR '.join(sql for sql, _p in ranges)})")
        params.append(dimension)
        for _sql, values in ranges:
            params.extend(values)

    months = whole_months(first_day, stop_day) if period is None else None
    if months is None:
        part("cases_slatally", [(first_day, stop_day)])
    else:
        part("cases_slatallymonth", [months])
        edges = [(first_day, months[0])] if first_day is not None and first_day < months[0] else []
        if stop_day is not None and months[1] < stop_day:
            edges.append((months[1], stop_day))
        if edges:
            part("cases_slatally", edges)
    part("cases_slatallychange", [(first_day, stop_day)])
    sql = f"""
        SELECT value, metric, {period_sql} AS period, {", ".join(f"SUM({c})::bigint" for c in COUNTS)}
        FROM ({" UNION ALL ".join(parts)}) tally
        GROUP BY 1, 2, 3
        HAVING SUM(timers) <> 0"""
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def whole_months(first_day: datetime.date | None, stop_day: datetime.date | None):
    """The months wholly inside the days [first_day, stop_day) as [first month, stop month)
    (their first days; None: unbounded), or None when no month is whole (also from a day in the
    last month Python has: no month begins after it). An unbounded side is read by month up to
    the first whole month."""
    first_month = None
    if first_day is not None:
        if first_day.day == 1:
            first_month = first_day
        elif first_day > datetime.date.max.replace(day=1):
            return None
        else:
            first_month = _next_month(first_day)
    stop_month = stop_day.replace(day=1) if stop_day is not None else None
    if first_month is not None and stop_month is not None and first_month >= stop_month:
        return None
    return first_month, stop_month


def _next_month(day: datetime.date) -> datetime.date:
    return (day.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)


def _between(start: datetime.date | None, stop: datetime.date | None) -> tuple[str, list]:
    """SQL for start <= day < stop (None: unbounded) and its parameters."""
    conditions, values = ["TRUE"], []
    if start is not None:
        conditions.append("day >= %s")
        values.append(start)
    if stop is not None:
        conditions.append("day < %s")
        values.append(stop)
    return "(" + " AND ".join(conditions) + ")", values
