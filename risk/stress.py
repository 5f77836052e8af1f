"""Stress tests: "what if the market fell 10 % (and this stock 20 %)?"

Shocked price = price × (1 + shock), where a per-symbol shock replaces the market shock for
that symbol. One SQL statement values every credit account at shocked prices (positions ⨝
securities grouped by account) and keeps only the accounts whose shocked ratio comes near
their highest line; the exact ratio and top-up arithmetic (accounts.ratio, Decimal) is then
applied to those candidates only. Lines are the effective ones (risk.lines.line_sql): the
account's own or the firm's default, raised by the active stress mode.

Per line (attention, warning, close_out, and immediate where any account has one) the result
lists the accounts whose shocked ratio would be below it, worst first, capped at LIST_LIMIT
(`count` is the full number), with the top-up that brings each back to *that line*:
cash C = t·D − A, or securities sold and repaid S = (t·D − A)/(t − 1). Separately,
`restore_to` totals the cash that brings every account below the close-out line back to its
restore-to line (what a margin call would ask for).
"""

import logging
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import CreditAccount, Security, User
from accounts.ratio import ZERO, maintenance_ratio, top_up
from accounts.roles import Role
from cases.models import Case, CaseKind, Channel
from cases.models.workflows import CLOSED_STATES
from risk.lines import HUNDRED, active_stress_points, effective_line, line_sql
from risk.margin_calls import CALL_LEVELS
from risk.models import AccountRisk, MarginCall, StressMode, StressTest
from servicedesk import formats
from servicedesk.errors import NotAllowed, ValidationFailed

logger = logging.getLogger(__name__)

LIST_LIMIT = 1000
MIN_SHOCK = Decimal("-0.99")
MAX_SHOCK = Decimal("1")
#: Securities with their own shock in one test (the API and the page): each is a branch of the CASE
#: that every position of every account is valued through.
MAX_SYMBOL_SHOCKS = 500
SHOCK_OUT_OF_RANGE = gettext_lazy("A shock must be between -0.99 and 1.")
UNKNOWN_SYMBOL = gettext_lazy("Unknown symbol.")
#: The lines reported, best to worst; `immediate` only when some account has one.
REPORTED_LINES = ("attention", "warning", "close_out", "immediate")
LINE_COLUMNS = (*REPORTED_LINES, "restore_to")
RUN_ROLES = (Role.RISK_OFFICER, Role.SUPERVISOR)
READ_ROLES = (Role.RISK_OFFICER, Role.SUPERVISOR, Role.AUDITOR)
OUTREACH_CATEGORY = "stress_test"
#: Accounts read at a time by the outreach.
OUTREACH_BATCH = 200
#: SQLite returns REAL sums; rounding them to this many places removes binary noise.
FLOAT_PLACES = Decimal("0.000001")
LINE_PLACES = Decimal("0.0001")


def may_run(user: User) -> bool:
    return user.is_superuser or user.has_role(*RUN_ROLES)


def may_read(user: User) -> bool:
    return user.is_superuser or user.has_role(*READ_ROLES)


def _decimal(value, places: Decimal = FLOAT_PLACES) -> Decimal:
    if value is None:
        return ZERO
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    return Decimal(repr(value)).quantize(places)


@dataclass(frozen=True)
class Valuation:
    account_id: int
    account_no: str
    client_no: str
    client_name: str
    assets: Decimal
    liabilities: Decimal
    shocked_assets: Decimal
    shocked_liabilities: Decimal
    lines: dict[str, Decimal | None]

    @property
    def ratio(self) -> Decimal | None:
        return maintenance_ratio(self.assets, self.liabilities)

    @property
    def shocked_ratio(self) -> Decimal | None:
        return maintenance_ratio(self.shocked_assets, self.shocked_liabilities)


def _shock_sql(market_shock: Decimal, security_shocks: dict[int, Decimal]) -> tuple[str, list]:
    """SQL for (1 + shock) of the security row `s`, and its parameters."""
    params: list = []
    whens = []
    for security_id, shock in sorted(security_shocks.items()):
        whens.append("WHEN %s THEN CAST(%s AS NUMERIC)")
        params += [security_id, str(1 + shock)]
    default = "CAST(%s AS NUMERIC)"
    params.append(str(1 + market_shock))
    if not whens:
        return default, params
    return f"(CASE s.id {' '.join(whens)} ELSE {default} END)", params


