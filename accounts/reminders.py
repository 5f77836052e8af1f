"""Reminders 14, 7 and 1 days before a contract's maturity and before each interest settlement
date (PRODUCT.md), each sent once: a Reminder row (unique per account, kind, due date and days
before) and its outbox rows (SMS to the client's phone, e-mail when there is an address; a client
with neither gets one e-mail row, given up with the reason) written in one transaction, set-based.

Which reminder is due: on day T, a due date X from T+1 to T+14 gets the 1-day reminder when it
is tomorrow, the 7-day one when it is 2 to 7 days away and the 14-day one when 8 to 14 days
away. Run every day, that sends each on its day; a run that missed days sends the reminder of
the stage the due date is in now (late, with the real number of days in the text), and never an
earlier stage once a later one is due. Maturity reminders go to accounts with anything to repay
when the contract matures (financing debt, shares lent, or interest and fees; a short position
the positions file reports at 0 shares has been returned and is nothing to repay);
settlement reminders to accounts with financing debt or interest and fees outstanding.
Pre-maturity reminders are broker practice [M], not a rule (margin-trading-facts.md §5).
"""

import datetime
import uuid

from django.conf import settings
from django.db import connection, transaction
from django.utils import formats, timezone, translation

from accounts.interest import settlement_dates
from accounts.models import Reminder
from notifications.models import SUBJECT_LENGTH, Notification
from notifications.policy import written_to_sql
from notifications.rendering import render_for_rows
from notifications.services import dispatch_pending
from servicedesk.i18n import language_codes

STAGES = (14, 7, 1)
_REMINDER_LOCK = 0x1A7E_0002
#: Placeholders that differ per row, left as markers in the rendered text and replaced in SQL by
#: the row's value (the client's name last: nothing it holds is read as another marker).
_ROW_MARKERS = {"account_no": ("[[account_no]]", "a.account_no"), "client_no": ("[[client_no]]", "c.client_no"),
                "client_name": ("[[client_name]]", "c.name")}

_INSERT_REMINDERS = """
    INSERT INTO accounts_reminder (account_id, kind, due_date, days_before, sent_at, run)
    SELECT a.id, %(kind)s, {due_date}, {stage}, %(now)s, %(run)s
    FROM accounts_creditaccount a
    WHERE {condition}
    ORDER BY a.id
    ON CONFLICT (account_id, kind, due_date, days_before) DO NOTHING
"""
# Maturity: one statement for the whole window; the stage follows from the date.
_MATURITY_SQL = _INSERT_REMINDERS.format(
    due_date="a.contract_maturity",
    stage="CASE WHEN a.contract_maturity <= %(in_1)s THEN 1 WHEN a.contract_maturity <= %(in_7)s THEN 7 ELSE 14 END",
    condition="""(a.financing_debt > 0 OR a.interest_fees > 0
                   OR EXISTS (SELECT 1 FROM accounts_position p
                              WHERE p.account_id = a.id AND p.kind = 'short' AND p.quantity > 0))
               AND a.contract_maturity >= %(in_1)s AND a.contract_maturity <= %(in_14)s""",
)
_SETTLEMENT_SQL = _INSERT_REMINDERS.format(
    due_date="%(due_date)s", stage="%(stage)s", condition="(a.financing_debt > 0 OR a.interest_fees > 0)",
)

_INSERT_NOTIFICATIONS = """
    INSERT INTO notifications_notification (recipient_client_id, address, channel, event, language, subject,
        body, data, status, attempts, provider_id, error, created_at)
    SELECT c.id, c.{address}, %(channel)s, %(event)s, %(language)s,
           {subject}, {body},
           {data}, 'pending', 0, '', '', %(now)s
    FROM accounts_reminder r
    JOIN accounts_creditaccount a ON a.id = r.account_id
    JOIN accounts_clientprofile c ON c.id = a.client_id
    WHERE r.run = %(run)s AND r.kind = %(kind)s AND r.due_date = %(due_date)s AND {written_to}
      AND {language_condition}
    ORDER BY r.id
"""
_CHANNEL_ADDRESS = {Notification.Channel.SMS: "phone", Notification.Channel.EMAIL: "email"}
EVENTS = {
    Reminder.Kind.MATURITY: "contract_maturity_reminder",
    Reminder.Kind.INTEREST_SETTLEMENT: "interest_settlement_reminder",
}


