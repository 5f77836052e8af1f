"""The dashboard's tables, built from cases/reports.py: each table is what the page shows and
what its CSV export holds (tables.Table). The charts are drawn from the same tables. Queues and
people by their names in the reader's language (the reports give codes and usernames)."""

import datetime
from functools import cached_property
from operator import itemgetter

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Queue, Tier, User
from accounts.names import full_name
from cases import reports
from cases.models import CaseKind, Metric, Priority
from cases.web.supervisor.filters import GROUP_CHOICES, ReportRange
from cases.web.supervisor.tables import CASE, DATETIME, NUMBER, PERCENT, SLA, Column, Table

#: Rows of the breached and near-breach lists (page and CSV alike).
LIST_LIMIT = 100
METRICS = list(Metric)
CHOICE_LABELS = {"kind": CaseKind, "priority": Priority, "tier": Tier}
#: The backlog's age columns in the reader's language (the report's codes, as the API names them).
# Translators: the backlog's age columns, "d" for days: under a day, 1 to 3 days, … over 30 days.
AGE_LABELS = {"<1d": gettext_lazy("<1d"), "1-3d": gettext_lazy("1-3d"), "3-7d": gettext_lazy("3-7d"),
              "7-30d": gettext_lazy("7-30d"), ">30d": gettext_lazy(">30d")}
assert set(AGE_LABELS) == {label for label, _low, _high in reports.AGE_BUCKETS}


def group_label(group_by: str, value, names: dict[str, str] | None = None) -> str:
    """A group's name: a choice's label, or from `names` (Figures.names_of: queues and people)."""
    if value is None or value == "":
        return _("Unassigned") if group_by == "assignee" else _("(none)")
    if group_by in CHOICE_LABELS:
        return str(dict(CHOICE_LABELS[group_by].choices).get(value, value))
    return (names or {}).get(value, str(value))


def in_choice_order(group_by: str, items, group=lambda item: item) -> list:
    """`items` (by their `group`) in the order of the grouping's choice (kind, priority, tier), Low
    before Normal before High (the report sorts by code: high, low, normal, urgent); the others as
    they come; no group last."""
    items = list(items)
    if group_by not in CHOICE_LABELS:
        return items
    order = {value: position for position, value in enumerate(CHOICE_LABELS[group_by].values)}
    return sorted(items, key=lambda item: order.get(group(item), len(order)))


def _group_title(group_by: str) -> str:
    return str(dict(GROUP_CHOICES)[group_by])


def _metric_label(metric: str) -> str:
    return str(dict(Metric.choices).get(metric, metric))


def _add(totals: dict, metric: str, met: int, breached: int, running: int = 0) -> None:
    entry = totals.setdefault(metric, {"met": 0, "breached": 0, "running": 0})
    entry["met"] += met
    entry["breached"] += breached
    entry["running"] += running
    entry["compliance"] = reports.compliance_percent(entry["met"], entry["breached"])


class Figures:
    """What the tables are built from, each fetched once per request."""

    def __init__(self, report: ReportRange, *, using: str, now: datetime.datetime):
        self.report, self.using, self.now = report, using, now
        self._people: dict[str, str] = {}

    @cached_property
    def queue_names(self) -> dict[str, str]:
        """Queue codes → names in the reader's language (a handful of queues)."""
        return {queue.code: queue.localized_name for queue in Queue.objects.using(self.using)}

    def people(self, usernames) -> dict[str, str]:
        """Usernames → the names the pages show (User.display_name); one query for those not
        looked up yet (an empty `__in` runs none)."""
        wanted = {username for username in usernames if username and username not in self._people}
        for username, first, last in (User.objects.using(self.using).filter(username__in=wanted)
                                      .values_list("username", "first_name", "last_name")):
            self._people[username] = full_name(first, last) or username
        return self._people

    def names_of(self, group_by: str, values) -> dict[str, str]:
        """Names for the groups of a report grouped by queue or by assignee (codes, usernames)."""
        if group_by == "queue":
            return self.queue_names
        if group_by == "assignee":
            return self.people(values)
        return {}

    @cached_property
    def overdue(self) -> tuple[dict, dict]:
        """The clocks past due not swept yet, by group and by period, in one query for both tables."""
        report = self.report
        return reports.overdue_per_group_and_period(report.start, report.end, group_by=report.group_by,
                                                    period=report.period, now=self.now, using=self.using)

    @cached_property
    def compliance_rows(self) -> list[dict]:
        report = self.report
        return reports.sla_compliance(start=report.start, end=report.end, group_by=report.group_by,
                                      now=self.now, overdue=self.overdue[0], using=self.using)

    @cached_property
    def trend_rows(self) -> list[dict]:
        """All groups together per period: a few hundred rows however many groups there are
        (per group and period they would be tens of thousands for the agents)."""
        report = self.report
        return reports.sla_compliance(start=report.start, end=report.end, group_by=None, period=report.period,
                                      now=self.now, overdue=self.overdue[1], using=self.using)