def shocked_valuations(market_shock: Decimal, security_shocks: dict[int, Decimal],
                       stress_points: Decimal) -> list[Valuation]:
    """The accounts with a liability whose shocked ratio is below (or within 0.0001 of) one of
    their reported lines, valued now and at shocked prices in one statement."""
    factor, params = _shock_sql(market_shock, security_shocks)
    lines = ",\n".join(f"{line_sql(name, stress_points)} AS {name}_line" for name in LINE_COLUMNS)
    near_a_line = " OR ".join(
        f"w.shocked_assets < ({name}_line + 0.0001) * w.shocked_liabilities" for name in REPORTED_LINES
    )
    sql = f"""
        SELECT w.* FROM (
            SELECT a.id, a.account_no, c.client_no, c.name AS client_name,
                a.cash + a.other_collateral + COALESCE(v.long_value, 0) AS assets,
                a.financing_debt + COALESCE(v.short_value, 0) + a.interest_fees AS liabilities,
                a.cash + a.other_collateral + COALESCE(v.shocked_long, 0) AS shocked_assets,
                a.financing_debt + COALESCE(v.shocked_short, 0) + a.interest_fees AS shocked_liabilities,
                {lines}
            FROM accounts_creditaccount a
            JOIN accounts_clientprofile c ON c.id = a.client_id
            LEFT JOIN (
                SELECT p.account_id,
                    SUM(CASE WHEN p.kind = 'long' THEN p.quantity * s.price ELSE 0 END) AS long_value,
                    SUM(CASE WHEN p.kind = 'short' THEN p.quantity * s.price ELSE 0 END) AS short_value,
                    SUM(CASE WHEN p.kind = 'long' THEN p.quantity * s.price * {factor} ELSE 0 END) AS shocked_long,
                    SUM(CASE WHEN p.kind = 'short' THEN p.quantity * s.price * {factor} ELSE 0 END)
                        AS shocked_short
                FROM accounts_position p JOIN accounts_security s ON s.id = p.security_id
                GROUP BY p.account_id
            ) v ON v.account_id = a.id
        ) w
        WHERE w.shocked_liabilities > 0 AND ({near_a_line})
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params + params)
        rows = cursor.fetchall()
    valuations = []
    for row in rows:
        account_id, account_no, client_no, client_name, *amounts = row
        money, line_values = amounts[:4], amounts[4:]
        valuations.append(Valuation(
            account_id=account_id, account_no=account_no, client_no=client_no, client_name=client_name,
            assets=_decimal(money[0]), liabilities=_decimal(money[1]),
            shocked_assets=_decimal(money[2]), shocked_liabilities=_decimal(money[3]),
            lines={name: None if value is None else _decimal(value, LINE_PLACES).quantize(LINE_PLACES)
                   for name, value in zip(LINE_COLUMNS, line_values, strict=True)},
        ))
    return valuations


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def summarise(valuations: list[Valuation], stress_points: Decimal) -> dict:
    """Per line: the accounts below it (worst first, at most LIST_LIMIT listed), their count and
    the cash that brings them back to that line; and the cash to the restore-to line for the
    accounts below close-out."""
    reported = [name for name in REPORTED_LINES if name != "immediate" or _any_immediate_line()]
    below: dict[str, list[tuple[Valuation, Decimal]]] = {name: [] for name in reported}
    for valuation in valuations:
        shocked = valuation.shocked_ratio
        for name in reported:
            line = valuation.lines[name]
            if line is not None and shocked is not None and shocked < line:
                below[name].append((valuation, line))

    result_lines = {}
    for name in reported:
        entries = sorted(below[name], key=lambda item: (item[0].shocked_ratio, item[0].account_no))
        total = ZERO
        listed = []
        for valuation, line in entries:
            amount = top_up(valuation.shocked_assets, valuation.shocked_liabilities, line)
            total += amount.cash
            if len(listed) < LIST_LIMIT:
                ratio = valuation.ratio
                listed.append({
                    "account_no": valuation.account_no, "client": valuation.client_no,
                    "client_name": valuation.client_name, "ratio": None if ratio is None else str(ratio),
                    "shocked_ratio": str(valuation.shocked_ratio), "line": str(line),
                    "top_up_cash": _money(amount.cash), "top_up_sell": _money(amount.sell),
                })
        result_lines[name] = {
            "line": _default_line(name, stress_points),
            "top_up_to": name,
            "count": len(entries),
            "listed": len(listed),
            "top_up_total": str(total.quantize(Decimal("0.01"))),
            "accounts": listed,
        }

    restore_total = ZERO
    for valuation, _line in below.get("close_out", []):
        target = valuation.lines["restore_to"]
        if target is not None:
            restore_total += top_up(valuation.shocked_assets, valuation.shocked_liabilities, target).cash
    return {
        "stress_points": str(stress_points),
        "lines": result_lines,
        "restore_to": {
            "below": "close_out",
            "top_up_to": "restore_to",
            "line": _default_line("restore_to", stress_points),
            "count": len(below.get("close_out", [])),
            "top_up_total": str(restore_total.quantize(Decimal("0.01"))),
        },
    }


def _default_line(name: str, stress_points: Decimal) -> str | None:
    """The firm's default line with the stress points (accounts may have their own: see each entry)."""
    default = settings.MARGIN_DEFAULT_LINES.get(name)
    if default is None:
        return None
    return str((Decimal(default) + stress_points / HUNDRED).quantize(LINE_PLACES))


