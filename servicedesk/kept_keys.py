"""A foreign key kept from the referenced side, for a table written in bulk.

A foreign key checks every row written to the referencing table against the referenced one,
with a lookup and a row lock each. Where one statement writes tens of thousands of rows whose
keys it has just read from rows that hold their own checked key (a monitoring run's snapshots
of the accounts it valued, a sweep's audit events of the timers it locked), that check is most
of the statement's time. Such a key is kept from the other side instead, where rows are deleted:

- deleting referenced rows first runs `wait_sql` (statement trigger, PostgreSQL): it waits for
  the writers in progress and keeps new ones out until the delete commits, so no writer adds a
  row for a referenced row being deleted;
- a referenced row deleted while referencing rows remain is refused as the key would refuse it
  (IntegrityError, foreign_key_violation), at commit (the keys are deferred).

The ORM's own on_delete (CASCADE, PROTECT) works as before: the model keeps the relation, only
the database constraint (`db_constraint=False`) is replaced. On SQLite (the embedded, single-user
demo) the ORM's on_delete alone keeps it: SQLite has no deferred trigger, and one checking at
once refused Django's own flush, which deletes table by table.
"""

from dataclasses import dataclass

from django.db import migrations


@dataclass(frozen=True)
class KeptKey:
    #: The referenced table, the referencing table and its key column.
    parent: str
    child: str
    column: str
    #: The refusal, `{id}` standing for the deleted row's id.
    message: str
    #: Names of the trigger functions: the delete's wait, the deferred check.
    waits: str
    keeps: str
    #: The statement a delete of referenced rows runs first (a lock the writers also take).
    wait_sql: str

    def postgresql(self) -> str:
        return f"""
CREATE OR REPLACE FUNCTION {self.waits}() RETURNS trigger AS $$
BEGIN
    {self.wait_sql};
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS {self.waits} ON {self.parent};
CREATE TRIGGER {self.waits} BEFORE DELETE ON {self.parent}
    FOR EACH STATEMENT EXECUTE FUNCTION {self.waits}();

CREATE OR REPLACE FUNCTION {self.keeps}() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM {self.child} WHERE {self.column} = OLD.id) THEN
        RAISE EXCEPTION '{self.message.replace("{id}", "%")}', OLD.id
            USING ERRCODE = 'foreign_key_violation', TABLE = '{self.child}';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS {self.keeps} ON {self.parent};
CREATE CONSTRAINT TRIGGER {self.keeps} AFTER DELETE ON {self.parent}
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {self.keeps}();
"""

    def postgresql_drop(self) -> str:
        return "".join(f"DROP TRIGGER IF EXISTS {name} ON {self.parent};\nDROP FUNCTION IF EXISTS {name}();\n"
                       for name in (self.waits, self.keeps))

    def sqlite_drop(self) -> str:
        """The immediate SQLite trigger earlier migrations installed (refused Django's flush)."""
        return f"DROP TRIGGER IF EXISTS {self.keeps}"

    def install(self, schema_editor) -> None:
        """Migration step (RunPython): the triggers, on PostgreSQL; on SQLite, the immediate
        trigger an earlier version installed is taken off."""
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql":
            schema_editor.execute(self.postgresql(), params=None)
        elif vendor == "sqlite":
            schema_editor.execute(self.sqlite_drop(), params=None)

    def uninstall(self, schema_editor) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(self.postgresql_drop(), params=None)

    def operation(self) -> migrations.RunPython:
        """The migration step installing the triggers (and, backwards, removing them)."""
        return migrations.RunPython(lambda apps, schema_editor: self.install(schema_editor),
                                    lambda apps, schema_editor: self.uninstall(schema_editor))
