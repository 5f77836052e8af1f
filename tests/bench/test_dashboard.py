"""The SLA dashboard benchmark at tiny size: it runs, checks the page against the report, and
times both groupings."""

from bench.benchmarks import dashboard


def test_the_dashboard_benchmark_runs(pages_run):
    run = pages_run

    rows = dashboard.dashboard(run, requests=2)

    assert [row.benchmark.split(",")[1].strip() for row in rows] == ["group_by=queue", "group_by=assignee"]
    assert all(row.timings.median > 0 and row.baseline.median > 0 for row in rows)
    assert all(0 < row.queries <= 24 for row in rows), [row.queries for row in rows]
    assert any("statements took" in note for note in run.notes)