def _any_immediate_line() -> bool:
    return settings.MARGIN_DEFAULT_LINES.get("immediate") is not None or CreditAccount.objects.filter(
        immediate_line__isnull=False).exists()


def validate_shocks(market_shock: Decimal, symbol_shocks: dict[str, Decimal]) -> dict[int, Decimal]:
    """Shocks between −0.99 and +1; every symbol known. Returns the shocks by security id."""
    errors: dict = {}
    if not MIN_SHOCK <= market_shock <= MAX_SHOCK:
        errors["market_shock"] = [str(SHOCK_OUT_OF_RANGE)]
    symbol_errors: dict[str, list[str]] = {}
    known = dict(Security.objects.filter(symbol__in=list(symbol_shocks)).values_list("symbol", "id"))
    for symbol, shock in symbol_shocks.items():
        if symbol not in known:
            symbol_errors[symbol] = [str(UNKNOWN_SYMBOL)]
        elif not MIN_SHOCK <= shock <= MAX_SHOCK:
            symbol_errors[symbol] = [str(SHOCK_OUT_OF_RANGE)]
    if symbol_errors:
        errors["symbol_shocks"] = symbol_errors
    if errors:
        raise ValidationFailed(_("Invalid stress test."), extra=errors)
    return {known[symbol]: shock for symbol, shock in symbol_shocks.items()}


@transaction.atomic
def stress_test_run(*, user: User, market_shock: Decimal, symbol_shocks: dict[str, Decimal] | None = None,
                    open_cases: bool = False) -> StressTest:
    """Run a stress test and save it; with open_cases, open outreach margin calls for the
    accounts that would fall below the warning line."""
    if not may_run(user):
        raise NotAllowed(_("Only risk officers and supervisors may run stress tests."))
    symbol_shocks = symbol_shocks or {}
    security_shocks = validate_shocks(market_shock, symbol_shocks)
    stress_points = active_stress_points()
    valuations = shocked_valuations(market_shock, security_shocks, stress_points)
    result = summarise(valuations, stress_points)
    stress_test = StressTest.objects.create(
        run_by=user, run_at=timezone.now(), market_shock=market_shock,
        symbol_shocks={symbol: str(shock) for symbol, shock in symbol_shocks.items()},
        result=result, open_cases=open_cases,
    )
    if open_cases:
        stress_test.outreach_accounts = [v.account_id for v in valuations if _below(v, "warning")]
        stress_test.outreach_total = len(stress_test.outreach_accounts)
        stress_test.save(update_fields=["outreach_accounts", "outreach_total"])
        if stress_test.outreach_total <= settings.STRESS_OUTREACH_IN_REQUEST:
            stress_test_outreach(stress_test.pk)
            stress_test.refresh_from_db(fields=["cases_opened", "outreach_finished_at"])
        else:
            # Thousands of cases take minutes: more than a request may last. A task opens them
            # after the commit (the test is saved either way); with the broker down, this process
            # does it once the response is sent.
            transaction.on_commit(lambda: _queue_outreach(stress_test.pk))
    return stress_test


