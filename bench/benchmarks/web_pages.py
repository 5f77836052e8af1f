"""The agent console's web pages at the dataset's size: the case list (`console:cases`, default
order: the most urgent running SLA timer first) as a bench agent (their own cases) and as a
supervisor (every case), at 50 and 100 rows a page, and the case page (`console:case`), served
in-process through Django's test client with a logged-in session, HTML rendered.

Baselines, timed in turns with the pages: for the list, one bare indexed SELECT of a page of the
same cases in the same order (running timers by deadline joined to their cases still worked, the
agent's by assignee, through a raw cursor: no session, no scope subquery, no dedupe of a case's
several timers, no rendering); for the case page, one bare SELECT of the case row.

Also the SQL queries per list page at both page sizes (they must not grow with the page), and,
as a yardstick for a loaded machine, the case list API's page timed in turns with the console
list (README has its figures on a quiet machine)."""

import re

from django.db import connection
from django.test import Client
from django.urls import NoReverseMatch, reverse

from accounts.models import User
from accounts.roles import Role
from bench.benchmarks import Run, benchmark
from bench.benchmarks.case_list import MAIN_PAGE, plan_summary, staff_member
from bench.measure import Row, count_queries, explain, time_alternately
from cases.web.case_list import WORKING_STATES

TARGET_P95_MS = 150.0
TARGET = f"p95 ≤ {TARGET_P95_MS:.0f} ms"
PAGE_SIZES = (50, 100)
LIST_URL = "/console/"

#: A page of cases by their running timers' deadlines, the least a database can do for it.
BASELINE_SQL = """
    SELECT c.id, c.number, c.kind, c.state, c.subject, c.priority, c.updated_at, t.due_at
    FROM cases_slatimer t JOIN cases_case c ON c.id = t.case_id
    WHERE t.stopped_at IS NULL AND t.due_at IS NOT NULL AND c.state IN ({states}) {scope}
    ORDER BY t.due_at, t.case_id LIMIT %(size)s
"""
CASE_SQL = "SELECT * FROM cases_case WHERE number = %(number)s"


