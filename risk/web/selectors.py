"""Reads behind the risk pages: set-based aggregates over the monitoring's latest valuation of
each account (risk.models.AccountRisk, what the monitoring API and the runs read), keyset pages
of the accounts at one level, and short lists of stress tests and stress modes."""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db.models import Count, Prefetch, Q

from accounts.ratio import RATIO_MAX_DIGITS, RATIO_PLACES
from cases.models import Case, CaseKind
from risk.lines import HUNDRED
from risk.margin_calls import OPEN_STATES
from risk.models import LEVEL_ORDER, AccountAlert, AccountRisk, Level, MonitoringRun, StressMode, StressTest
from risk.selectors import stress_tests_summarised
from servicedesk.shared_cache import cache_get, cache_set

#: Edges of the ratio histogram (ratios: 1.10 = 110 %): below 100 %, 10-point steps to 200 %,
#: then 200–250 %, 250–300 % and 300 % and above. The default lines (130, 140, 150 %) are edges.
DISTRIBUTION_EDGES = tuple(Decimal(edge) for edge in (
    "1.00", "1.10", "1.20", "1.30", "1.40", "1.50", "1.60", "1.70", "1.80", "1.90", "2.00", "2.50", "3.00"))
PAGE_SIZE = 50
SUMMARY_CACHE_SECONDS = 600
MAX_ID = 2**63
MAX_RATIO = Decimal(10) ** (RATIO_MAX_DIGITS - RATIO_PLACES)  # risk.models.MAINTENANCE_RATIO


@dataclass(frozen=True)
class Bucket:
    low: Decimal | None  # None: open below
    high: Decimal | None  # None: open above
    count: int
    level: str  # the level of a ratio at the bucket's lower edge, by the firm's default lines


@dataclass
class RiskSummary:
    levels: dict[str, int]
    buckets: list[Bucket]

    @property
    def valued(self) -> int:
        return sum(self.levels.values())


def _bucket_bounds(edges=DISTRIBUTION_EDGES) -> list[tuple[Decimal | None, Decimal | None]]:
    bounds = [None, *edges, None]
    return list(zip(bounds, bounds[1:], strict=False))


def default_level_of(ratio: Decimal | None, stress_points: Decimal) -> str:
    """The level a ratio has against the firm's default lines raised by the stress points."""
    if ratio is None:
        return Level.NO_LIABILITY
    lines = settings.MARGIN_DEFAULT_LINES
    raise_by = stress_points / HUNDRED
    for level, name in ((Level.IMMEDIATE, "immediate"), (Level.CLOSE_OUT, "close_out"),
                        (Level.WARNING, "warning"), (Level.ATTENTION, "attention")):
        if lines.get(name) is not None and ratio < Decimal(lines[name]) + raise_by:
            return level
    return Level.NORMAL


def _summary_counts() -> dict[str, int]:
    aggregates = {f"level_{level}": Count("pk", filter=Q(level=level)) for level in Level.values}
    bounds = _bucket_bounds()
    for i, (low, high) in enumerate(bounds):
        q = Q(maintenance_ratio__isnull=False)
        if low is not None:
            q &= Q(maintenance_ratio__gte=low)
        if high is not None:
            q &= Q(maintenance_ratio__lt=high)
        aggregates[f"bucket_{i}"] = Count("pk", filter=q)
    return {name: count or 0 for name, count in AccountRisk.objects.aggregate(**aggregates).items()}


def risk_summary(stress_points: Decimal = Decimal(0), run: MonitoringRun | None = None) -> RiskSummary:
    """Accounts per level and per ratio bucket: one aggregate query over AccountRisk, kept in the
    cache for the monitoring run `run` (the latest), since only a run changes AccountRisk; a
    newer run is a new key. (About 0.5 s at 300,000 accounts on PostgreSQL without the cache.)"""
    bounds = _bucket_bounds()
    key = f"risk_pages:summary:{run.pk}" if run is not None else None
    row = cache_get(key) if key else None
    if row is None:
        row = _summary_counts()
        if key:
            cache_set(key, row, SUMMARY_CACHE_SECONDS)
    levels = {level: row[f"level_{level}"] for level in LEVEL_ORDER}
    buckets = [
        Bucket(low, high, row[f"bucket_{i}"],
               default_level_of(low if low is not None else Decimal(0), stress_points))
        for i, (low, high) in enumerate(bounds)
    ]
    return RiskSummary(levels, buckets)


def latest_monitoring_run() -> MonitoringRun | None:
    return MonitoringRun.objects.order_by("-id").first()


def open_alerts_by_line() -> dict[str, int]:
    rows = AccountAlert.objects.filter(state=AccountAlert.State.OPEN).values("line").annotate(n=Count("id"))
    return {row["line"]: row["n"] for row in rows.order_by()}


def open_margin_call_count() -> int:
    return Case.objects.filter(kind=CaseKind.MARGIN_CALL, state__in=OPEN_STATES).count()


