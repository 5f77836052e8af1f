"""Small SQL pieces that differ between PostgreSQL and SQLite (the embedded default), for the
set-based statements of the monitoring, the SLA sweep and the notices."""

from django.db import connection


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def divide(numerator: str, denominator: str) -> str:
    """Decimal division (SQLite would divide whole numbers as integers)."""
    return f"({numerator}) / ({denominator})" if is_postgres() else f"CAST({numerator} AS REAL) / ({denominator})"


def ceil_cents(amount: str) -> str:
    """Round an amount up to the cent."""
    if is_postgres():
        return f"(CEIL(({amount}) * 100) / 100)"
    scaled = f"ROUND(({amount}) * 100, 6)"  # SQLite divides in floating point: 37500.000000000004
    return f"((CAST({scaled} AS INTEGER) + ({scaled} > CAST({scaled} AS INTEGER))) / 100.0)"


def zero_padded(number: str, width: int) -> str:
    if is_postgres():
        return f"LPAD(CAST({number} AS text), {width}, '0')"
    return f"printf('%%0{width}d', {number})"


def as_text(value: str) -> str:
    return f"CAST({value} AS {'text' if is_postgres() else 'TEXT'})"


def local_iso(moment: str) -> str:
    """SQL: a stored moment as ISO 8601 in Asia/Shanghai (UTC+8 all year), whole seconds,
    "2026-02-16T15:00:00+08:00", as `localtime(moment).isoformat()` writes it; for a statement run
    with parameters."""
    if is_postgres():
        return f"(to_char({moment} AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD\"T\"HH24:MI:SS') || '+08:00')"
    return f"(strftime('%%Y-%%m-%%dT%%H:%%M:%%S', {moment}, '+8 hours') || '+08:00')"


def fixed_text(value: str, places: int = 2) -> str:
    """SQL: a number as text with exactly `places` decimals ("136.00", as PostgreSQL writes a
    numeric of that scale; SQLite's ROUND gives a float, "136.0"); for a statement run with
    parameters."""
    if is_postgres():
        return f"CAST(ROUND({value}, {places}) AS text)"
    return f"printf('%%.{places}f', ROUND({value}, {places}))"


def money_text(amount: str) -> str:
    """SQL: a non-negative amount in cents as the site writes money (servicedesk.formats.money),
    "¥314,287.02"; for a statement run with parameters."""
    if is_postgres():
        return f"('¥' || to_char({amount}, 'FM999,999,999,999,999,990.00'))"
    # %% : the statement is run with parameters, so its own % signs are doubled.
    return f"('¥' || printf('%%,d', CAST({amount} AS INTEGER)) || substr(printf('%%.2f', {amount}), -3))"


def json_object(**fields: str) -> str:
    """A JSON object built from SQL expressions (values already SQL; strings quoted by caller)."""
    if is_postgres():
        pairs = ", ".join(f"'{key}', {value}" for key, value in fields.items())
        return f"jsonb_build_object({pairs})"
    pairs = ", ".join(f"'{key}', {value}" for key, value in fields.items())
    return f"json_object({pairs})"


def temp_table(cursor, name: str, select_sql: str, params=()) -> None:
    cursor.execute(f"DROP TABLE IF EXISTS {name}")
    cursor.execute(f"CREATE TEMPORARY TABLE {name} AS {select_sql}", params)


def db_time(moment):
    """An aware datetime as this database takes it in raw SQL (SQLite: naive UTC text)."""
    return connection.ops.adapt_datetimefield_value(moment)
