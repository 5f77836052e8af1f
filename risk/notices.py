"""What the monitoring tells clients, written to the notification outbox in the same transaction
(a rolled-back run tells nobody); the outbox sends it after commit. One SMS and one e-mail per
client who has that contact (a client with neither: one e-mail row, given up with the reason), in
the client's language (zh-hans unless the client chose en), the text from the event's notice
template (editable by supervisors in the admin)."""

from django.utils import translation
from django.utils.formats import date_format
from django.utils.timezone import localtime

from notifications.models import SUBJECT_LENGTH
from notifications.policy import written_to_sql
from notifications.rendering import render_for_rows
from servicedesk.sql import as_text, db_time, fixed_text, json_object, money_text

LANGUAGES = ("zh-hans", "en")
ALERT_LEVELS = ("attention", "warning", "close_out", "immediate")
#: Placeholders of every notice filled per row from the client (`cl`): after the others, so that
#: nothing a client's name holds is read as another placeholder.
CLIENT_COLUMNS = {"client_no": "cl.client_no", "client_name": "cl.name"}


def _language_filter(language: str) -> str:
    return "cl.language = 'en'" if language == "en" else "cl.language <> 'en'"


def _ratio_text(column: str) -> str:
    return fixed_text(f"{column} * 100")


def _insert(cursor, *, now, event: str, language: str, source_sql: str, columns: dict[str, str],
            data: dict[str, str], values: dict[str, str] | None = None, case_expr: str = "NULL", params=()) -> int:
    """One notice per channel for each row of `source_sql` (a FROM … WHERE … exposing `cl`, the
    client profile), its text the event's template (notifications.rendering: the supervisors'
    edits apply) in `language`: `values` are what every row shares; each template name in
    `columns` is filled from that SQL expression, row by row."""
    def template_sql(text: str) -> str:
        sql = "%s"
        for name, expression in columns.items():
            if "{" + name + "}" in text:
                sql = f"REPLACE({sql}, '{{{name}}}', {expression})"
        return sql

    if case_expr != "NULL":  # a margin call's notices: its number, as every case notice has it
        columns = {**columns, "case_number": f"(SELECT k.number FROM cases_case k WHERE k.id = {case_expr})"}
    columns = {**columns, **CLIENT_COLUMNS}
    markers = {name: "{" + name + "}" for name in columns}
    total = 0
    for channel, address in (("sms", "cl.phone"), ("email", "cl.email")):
        subject, body = render_for_rows(event=event, language=language, channel=channel,
                                        values={**(values or {}), **markers})
        cursor.execute(f"""
            INSERT INTO notifications_notification (recipient_user_id, recipient_client_id, address, channel,
                event, case_id, language, subject, body, data, status, attempts, provider_id, error, created_at,
                sent_at, read_at)
            SELECT NULL, cl.id, {address}, %s, %s, {case_expr}, cl.language,
                SUBSTR({template_sql(subject)}, 1, {SUBJECT_LENGTH}),
                {template_sql(body)}, {json_object(**data)}, 'pending', 0, '', '', %s, NULL, NULL
            FROM {source_sql} AND {_language_filter(language)} AND {written_to_sql(channel, "cl")}
        """, [channel, event, subject, body, db_time(now), *params])
        total += cursor.rowcount
    return total


def alert_notices(cursor, now) -> int:
    """One notice per account that crossed a line in this run, about the worst line it is below and
    that line's value (raised by the stress mode while one is set: the client reads why a ratio above
    the contract's line is below it)."""
    total = 0
    for language in LANGUAGES:
        for level in ALERT_LEVELS:
            total += _insert(
                cursor, now=now, event="margin_alert", language=language, values={"level": level},
                source_sql="""risk_watched c JOIN accounts_clientprofile cl ON cl.id = c.client_id
                    WHERE c.level = %s AND EXISTS (
                        SELECT 1 FROM risk_accountalert x
                        WHERE x.account_id = c.account_id AND x.opened_snapshot_id = c.snapshot_id)""",
                params=[level],
                columns={"account_no": "c.account_no", "ratio": _ratio_text("c.ratio"),
                         "line": _ratio_text(f"c.{level}_line")},
                data={"account": "c.account_no", "level": "c.level", "ratio": as_text("c.ratio"),
                      "line": as_text(f"c.{level}_line")},
            )
    return total


