"""Margin-call cases, opened and moved by the monitoring (PRODUCT.md), set-based.

- Below the warning line: an outreach case (no deadline) for the client's advisor or the risk
  queue, at most one open per account (a partial unique index guards it).
- Below the close-out line: the same case becomes a margin call: deadline at the close of T+2
  trading days (15:00 Asia/Shanghai), the client is sent the notice with the cash to add or the
  securities to sell that restore the restore-to line.
- Below the immediate close-out line (where the contract has one): no T+2. The deadline is the
  moment of the run, so the call is pending liquidation at once (the brokers' "liquidation the same
  day", margin-trading-facts.md), still decided and approved by two risk officers; the notice says
  so. A call crossing that line later has its deadline brought forward the same way (once per
  crossing: a relief approved afterwards keeps the time it gave).
- Ratio back above the warning line by the hysteresis band: restored, closed with the snapshot.
- Deadline passed and not restored: liquidation_pending, for a risk officer to decide liquidation
  and a second one to approve it (until one proposes it, the ratio restored still closes the call).
Each change writes its audit event; the case rows are updated only from the state the workflow
allows (cases.models.workflows.MarginCallCase), so an agent's concurrent change wins or loses
cleanly.
"""

from django.conf import settings
from django.contrib.auth.models import Group
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Tier
from accounts.roles import Role
from cases.models import Case, CaseKind, CaseNumberSequence
from cases.models.case import MARGIN_CALL_CLOSED_STATES
from cases.routing import routing_for
from cases.services.cases import case_numbers_locked
from cases.sla import trading_day_close
from notifications.in_app_sql import in_app_notices_sql, role_members
from risk import notices
from risk.lines import hysteresis_band, line_sql
from risk.models import MarginCall
from servicedesk.sql import (ceil_cents, db_time, divide, is_postgres, json_object, local_iso, temp_table,
                             zero_padded)

OPEN_STATES = ("open", "client_notified", "liquidation_pending", "liquidated", "return_visit")


def open_call(case: str = "k") -> str:
    """SQL: the case row `case` is an open margin call, stated as the partial unique index
    case_one_open_margin_call states it, so the planner reads that index (7 ms for the 39,000 open
    calls at a million cases) instead of filtering every margin call by state (90 ms)."""
    closed = ", ".join(f"'{state}'" for state in MARGIN_CALL_CLOSED_STATES)
    return f"{case}.kind = 'margin_call' AND {case}.state NOT IN ({closed})"

CALL_LEVELS = ("warning", "close_out", "immediate")
CALL_LEVELS_SQL = ", ".join(f"'{level}'" for level in CALL_LEVELS)
DEADLINE_TRADING_DAYS = 2
CATEGORY = "margin"


def _restorable(case: str = "k") -> str:
    """SQL on the margin-call case row `case`: the ratio restored still closes it (no liquidation
    proposed yet)."""
    return (f"({case}.state IN ('open', 'client_notified') "
            f"OR ({case}.state = 'liquidation_pending' AND {case}.proposed_by_id IS NULL))")


def _open_call_exists(alias: str = "c") -> str:
    return f"EXISTS (SELECT 1 FROM cases_case k WHERE k.credit_account_id = {alias}.account_id AND {open_call()})"


def call_locked(**filters) -> MarginCall | None:
    """The margin call matching `filters` (re-checked once locked), locked with its case, the case
    first: the order in which the monitoring takes them (it locks the cases, then moves their calls:
    _lock_and_recheck). Taken the other way round, a person's step on the call and a monitoring run
    could each wait for the other, and PostgreSQL would abort one of them as a deadlock."""
    case_id = MarginCall.objects.filter(**filters).values_list("case_id", flat=True).first()
    if case_id is None:
        return None
    list(Case.objects.select_for_update(of=("self",)).filter(pk=case_id).values_list("pk", flat=True))
    return (MarginCall.objects.select_for_update(of=("self",)).select_related("case", "case__client")
            .filter(case_id=case_id, **filters).first())


