"""Timing, query counting and the results table."""

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection
from django.test.utils import CaptureQueriesContext

COLUMNS = ["benchmark", "n", "median ms", "p95 ms", "queries", "baseline median ms", "baseline p95 ms",
           "ratio p95/baseline", "target", "pass/fail"]


@dataclass
class Timings:
    samples_ms: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.samples_ms)

    @property
    def p95(self) -> float:
        return statistics.quantiles(self.samples_ms, n=100, method="inclusive")[94]


@dataclass
class Row:
    benchmark: str
    n: int | str = ""
    timings: Timings | None = None
    queries: int | str = ""
    baseline: Timings | None = None
    target: str = ""
    passed: bool | None = None

    @property
    def ratio(self) -> float | None:
        if self.timings is None or self.baseline is None:
            return None
        return self.timings.p95 / self.baseline.p95

    def cells(self) -> list[str]:
        def ms(value):
            return f"{value:.1f}" if value is not None else ""

        timings, baseline = self.timings, self.baseline
        return [
            self.benchmark, f"{self.n:,}" if isinstance(self.n, int) else self.n,
            ms(timings and timings.median), ms(timings and timings.p95), str(self.queries),
            ms(baseline and baseline.median), ms(baseline and baseline.p95),
            f"{self.ratio:.2f}" if self.ratio is not None else "", self.target,
            {True: "pass", False: "FAIL", None: ""}[self.passed],
        ]


def table(rows: list[Row]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "|".join("---" for _column in COLUMNS) + "|"]
    lines += ["| " + " | ".join(row.cells()) + " |" for row in rows]
    return "\n".join(lines)


def time_alternately(first: Callable[[], object], second: Callable[[], object], *, iterations: int,
                     warmup: int) -> tuple[Timings, Timings]:
    """Time two calls in turns, so noise from others on the machine hits both alike. After the
    warm-up the process freezes what is loaded, as the WSGI entry point does at start-up."""
    from servicedesk.startup import freeze_loaded_objects

    for _round in range(warmup):
        first()
        second()
    freeze_loaded_objects()
    first_ms, second_ms = [], []
    for _round in range(iterations):
        for call, samples in ((first, first_ms), (second, second_ms)):
            started = time.perf_counter()
            call()
            samples.append((time.perf_counter() - started) * 1000)
    return Timings(first_ms), Timings(second_ms)


def count_queries(call: Callable[[], object]) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured.captured_queries), [query["sql"] for query in captured.captured_queries]


def explain(sql: str) -> str:
    """The plan PostgreSQL runs (with real timings), or SQLite's query plan."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            return "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        return "\n".join(str(row[-1]) for row in cursor.fetchall())
