"""Append-only tables on PostgreSQL: a trigger refuses UPDATE and DELETE on a record that must
never change once written (the audit trail, contract changes, logged margin calls), whoever sends
them — the ORM, raw SQL, the admin. Other databases (the embedded SQLite demo) have no trigger."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION append_only_record() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def _create(table: str) -> str:
    return FUNCTION + f"""
DROP TRIGGER IF EXISTS {table}_append_only ON {table};
CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION append_only_record();
"""


def _drop(table: str) -> str:
    return f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};"


def _on_postgresql(sql: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)
    return run


def append_only(table: str) -> migrations.RunPython:
    """The migration operation that makes `table` append-only (and, reversed, ordinary again)."""
    return migrations.RunPython(_on_postgresql(_create(table)), _on_postgresql(_drop(table)))
