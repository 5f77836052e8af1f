"""Who is told when an SLA warning level fires (set-based, from the sweep's table of what fired):
50 % the assignee (the queue's team leads when nobody is assigned), 75 % the queue's team
leads, 100 % the supervisors, and for a dispute's regulatory metric at 100 % compliance too."""

from django.db import connection

from accounts.roles import Role
from cases.models import REGULATORY_METRICS
from cases.sla_sweep import warning_data_sql

INSERT = """
    INSERT INTO notifications_notification (recipient_user_id, recipient_client_id, address, channel, event,
        case_id, language, subject, body, data, status, attempts, provider_id, error, created_at, sent_at)
    SELECT DISTINCT u.id, CAST(NULL AS bigint), '', 'in_app', 'sla_warning', d.case_id, u.preferred_language, '', '',
        {data}, 'sent', 0, '', '', %(now)s, %(now)s
    FROM sla_sweep_due d
    JOIN cases_case c ON c.id = d.case_id
    {recipients}
"""
GROUP_MEMBERS = """JOIN accounts_user_groups ug ON ug.group_id = (SELECT id FROM auth_group WHERE name = '{role}')
    JOIN accounts_user u ON u.id = ug.user_id AND u.is_active"""
QUEUE_LEADS = """JOIN accounts_queue_members qm ON qm.queue_id = c.queue_id
    JOIN accounts_user u ON u.id = qm.user_id AND u.is_active
    JOIN accounts_user_groups ug ON ug.user_id = u.id
        AND ug.group_id = (SELECT id FROM auth_group WHERE name = 'team_lead')"""


def escalations_notify(now) -> None:  # reads the sweep's temporary table sla_sweep_due
    data = warning_data_sql("d")
    regulatory = ", ".join(f"'{metric}'" for metric in REGULATORY_METRICS)
    rules = [
        ("JOIN accounts_user u ON u.id = c.assignee_id AND u.is_active", "d.level = 50"),
        (QUEUE_LEADS, "d.level = 50 AND c.assignee_id IS NULL"),
        (QUEUE_LEADS, "d.level = 75"),
        (GROUP_MEMBERS.format(role=Role.SUPERVISOR), "d.level = 100"),
        (GROUP_MEMBERS.format(role=Role.AUDITOR),
         f"d.level = 100 AND c.kind = 'dispute' AND d.metric IN ({regulatory})"),
    ]
    with connection.cursor() as cursor:
        for recipients, condition in rules:
            cursor.execute(INSERT.format(data=data, recipients=f"{recipients} WHERE {condition}"), {"now": now})
