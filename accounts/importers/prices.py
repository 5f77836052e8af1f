"""`prices_import`: the price feed (`symbol,price,as_of`) onto Security.price and the daily
price history (SecurityPrice: one row per security and Shanghai trading date, the latest wins)."""

import datetime
import os
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.importers import values as v
from accounts.importers.base import (
    ImportRejected, ImportResult, PriceFileSummary, refused_by_database, rejected_for, rows_by_key,
    unknown_reference,
)
from accounts.importers.reading import Column, Issues, read_rows
from accounts.models import PRICE_MAX, Security, SecurityPrice

MARKET_TIME_ZONE = ZoneInfo("Asia/Shanghai")
PRICE_COLUMNS = [
    Column("symbol", v.text(16)),
    Column("price", v.decimal(max_digits=18, decimal_places=4, positive=True, maximum=PRICE_MAX)),
    Column("as_of", v.timestamp),
]
#: How far ahead of this server's clock a price may be stamped (the feed's clock may run a little
#: ahead); a price stamped later than that is refused: kept, it would stand as the latest price and
#: every real price after it would be skipped as older.
CLOCK_SKEW = datetime.timedelta(minutes=5)
#: The Shanghai Stock Exchange's first trading day: no price of ours is older.
EARLIEST = datetime.datetime(1990, 12, 19, tzinfo=MARKET_TIME_ZONE)


@dataclass
class PriceFile:
    """What the import needs of a price file, in memory bounded by the securities and days it
    names, not by its rows: each symbol's latest price, each symbol's latest price per Shanghai
    trading date, the first line of each symbol. A file may hold several times per symbol (a day's
    ticks, or a backfill of history); the same symbol and time twice is an error."""

    latest: dict = field(default_factory=dict)  # symbol → (as_of, price)
    daily: dict = field(default_factory=dict)  # (symbol, trade date) → (as_of, price)
    first_lines: dict = field(default_factory=dict)  # symbol → line
    rows: int = 0


def _keep_latest(store: dict, key, as_of, price) -> None:
    if key not in store or as_of > store[key][0]:
        store[key] = (as_of, price)


def parse_prices(path: Path, filename: str, issues: Issues, *, latest_allowed: datetime.datetime) -> PriceFile:
    """One streaming pass; duplicates are found from an array of 8-byte hashes of (symbol, time)
    (a million rows: 8 MB), and only when there are any does a second pass name their lines. A
    price stamped after `latest_allowed`, or before the exchange opened (EARLIEST), is an error."""
    parsed = PriceFile()
    hashes = array("q")
    for row in read_rows(path, filename, PRICE_COLUMNS, issues):
        symbol, as_of = row.values.get("symbol"), row.values.get("as_of")
        if symbol is not None:  # checked against the securities even when the row's time is bad
            parsed.first_lines.setdefault(symbol, row.line)
        if symbol is None or as_of is None:
            continue
        if as_of > latest_allowed:
            issues.add(filename, row.line, "as_of", _('"%(value)s" is in the future (it is now %(now)s)')
                       % {"value": as_of.isoformat(),
                          "now": timezone.localtime(latest_allowed - CLOCK_SKEW).isoformat(timespec="seconds")})
        elif as_of < EARLIEST:  # a year typed wrong (0001, 1900) would write a price history nobody had
            issues.add(filename, row.line, "as_of", _('"%(value)s" is before the exchange opened (%(day)s)')
                       % {"value": as_of.isoformat(), "day": EARLIEST.date().isoformat()})
        parsed.rows += 1
        hashes.append(hash((symbol, as_of)))
        if row.ok:
            price = row.values.get("price")
            # Written in UTC: PostgreSQL refuses an offset beyond ±15:59 that Python reads (+23:59 was a traceback).
            as_of = as_of.astimezone(datetime.UTC)
            _keep_latest(parsed.latest, symbol, as_of, price)
            _keep_latest(parsed.daily, (symbol, trade_date(as_of)), as_of, price)
    ordered = numpy.sort(numpy.frombuffer(hashes, dtype=numpy.int64)) if hashes else numpy.empty(0, numpy.int64)
    del hashes
    repeated = set(ordered[1:][ordered[1:] == ordered[:-1]].tolist())
    del ordered
    if repeated:
        _report_duplicates(path, filename, repeated, issues)
    return parsed