def logged_in(user: User) -> Client:
    client = Client(SERVER_NAME="localhost", HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(user)
    return client


def fetch(client: Client, path: str, params: dict | None = None) -> str:
    response = client.get(path, params or {})
    if response.status_code != 200:
        raise AssertionError(f"GET {path} {params}: {response.status_code} {response.content[:300]!r}")
    return response.content.decode()


def rows_on(html: str) -> list[str]:
    return re.findall(r'<tr data-case="([^"]+)"', html)


def baseline_page(user: User, size: int):
    scope = "" if user.has_role(Role.SUPERVISOR) else "AND c.assignee_id = %(user)s"
    states = {f"state{n}": state for n, state in enumerate(WORKING_STATES)}
    sql = BASELINE_SQL.format(scope=scope, states=", ".join(f"%({name})s" for name in states))

    def run():
        with connection.cursor() as cursor:
            cursor.execute(sql, {"size": size, "user": user.pk, **states})
            return cursor.fetchall()
    return run


def baseline_case(number: str):
    def run():
        with connection.cursor() as cursor:
            cursor.execute(CASE_SQL, {"number": number})
            return cursor.fetchall()
    return run


def note_plan(run: Run, label: str, sqls: list[str]) -> None:
    """The plan of the query that reads the page's cases (the first one over cases_case with a LIMIT)."""
    sql = next((sql for sql in sqls if 'FROM "cases_case"' in sql and "LIMIT" in sql), None)
    if sql is None:
        return
    plan = explain(sql)
    run.note(f"Query plan, console case list, {label}: {plan_summary(plan)}")
    if run.verbose_explain:
        run.note(f"{sql}\n{plan}")


def list_rows(run: Run, label: str, user: User, params: dict) -> tuple[list[Row], list[str]]:
    client = logged_in(user)
    rows, first_page = [], []
    counts = {}
    for size in PAGE_SIZES:
        query = {**params, "size": size}
        numbers = rows_on(fetch(client, LIST_URL, query))
        if len(numbers) < size:
            run.note(f"web_pages: only {len(numbers)} rows on the {label} list: the page is not full.")
        first_page = first_page or numbers
        counts[size], sqls = count_queries(lambda query=query: fetch(client, LIST_URL, query))
        if size == PAGE_SIZES[0]:
            note_plan(run, label, sqls)
        timings, baseline = time_alternately(lambda query=query: fetch(client, LIST_URL, query),
                                             baseline_page(user, size), iterations=run.iterations,
                                             warmup=run.warmup)
        rows.append(Row(f"console case list, {label} ({', '.join(f'{k}={v}' for k, v in params.items())}, "
                        f"default order: SLA urgency, {size} rows a page)", n=run.cases, timings=timings,
                        queries=counts[size], baseline=baseline, target=TARGET,
                        passed=timings.p95 <= TARGET_P95_MS))
    rows.append(Row(f"console case list queries at {'/'.join(map(str, PAGE_SIZES))} rows a page, {label}",
                    n=run.cases, queries="/".join(str(counts[size]) for size in PAGE_SIZES),
                    target="same at every page size", passed=len(set(counts.values())) == 1))
    return rows, first_page


def reference_row(run: Run, label: str, user: User) -> Row:
    """Not a target: the case list API's first page (bench.benchmarks.case_list's main page) for
    the same user, timed in turns with the console list, so that a reader can scale this run's
    figures by that row's figures on a quiet machine (README)."""
    page, api = logged_in(user), Client(SERVER_NAME="localhost", HTTP_ACCEPT="application/json")
    api.force_login(user)
    params = {"queue": MAIN_PAGE[0], "state": MAIN_PAGE[1], "page_size": PAGE_SIZES[0]}

    def api_page():
        response = api.get("/api/v1/cases/", params)
        if response.status_code != 200:
            raise AssertionError(f"GET /api/v1/cases/ {params}: {response.status_code}")

    _page_timings, api_timings = time_alternately(lambda: fetch(page, LIST_URL, {"size": PAGE_SIZES[0]}), api_page,
                                                  iterations=run.iterations, warmup=run.warmup)
    return Row(f"reference, no target: the case list API's page (queue={MAIN_PAGE[0]}, state={MAIN_PAGE[1]}, "
               f"{PAGE_SIZES[0]} rows) for the same {label}, timed in turns with the console list",
               n=run.cases, timings=api_timings, target="scale: its README figures", passed=None)


def case_page_url(number: str) -> str | None:
    try:
        return reverse("console:case", kwargs={"number": number})
    except NoReverseMatch:
        return None


def case_page_row(run: Run, label: str, user: User, number: str) -> Row:
    url = case_page_url(number)
    if url is None:
        return Row(f"console case page, {label}: not measured (console:case is not installed)", n=run.cases,
                   target=TARGET, passed=None)
    client = logged_in(user)
    fetch(client, url)
    queries, _sqls = count_queries(lambda: fetch(client, url))
    timings, baseline = time_alternately(lambda: fetch(client, url), baseline_case(number),
                                         iterations=run.iterations, warmup=run.warmup)
    return Row(f"console case page, {label} ({number})", n=run.cases, timings=timings, queries=queries,
               baseline=baseline, target=TARGET, passed=timings.p95 <= TARGET_P95_MS)


@benchmark("web_pages")
def web_pages(run: Run) -> list[Row]:
    agent = staff_member(Role.AGENT, in_queue="general")
    supervisor = staff_member(Role.SUPERVISOR)
    rows, agent_page = list_rows(run, f"agent {agent.username}", agent, {"tab": "mine"})
    rows.append(reference_row(run, "agent", agent))
    more, _supervisor_page = list_rows(run, "supervisor", supervisor, {"tab": "all"})
    rows += more
    rows.append(reference_row(run, "supervisor", supervisor))
    if agent_page:
        rows.append(case_page_row(run, "agent, the first case of their list", agent, agent_page[0]))
        rows.append(case_page_row(run, "supervisor, the same case", supervisor, agent_page[0]))
    else:
        rows.append(Row("console case page: not measured (the agent's list is empty)", n=run.cases))
    return rows
