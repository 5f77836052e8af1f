"""Migration operations the apps share."""

from django.db import migrations


def room_on_pages(table: str, fillfactor: int) -> migrations.RunPython:
    """Fill each new page of `table` only to `fillfactor` % (PostgreSQL; elsewhere nothing): a row
    updated without changing an indexed column then stays on its page and writes no index (a HOT
    update). For tables whose every row a periodic job rewrites."""

    def leave_room(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"ALTER TABLE {table} SET (fillfactor = {int(fillfactor)})")

    def fill_pages(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"ALTER TABLE {table} RESET (fillfactor)")

    return migrations.RunPython(leave_room, fill_pages)
