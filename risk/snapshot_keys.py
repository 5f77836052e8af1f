"""A ratio snapshot's account, kept by the database without checking each snapshot's key.

The monitoring run writes 100,000 snapshots at a time, and a foreign key checks each of them
against its account with a row lock (1.1 s a run at 100,000 accounts, a fifth of the run). The
snapshots are written by the run alone, from the accounts it has just valued, while it holds the
monitoring's advisory lock; so the key is kept from the other side, where accounts are deleted
(servicedesk.kept_keys):

- deleting accounts takes the same lock first (PostgreSQL), so it waits for a run in progress
  and a run waits for it: no run writes a snapshot of an account being deleted;
- an account deleted while snapshots of it remain is refused as the key would refuse it
  (IntegrityError, foreign_key_violation), at commit on PostgreSQL (the keys are deferred); on
  SQLite the ORM alone keeps it. The ORM deletes an account's snapshots first (CASCADE), as before.
"""

from servicedesk.kept_keys import KeptKey

#: pg_advisory_xact_lock key of a monitoring run (risk.monitoring): one run at a time.
MONITORING_LOCK = 7_004_001

SNAPSHOT_ACCOUNT = KeptKey(
    parent="accounts_creditaccount", child="risk_ratiosnapshot", column="account_id",
    message="credit account {id} still has ratio snapshots",
    waits="risk_account_delete_waits_for_run", keeps="risk_account_keeps_snapshots",
    wait_sql=f"PERFORM pg_advisory_xact_lock({MONITORING_LOCK})",
)
install = SNAPSHOT_ACCOUNT.install
uninstall = SNAPSHOT_ACCOUNT.uninstall