def compliance(figures: Figures) -> Table:
    """Compliance per group (rows) and metric (columns), with the range's total underneath."""
    report = figures.report
    counts, totals = {}, {}
    for row in figures.compliance_rows:
        counts.setdefault(row["group"], {})[row["metric"]] = {
            key: row[key] for key in ("met", "breached", "running", "compliance")}
        _add(totals, row["metric"], row["met"], row["breached"], row["running"])
    names = figures.names_of(report.group_by, counts)
    rows = [{"group": group_label(report.group_by, group, names), **counts[group]}
            for group in in_choice_order(report.group_by, counts)]
    columns = [Column("group", _group_title(report.group_by))]
    columns += [Column(metric.value, str(metric.label), SLA) for metric in METRICS]
    footer = [{"group": _("All"), **totals}] if rows else []
    return Table("compliance", _("SLA compliance by %(group)s") % {"group": _group_title(report.group_by).lower()},
                 columns, rows, footer=footer,
                 note=_("Compliance = met ÷ (met + breached), timers of cases created in the range."))


def _periods(report: ReportRange) -> list[datetime.date]:
    if report.period == "week":
        day, step = report.first - datetime.timedelta(days=report.first.weekday()), 7
    else:
        day, step = report.first, 1
    periods = []
    while day <= report.last:
        periods.append(day)
        day += datetime.timedelta(days=step)
    return periods


def trend(figures: Figures) -> Table:
    """Compliance per day or week: all metrics together, then each metric."""
    report = figures.report
    found: dict[datetime.date, dict] = {}
    for row in figures.trend_rows:
        per_period = found.setdefault(row["period"], {})
        _add(per_period, row["metric"], row["met"], row["breached"])
        _add(per_period, "all", row["met"], row["breached"])
    rows = []
    for period in _periods(report):
        figures_of_period = found.get(period, {})
        rows.append({"period": period.isoformat(),
                     **{key: value["compliance"] for key, value in figures_of_period.items()}})
    title = _("Week starting") if report.period == "week" else _("Day")
    columns = [Column("period", title), Column("all", _("All metrics"), PERCENT)]
    columns += [Column(metric.value, str(metric.label), PERCENT) for metric in METRICS]
    return Table("trend", _("Compliance trend"), columns, rows)


def trend_chart(table: Table) -> dict:
    """Chart.js data from the trend table: one line per column that has any figure."""
    datasets = [{"key": column.key, "label": column.label, "data": [row.get(column.key) for row in table.rows]}
                for column in table.columns[1:]]
    return {"labels": [row["period"] for row in table.rows],
            "datasets": [dataset for dataset in datasets if any(value is not None for value in dataset["data"])],
            "axis": _("Compliance (%)")}


def _timer_row(timer) -> dict:
    case = timer.case  # with its queue's and assignee's names (reports.TIMER_LIST_COLUMNS)
    return {"case": case.number, "subject": case.subject, "metric": _metric_label(timer.metric),
            "due_at": timer.due_at, "stopped_at": timer.stopped_at,
            "queue": case.queue.localized_name if case.queue else None,
            "assignee": case.assignee.display_name if case.assignee else None}


def _timer_columns(*moments: Column) -> list[Column]:
    return [Column("case", _("Case"), CASE), Column("subject", _("Subject")), Column("metric", _("Metric")),
            *moments, Column("queue", _("Queue")), Column("assignee", _("Agent"))]


def breaches(figures: Figures) -> Table:
    report = figures.report
    timers = reports.breach_list(start=report.start, end=report.end, limit=LIST_LIMIT, now=figures.now,
                                 using=figures.using)
    columns = _timer_columns(Column("due_at", _("Due"), DATETIME), Column("stopped_at", _("Stopped"), DATETIME))
    return Table("breaches", _("Breached"), columns, [_timer_row(timer) for timer in timers],
                 note=_("The latest %(count)d breaches of cases created in the range.") % {"count": LIST_LIMIT})


