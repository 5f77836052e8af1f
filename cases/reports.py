"""SLA reports: aggregates in SQL (compliance per group and metric, backlog aging, breaches) and
satisfaction (CSAT per group)."""

import datetime

from django.db import connections
from django.db.models import Avg, Count, F, Q
from django.utils import timezone

from accounts.models import Queue, User
from cases.models import Case, SatisfactionRating, SlaTimer
from cases.models.ratings import SATISFIED_FROM
from cases.models.workflows import ALL_CLOSED_STATES

GROUPS = {
    "queue": "case__queue__code",
    "assignee": "case__assignee__username",
    "kind": "case__kind",
    "tier": "case__client__tier",
    "priority": "case__priority",
}
AGE_BUCKETS = [("<1d", 0, 1), ("1-3d", 1, 3), ("3-7d", 3, 7), ("7-30d", 7, 30), (">30d", 30, None)]


#: Groups named by a row of another table: counted by its id, named afterwards. Grouped by the name
#: itself, PostgreSQL expects as many groups as there are users (80,000 × 6 metrics at a million
#: cases) and sorts every timer on disk instead of hashing a few hundred groups.
LABELLED_GROUPS = {"queue": ("case__queue_id", Queue, "code"), "assignee": ("case__assignee_id", User, "username")}


def sla_compliance(*, start: datetime.datetime | None, end: datetime.datetime | None, group_by: str,
                   using: str = "default") -> list[dict]:
    """Per group and metric: met, breached, running, compliance % = met ÷ (met + breached)."""
    field = LABELLED_GROUPS[group_by][0] if group_by in LABELLED_GROUPS else GROUPS[group_by]
    timers = SlaTimer.objects.using(using)
    if start:
        timers = timers.filter(case__created_at__gte=start)
    if end:
        timers = timers.filter(case__created_at__lt=end)
    rows = (
        timers.values(group=F(field), metric_name=F("metric"))
        .annotate(
            met_count=Count("id", filter=Q(state=SlaTimer.State.MET, breached=False)),
            breached_count=Count("id", filter=Q(breached=True)),
            running_count=Count("id", filter=Q(stopped_at__isnull=True, breached=False)),
        )
        .order_by("group", "metric_name")
    )
    if group_by in LABELLED_GROUPS:
        rows = _labelled(list(rows), *LABELLED_GROUPS[group_by][1:], using=using)
    result = []
    for row in rows:
        decided = row["met_count"] + row["breached_count"]
        result.append({
            "group": row["group"], "metric": row["metric_name"], "met": row["met_count"],
            "breached": row["breached_count"], "running": row["running_count"],
            "compliance": round(100.0 * row["met_count"] / decided, 1) if decided else None,
        })
    return result


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
    return sorted(rows, key=lambda row: (row["rank"], row["metric_name"]))


def backlog_aging(*, now: datetime.datetime | None = None, using: str = "default") -> list[dict]:
    """Open cases by age bucket and kind, counted in one query."""
    now = now or timezone.now()
    aggregates = {}
    for index, (_label, low, high) in enumerate(AGE_BUCKETS):
        condition = Q(created_at__lte=now - datetime.timedelta(days=low))
        if high is not None:
            condition &= Q(created_at__gt=now - datetime.timedelta(days=high))
        aggregates[f"bucket_{index}"] = Count("id", filter=condition)
    rows = (Case.objects.using(using).exclude(state__in=ALL_CLOSED_STATES).values("kind")
            .annotate(**aggregates).order_by("kind"))
    return [{"kind": row["kind"], **{label: row[f"bucket_{index}"] for index, (label, _l, _h) in
                                     enumerate(AGE_BUCKETS)}} for row in rows]


def breach_list(*, start=None, end=None, limit: int = 200, using: str = "default"):
    timers = SlaTimer.objects.using(using).filter(breached=True).select_related("case", "case__queue",
                                                                                 "case__assignee")
    if start:
        timers = timers.filter(case__created_at__gte=start)
    if end:
        timers = timers.filter(case__created_at__lt=end)
    return timers.order_by("-due_at", "-id")[:limit]


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