def _lock_and_recheck(cursor, table: str, still: str, params=()) -> None:
    """Lock the cases of `table` (case_id, from_state) and keep only those for which `still` (SQL
    on the case `k` and its margin call `mc`) holds now, with the state they are in now.

    `table` was filled from what was committed when it was read; a person may have moved a case
    since, or be moving it (the lock waits for them). Re-read after the lock, their step is seen:
    never overwritten, and never logged or told as if the monitoring's step had happened."""
    if is_postgres():  # SQLite runs one writing transaction at a time: nothing moved meanwhile
        cursor.execute(f"""
            SELECT k.id FROM cases_case k WHERE k.id IN (SELECT case_id FROM {table})
            ORDER BY k.id FOR NO KEY UPDATE
        """)
    cursor.execute(f"""
        UPDATE {table} SET from_state = (SELECT k.state FROM cases_case k WHERE k.id = {table}.case_id)
    """)
    cursor.execute(f"""
        DELETE FROM {table} WHERE NOT EXISTS (
            SELECT 1 FROM cases_case k JOIN risk_margincall mc ON mc.case_id = k.id
            WHERE k.id = {table}.case_id AND {still})
    """, params)


def lock_watched_calls(cursor) -> None:
    """Lock the cases of the open margin calls of the accounts this run revalued (risk_watched), before
    any of their calls is moved (mark_warned, refresh_amounts move them without a state to re-check).
    A person takes a call's case, then the call (call_locked); a run that moved the call first and then
    locked its case (passing its deadline) waited for a person who waited for it: a deadlock, one of
    them aborted."""
    if is_postgres():  # SQLite runs one writing transaction at a time
        # The cases found from their calls (a narrow table): the cases of those accounts found from the
        # case table itself read a page of it per open margin call, call or not.
        cursor.execute(_lock_open_calls_sql(
            "SELECT mc.case_id FROM risk_margincall mc WHERE mc.account_id IN (SELECT account_id FROM risk_watched)"))


def _lock_open_calls_sql(case_ids: str) -> str:
    """SQL locking the open margin-call cases among the ids `case_ids` (a SELECT of one column) gives,
    read by id in order (index lookups page by page, not a scan of the open calls)."""
    return f"""
        SELECT k.id FROM cases_case k WHERE k.id = ANY(ARRAY({case_ids} ORDER BY 1)) AND {open_call()}
        ORDER BY k.id FOR NO KEY UPDATE"""


def _events(cursor, source_sql: str, *, kind: str, name: str, from_value: str, to_value: str, now,
            data: dict[str, str] | None = None, data_params=()) -> None:
    """Audit events, one per case_id of `source_sql` (a SELECT … case_id … FROM …)."""
    cursor.execute(f"""
        INSERT INTO cases_caseevent (case_id, kind, actor_id, name, from_value, to_value, comment, is_internal,
                                     data, created_at)
        SELECT s.case_id, %s, NULL, %s, {from_value}, {to_value}, '', %s, {json_object(**(data or {}))}, %s
        FROM ({source_sql}) s
    """, [kind, name, False, *data_params, db_time(now)])


def mark_warned(cursor, now) -> None:
    """A stress test's preventive outreach whose account is now below the warning line is a call
    like the monitoring's own from here on: restored by the ratio (restore) once back above."""
    cursor.execute(f"""
        UPDATE risk_margincall SET warned_at = %s
        WHERE warned_at IS NULL
          AND account_id IN (SELECT account_id FROM risk_watched WHERE level IN ({CALL_LEVELS_SQL}))
    """, [db_time(now)])


def restore(cursor, now) -> int:
    """Close the margin calls whose account is back above the warning line by the band; the call
    shows the snapshot that restored it (its latest valuation, nothing left to top up)."""
    temp_table(cursor, "risk_restored", f"""
        SELECT k.id AS case_id, k.state AS from_state, c.account_id, c.snapshot_id FROM risk_watched c
        JOIN cases_case k ON k.credit_account_id = c.account_id AND k.kind = 'margin_call' AND {_restorable()}
        JOIN risk_margincall mc ON mc.case_id = k.id AND mc.warned_at IS NOT NULL
        WHERE c.ratio IS NULL OR c.ratio >= c.warning_line + %s
    """, [hysteresis_band()])
    _lock_and_recheck(cursor, "risk_restored", f"{_restorable()} AND mc.warned_at IS NOT NULL")
    cursor.execute(f"""
        UPDATE cases_case SET state = 'restored', resolved_at = %s, closed_at = %s, updated_at = %s
        WHERE id IN (SELECT case_id FROM risk_restored) AND {_restorable("cases_case")}
    """, [db_time(now)] * 3)
    restored = cursor.rowcount
    if restored:
        cursor.execute("""
            UPDATE risk_margincall SET restored_snapshot_id = r.snapshot_id, latest_snapshot_id = r.snapshot_id,
                                       top_up_cash = 0, top_up_sell = 0
            FROM risk_restored r WHERE risk_margincall.case_id = r.case_id
        """)
        _events(cursor, "SELECT case_id, from_state, snapshot_id FROM risk_restored", kind="transition",
                name="restore", from_value="s.from_state", to_value="'restored'", now=now,
                data={"snapshot": "s.snapshot_id"})
        notices.restored_notices(cursor, now)
    return restored


