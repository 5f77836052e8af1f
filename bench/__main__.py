"""`python -m bench --cases N [--only NAME] [--keep] [--regenerate] [--explain]` (`make bench`).

Runs on the database DATABASE_URL names (meant for PostgreSQL; without DATABASE_URL, a SQLite file
var/bench.sqlite3), migrates it, fills it with generated data unless it already holds that, then
runs the benchmarks and prints one markdown table. A missed target prints FAIL; the exit status
is non-zero only when something crashed (a crashed benchmark gets a FAIL row; the rest still run).
"""

import argparse
import os
import sys
import time
import traceback
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def dataset_spec(cases: int) -> dict:
    """One dataset for every benchmark, scaled from the number of cases: at 1,000,000 cases,
    100,000 credit accounts of 80,000 clients holding 1,000,000 positions in 5,000 securities."""
    accounts = max(30, cases // 10)
    return {"cases": cases, "accounts": accounts, "clients": max(20, accounts * 4 // 5),
            "positions_per_account": 10, "securities": 5000, "seed": 2026}


def dataset_steps(cases: int) -> dict[str, dict]:
    """What is added on top of the cases: at 1,000,000 cases, 200,000 running SLA timers, 30% of
    them past a warning level the sweep has not fired yet; then one monitoring run over every
    account at the stored prices (the state the next price import meets)."""
    return {"sla_timers": {"running_timers": cases // 5, "crossing_share": 0.3}, "monitoring": {}}


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000, help="cases in the dataset (default 1,000,000)")
    parser.add_argument("--only", action="append", metavar="NAME", help="run only this benchmark (repeatable)")
    parser.add_argument("--keep", action="store_true",
                        help="benchmark the data already in the database, whatever its size (an empty database "
                             "is still filled)")
    parser.add_argument("--regenerate", action="store_true", help="wipe the bench's dataset and generate it again")
    parser.add_argument("--iterations", type=int, default=200, help="timed requests per measurement (default 200)")
    parser.add_argument("--explain", action="store_true", help="print the full query plans")
    return parser.parse_args(argv)


def setup_django() -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "servicedesk.settings.local"
    os.environ["DEBUG"] = "0"  # production-like: no query log, no debug pages
    if not os.environ.get("DATABASE_URL"):
        # Never the development database: the bench fills (and may wipe) the one it uses.
        os.environ["DATABASE_URL"] = f"sqlite:///{BASE_DIR / 'var' / 'bench.sqlite3'}"
    import django

    django.setup()


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    setup_django()

    from django.db import connection

    from bench import database
    from bench.benchmarks import Run, discover
    from bench.measure import Row, table
    from cases.models import Case

    benchmarks = discover()
    unknown = set(args.only or ()) - set(benchmarks)
    if unknown:
        print(f"Unknown benchmark(s): {', '.join(sorted(unknown))}; known: {', '.join(benchmarks)}", file=sys.stderr)
        return 2
    print(f"Database: {database.describe()}")
    if connection.vendor != "postgresql":
        print("WARNING: the benchmarks are meant for PostgreSQL (set DATABASE_URL); these numbers say little "
              "about production.", file=sys.stderr)
    try:
        marker = database.ensure_dataset(dataset_spec(args.cases), steps=dataset_steps(args.cases), keep=args.keep,
                                         regenerate=args.regenerate)
    except database.ForeignData as error:
        print(error, file=sys.stderr)
        return 2
    run = Run(cases=Case.objects.count(), iterations=args.iterations, verbose_explain=args.explain, dataset=marker)
    rows, crashed = [], False
    for name, function in benchmarks.items():
        if args.only and name not in args.only:
            continue
        print(f"Running {name} ...", flush=True)
        started = time.perf_counter()
        try:
            rows.extend(function(run))
        except Exception:  # the other benchmarks still run and the table still prints
            traceback.print_exc()
            rows.append(Row(name, n=run.cases, target="runs", passed=False))
            crashed = True
        print(f"  {name} took {time.perf_counter() - started:.1f}s", flush=True)
    print()
    steps = "".join(f", {name} step in {step['info'].get('seconds', 0):.1f}s"
                    for name, step in (marker.get("steps") or {}).items() if step)
    print(f"Results ({database.describe()}, {run.iterations} timed requests each after {run.warmup} warm-up "
          f"unless the row says otherwise; dataset generated {marker['info'].get('at', '?')} in "
          f"{marker['info'].get('seconds', 0):.1f}s{steps}):")
    print()
    print(table(rows))
    for note in run.notes:
        print()
        print(note)
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
