"""The web pages benchmark at tiny size: it runs, fills its pages, reads a few queries at both
page sizes, and measures the case page when console:case is installed."""

from bench.benchmarks import web_pages


def test_the_web_pages_benchmark_runs(pages_run):
    run = pages_run

    rows = web_pages.web_pages(run)

    timed = [row for row in rows if row.timings is not None and row.benchmark.startswith("console case list")]
    assert len(timed) == 4  # agent and supervisor, 50 and 100 rows a page
    assert all(row.timings.median > 0 and row.baseline.median > 0 and row.queries > 0 for row in timed)
    counts = [row for row in rows if "queries at" in row.benchmark]
    assert len(counts) == 2
    # A few, whatever the page size (here a page of 100 may reach past the cases with a running
    # timer and the margin calls with a deadline, into the next parts of the order: a query each; at
    # 1M cases both sizes stay in the first).
    assert all(int(count) <= 11 for row in counts for count in row.queries.split("/"))
    references = [row for row in rows if row.benchmark.startswith("reference")]
    assert len(references) == 2 and all(row.timings.median > 0 and row.passed is None for row in references)
    pages = [row for row in rows if "case page" in row.benchmark]
    assert len(pages) == 2
    if web_pages.case_page_url("CS-2026-000001") is None:
        assert all("not measured" in row.benchmark for row in pages)
    else:
        assert all(row.timings is not None for row in pages)
