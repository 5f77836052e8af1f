"""SLA reports: aggregates in SQL (compliance per group and metric, and per day or week; backlog
aging; breaches and near breaches; workload per assignee) and satisfaction (CSAT per group, the
scores' distribution). The SLA report API and the supervisor's dashboard read them."""

import datetime

from django.conf import settings
from django.db import connections
from django.db.models import Avg, Count, DateField, F, FilteredRelation, Max, Min, Q
from django.db.models.functions import Trunc
from django.utils import timezone

from accounts.models import Queue, User
from cases import sla_tally
from cases.models import WORKFLOWS, Case, CaseKind, SatisfactionRating, SlaTimer
from cases.models.ratings import SATISFIED_FROM, SCORES
from cases.models.workflows import ALL_CLOSED_STATES

GROUPS = {
    "queue": "case__queue__code",
    "assignee": "case__assignee__username",
    "kind": "case__kind",
    "tier": "case__client__tier",
    "priority": "case__priority",
}
#: Periods of the compliance trend (sla_compliance's `period`).
TREND_PERIODS = ("day", "week")
AGE_BUCKETS = [("<1d", 0, 1), ("1-3d", 1, 3), ("3-7d", 3, 7), ("7-30d", 7, 30), (">30d", 30, None)]
#: The open-ended oldest bucket (the last) begins where the others end.
OLDEST_FROM = AGE_BUCKETS[-1][1]
assert AGE_BUCKETS[-1][2] is None and OLDEST_FROM == max(high for _label, _low, high in AGE_BUCKETS[:-1])
#: States in which a case is open (the backlog): every workflow state but the closing ones.
OPEN_STATES = sorted({state for workflow in WORKFLOWS.values() for state in workflow.State.values}
                     - set(ALL_CLOSED_STATES))


#: Groups named by a row of another table: counted by its id, named afterwards. Grouped by the name
#: itself, PostgreSQL expects as many groups as there are users (80,000 × 6 metrics at a million
#: cases) and sorts every timer on disk instead of hashing a few hundred groups.
LABELLED_GROUPS = {"queue": ("case__queue_id", Queue, "code"), "assignee": ("case__assignee_id", User, "username")}


def sla_compliance(*, start: datetime.datetime | None, end: datetime.datetime | None, group_by: str | None,
                   period: str | None = None, now: datetime.datetime | None = None,
                   overdue: dict[tuple, int] | None = None, using: str = "default") -> list[dict]:
    """Per group and metric: met, breached, running, compliance % = met ÷ (met + breached), for
    the timers of cases created in [start, end). `group_by` None: all cases as one group (None).
    With `period` ("day" or "week"), per group, period and metric: rows carry "period", the
    local date the cases were created on (weeks start on Monday); the periods of a group add up
    to its figures without them.

    On PostgreSQL the whole days of the range are read from the tally (cases/sla_tally.py) and
    only the hours before the first and after the last whole day from the timers.

    A clock still running past its due moment at `now` is breached, as the case API shows it,
    though the sweep (every minute) has not recorded it yet: counted breached, not running
    (`overdue`: those counts by the rows' keys when the caller has them, overdue_per_group_and_period)."""
    if period is not None and period not in TREND_PERIODS:
        raise ValueError(f"unknown period {period!r}")
    totals: dict[tuple, list[int]] = {}
    days = whole_days(start, end) if sla_tally.in_use(using) else None
    parts = [(start, end)]
    if days is not None:
        first_day, stop_day, parts = days
        for value, metric, period_start, _timers, *figures in sla_tally.counts(
                group_by or "", first_day=first_day, stop_day=stop_day, period=period, using=using):
            _add(totals, (_tally_group(group_by, value), period_start, metric), figures)
    for part_start, part_end in parts:
        for row in _counted_timers(part_start, part_end, group_by, period, using):
            _add(totals, (row.get("group"), row.get("period_start"), row["metric_name"]),
                 (row["met_count"], row["breached_count"], row["running_count"]))
    if overdue is None:
        overdue = overdue_counts(start, end, group_by=group_by, period=period, now=now, using=using)
    for key, count in overdue.items():
        _add(totals, key, (0, count, -count))  # counted running above
    rows = [{"group": group, "period_start": period_start, "metric_name": metric, "met_count": met,
             "breached_count": breached, "running_count": running}
            for (group, period_start, metric), (met, breached, running) in totals.items()]
    if group_by in LABELLED_GROUPS:
        rows = _labelled(rows, *LABELLED_GROUPS[group_by][1:], using=using)
    else:
        rows.sort(key=lambda row: (row["group"] is None, row["group"] or "", row["metric_name"],
                                   row["period_start"] or datetime.date.min))
    return [{"group": row["group"], "metric": row["metric_name"], "met": row["met_count"],
             "breached": row["breached_count"], "running": row["running_count"],
             "compliance": compliance_percent(row["met_count"], row["breached_count"]),
             **({"period": row["period_start"]} if period is not None else {})} for row in rows]


