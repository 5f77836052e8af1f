"""Who is told when an SLA warning level fires: 50 % the assignee (the queue's team leads when
nobody is assigned, or the assignee's account was deactivated), 75 % the queue's team leads (for
both: the supervisors when the case has no queue or its queue no active team lead), 100 % the
supervisors, and for a dispute's regulatory metric at 100 % compliance too.

Set-based and exactly once: the escalation rows not yet told are claimed (notified_at set) in the
same transaction that writes their in-app notices, so a task that runs twice, or two at once,
tells nobody twice; a lost task's warnings are picked up by the next sweep (escalations_notify
with no run)."""

from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.utils import timezone

from accounts.roles import Role
from cases.models import REGULATORY_METRICS
from cases.sla_sweep import warning_data_sql
from notifications.in_app_sql import in_app_notices_sql, role_members

# No DISTINCT: each rule joins a fired level (one per timer and level; a timer is one case, metric
# and cycle, which the notice's data names) to users by unique rows (the assignee; a group's or a
# queue's members), so no two rows are alike.
QUEUE_LEADS = """JOIN accounts_queue_members qm ON qm.queue_id = d.queue_id
    JOIN accounts_user u ON u.id = qm.user_id AND u.is_active
    JOIN accounts_user_groups ug ON ug.user_id = u.id AND ug.group_id = %(team_lead)s"""
#: Conditions on a fired level `d`: its case has no active assignee; its queue (if any) no active team lead.
NO_ACTIVE_ASSIGNEE = "NOT EXISTS (SELECT 1 FROM accounts_user a WHERE a.id = d.assignee_id AND a.is_active)"
NO_QUEUE_LEAD = """NOT EXISTS (SELECT 1 FROM accounts_queue_members lqm
    JOIN accounts_user lu ON lu.id = lqm.user_id AND lu.is_active
    JOIN accounts_user_groups lug ON lug.user_id = lu.id AND lug.group_id = %(team_lead)s
    WHERE lqm.queue_id = d.queue_id)"""
#: Condition on a recipient `u`: not a supervisor (told of every breach by the supervisors' rule).
NOT_SUPERVISOR = """NOT EXISTS (SELECT 1 FROM accounts_user_groups sg
    WHERE sg.user_id = u.id AND sg.group_id = %(supervisor)s)"""
DUE_COLUMNS = "timer_id bigint, case_id bigint, level integer, metric varchar(20), cycle integer, " \
              "kind varchar(16), queue_id bigint, assignee_id bigint"
CASE_COLUMNS = """SELECT e.timer_id, e.case_id, e.level, t.metric, t.cycle, c.kind, c.queue_id, c.assignee_id
    FROM {source} e JOIN cases_slatimer t ON t.id = e.timer_id JOIN cases_case c ON c.id = e.case_id"""


def _claim(cursor, now, run: str | None) -> int:
    """Fill sla_notify_due with the warnings not told yet (of one sweep run, or all) and mark
    them told."""
    cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS sla_notify_due ({DUE_COLUMNS})")
    cursor.execute("DELETE FROM sla_notify_due")
    which = "notified_at IS NULL" + (" AND sweep = %(run)s" if run else "")
    params = {"now": now, "run": run}
    if connection.vendor == "postgresql":
        cursor.execute(f"""
            WITH claimed AS (
                UPDATE cases_slaescalation SET notified_at = %(now)s WHERE {which}
                RETURNING timer_id, case_id, level)
            INSERT INTO sla_notify_due {CASE_COLUMNS.format(source="claimed")}
        """, params)
    else:  # SQLite writes one transaction at a time: select, then mark
        cursor.execute(f"INSERT INTO sla_notify_due {CASE_COLUMNS.format(source='cases_slaescalation')} "
                       f"WHERE e.{which}", params)
        cursor.execute("""UPDATE cases_slaescalation SET notified_at = %(now)s WHERE notified_at IS NULL
                          AND EXISTS (SELECT 1 FROM sla_notify_due d WHERE d.timer_id = cases_slaescalation.timer_id
                                      AND d.level = cases_slaescalation.level)""", params)
    claimed = cursor.rowcount
    if claimed and connection.vendor == "postgresql":
        cursor.execute("ANALYZE sla_notify_due")  # temporary tables have no statistics of their own
    return claimed


def escalations_notify(run: str | None = None, now=None) -> int:
    """Write the in-app notices of the warnings not told yet; returns how many warnings."""
    now = connection.ops.adapt_datetimefield_value(now or timezone.now())
    data = warning_data_sql("d")
    regulatory = ", ".join(f"'{metric}'" for metric in REGULATORY_METRICS)
    rules = [
        ("JOIN accounts_user u ON u.id = d.assignee_id AND u.is_active", "d.level = 50"),
        # Nobody assigned, or an assignee who left (deactivated, told nothing): the queue's team leads.
        (QUEUE_LEADS, f"d.level = 50 AND {NO_ACTIVE_ASSIGNEE}"),
        (QUEUE_LEADS, "d.level = 75"),
        # A warning for the team leads of a case with no queue, or whose queue has no active team
        # lead: the supervisors (nobody was told).
        (role_members(Role.SUPERVISOR),
         f"(d.level = 75 OR (d.level = 50 AND {NO_ACTIVE_ASSIGNEE})) AND {NO_QUEUE_LEAD}"),
        (role_members(Role.SUPERVISOR), "d.level = 100"),
        # Compliance: a member who is also a supervisor was told by the rule above (once, not twice).
        (role_members(Role.AUDITOR),
         f"d.level = 100 AND d.kind = 'dispute' AND d.metric IN ({regulatory}) AND {NOT_SUPERVISOR}"),
    ]
    roles = (Role.TEAM_LEAD, Role.SUPERVISOR, Role.AUDITOR)
    group_ids = dict(Group.objects.filter(name__in=roles).values_list("name", "id"))
    params = {"now": now, **{role.value: group_ids.get(role.value) for role in roles}}  # no group: nobody
    with transaction.atomic(), connection.cursor() as cursor:
        claimed = _claim(cursor, now, run)
        if claimed:
            for recipients, condition in rules:
                cursor.execute(in_app_notices_sql("sla_warning", source="sla_notify_due d", case="d.case_id", data=data,
                                                  recipients=f"{recipients} WHERE {condition}"), params)
        cursor.execute("DELETE FROM sla_notify_due")
    return claimed
