"""The SLA sweep and the SLA report.

`sla_sweep`: one `cases.sla_sweep.sla_sweep(now=…)` over the generated timers at the dataset's
`now` (the SLA timers step's), finding and acting on every crossing: escalation rows, timers,
cases, audit events and notices. Each run is rolled back so every run acts on the same crossings
(foreign keys checked at once, as a commit would); tables are vacuumed between runs, untimed, as
autovacuum would. Baseline: one hand-written SQL statement counting the same timer × level pairs
the sweep selects, timed in turns with it. A second row sweeps as of the moment the first 100
timers had crossed (what a sweep every minute meets; the first row is the backlog of an outage).

`sla_report`: `GET /api/v1/reports/sla/?group_by=queue` (and assignee) over all cases, as a
supervisor, in-process with Django's test client. The report reads the tally the triggers keep
(cases/sla_tally.py); changes not yet folded are folded first, as the beat job does every minute.
Baseline: one bare SQL GROUP BY over cases_slatimer (joined to its case for the group) computing
the same met/breached/running counts (a clock running past its due moment counts breached, as in
the report, sweep or no sweep), which the report's rows must equal, both read at one frozen moment.
"""

import datetime
import time

import time_machine
from django.db import connection, transaction
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from bench import database
from bench.benchmarks import Run, benchmark
from bench.measure import Row, Timings, count_queries, explain, time_alternately
from cases import sla_sweep as sweep_module
from cases import sla_tally
from cases.models import SlaTimer

SWEEP_RUNS = 5
EARLY_CROSSINGS = 100
SWEEP_TARGET_MS = 2000.0
SWEEP_TARGET_RATIO = 2.0
SWEEP_TARGET = f"median ≤ {SWEEP_TARGET_MS / 1000:.0f} s and ≤ {SWEEP_TARGET_RATIO:.0f}× baseline median"
REPORT_REQUESTS = 20
REPORT_TARGET_MS = 1000.0
REPORT_TARGET = f"p95 ≤ {REPORT_TARGET_MS / 1000:.0f} s"
#: Tables a sweep writes to (vacuumed between runs: a rolled-back sweep leaves dead rows behind).
SWEPT_TABLES = ["cases_slatimer", "cases_slaescalation", "cases_case", "cases_caseevent",
                "notifications_notification", "cases_slatallychange"]

#: The sweep's selection (cases/sla_sweep.py: due_timers and CROSSED), as one statement.
CROSSINGS_SQL = f"""
    SELECT COUNT(*) FROM cases_slatimer t CROSS JOIN {sweep_module.LEVELS}
    WHERE {sweep_module.due_timers("t")} AND {sweep_module.CROSSED}
"""
#: The report's counts (cases/reports.py, sla_compliance) per case column, as one statement.
REPORT_SQL = """
    SELECT c.{column}, t.metric,
           COUNT(*) FILTER (WHERE t.state = 'met' AND NOT t.breached),
           COUNT(*) FILTER (WHERE t.breached OR (t.state = 'running' AND t.due_at <= %(now)s)),
           COUNT(*) FILTER (WHERE t.stopped_at IS NULL AND NOT t.breached
                            AND NOT (t.state = 'running' AND COALESCE(t.due_at <= %(now)s, FALSE)))
    FROM cases_slatimer t JOIN cases_case c ON c.id = t.case_id
    GROUP BY c.{column}, t.metric
"""
REPORT_GROUPS = {"queue": "queue_id", "assignee": "assignee_id"}


def sweep_now(run: Run) -> datetime.datetime:
    """The moment the SLA timers were generated for (the step's marker), else now."""
    step = (run.dataset.get("steps") or {}).get("sla_timers") or database.read_step_marker("sla_timers")
    if step and step["info"].get("now"):
        return datetime.datetime.fromisoformat(step["info"]["now"])
    run.note("sla_sweep: no SLA timers step marker; sweeping at the current time.")
    return timezone.now()


def vacuum() -> None:
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM {', '.join(SWEPT_TABLES)}")


def sweep_once(now: datetime.datetime) -> tuple[float, int]:
    """(ms, levels fired) of one sweep, rolled back afterwards."""
    started = time.perf_counter()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # check the foreign keys now, as the commit would
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        fired = sweep_module.sla_sweep(now=now)
        transaction.set_rollback(True)
    return (time.perf_counter() - started) * 1000, fired


def crossings(now: datetime.datetime) -> tuple[float, int]:
    """(ms, timer × level pairs found) of the baseline statement."""
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(CROSSINGS_SQL, {"now": connection.ops.adapt_datetimefield_value(now)})
        found = cursor.fetchone()[0]
    return (time.perf_counter() - started) * 1000, found


