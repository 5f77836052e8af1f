"""What the monitoring tells clients, written to the notification outbox in the same transaction
(a rolled-back run tells nobody); the outbox sends it after commit. One SMS and one e-mail per
client who has that contact, in the client's language (zh-hans unless the client chose en)."""

from django.utils import translation
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from servicedesk.sql import as_text, db_time, json_object, money_text

LANGUAGES = ("zh-hans", "en")
ALERT_LEVELS = ("attention", "warning", "close_out", "immediate")


def _language_filter(language: str) -> str:
    return "cl.language = 'en'" if language == "en" else "cl.language <> 'en'"


def _ratio_text(column: str) -> str:
    return as_text(f"ROUND({column} * 100, 2)")


def _insert(cursor, *, now, event: str, language: str, subject: str, body: str, source_sql: str,
            columns: dict[str, str], data: dict[str, str], case_expr: str = "NULL", params=()) -> int:
    """One notice per channel for each row of `source_sql` (a FROM … WHERE … exposing `cl`, the
    client profile). `subject` and `body` are localized templates whose {name} placeholders are
    filled from the SQL expressions in `columns`."""
    def template_sql(text: str) -> str:
        sql = "%s"
        for name, expression in columns.items():
            if "{" + name + "}" in text:
                sql = f"REPLACE({sql}, '{{{name}}}', {expression})"
        return sql

    total = 0
    for channel, address in (("sms", "cl.phone"), ("email", "cl.email")):
        cursor.execute(f"""
            INSERT INTO notifications_notification (recipient_user_id, recipient_client_id, address, channel,
                event, case_id, language, subject, body, data, status, attempts, provider_id, error, created_at,
                sent_at, read_at)
            SELECT NULL, cl.id, {address}, %s, %s, {case_expr}, cl.language, {template_sql(subject)},
                {template_sql(body)}, {json_object(**data)}, 'pending', 0, '', '', %s, NULL, NULL
            FROM {source_sql} AND {_language_filter(language)} AND {address} <> ''
        """, [channel, event, subject, body, db_time(now), *params])
        total += cursor.rowcount
    return total


def _line_name(level: str) -> str:
    return {"attention": _("attention"), "warning": _("warning"), "close_out": _("close-out"),
            "immediate": _("immediate close-out")}[level]


def alert_notices(cursor, now) -> int:
    """One notice per account that crossed a line in this run, about the worst line it is below."""
    total = 0
    for language in LANGUAGES:
        with translation.override(language):
            for level in ALERT_LEVELS:
                total += _insert(
                    cursor, now=now, event="margin_alert", language=language,
                    subject=_("Margin alert on credit account {account}"),
                    body=_("The maintenance collateral ratio of your credit account {account} is {ratio}%, below "
                           "the {line} line. Please consider adding collateral or repaying to avoid a margin call.")
                    .replace("{line}", _line_name(level)),
                    source_sql="""risk_watched c JOIN accounts_clientprofile cl ON cl.id = c.client_id
                        WHERE c.level = %s AND EXISTS (
                            SELECT 1 FROM risk_accountalert x
                            WHERE x.account_id = c.account_id AND x.opened_snapshot_id = c.snapshot_id)""",
                    params=[level],
                    columns={"account": "c.account_no", "ratio": _ratio_text("c.ratio")},
                    data={"account": "c.account_no", "level": "c.level", "ratio": as_text("c.ratio")},
                )
    return total


def margin_call_notices(cursor, now, deadline) -> int:
    """Margin-call notices for the cases raised in this run (rows of risk_raised): what to add or
    sell, and by when."""
    total = 0
    for language in LANGUAGES:
        with translation.override(language):
            by = date_format(localtime(deadline), "DATETIME_FORMAT")
            total += _insert(
                cursor, now=now, event="margin_call", language=language,
                subject=_("Margin call on credit account {account}"),
                body=_("The maintenance collateral ratio of your credit account {account} is {ratio}%, below the "
                       "close-out line. Please add {cash} in cash, or sell {sell} of securities and repay, by "
                       "{deadline}; otherwise the position may be liquidated.").replace("{deadline}", by),
                source_sql="""risk_raised r JOIN risk_watched c ON c.account_id = r.account_id
                    JOIN accounts_clientprofile cl ON cl.id = c.client_id
                    JOIN risk_margincall mc ON mc.case_id = r.case_id WHERE 1 = 1""",
                columns={"account": "c.account_no", "ratio": _ratio_text("c.ratio"),
                         "cash": money_text("mc.top_up_cash"), "sell": money_text("COALESCE(mc.top_up_sell, 0)")},
                data={"account": "c.account_no", "case": "r.case_id", "ratio": as_text("c.ratio")},
                case_expr="r.case_id",
            )
    return total


def restored_notices(cursor, now) -> int:
    total = 0
    for language in LANGUAGES:
        with translation.override(language):
            total += _insert(
                cursor, now=now, event="margin_call_restored", language=language,
                subject=_("Credit account {account} is back to normal"),
                body=_("The maintenance collateral ratio of your credit account {account} is back to {ratio}%. "
                       "The margin call is closed."),
                source_sql="""risk_restored r JOIN risk_watched c ON c.account_id = r.account_id
                    JOIN accounts_clientprofile cl ON cl.id = c.client_id WHERE 1 = 1""",
                columns={"account": "c.account_no", "ratio": _ratio_text("COALESCE(c.ratio, 0)")},
                data={"account": "c.account_no", "case": "r.case_id"},
                case_expr="r.case_id",
            )
    return total
