"""Fast row writers for the data generator: COPY on PostgreSQL (psycopg 3), batched INSERTs elsewhere.

A writer takes plain tuples in the order of the columns it was given (model attnames, such as
`client_id`). Concrete fields it was not given get their model default, so a new field with a
default (or a nullable one) does not break the generator; a new required field does, loudly.
"""

from contextlib import ExitStack, contextmanager

from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import JSONField, Max, Model

BATCH_SIZE = 5_000


class TableWriter:
    """`with TableWriter(Case, ["id", "number", ...], rows=n) as write: write((1, "CS-2026-000001", ...))`

    `rows`, the number of rows about to be written, lets a large load go in without indexes and
    foreign keys (see bulk_load)."""

    def __init__(self, model: type[Model], columns: list[str], *, rows: int = 0, using: str = DEFAULT_DB_ALIAS):
        self.model = model
        self.expected_rows = rows
        self.connection = connections[using]
        self.is_postgresql = self.connection.vendor == "postgresql"
        fields = {field.attname: field for field in model._meta.concrete_fields}
        unknown = [name for name in columns if name not in fields]
        if unknown:
            raise ValueError(f"{model.__name__} has no column(s) {', '.join(unknown)}")
        given = [fields[name] for name in columns]
        defaulted = [field for field in model._meta.concrete_fields
                     if field.attname not in columns and not field.primary_key]
        self.tail = tuple(field.get_db_prep_save(field.get_default(), self.connection) for field in defaulted)
        all_fields = given + defaulted
        quote = self.connection.ops.quote_name
        self.column_sql = ", ".join(quote(field.column) for field in all_fields)
        self.table_sql = quote(model._meta.db_table)
        # psycopg dumps str, int, Decimal, date, datetime and None itself; other backends (and JSON
        # on any backend) get Django's own preparation, per value.
        self.preparers = [
            (lambda value, field=field: field.get_db_prep_save(value, self.connection))
            if (not self.is_postgresql or isinstance(field, JSONField)) else None
            for field in given
        ]
        self.needs_preparing = any(self.preparers)
        self.count = 0
        self._rows: list[tuple] = []

    def __enter__(self):
        self._stack = ExitStack()
        self._stack.enter_context(bulk_load(self.model, self.expected_rows))
        self._cursor = self._stack.enter_context(self.connection.cursor())
        if self.is_postgresql:
            self._copy = self._stack.enter_context(self._cursor.cursor.copy(
                f"COPY {self.table_sql} ({self.column_sql}) FROM STDIN"))
        return self.write

    def write(self, row: tuple) -> None:
        if self.needs_preparing:
            row = tuple(value if prepare is None else prepare(value) for prepare, value in zip(self.preparers, row))
        row += self.tail
        self.count += 1
        if self.is_postgresql:
            self._copy.write_row(row)
        else:
            self._rows.append(row)
            if len(self._rows) >= BATCH_SIZE:
                self._flush()

    def _flush(self) -> None:
        if self._rows:
            placeholders = ", ".join(["%s"] * len(self._rows[0]))
            self._cursor.executemany(
                f"INSERT INTO {self.table_sql} ({self.column_sql}) VALUES ({placeholders})", self._rows)
            self._rows = []

    def __exit__(self, exc_type, exc, traceback):
        if exc_type is None and not self.is_postgresql:
            self._flush()
        return self._stack.__exit__(exc_type, exc, traceback)


#: Below this many new rows, loading with the indexes and foreign keys in place is fast enough.
BULK_LOAD_ROWS = 100_000

_FOREIGN_KEYS = """
    SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
    WHERE conrelid = %s::regclass AND contype = 'f'
"""
_PLAIN_INDEXES = """
    SELECT index.relname, pg_get_indexdef(index.oid) FROM pg_index
    JOIN pg_class index ON index.oid = pg_index.indexrelid
    WHERE pg_index.indrelid = %s::regclass
      AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conindid = index.oid)
"""


@contextmanager
def bulk_load(model: type[Model], rows: int):
    """PostgreSQL's advice for populating a table: drop its foreign keys and plain indexes, load,
    then build the indexes in one pass each and add the keys back (each checked by one query,
    not row by row at commit). Primary key and unique constraints stay. Use inside a transaction:
    if anything fails, the rollback restores them."""
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql" or rows < BULK_LOAD_ROWS:
        yield
        return
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        # Foreign keys are checked at commit; ALTER TABLE wants those checks done first.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(_FOREIGN_KEYS, [table])
        foreign_keys = cursor.fetchall()
        cursor.execute(_PLAIN_INDEXES, [table])
        indexes = cursor.fetchall()
        for name, _definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {connection.ops.quote_name(name)}")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for _name, definition in indexes:
            cursor.execute(definition)
        for name, definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {connection.ops.quote_name(name)} {definition}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def next_id(model: type[Model]) -> int:
    """The first free primary key: the generator hands out ids itself so rows can refer to each other."""
    return (model.objects.aggregate(top=Max("pk"))["top"] or 0) + 1


def reset_sequences(models: list[type[Model]], *, using: str = DEFAULT_DB_ALIAS) -> None:
    """After explicit ids, move PostgreSQL's id sequences past them (SQLite needs nothing)."""
    connection = connections[using]
    statements = connection.ops.sequence_reset_sql(no_style(), models)
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