def overdue_counts(start, end, *, group_by: str | None, period: str | None, now: datetime.datetime | None = None,
                   using: str = "default") -> dict[tuple, int]:
    """{(group, period start, metric): clocks past due not recorded yet} (overdue_unrecorded), keyed
    as sla_compliance's rows (None for no group or no period)."""
    rows = _grouped(overdue_unrecorded(start, end, now=now, using=using), group_by, period).annotate(
        overdue=Count("id"))
    return {(row.get("group"), row.get("period_start"), row["metric_name"]): row["overdue"] for row in rows}


def overdue_per_group_and_period(start, end, *, group_by: str | None, period: str, now: datetime.datetime,
                                 using: str = "default") -> tuple[dict[tuple, int], dict[tuple, int]]:
    """The overdue counts of sla_compliance by group (no period) and by period (no group), read in
    one query by group, day and metric (the dashboard shows both)."""
    by_group: dict[tuple, int] = {}
    by_period: dict[tuple, int] = {}
    for (group, day, metric), count in overdue_counts(start, end, group_by=group_by, period="day", now=now,
                                                      using=using).items():
        by_group[(group, None, metric)] = by_group.get((group, None, metric), 0) + count
        first = day if period == "day" else day - datetime.timedelta(days=day.weekday())  # weeks start on Monday
        by_period[(None, first, metric)] = by_period.get((None, first, metric), 0) + count
    return by_group, by_period


def _add(totals: dict, key: tuple, figures) -> None:
    current = totals.setdefault(key, [0, 0, 0])
    for position, figure in enumerate(figures):
        current[position] += figure


def _tally_group(group_by: str | None, value: str):
    """A tally's group value as the timers' query gives it: ids for queues and assignees, None for none."""
    if group_by is None or value == "":
        return None
    return int(value) if group_by in LABELLED_GROUPS else value


def whole_days(start: datetime.datetime | None, end: datetime.datetime | None):
    """The local days wholly inside [start, end) as [first_day, stop_day) (None: unbounded), and
    the hours of the range outside them; None when no day is whole (also after a start on the
    last day Python has: no day begins after it)."""
    zone = timezone.get_default_timezone()
    first_day = stop_day = None
    parts = []
    if start is not None:
        local = start.astimezone(zone)
        if local.time() == datetime.time():
            first_day = local.date()
        elif local.date() == datetime.date.max:
            return None
        else:
            first_day = local.date() + datetime.timedelta(days=1)
        first_midnight = datetime.datetime.combine(first_day, datetime.time(), tzinfo=zone)
        if start < first_midnight:
            parts.append((start, first_midnight))
    if end is not None:
        stop_day = end.astimezone(zone).date()
        stop_midnight = datetime.datetime.combine(stop_day, datetime.time(), tzinfo=zone)
        if stop_midnight < end:
            parts.append((stop_midnight, end))
    if first_day is not None and stop_day is not None and first_day >= stop_day:
        return None
    return first_day, stop_day, parts


def _grouped(timers, group_by: str | None, period: str | None):
    """`timers` as rows of the report's keys: group (if any), period start (if any) and metric."""
    keys = {"metric_name": F("metric")}
    if group_by is not None:
        keys = {"group": F(LABELLED_GROUPS[group_by][0] if group_by in LABELLED_GROUPS else GROUPS[group_by]), **keys}
    if period is not None:
        keys["period_start"] = Trunc("case__created_at", period, output_field=DateField(),
                                     tzinfo=timezone.get_default_timezone())
    return timers.values(**keys).order_by()