def _queue_outreach(stress_test_id: int) -> None:
    from risk.tasks import stress_outreach_task
    from servicedesk.broker import publish

    if not publish(stress_outreach_task, stress_test_id):
        stress_test_outreach(stress_test_id)


def stress_test_outreach(stress_test_id: int) -> int:
    """Open the outreach margin calls of a stress test, a batch of accounts at a time, counting
    them on the test as they open; returns how many this call opened. Idempotent: an account
    with an open margin call (this test's, from a run cut short, or the monitoring's) is passed by."""
    stress_test = StressTest.objects.filter(pk=stress_test_id, open_cases=True).first()
    if stress_test is None or stress_test.outreach_finished_at is not None:
        return 0
    shock = formats.percent(stress_test.market_shock * 100, signed=True)  # as the pages and the form write it
    with translation.override(settings.LANGUAGE_CODE):  # stored in the firm's language, whoever ran it
        reason = _("Stress test %(id)s (market shock %(shock)s): the maintenance ratio would fall below "
                   "the warning line.") % {"id": stress_test.pk, "shock": shock}
    ids, opened = stress_test.outreach_accounts, 0
    for start in range(0, len(ids), OUTREACH_BATCH):
        accounts = CreditAccount.objects.filter(pk__in=ids[start:start + OUTREACH_BATCH]).order_by("pk")
        opened += len(open_outreach_cases(accounts, reason, counted_on=stress_test.pk))
    StressTest.objects.filter(pk=stress_test.pk).update(outreach_finished_at=timezone.now())
    return opened


def _below(valuation: Valuation, name: str) -> bool:
    line, shocked = valuation.lines[name], valuation.shocked_ratio
    return line is not None and shocked is not None and shocked < line


def outreach_subject(account_no: str) -> str:
    """The subject of a stress test's outreach case, in the active language."""
    return _("Outreach: the ratio of %(account)s may fall below the warning line") % {"account": account_no}


def _stored_subject(account_no: str) -> str:
    """The subject as stored: in the firm's language, as the monitoring stores its margin calls'
    (each reader sees it in theirs: risk.subjects), not in the language of the officer who ran the test."""
    with translation.override(settings.LANGUAGE_CODE):
        return outreach_subject(account_no)


def open_outreach_cases(accounts, reason: str, *, counted_on: int | None = None) -> list[Case]:
    """Open an outreach margin call (opened by the system) for each account that has no open
    margin call yet; returns the cases opened. The one place the stress test opens cases. Each
    case is counted on stress test `counted_on` in the transaction that opens it."""
    from cases.services import case_create

    closed_states = CLOSED_STATES[CaseKind.MARGIN_CALL]
    stress_points = active_stress_points()
    opened = []
    for account in accounts:
        with transaction.atomic():
            # The account alone (`of`): its client stays free for an import updating it meanwhile.
            locked = CreditAccount.objects.select_for_update(of=("self",)).select_related("client").get(pk=account.pk)
            valuation = AccountRisk.objects.filter(account=locked).select_related("snapshot").first()
            if valuation is None or Case.objects.filter(credit_account=locked, kind=CaseKind.MARGIN_CALL).exclude(
                    state__in=closed_states).exists():
                continue  # never valued by the monitoring (no ratio to call about), or already called
            try:
                with transaction.atomic():
                    case = case_create(
                        created_by=None, kind=CaseKind.MARGIN_CALL, client=locked.client, credit_account=locked,
                        subject=_stored_subject(locked.account_no),
                        description=reason, channel=Channel.SYSTEM, category=OUTREACH_CATEGORY,
                    )
                    # The monitoring's outreach stage: raised to a margin call with a deadline if the
                    # account falls below close-out, restored only once it has been below warning.
                    below_warning = valuation.level in CALL_LEVELS
                    # Its restore-to line and amounts from that valuation, as the monitoring's own outreach has
                    # them (risk.margin_calls._amounts): left blank, the call showed no line, "no sale restores
                    # it", and kept them until the account's valuation next changed.
                    restore_to = effective_line(locked, "restore_to", stress_points)
                    amounts = top_up(valuation.total_assets, valuation.total_liabilities, restore_to)
                    MarginCall.objects.create(
                        case=case, account=locked, stage=MarginCall.Stage.OUTREACH, opened_snapshot=valuation.snapshot,
                        latest_snapshot=valuation.snapshot, warned_at=timezone.now() if below_warning else None,
                        restore_to=restore_to, top_up_cash=amounts.cash, top_up_sell=amounts.sell)
                    opened.append(case)
                    if counted_on is not None:
                        StressTest.objects.filter(pk=counted_on).update(cases_opened=F("cases_opened") + 1)
            except IntegrityError:
                continue  # the monitoring opened one at the same moment (one open margin call per account)
    return opened