def margin_call_subject(account_no: str = "{account}", stage: str = MarginCall.Stage.OUTREACH) -> str:
    """The subject of the monitoring's margin call at its stage, in the active language (the
    stored one is in the firm's language, rewritten when the call is raised; the API and the
    portal show each reader theirs: risk.subjects)."""
    if stage == MarginCall.Stage.MARGIN_CALL:
        text = _("Margin call: credit account {account} is below the close-out line")
    else:
        text = _("Margin call: credit account {account} is below the warning line")
    return text.replace("{account}", account_no)


def _subject_template(stage: str = MarginCall.Stage.OUTREACH) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return margin_call_subject(stage=stage)


def open_new(cursor, now) -> int:
    """An outreach case for each account newly below the warning line without an open margin call.

    The accounts are listed again once this run holds the case numbers (on PostgreSQL): a stress test
    opening its outreach meanwhile holds them until it commits, and a call it opened for one of these
    accounts is then seen and left alone, where inserting a second one made the one-open-call index
    refuse the whole run."""
    new_calls = f"""
        SELECT c.account_id, c.client_id, c.account_no, c.level, c.snapshot_id,
               ROW_NUMBER() OVER (ORDER BY c.account_id) AS rn
        FROM risk_watched c WHERE c.level IN ({CALL_LEVELS_SQL}) AND NOT {_open_call_exists()}
    """
    temp_table(cursor, "risk_new_calls", new_calls)
    cursor.execute("SELECT COUNT(*) FROM risk_new_calls")
    count = cursor.fetchone()[0]
    if not count:
        return 0
    year = timezone.localdate(now).year
    case_numbers_locked(year)
    if is_postgres():
        temp_table(cursor, "risk_new_calls", new_calls)
        cursor.execute("SELECT COUNT(*) FROM risk_new_calls")
        count = cursor.fetchone()[0]
        if not count:
            return 0
    cursor.execute("UPDATE cases_casenumbersequence SET last = last + %s WHERE year = %s", [count, year])
    first = CaseNumberSequence.objects.filter(pk=year).values_list("last", flat=True).get() - count

    routes = {tier: routing_for(kind=CaseKind.MARGIN_CALL, category=CATEGORY, tier=tier) for tier in Tier.values}
    queue_case = "CASE cl.tier " + " ".join(
        f"WHEN '{tier}' THEN {route.queue.pk if route.queue else 'NULL'}" for tier, route in routes.items()) + " END"
    to_advisor = [tier for tier, route in routes.items() if route.to_advisor]
    # An advisor whose account was deactivated is not assigned (cases.routing.route_case).
    advisor_case = (f"CASE WHEN cl.tier IN ({', '.join(repr(t) for t in to_advisor)}) THEN "
                    "(SELECT a.id FROM accounts_user a WHERE a.id = cl.advisor_id AND a.is_active) END"
                    if to_advisor else "NULL")
    number = f"'CS-{year}-' || {zero_padded(f'(n.rn + {first})', 6)}"
    cursor.execute(f"""
        INSERT INTO cases_case (number, kind, category, subject, description, priority, state, client_id,
            credit_account_id, queue_id, assignee_id, channel, created_by_id, proposed_by_id, proposed_outcome,
            proposal, approved_by_id, created_at, updated_at, resolved_at, closed_at, escalated_at)
        SELECT {number}, 'margin_call', %s, REPLACE(%s, '{{account}}', n.account_no), '',
            CASE WHEN n.level = 'warning' THEN 'high' ELSE 'urgent' END, 'open', n.client_id, n.account_id,
            {queue_case}, {advisor_case}, 'system', NULL, NULL, '', '', NULL, %s, %s, NULL, NULL, NULL
        FROM risk_new_calls n JOIN accounts_clientprofile cl ON cl.id = n.client_id
    """, [CATEGORY, _subject_template(), db_time(now), db_time(now)])
    temp_table(cursor, "risk_opened", f"""
        SELECT k.id AS case_id, n.account_id, n.snapshot_id FROM risk_new_calls n
        JOIN cases_case k ON k.number = {number}
    """)
    amounts = _amounts()
    cursor.execute(f"""
        INSERT INTO risk_margincall (case_id, account_id, stage, deadline, top_up_cash, top_up_sell, restore_to,
            opened_snapshot_id, latest_snapshot_id, raised_at, restored_snapshot_id, warned_at)
        SELECT o.case_id, o.account_id, 'outreach', NULL, {amounts["top_up_cash"]}, {amounts["top_up_sell"]},
            {amounts["restore_to"]}, o.snapshot_id, o.snapshot_id, NULL, NULL, %s
        FROM risk_opened o JOIN risk_watched c ON c.account_id = o.account_id
    """, [db_time(now)])
    _events(cursor, "SELECT case_id FROM risk_opened", kind="created", name="", from_value="''",
            to_value="'open'", now=now, data={"channel": "'system'", "reason": "'monitoring'"})
    return count