def _counted_timers(start, end, group_by: str | None, period: str | None, using: str):
    """The report's counts read from the timers of cases created in [start, end)."""
    timers = timers_of_cases_created(SlaTimer.objects.using(using), start=start, end=end, using=using)
    return _grouped(timers, group_by, period).annotate(
        met_count=Count("id", filter=Q(state=SlaTimer.State.MET, breached=False)),
        breached_count=Count("id", filter=Q(breached=True)),
        running_count=Count("id", filter=Q(stopped_at__isnull=True, breached=False)),
    )


def overdue_unrecorded(start=None, end=None, *, now: datetime.datetime | None = None, using: str = "default"):
    """The clocks of cases created in [start, end) running past their due moment at `now` that
    the sweep has not marked breached yet (a minute's worth at most while beat runs), and those
    paused after running their whole target (cases.sla_status.reached_target): breached for the
    reports as for the case API. Read from the (state, due_at) index and the paused ones: a handful
    of rows, each joined to its case for the range."""
    timers = SlaTimer.objects.using(using).filter(_unrecorded_breach_q(now or timezone.now(), ""))
    return _of_cases_created(timers, start, end)


def _of_cases_created(timers, start, end):
    """`timers` of cases created in [start, end), filtered on the cases' own dates (for the few rows
    of a partial index; timers_of_cases_created narrows a whole range by case ids first)."""
    if start:
        timers = timers.filter(case__created_at__gte=start)
    if end:
        timers = timers.filter(case__created_at__lt=end)
    return timers


def timers_of_cases_created(timers, *, start: datetime.datetime | None, end: datetime.datetime | None,
                            using: str = "default"):
    """`timers` narrowed to those of cases created in [start, end).

    Case ids grow with creation time, so the cases of a range hold a narrow band of ids: the
    timers are also bounded by that band's lowest and highest case id, which the (case, metric,
    cycle) index finds directly instead of every timer being read and joined (a month at a
    million cases: 75,000 timers read instead of 1.8 million). Exact whatever the order of ids
    and dates: the cases' own dates still decide, the band only leaves out timers of cases
    outside the range."""
    if not (start or end):
        return timers
    cases = Case.objects.using(using)
    if start:
        cases, timers = cases.filter(created_at__gte=start), timers.filter(case__created_at__gte=start)
    if end:
        cases, timers = cases.filter(created_at__lt=end), timers.filter(case__created_at__lt=end)
    # The count keeps PostgreSQL from answering MIN and MAX by walking the primary key in order.
    band = cases.aggregate(lowest=Min("id"), highest=Max("id"), count=Count("id"))
    if not band["count"]:
        return timers.none()
    return timers.filter(case_id__gte=band["lowest"], case_id__lte=band["highest"])


def _labelled(rows: list[dict], model, label: str, *, using: str) -> list[dict]:
    """Rows grouped by `model` ids, named by its `label` and ordered as grouping by the label
    would have them (the database's collation and its place for no group)."""
    ids = {row["group"] for row in rows if row["group"] is not None}
    ranked = model.objects.using(using).filter(pk__in=ids).order_by(label, "pk").values_list("pk", label)
    names, rank = {}, {}
    for position, (pk, name) in enumerate(ranked):  # the labels are unique: one place each
        names[pk], rank[pk] = name, position
    nulls_last = connections[using].features.nulls_order_largest
    none_rank = len(rank) if nulls_last else -1
    rows = [{**row, "rank": rank.get(row["group"], none_rank), "group": names.get(row["group"])} for row in rows]
    return sorted(rows, key=lambda row: (row["rank"], row.get("period_start") or datetime.date.min,
                                         row["metric_name"]))