def _report_duplicates(path: Path, filename: str, repeated: set, issues: Issues) -> None:
    """Second pass over a file with (probably) repeated keys: the exact duplicates, each with the
    line of its first occurrence (only rows whose hash repeats are remembered)."""
    first: dict = {}
    for row in read_rows(path, filename, PRICE_COLUMNS, Issues()):  # its value problems are listed already
        symbol, as_of = row.values.get("symbol"), row.values.get("as_of")
        if symbol is None or as_of is None or hash((symbol, as_of)) not in repeated:
            continue
        key = (symbol, as_of)
        if key in first:
            issues.add(filename, row.line, "symbol", _('duplicate price for "%(symbol)s" at %(as_of)s, first on '
                                                       'line %(line)d')
                       % {"symbol": symbol, "as_of": as_of.isoformat(), "line": first[key]})
        else:
            first[key] = row.line


def _report_unknown_symbols(path: Path, filename: str, unknown: set, issues: Issues) -> None:
    """Every line naming a symbol not in the database (a second pass: only on this error path)."""
    for row in read_rows(path, filename, PRICE_COLUMNS, Issues()):
        symbol = row.values.get("symbol")
        if symbol in unknown:
            issues.add(filename, row.line, "symbol", unknown_reference("symbol", symbol))


def trade_date(as_of):
    return as_of.astimezone(MARKET_TIME_ZONE).date()


def prices_import(path, *, now: datetime.datetime | None = None) -> ImportResult:
    """Apply each security's latest price in the file unless the stored price is newer (skipped,
    not an error), and keep the latest price of each day in the history. Unknown symbols, bad
    values and prices stamped after `now` (default: the current time; CLOCK_SKEW allowed) reject
    the whole file. `updated_security_ids` names the securities written."""
    path = Path(path)
    if not os.path.lexists(path):  # a name mistyped, or the feed's file not delivered yet
        raise ImportRejected(_("%(path)s does not exist") % {"path": path})
    if not path.is_file():
        raise ImportRejected(_("%(path)s is not a file") % {"path": path})
    filename = path.name
    issues = Issues((filename,))
    parsed = parse_prices(path, filename, issues, latest_allowed=(now or timezone.now()) + CLOCK_SKEW)
    securities = rows_by_key(Security, "symbol", parsed.first_lines.keys(), ["price", "price_as_of"])
    unknown = {symbol for symbol in parsed.first_lines if symbol not in securities}
    if unknown:
        _report_unknown_symbols(path, filename, unknown, issues)
    if issues:
        raise rejected_for(issues)

    latest = parsed.latest  # symbol → (as_of, price)
    daily = {(securities[symbol].id, day): value for (symbol, day), value in parsed.daily.items()}

    summary = PriceFileSummary(filename)
    result = ImportResult(files=[summary])
    updates = []  # (id, price, as_of)
    for symbol, (as_of, price) in latest.items():
        stored = securities[symbol]
        if stored.price_as_of is not None and as_of < stored.price_as_of:
            summary.skipped += 1
        elif stored.price_as_of == as_of and stored.price == price:
            summary.unchanged += 1
        else:
            updates.append((stored.id, price, as_of))
    try:
        with transaction.atomic():
            history_creates, history_updates = _history_changes(daily, summary)
            # Read before this transaction: another import may have written a later price since. Its
            # price stays (an older one written over it stood as the latest until the next feed).
            written = update_by_id(Security, ["price", "price_as_of"], updates, unless_later="price_as_of")
            summary.history_updated = len(update_by_id(SecurityPrice, ["price", "as_of"], history_updates,
                                                       unless_later="as_of"))
            insert_rows(SecurityPrice, ["security", "trade_date", "price", "as_of"], history_creates)
    except IntegrityError as error:
        raise refused_by_database(error) from error
    summary.updated = len(written)
    summary.skipped += len(updates) - len(written)
    result.updated_security_ids = written
    return result


def _columns(model, fields: list[str], rows: list[tuple]) -> tuple[list, list[list]]:
    """The model's `fields` and, per field, its values in `rows` (a value per field, of the
    field's Python type: parsed and checked by parse_prices). PostgreSQL's driver adapts them as
    they are (decimals, dates, aware datetimes); preparing 20,000 values field by field took
    50–150 ms of a 5,000-price import. Elsewhere each is prepared for the database."""
    columns = [model._meta.get_field(name) for name in fields]
    if connection.vendor == "postgresql":
        return columns, [[row[n] for row in rows] for n in range(len(columns))]
    return columns, [[field.get_db_prep_save(row[n], connection) for row in rows] for n, field in enumerate(columns)]