def sweep_statements(now: datetime.datetime) -> list[tuple[str, float]]:
    """Each statement of one (rolled-back) sweep with its time, slowest first."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        with CaptureQueriesContext(connection) as captured:
            sweep_module.sla_sweep(now=now)
        transaction.set_rollback(True)
    timed = [(" ".join(query["sql"].split()), float(query["time"]) * 1000) for query in captured.captured_queries]
    return sorted(timed, key=lambda pair: -pair[1])


@benchmark("sla_sweep")
def sla_sweep(run: Run, *, runs: int = SWEEP_RUNS) -> list[Row]:
    now = sweep_now(run)
    running = SlaTimer.objects.filter(stopped_at=None).exclude(resumed_at=None).count()
    rows = [sweep_row(run, now, f"{running:,} running timers, all crossings", runs=runs)]
    # The same sweep as of an earlier moment, when only the first few timers had crossed: what a
    # sweep every minute meets, against the backlog of an outage above.
    earliest = (SlaTimer.objects.filter(stopped_at=None, next_alert_at__isnull=False).exclude(resumed_at=None)
                .order_by("next_alert_at").values_list("next_alert_at", flat=True)[EARLY_CROSSINGS - 1:EARLY_CROSSINGS])
    if earliest:
        rows.append(sweep_row(run, earliest[0], f"as of the first {EARLY_CROSSINGS} timers' crossings", runs=runs))
    return rows


def sweep_row(run: Run, now: datetime.datetime, label: str, *, runs: int) -> Row:
    vacuum()
    crossings(now)  # warm-up (caches), untimed
    sweep_once(now)
    sweep_ms, baseline_ms, fired, found = [], [], set(), set()
    for _run in range(runs):
        vacuum()
        ms, count = crossings(now)
        baseline_ms.append(ms)
        found.add(count)
        ms, count = sweep_once(now)
        sweep_ms.append(ms)
        fired.add(count)
    vacuum()
    if len(fired) != 1 or not next(iter(fired)):
        raise AssertionError(f"sla_sweep: the runs fired {sorted(fired)} levels: not one same positive number")
    if fired != found:
        raise AssertionError(f"sla_sweep: the sweep fired {fired} levels, the baseline found {found}")
    levels = next(iter(fired))
    statements = sweep_statements(now)
    vacuum()
    for sql, ms in statements[:5]:
        run.note(f"sla_sweep ({label}), slowest statements: {ms:.0f} ms: {sql[:150]}")
    if run.verbose_explain:
        sql = CROSSINGS_SQL.replace("%(now)s", f"'{now.isoformat()}'")
        run.note(f"sla_sweep ({label}) baseline plan:\n{explain(sql)}")
    sweep, baseline = Timings(sweep_ms), Timings(baseline_ms)
    return Row(
        f"SLA sweep ({label}: {levels:,} levels fired, {runs} runs)",
        n=run.cases, timings=sweep, queries=len(statements), baseline=baseline, target=SWEEP_TARGET,
        passed=sweep.median <= SWEEP_TARGET_MS and sweep.median <= SWEEP_TARGET_RATIO * baseline.median,
    )


def report_counts(column: str, now: datetime.datetime | None = None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(REPORT_SQL.format(column=column), {"now": now or timezone.now()})
        return cursor.fetchall()


def report_rows(client: Client, group_by: str) -> list[dict]:
    response = client.get(f"/api/v1/reports/sla/?group_by={group_by}")
    if response.status_code != 200:
        raise AssertionError(f"sla_report: {response.status_code} {response.content[:300]!r}")
    return response.json()["rows"]


def report_row(run: Run, client: Client, group_by: str, *, requests: int) -> Row:
    column = REPORT_GROUPS[group_by]
    moment = timezone.now()
    with time_machine.travel(moment, tick=False):  # no clock falls due between the two readings
        rows = report_rows(client, group_by)
    counts = report_counts(column, moment)
    totals = [sum(row[key] for row in rows) for key in ("met", "breached", "running")]
    figures = sorted((row["metric"], row["met"], row["breached"], row["running"]) for row in rows)
    if figures != sorted(tuple(row[1:]) for row in counts):  # each group's figures (named, not numbered)
        raise AssertionError(f"sla_report by {group_by}: the report's counts are not the baseline's")
    queries, sqls = count_queries(lambda: report_rows(client, group_by))
    for sql in sqls:
        if "cases_slatimer" in sql and "GROUP BY" in sql and run.verbose_explain:
            run.note(f"sla_report by {group_by}, compliance query:\n{sql}\n{explain(sql)}")
    api, baseline = time_alternately(lambda: report_rows(client, group_by), lambda: report_counts(column),
                                     iterations=requests, warmup=min(2, requests))
    return Row(f"SLA report, group_by={group_by}, all cases ({sum(totals):,} timers, {len(rows)} rows, "
               f"{requests} requests)", n=run.cases, timings=api, queries=queries, baseline=baseline,
               target=REPORT_TARGET, passed=api.p95 <= REPORT_TARGET_MS)


@benchmark("sla_report")
def sla_report(run: Run, *, requests: int | None = None) -> list[Row]:
    supervisor = User.objects.filter(groups__name=Role.SUPERVISOR, is_active=True).order_by("pk").first()
    if supervisor is None:
        raise LookupError("no supervisor in the benchmark data")
    client = Client(SERVER_NAME="localhost", HTTP_ACCEPT="application/json")
    client.force_login(supervisor)
    requests = requests or max(3, min(run.iterations, REPORT_REQUESTS))
    folded = sla_tally.fold()
    if folded:
        run.note(f"sla_report: {folded:,} tally changes folded first (the beat job's work of the last minute).")
    with override_settings(ROOT_URLCONF="bench.urls"):
        return [report_row(run, client, group_by, requests=requests) for group_by in REPORT_GROUPS]
