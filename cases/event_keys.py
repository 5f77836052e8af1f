"""An audit event's case, kept by the database without checking each event's key.

The SLA sweep writes an event for every warning level it fires (75,000 in an outage's backlog),
each from the timer it holds locked, whose own key to the case is checked; the events' key check
(a lookup and a row lock on the case per event) took 0.9–1.2 s of such a sweep. The key is kept
from the cases' side instead (servicedesk.kept_keys):

- deleting cases first locks the audit trail in SHARE mode (PostgreSQL): the delete waits for
  every transaction writing events to end, and events wait for the delete to commit, so no
  event is written for a case being deleted;
- a case deleted while it has events is refused as the key would refuse it (IntegrityError,
  foreign_key_violation), at commit on PostgreSQL (on SQLite the ORM alone keeps it). The audit trail is
  append-only, so a case that has ever had an event is never deleted. The ORM refuses first
  (PROTECT), as before.
"""

from servicedesk.kept_keys import KeptKey

CASE_EVENTS = KeptKey(
    parent="cases_case", child="cases_caseevent", column="case_id",
    message="case {id} still has events in its audit trail",
    waits="cases_case_delete_waits_for_events", keeps="cases_case_keeps_events",
    wait_sql="LOCK TABLE cases_caseevent IN SHARE MODE",
)
