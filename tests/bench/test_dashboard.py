"""The SLA dashboard benchmark at tiny size: it runs, checks the page against the report, and
times both groupings."""

import pytest

from bench.benchmarks import Run
from bench.benchmarks import dashboard
from bench.generate import generate, generate_sla_timers
from cases.models import Case

pytestmark = pytest.mark.django_db

SMALL = {"clients": 40, "accounts": 50, "positions_per_account": 2, "cases": 600, "securities": 20}


def test_the_dashboard_benchmark_runs():
    generate(**SMALL)
    generate_sla_timers(running_timers=150, crossing_share=0.3)
    run = Run(cases=Case.objects.count(), iterations=2, warmup=1)

    rows = dashboard.dashboard(run, requests=2)

    assert [row.benchmark.split(",")[1].strip() for row in rows] == ["group_by=queue", "group_by=assignee"]
    assert all(row.timings.median > 0 and row.baseline.median > 0 for row in rows)
    assert all(0 < row.queries <= 20 for row in rows)
    assert any("statements took" in note for note in run.notes)
