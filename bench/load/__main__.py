"""`python -m bench.load` (`make load`): the load test.

1. PostgreSQL at DATABASE_URL (default postgres://postgres@127.0.0.1:5432/sd_load; created if
   missing): migrated and filled by bench/load/prepare.py (LOAD_CASES cases, default 100,000, with
   the bench's generator, plus the logins locust uses).
2. gunicorn with LOAD_WORKERS sync workers (default 5: 2 × cores + 1 on the 2-core machine it was
   written on) on 127.0.0.1:LOAD_PORT (default 8765), DEBUG off.
3. A warm-up (each page a few times per worker), then locust, headless, LOAD_USERS users (default
   50, started LOAD_SPAWN_RATE a second) for LOAD_TIME (default 2m): the mix in
   bench/load/locustfile.py.
4. One table per endpoint: requests, failures, requests per second, p50 / p95 / p99 in ms.

The exit status is non-zero when any request failed (or anything else did)."""

import csv
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent.parent
OUT = BASE_DIR / "var" / "load"
BIN = Path(sys.executable).parent


def environment() -> dict:
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/sd_load")
    env.update(DJANGO_SETTINGS_MODULE="servicedesk.settings.local", DEBUG="0", PYTHONUNBUFFERED="1")
    env.setdefault("CONN_MAX_AGE", "60")
    env.setdefault("MEDIA_ROOT", str(OUT / "media"))
    env.pop("CELERY_BROKER_URL", None)  # the price import revalues in its own process, like `make demo`
    return env


def ensure_database(url: str) -> None:
    """Create the database DATABASE_URL names when the server has no such database yet."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    server = parts._replace(path="/postgres").geturl()
    with psycopg.connect(server, autocommit=True) as connection:
        if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            connection.execute(f'CREATE DATABASE "{name}"')
            print(f"Created database {name}.")


def wait_until_up(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/accounts/login/", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"gunicorn did not answer on {url} within {seconds:.0f}s (see {OUT / 'gunicorn.log'})")


def warm_up(url: str, data: Path, workers: int) -> None:
    """Each worker's first pages compile templates and load code: visit the pages a few times per
    worker before measuring (a server that has been up a while is warm)."""
    import json

    people = json.loads(data.read_text())
    agent, client = people["agents"][0], people["clients"][0]
    pages = [(agent, "/console/"), (agent, f"/console/cases/{agent['tickets'][0]}/"), (agent, "/api/v1/cases/"),
             (client, "/portal/"), (client, f"/portal/cases/{client['cases'][0]}/"), (client, "/portal/submit/")]
    for _round in range(3 * workers):
        for person, page in pages:
            request = urllib.request.Request(url + page, headers={"Cookie": f"sessionid={person['session']}"})
            with urllib.request.urlopen(request, timeout=60) as response:
                response.read()


def table(stats_csv: Path) -> tuple[str, int]:
    """The per-endpoint table (markdown) and the number of failed requests."""
    rows, total_failures = [], 0
    with stats_csv.open(newline="") as file:
        for row in csv.DictReader(file):
            name = row["Name"] if row["Type"] not in ("", "None") else "**all requests**"
            failures = int(row["Failure Count"])
            if row["Name"] == "Aggregated":
                total_failures = failures
                name = "**all requests**"
            rows.append((name, int(row["Request Count"]), failures, float(row["Requests/s"]), row["50%"],
                         row["95%"], row["99%"]))
    lines = ["| endpoint | requests | failures | req/s | p50 ms | p95 ms | p99 ms |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    lines += [f"| {name} | {count:,} | {failures} | {rate:.2f} | {p50} | {p95} | {p99} |"
              for name, count, failures, rate, p50, p95, p99 in rows]
    return "\n".join(lines), total_failures


def main() -> int:
    env = environment()
    users, run_time = env.get("LOAD_USERS", "50"), env.get("LOAD_TIME", "2m")
    workers, port = env.get("LOAD_WORKERS", "5"), env.get("LOAD_PORT", "8765")
    host = f"http://127.0.0.1:{port}"
    OUT.mkdir(parents=True, exist_ok=True)
    if not env["DATABASE_URL"].startswith("postgres"):
        print("The load test runs on PostgreSQL: set DATABASE_URL=postgres://…", file=sys.stderr)
        return 2
    ensure_database(env["DATABASE_URL"])
    data = OUT / "users.json"
    subprocess.run([sys.executable, "-m", "bench.load.prepare", str(data)], cwd=BASE_DIR, env=env, check=True)

    log = (OUT / "gunicorn.log").open("w")
    gunicorn = subprocess.Popen(
        [str(BIN / "gunicorn"), "servicedesk.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", workers,
         "--timeout", "60", "--graceful-timeout", "10", "--error-logfile", "-"],
        cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_until_up(host)
        warm_up(host, data, int(workers))
        print(f"gunicorn ({workers} workers) up on {host}; locust: {users} users for {run_time}.", flush=True)
        prefix = OUT / "locust"
        load_before = os.getloadavg()
        started = time.perf_counter()
        locust = subprocess.run(
            [str(BIN / "locust"), "-f", str(BASE_DIR / "bench" / "load" / "locustfile.py"), "--headless",
             "--users", users, "--spawn-rate", env.get("LOAD_SPAWN_RATE", "10"), "--run-time", run_time,
             "--host", host, "--csv", str(prefix), "--only-summary", "--stop-timeout", "10",
             "--loglevel", "WARNING"],
            cwd=BASE_DIR, env={**env, "LOAD_DATA": str(data)})
        elapsed = time.perf_counter() - started
        load_after = os.getloadavg()
    finally:
        os.killpg(gunicorn.pid, signal.SIGTERM)
        gunicorn.wait(timeout=30)
        log.close()
    text, failures = table(Path(f"{prefix}_stats.csv"))
    print(f"\nLoad test: {users} users for {run_time} ({elapsed:.0f}s with start and stop), gunicorn {workers} "
          f"sync workers, PostgreSQL, {os.cpu_count()} CPU cores shared with locust and the database; load "
          f"average {load_before[0]:.1f} before, {load_after[0]:.1f} at the end (1 min).\n")
    print(text)
    failures_csv = Path(f"{prefix}_failures.csv")
    if failures and failures_csv.exists():
        print("\nFailures:\n" + failures_csv.read_text())
    return 1 if failures or locust.returncode else 0


if __name__ == "__main__":
    sys.exit(main())