def raise_to_margin_call(cursor, now) -> int:
    """Open calls whose account fell below the close-out line get a deadline and the notice. The
    deadline is worked out only when a call is to be raised: a run with nothing to raise never
    needs the trading calendar, but one that does, with T+2 in a year the calendar lacks, is
    refused whole (CalendarYearMissing: `run_monitoring` says so in one line, the beat logs it)
    rather than raising a call without a deadline; calendars.seed_next_year adds next year ahead."""
    temp_table(cursor, "risk_raised", """
        SELECT mc.case_id, c.account_id, k.state AS from_state, c.level FROM risk_watched c
        JOIN risk_margincall mc ON mc.account_id = c.account_id AND mc.stage = 'outreach'
        JOIN cases_case k ON k.id = mc.case_id AND k.state IN ('open', 'client_notified')
        WHERE c.level IN ('close_out', 'immediate')
    """)
    _lock_and_recheck(cursor, "risk_raised", "k.state IN ('open', 'client_notified') AND mc.stage = 'outreach'")
    cursor.execute("SELECT COUNT(*) FROM risk_raised")
    raised = cursor.fetchone()[0]
    if not raised:
        return 0
    deadline = trading_day_close(timezone.localtime(now).date(), DEADLINE_TRADING_DAYS)
    # Raised with its amounts in one update: updated twice in one transaction, a row's keys are
    # checked again.
    cursor.execute(f"""
        UPDATE risk_margincall SET stage = 'margin_call', raised_at = %s, {_amounts_set()},
            notice_restore_to = c.restore_to_line, deadline = CASE WHEN c.level = 'immediate' THEN %s ELSE %s END,
            deadline_from = CASE WHEN c.level = 'immediate' THEN NULL ELSE %s END,
            deadline_trading_days = CASE WHEN c.level = 'immediate' THEN NULL ELSE %s END
        FROM risk_watched c
        WHERE risk_margincall.account_id = c.account_id AND case_id IN (SELECT case_id FROM risk_raised)
    """, [db_time(now), db_time(now), db_time(deadline), timezone.localtime(now).date(), DEADLINE_TRADING_DAYS])
    cursor.execute("""
        UPDATE cases_case SET priority = 'urgent', state = 'client_notified', updated_at = %s,
            subject = REPLACE(%s, '{account}', (SELECT a.account_no FROM accounts_creditaccount a
                                                WHERE a.id = cases_case.credit_account_id))
        WHERE id IN (SELECT case_id FROM risk_raised) AND state IN ('open', 'client_notified')
    """, [db_time(now), _subject_template(MarginCall.Stage.MARGIN_CALL)])
    _events(cursor, "SELECT case_id, level FROM risk_raised", kind="update", name="margin_call_raised",
            from_value="'outreach'", to_value="'margin_call'", now=now,
            data={"deadline": "CASE WHEN s.level = 'immediate' THEN %s ELSE %s END", "level": "s.level"},
            data_params=[timezone.localtime(now).isoformat(), deadline.isoformat()])
    _events(cursor, "SELECT case_id, from_state FROM risk_raised WHERE from_state = 'open'", kind="transition",
            name="notify_client", from_value="s.from_state", to_value="'client_notified'", now=now)
    notices.margin_call_notices(cursor, now, deadline, "risk_raised")
    return raised


