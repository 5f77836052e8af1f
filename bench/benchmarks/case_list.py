"""The case list API's first page, `GET /api/v1/cases/?queue=…&state=…` (50 rows, cursor
pagination), as a supervisor (sees everything) and as an agent (scoped to their assignments and
queues), against a bare Django view serving the same rows in one query (bench.baseline.case_page).

Also: the number of queries at page sizes 10, 50 and 200, on the main page and on a page whose
cases carry proposals and approvals; and an agent asking for a queue they are not in, the
slowest shape of the scoped query (fewer requests: each takes long)."""

import re

from django.test import Client, override_settings

from accounts.models import User
from accounts.roles import Role
from bench.benchmarks import Run, benchmark
from bench.measure import Row, count_queries, explain, time_alternately

MAIN_PAGE = ("general", "open")
PROPOSALS_PAGE = ("disputes", "accepted")  # proposed_by and approved_by set on every case
OUTSIDER_PAGE = ("risk", "open")  # asked for by an agent of the general queue only
PAGE_SIZE = 50
PAGE_SIZES = (10, 50, 200)
TARGET_P95_MS = 50.0
TARGET_RATIO = 3.0
TARGET = f"p95 ≤ {TARGET_P95_MS:.0f} ms and ≤ {TARGET_RATIO:.0f}× baseline"


def api_url(queue: str, state: str, page_size: int | None = None) -> str:
    size = f"&page_size={page_size}" if page_size else ""
    return f"/api/v1/cases/?queue={queue}&state={state}{size}"


def baseline_url(queue: str, state: str) -> str:
    return f"/bench/baseline/cases/?queue={queue}&state={state}"


def browser(user: User | None = None) -> Client:
    client = Client(SERVER_NAME="localhost", HTTP_ACCEPT="application/json")
    if user is not None:
        client.force_login(user)
    return client


def get(client: Client, path: str) -> list[dict]:
    response = client.get(path)
    if response.status_code != 200:
        raise AssertionError(f"GET {path}: {response.status_code} {response.content[:300]!r}")
    return response.json()["results"]


def staff_member(role: str, *, in_queue: str | None = None, not_in_queue: str | None = None) -> User:
    users = User.objects.filter(groups__name=role, is_active=True).order_by("pk")
    if in_queue:
        users = users.filter(queues__code=in_queue)
    if not_in_queue:
        users = users.exclude(queues__code=not_in_queue)
    user = users.first()
    if user is None:
        raise LookupError(f"no {role} in {in_queue} and not in {not_in_queue} in the benchmark data")
    return user


def list_query(sqls: list[str]) -> str:
    """The query that reads the page (the others load the session, the user and their roles)."""
    return next(sql for sql in sqls if 'FROM "cases_case"' in sql and "LIMIT" in sql)


def plan_summary(plan: str) -> str:
    if "Execution Time" not in plan:  # SQLite's EXPLAIN QUERY PLAN
        return "; ".join(line.strip() for line in plan.splitlines())
    scans = re.findall(r"((?:Index Only Scan|Index Scan|Bitmap Index Scan|Seq Scan)(?: Backward)?(?: using \w+)? "
                       r"on cases_case)", plan)
    removed = re.search(r"Rows Removed by Filter: (\d+)", plan)
    timing = re.search(r"Planning Time: ([\d.]+) ms.*Execution Time: ([\d.]+) ms", plan, re.DOTALL)
    parts = [", ".join(dict.fromkeys(scans)) or "no scan of cases_case"]
    if removed:
        parts.append(f"{int(removed.group(1)):,} rows read and thrown away")
    if timing:
        parts.append(f"planning {timing.group(1)} ms, execution {timing.group(2)} ms")
    return "; ".join(parts)


def note_plan(run: Run, label: str, sqls: list[str]) -> None:
    sql = list_query(sqls)
    plan = explain(sql)
    run.note(f"Query plan, case list, {label}: {plan_summary(plan)}")
    if run.verbose_explain:
        run.note(f"{sql}\n{plan}")


def timed_row(run: Run, label: str, user: User, page: tuple[str, str], *, iterations: int) -> Row:
    api, baseline = browser(user), browser()
    expected = [row["number"] for row in get(baseline, baseline_url(*page))]
    numbers = [row["number"] for row in get(api, api_url(*page))]
    if user.has_role(Role.SUPERVISOR) or user.queues.filter(code=page[0]).exists():
        if numbers != expected:
            raise AssertionError(f"case_list: the API page for {label} is not the baseline's rows")
        if len(numbers) < PAGE_SIZE:
            run.note(f"case_list: only {len(numbers)} {page[0]}/{page[1]} cases: the page is not full.")
    queries, sqls = count_queries(lambda: get(api, api_url(*page)))
    note_plan(run, label, sqls)
    api_timings, baseline_timings = time_alternately(
        lambda: get(api, api_url(*page)), lambda: get(baseline, baseline_url(*page)),
        iterations=iterations, warmup=min(run.warmup, iterations))
    return Row(
        f"case list page, {label} (queue={page[0]}, state={page[1]}, {len(numbers)} rows"
        f"{'' if iterations == run.iterations else f', {iterations} requests'})",
        n=run.cases, timings=api_timings, queries=queries, baseline=baseline_timings, target=TARGET,
        passed=api_timings.p95 <= TARGET_P95_MS and api_timings.p95 <= TARGET_RATIO * baseline_timings.p95,
    )


def query_count_row(run: Run, label: str, user: User, page: tuple[str, str]) -> Row:
    api = browser(user)
    counts = [count_queries(lambda: get(api, api_url(*page, page_size=size)))[0] for size in PAGE_SIZES]
    return Row(
        f"case list queries at page_size {'/'.join(map(str, PAGE_SIZES))}, {label} "
        f"(queue={page[0]}, state={page[1]})", n=run.cases, queries="/".join(map(str, counts)),
        target="same at every page size", passed=len(set(counts)) == 1,
    )


@benchmark("case_list")
def case_list(run: Run) -> list[Row]:
    supervisor = staff_member(Role.SUPERVISOR)
    agent = staff_member(Role.AGENT, in_queue=MAIN_PAGE[0], not_in_queue=OUTSIDER_PAGE[0])
    with override_settings(ROOT_URLCONF="bench.urls"):
        return [
            timed_row(run, "supervisor", supervisor, MAIN_PAGE, iterations=run.iterations),
            timed_row(run, "agent", agent, MAIN_PAGE, iterations=run.iterations),
            query_count_row(run, "supervisor", supervisor, MAIN_PAGE),
            query_count_row(run, "agent", agent, MAIN_PAGE),
            query_count_row(run, "supervisor", supervisor, PROPOSALS_PAGE),
            timed_row(run, "agent, a queue they are not in", agent, OUTSIDER_PAGE,
                      iterations=max(10, run.iterations // 10)),
        ]