def backlog_aging(*, now: datetime.datetime | None = None, using: str = "default") -> list[dict]:
    """Open cases by kind and age bucket. Each kind's open cases are counted from the (kind, state)
    index alone and the buckets of the last days from the cases created since (the created_at
    index); the open-ended oldest bucket is the difference. Two small queries instead of reading
    every case (a fifth of a million open cases among a million)."""
    now = now or timezone.now()
    # Every kind named too: both columns of the (kind, state) index then bound the scan to the
    # open cases' entries instead of every entry being read and filtered.
    open_cases = Case.objects.using(using).filter(kind__in=CaseKind.values, state__in=OPEN_STATES)
    totals = dict(open_cases.values("kind").annotate(count=Count("id")).order_by().values_list("kind", "count"))
    aggregates = {"recent": Count("id")}  # created after the oldest bucket began (or after now)
    for index, (_label, low, high) in enumerate(AGE_BUCKETS):
        if high is not None:
            aggregates[f"bucket_{index}"] = Count("id", filter=Q(
                created_at__lte=now - datetime.timedelta(days=low), created_at__gt=now - datetime.timedelta(days=high)))
    recent = {row["kind"]: row for row in open_cases.filter(created_at__gt=now - datetime.timedelta(days=OLDEST_FROM))
              .values("kind").annotate(**aggregates).order_by()}
    rows = []
    for kind in sorted(totals):
        counts = recent.get(kind, {})
        rows.append({"kind": kind, **{
            label: counts.get(f"bucket_{index}", 0) if high is not None else totals[kind] - counts.get("recent", 0)
            for index, (label, _low, high) in enumerate(AGE_BUCKETS)}})
    return rows


#: What a breach or near-breach row shows (long texts of the case stay in the database): the queue's
#: and the assignee's names for the dashboard, their code and username for the API; the case's
#: state too, which its workflow mixin reads as each row is loaded.
TIMER_LIST_COLUMNS = ("metric", "due_at", "stopped_at", "case__number", "case__subject", "case__state",
                      "case__queue__code", "case__queue__name", "case__queue__name_en",
                      "case__assignee__username", "case__assignee__first_name", "case__assignee__last_name")


def breach_list(*, start=None, end=None, limit: int = 200, now: datetime.datetime | None = None,
                using: str = "default") -> list[SlaTimer]:
    """The latest breaches (by due moment) of cases created in [start, end): the clocks marked
    breached and those running past their due moment the sweep has not marked yet."""
    recorded = _of_cases_created(SlaTimer.objects.using(using).filter(breached=True), start, end)
    timers = [
        timer
        for part in (recorded, overdue_unrecorded(start, end, now=now, using=using))
        for timer in part.select_related("case", "case__queue", "case__assignee").only(*TIMER_LIST_COLUMNS)
        .order_by("-due_at", "-id")[:limit]
    ]
    # A clock paused after its breach has no due moment: placed where the database's ordering puts
    # it (PostgreSQL: first, SQLite: last), or a part read `limit` long would miss what it displaced.
    missing = (datetime.datetime.max if connections[using].features.nulls_order_largest
               else datetime.datetime.min).replace(tzinfo=datetime.timezone.utc)
    return sorted(timers, key=lambda timer: (timer.due_at or missing, timer.pk), reverse=True)[:limit]


def csat(*, start: datetime.datetime | None = None, end: datetime.datetime | None = None, group_by: str,
         using: str = "default") -> list[dict]:
    """Per group (the SLA report's groups, by the rated case): how many ratings, the average score
    and the share satisfied (score of SATISFIED_FROM or more), for ratings given in [start, end)."""
    ratings = SatisfactionRating.objects.using(using)
    if start:
        ratings = ratings.filter(created_at__gte=start)
    if end:
        ratings = ratings.filter(created_at__lt=end)
    rows = (ratings.values(group=F(GROUPS[group_by]))
            .annotate(ratings=Count("id"), average_score=Avg("score"),
                      satisfied=Count("id", filter=Q(score__gte=SATISFIED_FROM)))
            .order_by("group"))
    return [{"group": row["group"], "count": row["ratings"], "average": round(float(row["average_score"]), 2),
             "satisfied_percent": round(100.0 * row["satisfied"] / row["ratings"], 1)} for row in rows]


def report_database() -> str:
    """Reports read the replica when there is one (DATABASE_REPLICA_URL)."""
    return "replica" if "replica" in settings.DATABASES else "default"


def compliance_percent(met: int, breached: int) -> float | None:
    """met ÷ (met + breached) in %, one decimal; None when nothing was decided."""
    decided = met + breached
    return round(100.0 * met / decided, 1) if decided else None


def _unrecorded_past_q(now: datetime.datetime, share: str, prefix: str) -> Q:
    """Clocks running now, not marked breached, past their 75 % warning (`share` "warn_75_at") or
    their due moment ("due_at") at `now`."""
    return Q(**{f"{prefix}state": SlaTimer.State.RUNNING, f"{prefix}breached": False, f"{prefix}{share}__lte": now})