def bring_forward(cursor, now) -> int:
    """Margin calls whose account crossed below the immediate close-out line in this run (its
    alert opened with this run's snapshot): the deadline is now, so pass_deadlines hands them to
    the risk officers in this same run, and the client is told. Calls raised in this run below
    that line have it already."""
    temp_table(cursor, "risk_immediate", """
        SELECT mc.case_id, c.account_id, k.state AS from_state, mc.deadline AS old_deadline FROM risk_watched c
        JOIN risk_margincall mc ON mc.account_id = c.account_id AND mc.stage = 'margin_call' AND mc.deadline > %s
        JOIN cases_case k ON k.id = mc.case_id AND k.state IN ('open', 'client_notified')
        WHERE c.level = 'immediate' AND EXISTS (
            SELECT 1 FROM risk_accountalert x
            WHERE x.account_id = c.account_id AND x.line = 'immediate' AND x.opened_snapshot_id = c.snapshot_id)
    """, [db_time(now)])
    _lock_and_recheck(cursor, "risk_immediate",
                      "k.state IN ('open', 'client_notified') AND mc.stage = 'margin_call' AND mc.deadline > %s",
                      [db_time(now)])
    cursor.execute("UPDATE risk_margincall SET deadline = %s, notice_restore_to = restore_to, deadline_from = NULL, "
                   "deadline_trading_days = NULL WHERE case_id IN (SELECT case_id FROM risk_immediate)", [db_time(now)])
    moved = cursor.rowcount
    if moved:
        _events(cursor, "SELECT case_id, old_deadline FROM risk_immediate", kind="update", name="deadline_moved",
                from_value=local_iso("s.old_deadline"), to_value=f"'{timezone.localtime(now).isoformat()}'", now=now,
                data={"level": "'immediate'"})
        notices.margin_call_notices(cursor, now, now, "risk_immediate")
    return moved


def _amounts(c: str = "c") -> dict[str, str]:
    """SQL of a call's amounts from the watched account `c`: cash to add, C = t·D − A, or
    securities to sell and repay, S = (t·D − A) / (t − 1), to restore the restore-to line t; no
    sale (NULL) when t ≤ 1 or the assets are below the liabilities (accounts.ratio.top_up)."""
    shortfall = f"({c}.restore_to_line * {c}.liabilities - {c}.assets)"
    short = f"{c}.liabilities > 0 AND {shortfall} > 0"
    return {
        "restore_to": f"{c}.restore_to_line",
        "top_up_cash": f"CASE WHEN {short} THEN {ceil_cents(shortfall)} ELSE 0 END",
        "top_up_sell": (f"CASE WHEN {short} AND {c}.restore_to_line > 1 AND {c}.assets >= {c}.liabilities "
                        f"THEN {ceil_cents(divide(shortfall, f'{c}.restore_to_line - 1'))} "
                        f"WHEN {short} THEN NULL ELSE 0 END"),
    }


def _amounts_set() -> str:
    """SET list: a call's amounts and latest snapshot from the watched account `c`."""
    return ", ".join(f"{column} = {sql}" for column, sql in _amounts().items()) + ", latest_snapshot_id = c.snapshot_id"


def refresh_amounts(cursor) -> None:
    """The amounts (_amounts) of the open calls of accounts revalued in this run, and their latest
    snapshot. A call already at this run's snapshot (opened or raised in it) has them already:
    updated twice in one transaction, its keys would be checked again."""
    cursor.execute(f"""
        UPDATE risk_margincall SET {_amounts_set()}
        FROM risk_watched c
        WHERE risk_margincall.account_id = c.account_id AND risk_margincall.latest_snapshot_id <> c.snapshot_id
          AND EXISTS (SELECT 1 FROM cases_case k WHERE k.id = risk_margincall.case_id AND {open_call()})
    """)