# --- stress mode ---------------------------------------------------------------------------------
STRESS_MODE_LOCK = 7_004_101  # any constant: one change of stress mode at a time
MAX_STRESS_POINTS = Decimal("100")


def _require_risk_officer(user: User) -> None:
    if not (user.is_superuser or user.has_role(Role.RISK_OFFICER)):
        raise NotAllowed(_("Only risk officers may set or lift stress mode."))


def _serialise_stress_mode_changes() -> None:
    """Two officers changing it at once queue up (the unique index on is_active would refuse the
    second outright); SQLite writes one at a time anyway."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [STRESS_MODE_LOCK])


def _revalue_once_committed() -> None:
    """Once the change is committed, every account is revalued against the moved lines."""
    revalue_once_committed("stress_mode")


def revalue_once_committed(trigger: str) -> None:
    """Once the current transaction commits, a monitoring run (on the monitoring queue; with the
    broker down, here and now): after a change that moves lines or balances (a stress mode, an
    account edited in the admin), no officer should wait for the next scheduled run to see what it
    means, nor read the new lines beside the old level."""
    transaction.on_commit(lambda: _revalue(trigger))


def _revalue(trigger: str) -> None:
    from risk.monitoring import monitor_accounts
    from risk.tasks import monitoring_run_task
    from servicedesk.broker import publish

    try:
        # Without a broker the task runs here, in the request: what fails in it (a margin call's
        # deadline in a calendar year with no data) must not answer the change as refused.
        if publish(monitoring_run_task, trigger=trigger):
            return
        monitor_accounts(trigger=trigger)
    except Exception:  # noqa: BLE001 - the change is committed; the next scheduled run revalues
        logger.exception("Revaluing after a change (%s) failed; the next monitoring run will.", trigger)


def stress_mode_active() -> StressMode | None:
    return StressMode.objects.filter(lifted_at__isnull=True).select_related("set_by").first()


@transaction.atomic
def stress_mode_set(*, user: User, points: Decimal, reason: str = "") -> StressMode:
    """Raise every line by `points` percentage points; an active stress mode is lifted first."""
    _require_risk_officer(user)
    if not ZERO < points <= MAX_STRESS_POINTS:
        raise ValidationFailed(_("Invalid stress mode."),
                               extra={"points": [_("Points must be above 0 and at most 100.")]})
    _serialise_stress_mode_changes()
    _revalue_once_committed()
    StressMode.objects.filter(lifted_at__isnull=True).update(lifted_at=timezone.now(), lifted_by=user,
                                                            is_active=False)
    return StressMode.objects.create(points=points, reason=(reason or "").strip(), set_by=user)


@transaction.atomic
def stress_mode_lift(*, user: User) -> StressMode | None:
    """Lift the active stress mode; returns the one lifted. With none set, nothing to do: no line
    moved, so no revaluation of every account either (a repeated DELETE or lift costs nothing)."""
    _require_risk_officer(user)
    _serialise_stress_mode_changes()
    active = StressMode.objects.select_for_update().filter(lifted_at__isnull=True).first()
    if active is not None:
        active.lifted_at, active.lifted_by, active.is_active = timezone.now(), user, False
        active.save(update_fields=["lifted_at", "lifted_by", "is_active"])
        _revalue_once_committed()
    return active