def near_breach(figures: Figures) -> Table:
    timers = reports.near_breach_list(now=figures.now, limit=LIST_LIMIT, using=figures.using)
    return Table("near_breach", _("Near breach"), _timer_columns(Column("due_at", _("Due"), DATETIME)),
                 [_timer_row(timer) for timer in timers],
                 note=_("Clocks running now past 75 %% of their target, the soonest due first (up to %(count)d).")
                 % {"count": LIST_LIMIT})


def backlog(figures: Figures) -> Table:
    labels = [label for label, _low, _high in reports.AGE_BUCKETS]
    rows, totals = [], {label: 0 for label in [*labels, "total"]}
    for row in reports.backlog_aging(now=figures.now, using=figures.using):
        counts = {label: row[label] for label in labels}
        counts["total"] = sum(counts.values())
        rows.append({"kind": group_label("kind", row["kind"]), **counts})
        for label, count in counts.items():
            totals[label] += count
    columns = [Column("kind", _("Kind")), *[Column(label, str(AGE_LABELS[label]), NUMBER) for label in labels],
               Column("total", _("Total"), NUMBER)]
    return Table("backlog", _("Backlog aging"), columns, rows, footer=[{"kind": _("All"), **totals}] if rows else [],
                 note=_("Open cases now, by age."))


def workload(figures: Figures) -> Table:
    found = reports.workload(now=figures.now, using=figures.using)
    names = figures.people(row["assignee"] for row in found)
    rows = [{**row, "assignee": group_label("assignee", row["assignee"], names)} for row in found]
    columns = [Column("assignee", _("Agent")), Column("open", _("Open cases"), NUMBER),
               Column("breached", _("Breached"), NUMBER), Column("near_breach", _("Near breach"), NUMBER)]
    return Table("workload", _("Workload per agent"), columns, rows,
                 note=_("Open cases now; breached: those with a clock past its due moment; near breach: those "
                        "with a clock past three quarters of its target, not due yet."))


def csat_scores(figures: Figures) -> Table:
    report = figures.report
    scores = reports.csat_distribution(start=report.start, end=report.end, using=figures.using)
    total = sum(row["count"] for row in scores)
    rows = [{"score": row["score"], "count": row["count"],
             "share": round(100.0 * row["count"] / total, 1) if total else None} for row in scores]
    footer = [{"score": _("All"), "count": total,
               "average": _score(sum(row["score"] * row["count"] for row in scores) / total) if total else None}]
    columns = [Column("score", _("Score")), Column("count", _("Ratings"), NUMBER), Column("share", _("Share"), PERCENT),
               Column("average", _("Average score"), NUMBER)]
    return Table("csat_scores", _("Satisfaction scores"), columns, rows, footer=footer,
                 note=_("Ratings given in the range (1 to 5)."))


def csat_groups(figures: Figures) -> Table:
    report = figures.report
    found = reports.csat(start=report.start, end=report.end, group_by=report.group_by, using=figures.using)
    names = figures.names_of(report.group_by, (row["group"] for row in found))
    rows = [{**row, "group": group_label(report.group_by, row["group"], names), "average": _score(row["average"])}
            for row in in_choice_order(report.group_by, found, group=itemgetter("group"))]
    columns = [Column("group", _group_title(report.group_by)), Column("count", _("Ratings"), NUMBER),
               Column("average", _("Average score"), NUMBER), Column("satisfied_percent", _("Satisfied"), PERCENT)]
    return Table("csat", _("Satisfaction by %(group)s") % {"group": _group_title(report.group_by).lower()},
                 columns, rows)


def _score(value: float) -> str:
    """An average score as shown and exported: two decimals."""
    return f"{value:.2f}"


def csat_chart(table: Table) -> dict:
    return {"labels": [str(row["score"]) for row in table.rows], "data": [row["count"] for row in table.rows],
            "label": _("Ratings")}


#: Every table of the dashboard, by the name its export URL uses, in the page's order.
TABLES = {
    "compliance": compliance, "trend": trend, "breaches": breaches, "near_breach": near_breach,
    "backlog": backlog, "workload": workload, "csat_scores": csat_scores, "csat": csat_groups,
}


def figures_for(report: ReportRange, *, now: datetime.datetime | None = None) -> Figures:
    return Figures(report, using=reports.report_database(), now=now or timezone.now())
