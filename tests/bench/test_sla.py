"""The SLA timers step of the benchmark data and the SLA benchmarks, at tiny size (COPY on
PostgreSQL, INSERTs on SQLite): timers consistent with what the engine and the sweep expect, the
step added to a dataset made without it (its cases kept), and each benchmark run once."""

import datetime
import random

import pytest
from django.db.models import F
from django.utils import timezone

from bench import database
from bench.benchmarks import Run
from bench.benchmarks import sla as sla_benchmarks
from bench.data.sla import BusinessClock
from bench.generate import generate, generate_sla_timers
from cases.calendars import load_schedule
from cases.models import Case, SlaEscalation, SlaTimer
from cases.sla import add_business_time
from cases.sla_sweep import sla_sweep

pytestmark = pytest.mark.django_db

SMALL = {"clients": 40, "accounts": 50, "positions_per_account": 2, "cases": 400, "securities": 20}
RUNNING = 60


@pytest.fixture
def timers():
    generate(**SMALL)
    return generate_sla_timers(running_timers=RUNNING, crossing_share=0.3)


def test_the_business_clock_agrees_with_add_business_time():
    schedule = load_schedule("working")
    clock = BusinessClock(schedule)
    rng = random.Random(7)
    start = datetime.datetime(2025, 9, 20, tzinfo=datetime.UTC)
    for _n in range(300):
        moment = start + datetime.timedelta(seconds=rng.randrange(200 * 86_400))
        seconds = rng.choice((0, 1, 1800, 4 * 3600, 8 * 3600, 3 * 8 * 3600, 15 * 8 * 3600, rng.randrange(10**6)))
        expected = add_business_time(moment, datetime.timedelta(seconds=seconds), schedule)
        assert clock.add(int(moment.timestamp()), seconds) == int(expected.timestamp()), (moment, seconds)


def test_timers_step_makes_consistent_running_and_stopped_timers(timers):
    counts = timers.counts
    now = datetime.datetime.fromtimestamp(counts["now"], datetime.UTC)
    running = SlaTimer.objects.filter(stopped_at=None).exclude(resumed_at=None)

    assert counts["running timers"] == running.count() == RUNNING
    assert counts["timers"] == SlaTimer.objects.count() > RUNNING
    assert counts["escalations"] == SlaEscalation.objects.count() > 0
    assert SlaTimer.objects.filter(stopped_at__isnull=False, state="met").count() > \
        SlaTimer.objects.filter(stopped_at__isnull=False, state="breached").count() > 0
    assert set(SlaTimer.objects.values_list("calendar_code", flat=True)) == {"working"}
    assert not SlaTimer.objects.filter(started_at__lt=F("case__created_at")).exists()
    assert not SlaTimer.objects.filter(stopped_at__lt=F("started_at")).exists()
    for timer in running:
        assert timer.started_at <= timer.resumed_at <= now
        assert timer.warn_50_at <= timer.warn_75_at <= timer.due_at
        lowest_unfired = {0: timer.warn_50_at, 50: timer.warn_75_at, 75: timer.due_at, 100: None}[timer.fired_level]
        assert timer.next_alert_at == lowest_unfired
        assert timer.breached == (timer.fired_level == 100) == (timer.state == "breached")
        assert set(timer.escalations.values_list("level", flat=True)) == {50, 75, 100} & set(
            range(1, timer.fired_level + 1))
    crossing = running.filter(next_alert_at__lte=now)
    assert crossing.count() == counts["crossing timers"] == round(RUNNING * 0.3)
    assert set(running.values_list("fired_level", flat=True)) >= {0, 50}
    assert Case.objects.exclude(escalated_at=None).count() == counts["escalated cases"] == \
        Case.objects.filter(sla_timers__breached=True).distinct().count()

    assert sla_sweep(now=now) == counts["levels to fire"] > 0
    assert sla_sweep(now=now) == 0