def _data_sql() -> str:
    build = "jsonb_build_object" if connection.vendor == "postgresql" else "json_object"
    return (f"{build}('account_no', a.account_no, 'kind', r.kind, 'due_date', CAST(%(due_date_text)s AS text), "
            f"'days_before', r.days_before, 'reminder_id', r.id)")


def stage_for(days_ahead: int) -> int | None:
    """The reminder stage (14, 7 or 1 days before) a due date `days_ahead` days away is in."""
    if not 1 <= days_ahead <= STAGES[0]:
        return None
    return min(stage for stage in STAGES if days_ahead <= stage)


def _texts(kind: str, due_date: datetime.date, days: int, *, language: str, channel: str) -> tuple[str, str]:
    """Subject and body from the event's notice template in `language` (supervisors edit it in the
    admin); what differs per row (the account number, the client's name and number) is left as a marker."""
    with translation.override(language):
        due = formats.date_format(due_date, "DATE_FORMAT")
    return render_for_rows(event=EVENTS[kind], language=language, channel=channel,
                           values={**{name: marker for name, (marker, _column) in _ROW_MARKERS.items()},
                                   "due_date": due, "days": days})


def _per_row(text_parameter: str) -> str:
    """SQL of a rendered text (the parameter named `text_parameter`) with each row's values for its markers."""
    sql = f"%({text_parameter})s"
    for marker, column in _ROW_MARKERS.values():
        sql = f"REPLACE({sql}, '{marker}', {column})"
    return sql


def _notify(cursor, *, run: str, kind: str, due_date: datetime.date, today: datetime.date, now) -> None:
    """The outbox rows of this run's reminders for one due date: per language and channel, one
    INSERT … SELECT with the text rendered once in that language."""
    codes = language_codes()
    for language in codes:
        language_condition = "c.language = %(language)s"
        if language == settings.LANGUAGE_CODE:  # a client with an unknown language gets the default
            others = ", ".join(f"'{code}'" for code in codes)
            language_condition = f"(c.language = %(language)s OR c.language NOT IN ({others}))"
        for channel, address in _CHANNEL_ADDRESS.items():
            subject, body = _texts(kind, due_date, (due_date - today).days, language=language, channel=channel)
            sql = _INSERT_NOTIFICATIONS.format(address=address, written_to=written_to_sql(channel, "c"),
                                               data=_data_sql(), language_condition=language_condition,
                                               subject=f"SUBSTR({_per_row('subject')}, 1, {SUBJECT_LENGTH})",
                                               body=_per_row("body"))
            cursor.execute(sql, {
                "channel": channel.value, "event": EVENTS[kind], "language": language,
                "subject": subject if channel == Notification.Channel.EMAIL else "", "body": body,
                "now": now, "run": run, "kind": kind,
                "due_date": connection.ops.adapt_datefield_value(due_date), "due_date_text": due_date.isoformat(),
            })


def reminders_send(today: datetime.date | None = None) -> int:
    """Send the maturity and interest settlement reminders due `today` (Asia/Shanghai), each once;
    returns how many reminders this run sent. Safe to run again or twice at once: the unique
    reminder row decides, and only the rows this run inserted get notifications."""
    today = today or timezone.localdate()
    run = uuid.uuid4().hex
    now = connection.ops.adapt_datetimefield_value(timezone.now())

    def day(offset: int):
        return connection.ops.adapt_datefield_value(today + datetime.timedelta(days=offset))

    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_REMINDER_LOCK])
        cursor.execute(_MATURITY_SQL, {"kind": Reminder.Kind.MATURITY.value, "now": now, "run": run,
                                       "in_1": day(1), "in_7": day(7), "in_14": day(STAGES[0])})
        window_end = today + datetime.timedelta(days=STAGES[0])
        for due_date in settlement_dates(today + datetime.timedelta(days=1), window_end):
            cursor.execute(_SETTLEMENT_SQL, {
                "kind": Reminder.Kind.INTEREST_SETTLEMENT.value, "now": now, "run": run,
                "due_date": connection.ops.adapt_datefield_value(due_date),
                "stage": stage_for((due_date - today).days),
            })
        sent = Reminder.objects.filter(run=run)
        for kind, due_date in sent.values_list("kind", "due_date").distinct().order_by("kind", "due_date"):
            _notify(cursor, run=run, kind=kind, due_date=due_date, today=today, now=now)
        dispatch_pending()  # the outbox rows written above are sent once this commits
        return sent.count()
