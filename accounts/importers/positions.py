"""positions.csv: the complete set of positions of the accounts it names. There can be
millions of rows, so rows are kept compact (interned strings, one dict) and written in batches."""

import sys
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path

from django.db import connection
from django.utils.translation import gettext as _

from accounts.importers import values as v
from accounts.importers.base import BATCH_SIZE, IN_LIMIT, FileSummary, unknown_reference
from accounts.importers.reading import Column, Issues, read_rows
from accounts.models import Position

POSITIONS = "positions.csv"
POSITION_COLUMNS = [
    Column("account_no", v.text(32)),
    Column("symbol", v.text(16)),
    Column("quantity", v.quantity),
    Column("kind", v.choice(Position.Kind.values)),
]


@dataclass
class PositionFile:
    #: (account_no, symbol, kind) → (line, quantity)
    rows: dict = field(default_factory=dict)
    #: (line, account_no, symbol) of the rows left out of `rows` for a bad kind: their references
    #: are checked all the same, so that every error of the file is listed at once.
    unkeyed: list = field(default_factory=list)

    @property
    def account_nos(self) -> set[str]:
        unkeyed = {account_no for _line, account_no, _symbol in self.unkeyed if account_no is not None}
        return {account_no for account_no, _symbol, _kind in self.rows} | unkeyed

    @property
    def symbols(self) -> set[str]:
        unkeyed = {symbol for _line, _account_no, symbol in self.unkeyed if symbol is not None}
        return {symbol for _account_no, symbol, _kind in self.rows} | unkeyed


def parse_positions(path: Path, issues: Issues) -> PositionFile:
    """Values checked, the same account, symbol and kind twice refused."""
    parsed = PositionFile()
    intern = sys.intern
    for row in read_rows(path, POSITIONS, POSITION_COLUMNS, issues):
        account_no, symbol, kind = (row.values.get(name) for name in ("account_no", "symbol", "kind"))
        if account_no is None or symbol is None or kind is None:
            parsed.unkeyed.append((row.line, account_no, symbol))
            continue
        key = (intern(account_no), intern(symbol), intern(kind))
        if key in parsed.rows:
            issues.add(POSITIONS, row.line, "account_no,symbol,kind",
                       _('duplicate position "%(value)s", first on line %(line)d')
                       % {"value": " ".join(key), "line": parsed.rows[key][0]})
            continue
        parsed.rows[key] = (row.line, row.values.get("quantity"))
    return parsed


def check_position_references(parsed: PositionFile, known_accounts, known_symbols, issues: Issues) -> None:
    keyed = ((line, account_no, symbol) for (account_no, symbol, _kind), (line, _quantity) in parsed.rows.items())
    for line, account_no, symbol in chain(keyed, parsed.unkeyed):
        if account_no is not None and account_no not in known_accounts:
            issues.add(POSITIONS, line, "account_no", unknown_reference("account_no", account_no))
        if symbol is not None and symbol not in known_symbols:
            issues.add(POSITIONS, line, "symbol", unknown_reference("symbol", symbol))


def _stored_positions(account_ids: set[int]):
    """(id, account_id, security_id, kind, quantity) of these accounts' positions, streamed, one query."""
    queryset = Position.objects.order_by().values_list("id", "account_id", "security_id", "kind", "quantity")
    if len(account_ids) <= IN_LIMIT:
        return queryset.filter(account_id__in=account_ids).iterator(chunk_size=5000)
    return (row for row in queryset.iterator(chunk_size=5000) if row[1] in account_ids)


def replace_positions(parsed: PositionFile, account_ids: dict, security_ids: dict) -> FileSummary:
    """Make the named accounts' positions exactly the file's: create, update, and delete what the
    file no longer has. Consumes `parsed` (its rows become ids as they go, to keep memory flat)."""
    summary = FileSummary(POSITIONS)
    wanted = {}  # (account_id, security_id, kind) → quantity
    while parsed.rows:
        (account_no, symbol, kind), (_line, quantity) = parsed.rows.popitem()
        wanted[(account_ids[account_no], security_ids[symbol], kind)] = quantity
    named = {account_id for account_id, _security_id, _kind in wanted}
    changed, gone = [], []  # written after the read: SQLite does not isolate a read from writes
    for pk, account_id, security_id, kind, quantity in _stored_positions(named):
        new_quantity = wanted.pop((account_id, security_id, kind), None)
        if new_quantity is None:
            gone.append(pk)
        elif new_quantity != quantity:
            changed.append((pk, new_quantity))
        else:
            summary.unchanged += 1
    for start in range(0, len(gone), BATCH_SIZE):
        Position.objects.filter(id__in=gone[start:start + BATCH_SIZE]).delete()
    for start in range(0, len(changed), BATCH_SIZE):
        _update_quantities(changed[start:start + BATCH_SIZE])
    creates = []
    for (account_id, security_id, kind), quantity in wanted.items():
        creates.append(Position(account_id=account_id, security_id=security_id, kind=kind, quantity=quantity))
        if len(creates) == BATCH_SIZE:
            Position.objects.bulk_create(creates, batch_size=BATCH_SIZE)
            creates.clear()
    Position.objects.bulk_create(creates, batch_size=BATCH_SIZE)
    summary.created, summary.updated, summary.deleted = len(wanted), len(changed), len(gone)
    return summary


def _update_quantities(pairs: list[tuple[int, int]]) -> None:
    """One UPDATE … FROM (VALUES …) for a batch of (id, quantity): bulk_update's CASE per row
    costs far more in Python when the daily file moves hundreds of thousands of positions.
    PostgreSQL and SQLite (3.33+) both name the VALUES columns column1, column2."""
    table = connection.ops.quote_name(Position._meta.db_table)
    quantity = connection.ops.quote_name(Position._meta.get_field("quantity").column)
    pk = connection.ops.quote_name(Position._meta.pk.column)
    rows = ", ".join(["(%s, %s)"] * len(pairs))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {quantity} = v.column2 FROM (VALUES {rows}) AS v WHERE {table}.{pk} = v.column1",
            [value for pair in pairs for value in pair],
        )
