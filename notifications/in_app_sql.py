"""In-app notices (the bell) written by one SQL statement in a set-based run: one row per fired
item and recipient, sent at once, its text rendered when read in the recipient's language
(notifications.serializers.notice_text). The SLA escalations and the margin calls' liquidation
decisions write theirs this way, in the transaction of the change they tell of."""

_INSERT = """
    INSERT INTO notifications_notification (recipient_user_id, recipient_client_id, address, channel, event,
        case_id, language, subject, body, data, status, attempts, provider_id, error, created_at, sent_at)
    SELECT u.id, CAST(NULL AS bigint), '', 'in_app', '{event}', {case}, u.preferred_language, '', '',
        {data}, 'sent', 0, '', '', %(now)s, %(now)s
    FROM {source}
    {recipients}
"""
# A role's group id is passed as a value, not looked up by a subquery: the planner then knows the
# group has a handful of members, not the average group's thousands (most users are clients).
_GROUP_MEMBERS = """JOIN accounts_user_groups ug ON ug.group_id = %({role})s
    JOIN accounts_user u ON u.id = ug.user_id AND u.is_active"""


def in_app_notices_sql(event: str, *, source: str, case: str, data: str, recipients: str) -> str:
    """The INSERT of notices of `event` for each row of `source` joined to its recipients (users
    `u`; `recipients` holds the joins and the WHERE). `case` and `data` are SQL of a source row:
    its case id and the notice's JSON data. Parameters: %(now)s and those `recipients` names (a
    role's group id under the role's name for role_members)."""
    return _INSERT.format(event=event, case=case, data=data, source=source, recipients=recipients)


def role_members(role: str) -> str:
    """The joins to the active members of `role`'s group (its id passed as %(<role>)s)."""
    return _GROUP_MEMBERS.format(role=role)
