"""The supervisor's SLA dashboard page (issue: "the SLA dashboard ≤ 1 s").

`GET /supervisor/?from=…&to=…&group_by=queue` (and assignee) for the 30 days up to the dataset's
`now`, as a bench supervisor, in-process with Django's test client: compliance by group, the daily
trend, breached and near-breach cases, backlog aging, workload per agent and CSAT, rendered.
Baseline, timed in turns with it: the bare `cases.reports.sla_compliance` call for the same range
and grouping (the figure the page is built around). The slowest statements of one page view are
noted under the table.
"""

import datetime

import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from bench.benchmarks import Run, benchmark
from bench.benchmarks.sla import sweep_now
from bench.measure import Row, explain, time_alternately
from cases import reports
from cases.web.supervisor.filters import DEFAULT_DAYS

PAGE_REQUESTS = 20
TARGET_MS = 1000.0
TARGET = f"p95 ≤ {TARGET_MS / 1000:.0f} s"
GROUPS = ("queue", "assignee")


def page_range(now: datetime.datetime) -> tuple[datetime.date, datetime.date]:
    last = timezone.localtime(now).date()
    return last - datetime.timedelta(days=DEFAULT_DAYS - 1), last


def bounds(first: datetime.date, last: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    zone = timezone.get_default_timezone()
    return (datetime.datetime.combine(first, datetime.time.min, tzinfo=zone),
            datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone))


def fetch(client: Client, url: str) -> str:
    response = client.get(url)
    if response.status_code != 200:
        raise AssertionError(f"dashboard: GET {url}: {response.status_code} {response.content[:300]!r}")
    return response.content.decode()


def dashboard_row(run: Run, client: Client, *, first, last, group_by: str, requests: int) -> Row:
    url = f"/supervisor/?from={first.isoformat()}&to={last.isoformat()}&group_by={group_by}"
    start, end = bounds(first, last)

    def baseline():
        return reports.sla_compliance(start=start, end=end, group_by=group_by)

    # The page shows the baseline's figures: each metric's compliance over every group, both read at
    # one frozen moment (no clock falls due between the two readings).
    with time_machine.travel(timezone.now(), tick=False):
        page, rows = fetch(client, url), baseline()
    for metric in {row["metric"] for row in rows}:
        met = sum(row["met"] for row in rows if row["metric"] == metric)
        decided = met + sum(row["breached"] for row in rows if row["metric"] == metric)
        if decided and f"{100.0 * met / decided:.1f}%" not in page:
            raise AssertionError(f"dashboard by {group_by}: {metric} compliance not on the page")
    with CaptureQueriesContext(connection) as captured:
        fetch(client, url)
    queries = len(captured.captured_queries)
    statements = sorted(((float(query["time"]) * 1000, " ".join(query["sql"].split()))
                         for query in captured.captured_queries), reverse=True)
    run.note(f"dashboard by {group_by}: one view's {queries} statements took {sum(ms for ms, _sql in statements):.0f} ms "
             f"in all; the slowest:")
    for ms, sql in statements[:4]:
        run.note(f"  {ms:.0f} ms: {sql[:160]}")
    if run.verbose_explain:
        for _ms, sql in statements[:3]:
            run.note(f"dashboard by {group_by}:\n{sql}\n{explain(sql)}")
    timings, base = time_alternately(lambda: fetch(client, url), baseline, iterations=requests,
                                     warmup=min(2, requests))
    groups = len({row["group"] for row in rows})
    return Row(f"SLA dashboard page, group_by={group_by}, {first:%Y-%m-%d}..{last:%Y-%m-%d} ({groups} groups, "
               f"{requests} requests; baseline: reports.sla_compliance)", n=run.cases, timings=timings,
               queries=queries, baseline=base, target=TARGET,
               passed=timings.p95 <= TARGET_MS)


@benchmark("dashboard")
def dashboard(run: Run, *, requests: int | None = None) -> list[Row]:
    supervisor = User.objects.filter(groups__name=Role.SUPERVISOR, is_active=True).order_by("pk").first()
    if supervisor is None:
        raise LookupError("no supervisor in the benchmark data")
    client = Client(SERVER_NAME="localhost", HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(supervisor)
    first, last = page_range(sweep_now(run))
    requests = requests or max(3, min(run.iterations, PAGE_REQUESTS))
    return [dashboard_row(run, client, first=first, last=last, group_by=group_by, requests=requests)
            for group_by in GROUPS]
