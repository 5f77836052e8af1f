"""A ratio snapshot's account, kept by the database without checking each snapshot's key.

The monitoring run writes 100,000 snapshots at a time, and a foreign key checks each of them
against its account with a row lock (1.1 s a run at 100,000 accounts, a fifth of the run). The
snapshots are written by the run alone, from the accounts it has just valued, while it holds the
monitoring's advisory lock; so the key is kept from the other side, where accounts are deleted:

- deleting accounts takes the same lock first (PostgreSQL), so it waits for a run in progress
  and a run waits for it: no run writes a snapshot of an account being deleted;
- an account deleted while snapshots of it remain is refused as the key would refuse it
  (IntegrityError, foreign_key_violation), at commit on PostgreSQL (the keys are deferred), at
  once on SQLite. The ORM deletes an account's snapshots first (CASCADE), as before.
"""

#: pg_advisory_xact_lock key of a monitoring run (risk.monitoring): one run at a time.
MONITORING_LOCK = 7_004_001

POSTGRESQL = f"""
CREATE OR REPLACE FUNCTION risk_account_delete_waits_for_run() RETURNS trigger AS $$
BEGIN
    PERFORM pg_advisory_xact_lock({MONITORING_LOCK});
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS risk_account_delete_waits_for_run ON accounts_creditaccount;
CREATE TRIGGER risk_account_delete_waits_for_run BEFORE DELETE ON accounts_creditaccount
    FOR EACH STATEMENT EXECUTE FUNCTION risk_account_delete_waits_for_run();

CREATE OR REPLACE FUNCTION risk_account_keeps_snapshots() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM risk_ratiosnapshot WHERE account_id = OLD.id) THEN
        RAISE EXCEPTION 'credit account % still has ratio snapshots', OLD.id
            USING ERRCODE = 'foreign_key_violation', TABLE = 'risk_ratiosnapshot';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS risk_account_keeps_snapshots ON accounts_creditaccount;
CREATE CONSTRAINT TRIGGER risk_account_keeps_snapshots AFTER DELETE ON accounts_creditaccount
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION risk_account_keeps_snapshots();
"""
POSTGRESQL_DROP = """
DROP TRIGGER IF EXISTS risk_account_delete_waits_for_run ON accounts_creditaccount;
DROP FUNCTION IF EXISTS risk_account_delete_waits_for_run();
DROP TRIGGER IF EXISTS risk_account_keeps_snapshots ON accounts_creditaccount;
DROP FUNCTION IF EXISTS risk_account_keeps_snapshots();
"""
SQLITE = """
CREATE TRIGGER IF NOT EXISTS risk_account_keeps_snapshots BEFORE DELETE ON accounts_creditaccount
WHEN EXISTS (SELECT 1 FROM risk_ratiosnapshot WHERE account_id = OLD.id)
BEGIN
    SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed: credit account still has ratio snapshots');
END
"""
SQLITE_DROP = "DROP TRIGGER IF EXISTS risk_account_keeps_snapshots"


def install(schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE, params=None)


def uninstall(schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_DROP, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_DROP, params=None)