def refresh_restore_to(cursor, stress) -> None:
    """The open calls whose restore-to line moved while their account's valuation did not (a stress
    mode set or lifted, the account's own line changed by an import): the line and the amounts from
    the account's latest valuation, as the account's lines and the case page show them; and those with
    no line yet (a stress test's outreach opened it without one). Read from the open calls (the partial
    index behind open_call), so a run with nothing to move costs little."""
    line = line_sql("restore_to", stress)
    amounts = ", ".join(f"{column} = {sql}" for column, sql in _amounts().items())
    calls = f"""
        SELECT k.id AS case_id, r.total_assets AS assets, r.total_liabilities AS liabilities,
               {line} AS restore_to_line
        FROM cases_case k JOIN accounts_creditaccount a ON a.id = k.credit_account_id
        JOIN risk_accountrisk r ON r.account_id = a.id
        WHERE {open_call()}
    """
    moving = f"""
        SELECT c.* FROM risk_margincall mc JOIN ({calls}) c ON c.case_id = mc.case_id
        WHERE mc.restore_to IS NULL OR ROUND(mc.restore_to, 4) <> ROUND(c.restore_to_line, 4)
    """
    if is_postgres():
        # One statement: the calls found once, their cases locked first (by id, as lock_watched_calls
        # takes them; one closed meanwhile is left out), then the calls moved.
        cursor.execute(f"""
            WITH moving AS MATERIALIZED ({moving}),
            locked AS ({_lock_open_calls_sql("SELECT case_id FROM moving")})
            UPDATE risk_margincall SET {amounts}
            FROM moving c WHERE risk_margincall.case_id = c.case_id AND c.case_id IN (SELECT id FROM locked)
        """)
        return
    cursor.execute(f"""
        UPDATE risk_margincall SET {amounts}
        FROM ({moving}) c WHERE risk_margincall.case_id = c.case_id
    """)


def pass_deadlines(cursor, now) -> int:
    """Margin calls whose deadline passed without the ratio restored are pending liquidation: a
    risk officer decides, a second one approves (cases.models.workflows.MarginCallCase).

    Not a call whose account is at or above the restore-to line it asked for: the client added
    what the notice asked (C = t·D − A brings the ratio to t exactly), and nothing is liquidated
    above that line. The call stays open until the ratio clears the warning line by the band
    (restore) or falls back under the restore-to line (then it passes here on the next run). The
    line is the notice's (notice_restore_to) where a stress mode or the contract raised the call's
    restore-to line since: the client was told C, not the larger amount the call shows now."""
    asked = ("CASE WHEN mc.notice_restore_to < mc.restore_to THEN mc.notice_restore_to "
             "ELSE mc.restore_to END")
    temp_table(cursor, "risk_passed", f"""
        SELECT k.id AS case_id, k.state AS from_state FROM risk_margincall mc
        JOIN cases_case k ON k.id = mc.case_id AND k.state IN ('open', 'client_notified')
        LEFT JOIN risk_accountrisk r ON r.account_id = mc.account_id
        WHERE mc.deadline IS NOT NULL AND mc.deadline <= %s
          AND NOT (r.account_id IS NOT NULL AND mc.restore_to IS NOT NULL
                   AND (r.maintenance_ratio IS NULL OR r.maintenance_ratio >= {asked}))
    """, [db_time(now)])
    # Re-checked after the lock: an approved relief request may have just moved the deadline.
    _lock_and_recheck(cursor, "risk_passed", "k.state IN ('open', 'client_notified') AND mc.deadline <= %s",
                      [db_time(now)])
    cursor.execute("""
        UPDATE cases_case SET state = 'liquidation_pending', updated_at = %s
        WHERE id IN (SELECT case_id FROM risk_passed) AND state IN ('open', 'client_notified')
    """, [db_time(now)])
    passed = cursor.rowcount
    if passed:
        _events(cursor, "SELECT case_id, from_state FROM risk_passed", kind="transition", name="pass_deadline",
                from_value="s.from_state", to_value="'liquidation_pending'", now=now)
        _tell_risk_officers(cursor, now)
        notices.deadline_passed_notices(cursor, now)
    return passed


def _tell_risk_officers(cursor, now) -> None:
    """An in-app notice (the bell) to every active risk officer for each call of risk_passed: a
    liquidation to decide, one proposing and another approving. Written in the run's transaction,
    so a call passes, and its officers are told, once; the text is rendered when read, in each
    officer's language (notifications.defaults: liquidation_decision_due)."""
    group = Group.objects.filter(name=Role.RISK_OFFICER).values_list("id", flat=True).first()
    if group is None:
        return
    cursor.execute(in_app_notices_sql(
        "liquidation_decision_due", source="risk_passed p", case="p.case_id", data=json_object(case="p.case_id"),
        recipients=f"""{role_members(Role.RISK_OFFICER)}
            WHERE EXISTS (SELECT 1 FROM cases_case k WHERE k.id = p.case_id AND k.state = 'liquidation_pending')"""),
        {"now": db_time(now), Role.RISK_OFFICER.value: group})


__all__ = ["bring_forward", "lock_watched_calls", "mark_warned", "open_new", "pass_deadlines", "raise_to_margin_call",
           "refresh_amounts", "refresh_restore_to", "restore"]