def liquidation_decisions(limit: int = 50) -> tuple[list[Case], int]:
    """Margin calls past their deadline, waiting for the risk officers (one proposes, another
    approves or declines): the earliest deadline first, at most `limit`, and how many in all."""
    pending = Case.objects.filter(kind=CaseKind.MARGIN_CALL, state="liquidation_pending")
    cases = list(pending.select_related("client", "credit_account", "proposed_by", "margin_call",
                                        "margin_call__latest_snapshot")
                 .order_by("margin_call__deadline", "id")[:limit])
    return cases, len(cases) if len(cases) < limit else pending.count()


# --- the accounts at one level, a keyset page at a time ----------------------------------------

class BadCursor(ValueError):
    pass


@dataclass
class AccountPage:
    rows: list[AccountRisk]
    next_cursor: str | None = None
    previous_cursor: str | None = None
    first: bool = True


def _keys(level: str) -> tuple[str, ...]:
    """Worst first: by ratio then account; accounts with no liability have no ratio."""
    return ("account_id",) if level == Level.NO_LIABILITY else ("maintenance_ratio", "account_id")


def _encode(row: AccountRisk, keys: tuple[str, ...]) -> str:
    return "~".join(str(getattr(row, key)) for key in keys)


def _decode(cursor: str, keys: tuple[str, ...]) -> tuple:
    """The key values of a cursor; BadCursor unless each fits its column (a ratio of 28 digits
    with 4 places, a positive 64-bit id), so no input reaches the database unchecked."""
    parts = cursor.split("~")
    if len(parts) != len(keys):
        raise BadCursor(cursor)
    values = []
    for key, part in zip(keys, parts, strict=True):
        try:
            value = int(part) if key == "account_id" else Decimal(part)
        except (ValueError, InvalidOperation):
            raise BadCursor(cursor) from None
        if key == "account_id" and not 0 < value < MAX_ID:
            raise BadCursor(cursor)
        if key != "account_id" and not (value.is_finite() and abs(value) < MAX_RATIO):
            raise BadCursor(cursor)
        values.append(value)
    return tuple(values)


def _beyond(keys: tuple[str, ...], values: tuple, lookup: str) -> Q:
    """Rows strictly after (gt) or before (lt) the key values in (k1, k2, …) order."""
    q = None
    for i, key in enumerate(keys):
        step = Q(**{key: value for key, value in zip(keys[:i], values[:i], strict=True)},
                 **{f"{key}__{lookup}": values[i]})
        q = step if q is None else q | step
    return q


def accounts_at_level(level: str, *, after: str | None = None, before: str | None = None,
                      size: int = PAGE_SIZE) -> AccountPage:
    """One page of the accounts whose latest valuation is at `level`, worst first, with the
    account, client and the open margin call of each (three queries whatever the page size).
    No COUNT of the level's rows: the page knows only whether there is a next or previous one.

    The page's keys are found first on the narrow risk table alone (a top-N sort of the level's
    rows), then its rows are read with their joins: sorting the joined rows of a level with
    100,000 accounts would spill to disk."""
    keys = _keys(level)
    ordering = [f"-{key}" for key in keys] if before else list(keys)
    matching = AccountRisk.objects.filter(level=level)
    if before or after:
        matching = matching.filter(_beyond(keys, _decode(before or after, keys), "lt" if before else "gt"))
    found = list(matching.order_by(*ordering).values_list(*keys)[:size + 1])
    has_more = len(found) > size
    found = found[:size]
    if before:
        found.reverse()
    open_calls = Case.objects.filter(kind=CaseKind.MARGIN_CALL, state__in=OPEN_STATES).select_related(
        "margin_call").order_by("-id")
    by_account = AccountRisk.objects.filter(account_id__in=[values[-1] for values in found]).select_related(
        "account", "account__client").prefetch_related(
        Prefetch("account__cases", queryset=open_calls, to_attr="open_margin_calls")).in_bulk()
    rows = [by_account[values[-1]] for values in found if values[-1] in by_account]
    if before:
        page = AccountPage(rows, first=not has_more)
        page.next_cursor = _encode(rows[-1], keys) if rows else None
        page.previous_cursor = _encode(rows[0], keys) if rows and has_more else None
    else:
        page = AccountPage(rows, first=not after)
        page.next_cursor = _encode(rows[-1], keys) if rows and has_more else None
        page.previous_cursor = _encode(rows[0], keys) if rows and after else None
    return page


# --- stress tests and stress modes ---------------------------------------------------------------

def stress_tests_recent(*, offset: int = 0, size: int = 20) -> tuple[list[StressTest], bool]:
    """Saved stress tests, newest first, with the headline numbers read out of the stored result
    in SQL (risk.selectors.stress_tests_summarised: the per-account lists stay in the database); and
    whether more follow."""
    rows = list(stress_tests_summarised().order_by("-run_at", "-id")[offset:offset + size + 1])
    return rows[:size], len(rows) > size


def stress_modes_recent(size: int = 10) -> list[StressMode]:
    return list(StressMode.objects.select_related("set_by", "lifted_by").order_by("-set_at", "-id")[:size])