def margin_call_notices(cursor, now, deadline, table: str) -> int:
    """Margin-call notices for the cases of `table` (case_id, account_id: raised in this run, or
    brought forward below the immediate line): what to add or sell, and by when; below the
    immediate close-out line (the template's `level` set), that the position may be liquidated
    today (the deadline is the run's moment). A call with no sale that restores its line (a null
    or zero top_up_sell) gets the text's cash-only branch (`sell` empty)."""
    total = 0
    for language in LANGUAGES:
        for immediate in (False, True):
            with translation.override(language):
                by = date_format(localtime(now if immediate else deadline), "DATETIME_FORMAT")
            for with_sale in (True, False):
                columns = {"account_no": "c.account_no", "ratio": _ratio_text("c.ratio"),
                           "cash": money_text("mc.top_up_cash")}
                if with_sale:
                    columns["sell"] = money_text("mc.top_up_sell")
                total += _insert(
                    cursor, now=now, event="margin_call", language=language,
                    values={"deadline": by, "level": "immediate" if immediate else "", "sell": ""},
                    source_sql=f"""{table} r JOIN risk_watched c ON c.account_id = r.account_id
                        JOIN accounts_clientprofile cl ON cl.id = c.client_id
                        JOIN risk_margincall mc ON mc.case_id = r.case_id
                        WHERE c.level {"=" if immediate else "<>"} 'immediate'
                          AND {"" if with_sale else "NOT "}COALESCE(mc.top_up_sell > 0, FALSE)""",
                    columns=columns,
                    data={"account": "c.account_no", "case": "r.case_id", "ratio": as_text("c.ratio"),
                          **({"level": "'immediate'"} if immediate else {})},
                    case_expr="r.case_id",
                )
    return total


def _with_or_without_ratio(cursor, now, *, event: str, account_no: str, ratio: str, source_sql: str,
                           data: dict[str, str], case_expr: str, params=()) -> int:
    """Notices of `event`, whose text says the ratio (SQL `ratio`) or, where it is NULL (no
    liability left, never valued), takes the template's other branch (an empty `ratio`):
    `source_sql` holds `{ratio_is}`, the condition on `ratio` of each pass."""
    total = 0
    for language in LANGUAGES:
        for has_ratio in (True, False):
            columns = {"account_no": account_no, **({"ratio": _ratio_text(ratio)} if has_ratio else {})}
            total += _insert(
                cursor, now=now, event=event, language=language, values={"ratio": ""},
                source_sql=source_sql.format(ratio_is=f"{ratio} IS {'NOT ' if has_ratio else ''}NULL"),
                columns=columns, data=data, case_expr=case_expr, params=params,
            )
    return total


def restored_notices(cursor, now) -> int:
    """The restored margin calls' notices: the ratio they are back to, or (an empty `ratio`: the
    template's other branch) that no liability is left."""
    return _with_or_without_ratio(
        cursor, now, event="margin_call_restored", account_no="c.account_no", ratio="c.ratio",
        source_sql="""risk_restored r JOIN risk_watched c ON c.account_id = r.account_id
            JOIN accounts_clientprofile cl ON cl.id = c.client_id
            WHERE {ratio_is}""",
        data={"account": "c.account_no", "case": "r.case_id"}, case_expr="r.case_id")


def deadline_passed_notices(cursor, now) -> int:
    """The clients of the calls that passed their deadline in this run (risk_passed, now pending
    liquidation): the ratio was not restored and their positions may be liquidated at any time.
    An account never valued has no ratio to give (an empty `ratio`: the template's other branch).
    Not a call whose margin-call notice this run wrote (raised or brought forward below the immediate
    line, due at once): that notice says already that the position may be liquidated today."""
    return _with_or_without_ratio(
        cursor, now, event="margin_call_deadline_passed", account_no="a.account_no", ratio="r.maintenance_ratio",
        source_sql="""risk_passed p JOIN cases_case k ON k.id = p.case_id AND k.state = 'liquidation_pending'
            JOIN accounts_creditaccount a ON a.id = k.credit_account_id
            JOIN accounts_clientprofile cl ON cl.id = a.client_id
            LEFT JOIN risk_accountrisk r ON r.account_id = a.id
            WHERE {ratio_is} AND NOT EXISTS (
                SELECT 1 FROM notifications_notification n
                WHERE n.case_id = p.case_id AND n.event = 'margin_call' AND n.created_at = %s)""",
        data={"account": "a.account_no", "case": "p.case_id"}, case_expr="p.case_id", params=[db_time(now)])