def _unrecorded_breach_q(now: datetime.datetime, prefix: str) -> Q:
    """Clocks that reached their target at `now` and are not marked breached yet, as the case shows
    them (cases.sla_status.reached_target): running past their due moment, or paused after running
    their whole target (the sweep records both). A paused one has its level still to fire as its
    next alert, due (the sweep's own condition): read through that index and the state's, a few
    rows, not every paused clock (40 ms warm, 1.3 s cold at the bench's 22,679)."""
    paused = Q(**{f"{prefix}state": SlaTimer.State.PAUSED, f"{prefix}breached": False,
                  f"{prefix}next_alert_at__lte": now,
                  f"{prefix}elapsed_seconds__gte": F(f"{prefix}target_seconds")})
    return _unrecorded_past_q(now, "due_at", prefix) | paused


def near_breach_q(now: datetime.datetime, relation: str = "") -> Q:
    """Timers whose clock runs now, past their 75 % warning and not due yet (through `relation`
    when given); a clock past its due moment is a breach (overdue_unrecorded), recorded or not."""
    prefix = f"{relation}__" if relation else ""
    return _unrecorded_past_q(now, "warn_75_at", prefix) & Q(**{f"{prefix}due_at__gt": now})


def near_breach_list(*, now: datetime.datetime | None = None, limit: int = 200, using: str = "default"):
    """Running timers past 75 % of their target, the soonest due first (the (state, due_at) index)."""
    now = now or timezone.now()
    return (SlaTimer.objects.using(using).filter(near_breach_q(now))
            .select_related("case", "case__queue", "case__assignee").only(*TIMER_LIST_COLUMNS)
            .order_by("due_at", "id")[:limit])


def workload(*, now: datetime.datetime | None = None, using: str = "default") -> list[dict]:
    """Per assignee: open cases, open cases with a clock breached now and open cases with a
    clock past 75 % of its target (near_breach_q); busiest first. One pass over the index of open
    assigned cases, joined to the flagged clocks only, read from the running clocks' index
    (sla_timer_one_active_per_metric carries what is asked of them; only open cases have clocks
    that have not stopped: cases/sla_engine.py stops them when a case closes); a case counts once
    however many of its clocks are flagged."""
    now = now or timezone.now()
    clock_runs = Q(sla_timers__stopped_at__isnull=True)
    flagged = Case.objects.using(using).annotate(flagged=FilteredRelation(
        "sla_timers", condition=clock_runs & (Q(sla_timers__breached=True)
                                              | _unrecorded_past_q(now, "warn_75_at", "sla_timers__")
                                              | _unrecorded_breach_q(now, "sla_timers__"))))
    breached_now = Q(flagged__breached=True) | _unrecorded_breach_q(now, "flagged__")
    rows = (flagged.filter(state__in=OPEN_STATES, assignee__isnull=False).values("assignee_id")
            .annotate(open_count=Count("id", distinct=True),
                      breached_count=Count("flagged__case_id", distinct=True, filter=breached_now),
                      near_count=Count("flagged__case_id", distinct=True, filter=near_breach_q(now, "flagged")))
            .order_by())
    counts = {row["assignee_id"]: {"open": row["open_count"], "breached": row["breached_count"],
                                   "near_breach": row["near_count"]} for row in rows}
    names = dict(User.objects.using(using).filter(pk__in=counts).values_list("pk", "username"))
    result = [{"assignee": names.get(pk), **entry} for pk, entry in counts.items()]
    return sorted(result, key=lambda row: (-row["open"], -row["breached"], row["assignee"] or ""))


def csat_distribution(*, start: datetime.datetime | None = None, end: datetime.datetime | None = None,
                      using: str = "default") -> list[dict]:
    """How many ratings gave each score (1 to 5, every score listed), for ratings given in [start, end)."""
    ratings = SatisfactionRating.objects.using(using)
    if start:
        ratings = ratings.filter(created_at__gte=start)
    if end:
        ratings = ratings.filter(created_at__lt=end)
    found = dict(ratings.values("score").annotate(count=Count("id")).order_by().values_list("score", "count"))
    return [{"score": score, "count": found.get(score, 0)} for score in SCORES]