def test_the_step_is_added_to_a_dataset_made_without_it_and_redone_when_it_changes(monkeypatch):
    monkeypatch.setattr(database, "migrate", lambda: None)  # the test database is migrated already
    database.ensure_dataset(SMALL, log=lambda line: None)  # a dataset from before the step
    numbers = list(Case.objects.order_by("pk").values_list("pk", "number"))
    steps = {"sla_timers": {"running_timers": RUNNING, "crossing_share": 0.3}}

    monkeypatch.setattr(database, "generate", lambda **spec: pytest.fail("cases generated again"))
    marker = database.ensure_dataset(SMALL, steps=steps, log=lambda line: None)
    assert list(Case.objects.order_by("pk").values_list("pk", "number")) == numbers
    assert marker["steps"]["sla_timers"]["info"]["counts"]["running timers"] == RUNNING
    assert marker["steps"]["sla_timers"]["info"]["now"]
    timers = SlaTimer.objects.count()

    monkeypatch.setattr(database, "generate_sla_timers", lambda **spec: pytest.fail("timers generated again"))
    again = database.ensure_dataset(SMALL, steps=steps, log=lambda line: None)
    assert again["steps"]["sla_timers"]["spec"] == marker["steps"]["sla_timers"]["spec"]

    monkeypatch.undo()
    monkeypatch.setattr(database, "migrate", lambda: None)
    monkeypatch.setitem(database.STEPS, "sla_timers", database.Step(
        **{**vars(database.STEPS["sla_timers"]), "version": database.STEPS["sla_timers"].version + 1}))
    redone = database.ensure_dataset(SMALL, steps=steps, log=lambda line: None)
    assert redone["steps"]["sla_timers"]["spec"]["version"] == marker["steps"]["sla_timers"]["spec"]["version"] + 1
    assert SlaTimer.objects.count() == timers
    assert list(Case.objects.order_by("pk").values_list("pk", "number")) == numbers


def test_the_sla_benchmarks_run(timers):
    run = Run(cases=Case.objects.count(), iterations=2, warmup=1)
    run.dataset = {"steps": {"sla_timers": {"info": {"now": datetime.datetime.fromtimestamp(
        timers.counts["now"], datetime.UTC).isoformat()}}}}

    sweep = sla_benchmarks.sla_sweep(run, runs=2)[0]
    assert f"all crossings: {timers.counts['levels to fire']:,} levels fired" in sweep.benchmark
    assert sweep.timings.median > 0 and sweep.baseline.median > 0 and sweep.queries > 0

    rows = sla_benchmarks.sla_report(run, requests=2)
    assert [row.benchmark.split(",")[1].strip() for row in rows] == ["group_by=queue", "group_by=assignee"]
    assert all(row.timings.median > 0 and row.baseline.median > 0 for row in rows)
    assert SlaEscalation.objects.filter(sweep="bench").count() == SlaEscalation.objects.count()  # rolled back


@pytest.mark.parametrize("group_by", ["queue", "assignee", "kind"])
def test_the_report_groups_by_id_but_names_and_orders_as_before(timers, group_by):
    from django.db.models import Count, Q

    from cases.reports import GROUPS, sla_compliance

    now = timezone.now()
    overdue = Q(state="running", breached=False, due_at__lte=now)  # breached, though not swept yet
    expected = list(
        SlaTimer.objects.values(group=F(GROUPS[group_by]), metric_name=F("metric"))
        .annotate(met=Count("id", filter=Q(state="met", breached=False)),
                  breached_count=Count("id", filter=Q(breached=True) | overdue),
                  running=Count("id", filter=Q(stopped_at__isnull=True, breached=False) & ~overdue))
        .order_by("group", "metric_name").values_list("group", "metric_name", "met", "breached_count", "running"))
    rows = sla_compliance(start=None, end=None, group_by=group_by, now=now)
    assert [(r["group"], r["metric"], r["met"], r["breached"], r["running"]) for r in rows] == expected
    assert len({row["group"] for row in rows}) > 1