def _unnest(columns, names: list[str]) -> str:
    """UNNEST of one array per column (PostgreSQL), its columns called `names`."""
    arrays = ", ".join(f"%s::{column}[]" for column in columns)
    return f"UNNEST({arrays}) AS u({', '.join(names)})"


def update_by_id(model, fields: list[str], rows: list[tuple], *, unless_later: str | None = None) -> set:
    """Set `fields` of the rows (id, value, …) in one statement on PostgreSQL (UPDATE … FROM
    UNNEST of one array per column), one prepared statement run per row elsewhere; a feed of
    thousands of prices would otherwise spend seconds building bulk_update's CASE expressions.
    With `unless_later` (one of `fields`, a time), a row whose stored time is later than the new
    one is left as it is. Returns the ids of the rows updated."""
    if not rows:
        return set()
    meta = model._meta
    quote = connection.ops.quote_name
    columns, values = _columns(model, fields, [row[1:] for row in rows])
    ids = [row[0] for row in rows]
    table, pk = quote(meta.db_table), quote(meta.pk.column)
    at = fields.index(unless_later) if unless_later is not None else None
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            names = ["id", *(f"v{n}" for n in range(len(columns)))]
            types = [meta.pk.rel_db_type(connection), *(field.db_type(connection) for field in columns)]
            assignments = ", ".join(f"{quote(field.column)} = u.v{n}" for n, field in enumerate(columns))
            guard = "" if at is None else (f" AND ({table}.{quote(columns[at].column)} IS NULL"
                                           f" OR {table}.{quote(columns[at].column)} <= u.v{at})")
            cursor.execute(f"UPDATE {table} SET {assignments} FROM {_unnest(types, names)} "
                           f"WHERE {table}.{pk} = u.id{guard} RETURNING {table}.{pk}", [ids, *values])
            return {row[0] for row in cursor.fetchall()}
        assignments = ", ".join(f"{quote(field.column)} = %s" for field in columns)
        guard = "" if at is None else (f" AND ({quote(columns[at].column)} IS NULL"
                                       f" OR {quote(columns[at].column)} <= %s)")
        written = set()
        for row_id, *row in zip(ids, *values):
            cursor.execute(f"UPDATE {table} SET {assignments} WHERE {pk} = %s{guard}",
                           [*row, row_id, *([] if at is None else [row[at]])])
            if cursor.rowcount:
                written.add(row_id)
        return written


def insert_rows(model, fields: list[str], rows: list[tuple]) -> None:
    """Insert the rows (a value per field) in one statement on PostgreSQL (INSERT … SELECT FROM
    UNNEST), one prepared statement run per row elsewhere: a day's 5,000 prices without building
    5,000 model instances (bulk_create spent a quarter of a second on them)."""
    if not rows:
        return
    quote = connection.ops.quote_name
    columns, values = _columns(model, fields, rows)
    table, names = quote(model._meta.db_table), ", ".join(quote(field.column) for field in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            types = [field.db_type(connection) for field in columns]  # a key's is its target's
            cursor.execute(f"INSERT INTO {table} ({names}) SELECT * FROM "
                           f"{_unnest(types, [f'v{n}' for n in range(len(columns))])}", values)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", [*zip(*values)])


def _history_changes(daily: dict, summary: PriceFileSummary) -> tuple[list, list]:
    """The history rows to create, (security id, trade date, price, as of), and to update, (id,
    price, as of): a day's price is replaced only by a later (or the same time's corrected) price.
    One query, bounded by the file's range of dates."""
    if not daily:
        return [], []
    dates = [day for _security, day in daily]
    stored = {
        (security_id, day): (pk, as_of, price)
        for pk, security_id, day, as_of, price in SecurityPrice.objects.order_by()
        .filter(trade_date__gte=min(dates), trade_date__lte=max(dates))
        .values_list("id", "security_id", "trade_date", "as_of", "price")
        .iterator(chunk_size=5000)
        if (security_id, day) in daily
    }
    creates, updates = [], []
    for (security_id, day), (as_of, price) in daily.items():
        old = stored.get((security_id, day))
        if old is None:
            creates.append((security_id, day, price, as_of))
        elif as_of > old[1] or (as_of == old[1] and price != old[2]):
            updates.append((old[0], price, as_of))
    # history_updated is counted again from the rows the update writes (prices_import)
    summary.history_created, summary.history_updated = len(creates), len(updates)
    return creates, updates
