"""Who is told when an SLA warning level fires (set-based, from the sweep's table of what fired):
50 % the assignee (the queue's team leads when nobody is assigned), 75 % the queue's team
leads, 100 % the supervisors, and for a dispute's regulatory metric at 100 % compliance too."""

from django.contrib.auth.models import Group
from django.db import connection

from accounts.roles import Role
from cases.models import REGULATORY_METRICS
from cases.sla_sweep import warning_data_sql

# No DISTINCT: each rule joins a fired level (one per timer and level; a timer is one case, metric
# and cycle, which the notice's data names) to users by unique rows (the assignee; a group's or a
# queue's members), so no two rows are alike: sorting them all (on disk, at 100,000 notices) found none.
INSERT = """
    INSERT INTO notifications_notification (recipient_user_id, recipient_client_id, address, channel, event,
        case_id, language, subject, body, data, status, attempts, provider_id, error, created_at, sent_at)
    SELECT u.id, CAST(NULL AS bigint), '', 'in_app', 'sla_warning', d.case_id, u.preferred_language, '', '',
        {data}, 'sent', 0, '', '', %(now)s, %(now)s
    FROM sla_sweep_due d
    {recipients}
"""
# A role's group id is passed as a value, not looked up by a subquery: the planner then knows the
# group has a handful of members, not the average group's thousands (most users are clients).
GROUP_MEMBERS = """JOIN accounts_user_groups ug ON ug.group_id = %({role})s
    JOIN accounts_user u ON u.id = ug.user_id AND u.is_active"""
QUEUE_LEADS = """JOIN accounts_queue_members qm ON qm.queue_id = d.queue_id
    JOIN accounts_user u ON u.id = qm.user_id AND u.is_active
    JOIN accounts_user_groups ug ON ug.user_id = u.id AND ug.group_id = %(team_lead)s"""


def escalations_notify(now) -> None:  # reads the sweep's temporary table sla_sweep_due
    data = warning_data_sql("d")
    regulatory = ", ".join(f"'{metric}'" for metric in REGULATORY_METRICS)
    rules = [
        ("JOIN accounts_user u ON u.id = d.assignee_id AND u.is_active", "d.level = 50"),
        (QUEUE_LEADS, "d.level = 50 AND d.assignee_id IS NULL"),
        (QUEUE_LEADS, "d.level = 75"),
        (GROUP_MEMBERS.format(role=Role.SUPERVISOR), "d.level = 100"),
        (GROUP_MEMBERS.format(role=Role.AUDITOR),
         f"d.level = 100 AND d.kind = 'dispute' AND d.metric IN ({regulatory})"),
    ]
    roles = (Role.TEAM_LEAD, Role.SUPERVISOR, Role.AUDITOR)
    group_ids = dict(Group.objects.filter(name__in=roles).values_list("name", "id"))
    params = {"now": now, **{role.value: group_ids.get(role.value) for role in roles}}  # no group: nobody
    with connection.cursor() as cursor:
        for recipients, condition in rules:
            cursor.execute(INSERT.format(data=data, recipients=f"{recipients} WHERE {condition}"), params)
