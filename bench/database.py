"""The benchmark database: migrated by the bench, filled once, and reused while it holds what was
asked for. A marker table records what was generated; without it the bench never wipes anything.

Steps added later (the SLA timers, the monitoring's state) have markers of their own (table bench_dataset_step): a
dataset made before a step existed, or by an older version of it, gets the step (re)done on top
of its cases instead of being generated again from nothing."""

import datetime
import json
import os
import time
from collections.abc import Callable

from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import ClientProfile
from bench.data import cases as case_data
from bench.data import monitoring as monitoring_data
from bench.generate import generate, generate_monitoring, generate_sla_timers
from cases.models import Case, SlaEscalation, SlaTimer

MARKER_TABLE = "bench_dataset"
#: Bump when the generator changes what it makes, so an old dataset is not reused.
GENERATOR_VERSION = 3
#: version -> how a dataset of that version becomes one of the next without being generated again
#: (run before migrating: a new constraint may need it). 2 -> 3: one open margin call per account.
UPGRADES = {2: case_data.close_later_open_margin_calls}
STEP_TABLE = "bench_dataset_step"


class ForeignData(Exception):
    """The database holds data the bench did not generate."""


#: The server settings that move the figures most (the write-heavy rows above all), shown with them.
SERVER_SETTINGS = ("shared_buffers", "work_mem", "max_wal_size", "max_parallel_workers_per_gather")


def describe() -> str:
    """Which database, and on PostgreSQL its version, the settings the figures depend on and the
    cores the machine has."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"SQLite {settings['NAME']}"
    where = f"{connection.vendor} {settings.get('HOST') or 'localhost'}:{settings.get('PORT') or ''}/{settings['NAME']}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('server_version')")
        version = cursor.fetchone()[0]
        shown = []
        for name in SERVER_SETTINGS:
            cursor.execute(f"SHOW {name}")
            shown.append(f"{name}={cursor.fetchone()[0]}")
    return f"{where} (PostgreSQL {version}; {', '.join(shown)}; {os.cpu_count()} cores)"


def migrate() -> None:
    call_command("migrate", interactive=False, verbosity=0)


def read_marker() -> dict | None:
    if MARKER_TABLE not in connection.introspection.table_names():
        return None
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT spec, info FROM {MARKER_TABLE} WHERE id = 1")
        row = cursor.fetchone()
    return {"spec": json.loads(row[0]), "info": json.loads(row[1])} if row else None


def write_marker(spec: dict, info: dict) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} (id integer PRIMARY KEY, spec text, info text)")
        cursor.execute(f"DELETE FROM {MARKER_TABLE}")
        cursor.execute(f"INSERT INTO {MARKER_TABLE} (id, spec, info) VALUES (1, %s, %s)",
                       [json.dumps(spec, sort_keys=True), json.dumps(info, sort_keys=True)])


def read_step_marker(name: str) -> dict | None:
    if STEP_TABLE not in connection.introspection.table_names():
        return None
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT spec, info FROM {STEP_TABLE} WHERE name = %s", [name])
        row = cursor.fetchone()
    return {"spec": json.loads(row[0]), "info": json.loads(row[1])} if row else None


def write_step_marker(name: str, spec: dict, info: dict) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {STEP_TABLE} (name varchar(50) PRIMARY KEY, spec text, info text)")
        cursor.execute(f"DELETE FROM {STEP_TABLE} WHERE name = %s", [name])
        cursor.execute(f"INSERT INTO {STEP_TABLE} (name, spec, info) VALUES (%s, %s, %s)",
                       [name, json.dumps(spec, sort_keys=True), json.dumps(info, sort_keys=True)])


def _sla_timers_undo() -> None:
    """Remove what the SLA timers step made (the benchmarks' own sweeps are rolled back)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE refuses to run with checks pending
            cursor.execute("TRUNCATE cases_slaescalation, cases_slatimer")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        else:
            cursor.execute("DELETE FROM cases_slaescalation")
            cursor.execute("DELETE FROM cases_slatimer")
        cursor.execute("UPDATE cases_case SET escalated_at = NULL WHERE escalated_at IS NOT NULL")


class Step:
    def __init__(self, version: int, make: Callable, undo: Callable[[], None], made: Callable[[], bool],
                 tables: list[str]):
        self.version, self.make, self.undo, self.made, self.tables = version, make, undo, made, tables


#: name -> step, in the order they run. Bump a step's version when it changes what it makes.
STEPS = {
    "sla_timers": Step(
        version=2,  # 2: a paused timer's moments as the engine now projects them (in its past when it ran past them)
        make=lambda spec, seed, log: generate_sla_timers(**spec, seed=seed, log=log),
        undo=_sla_timers_undo,
        made=lambda: SlaTimer.objects.exists() or SlaEscalation.objects.exists(),
        tables=["cases_slatimer", "cases_slaescalation", "cases_case"],
    ),
    "monitoring": Step(
        version=1,
        make=lambda spec, seed, log: generate_monitoring(log=log),
        undo=monitoring_data.undo,
        made=monitoring_data.made,
        tables=["risk_monitoringrun", "risk_ratiosnapshot", "risk_accountrisk", "risk_accountalert",
                "risk_margincall", "cases_case", "cases_caseevent", "notifications_notification"],
    ),
}


def wipe() -> None:
    """Empty the bench's own database completely (it is migrated again afterwards)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE")
            cursor.execute("CREATE SCHEMA public")
    elif connection.vendor == "sqlite":
        path = connection.settings_dict["NAME"]
        connection.close()
        for suffix in ("", "-wal", "-shm", "-journal"):
            if os.path.exists(f"{path}{suffix}"):
                os.remove(f"{path}{suffix}")
    else:
        raise NotImplementedError(connection.vendor)


def analyze(tables: list[str] | None = None) -> None:
    """Fresh statistics (and, on PostgreSQL, a vacuumed visibility map) for the planner."""
    vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block  # VACUUM needs autocommit
    with connection.cursor() as cursor:
        if tables and connection.vendor == "postgresql":
            cursor.execute(f"{'VACUUM (ANALYZE)' if vacuum else 'ANALYZE'} {', '.join(tables)}")
        elif tables:
            for table in tables:
                cursor.execute(f"ANALYZE {table}")
        else:
            cursor.execute("VACUUM (ANALYZE)" if vacuum else "ANALYZE")


def ensure_step(name: str, spec: dict, *, seed: int, log: Callable[[str], None] = print) -> dict:
    """Make sure step `name` was done as `spec` says on the dataset there; returns its marker."""
    step = STEPS[name]
    spec = {**spec, "version": step.version}
    marker = read_step_marker(name)
    if marker and marker["spec"] == spec:
        log(f"Reusing the {name} step done {marker['info']['at']} in {marker['info'].get('seconds', 0):.1f}s.")
        return marker
    redo = bool(marker or step.made())
    if redo:
        log(f"The {name} step there was done for other sizes or by an older generator: redoing it.")
    described = ", ".join(f"{key} {value}" for key, value in spec.items() if key != "version")
    log(f"Step {name}{': ' + described if described else ''} ...")
    started = time.perf_counter()
    with transaction.atomic():  # undone, redone and marked, or none of it
        if redo:
            step.undo()
        generated = step.make({key: value for key, value in spec.items() if key != "version"}, seed, log)
        counts = dict(generated.counts)
        info = {"at": timezone.now().isoformat(timespec="seconds"), "counts": counts}
        if "now" in counts:
            info["now"] = datetime.datetime.fromtimestamp(counts.pop("now"), datetime.UTC).isoformat()
        write_step_marker(name, spec, info)
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    analyze(step.tables)
    analyzed = time.perf_counter() - started
    info.update(seconds=loaded + analyzed, load_seconds=loaded, analyze_seconds=analyzed)
    write_step_marker(name, spec, info)
    log(f"Step {name} done in {loaded + analyzed:.1f}s (load {loaded:.1f}s, analyze {analyzed:.1f}s).")
    return {"spec": spec, "info": info}


def ensure_dataset(spec: dict, *, steps: dict[str, dict] | None = None, keep: bool = False,
                   regenerate: bool = False, log: Callable[[str], None] = print) -> dict:
    """Make sure the database holds the data `spec` describes, then each of `steps` ({name:
    spec}, see STEPS); returns what the marker says, with the steps' markers under "steps".
    Reuses a matching dataset; wipes and regenerates one the bench made for another spec."""
    marker = _ensure_cases(spec, keep=keep, regenerate=regenerate, log=log)
    if marker.get("kept"):  # whatever is there, steps included
        marker["steps"] = {name: read_step_marker(name) for name in steps or {}}
        return marker
    seed = spec.get("seed", 2026)
    marker["steps"] = {name: ensure_step(name, step_spec, seed=seed, log=log)
                       for name, step_spec in (steps or {}).items()}
    return marker


def upgrade(spec: dict, log: Callable[[str], None]) -> None:
    """Bring a dataset an older generator made for this `spec` up to this generator's version, in
    place, when UPGRADES knows how (before migrating: a new constraint may refuse the old data)."""
    marker = read_marker()
    if marker is None or {**marker["spec"], "version": None} != {**spec, "version": None}:
        return
    version = marker["spec"].get("version")
    if version == GENERATOR_VERSION or any(v not in UPGRADES for v in range(version or 0, GENERATOR_VERSION)):
        return
    started = time.perf_counter()
    with transaction.atomic():
        for step in range(version, GENERATOR_VERSION):
            changed = UPGRADES[step]()
            log(f"Upgraded the dataset from generator version {step} to {step + 1} in place "
                f"({changed:,} rows changed).")
        info = {**marker["info"], "upgraded": f"{version} -> {GENERATOR_VERSION}"}
        write_marker({**marker["spec"], "version": GENERATOR_VERSION}, info)
    analyze(["cases_case"])
    log(f"Upgrade took {time.perf_counter() - started:.1f}s.")


def _ensure_cases(spec: dict, *, keep: bool, regenerate: bool, log: Callable[[str], None]) -> dict:
    if not keep and not regenerate:
        upgrade(spec, log)
    spec = {**spec, "version": GENERATOR_VERSION}
    migrate()
    marker = read_marker()
    if marker and keep:
        log(f"Keeping the data already there (generated for {marker['spec']}).")
        return {**marker, "kept": True}
    if marker and marker["spec"] == spec and not regenerate:
        seconds = marker["info"].get("seconds")
        log(f"Reusing the dataset generated {marker['info']['at']}"
            + (f" in {seconds:.1f}s." if seconds is not None else "."))
        return marker
    if marker is None and (Case.objects.exists() or ClientProfile.objects.exists()):
        if keep:
            log("Keeping the data already there (not generated by the bench).")
            return {"spec": {}, "info": {}, "kept": True}
        raise ForeignData(f"{describe()} holds cases or clients the bench did not generate; point DATABASE_URL "
                          "at a database of its own (or pass --keep to benchmark what is there).")
    if marker:
        log("Wiping the dataset there (asked to regenerate)." if regenerate
            else "The dataset there was generated for other sizes or an older generator: wiping it.")
        wipe()
        migrate()
    log(f"Generating {spec['cases']:,} cases, {spec['accounts']:,} accounts, "
        f"{spec['accounts'] * spec['positions_per_account']:,} positions, {spec['clients']:,} clients ...")
    started = time.perf_counter()
    with transaction.atomic():  # the data and its marker, or neither
        generated = generate(**{key: value for key, value in spec.items() if key != "version"}, log=log)
        info = {"at": timezone.now().isoformat(timespec="seconds"), "counts": generated.counts,
                "vendor": connection.vendor}
        write_marker(spec, info)
    loaded = time.perf_counter() - started  # including the commit
    log(f"Loaded in {loaded:.1f}s; analyzing ...")
    started = time.perf_counter()
    analyze()
    analyzed = time.perf_counter() - started
    info.update(seconds=loaded + analyzed, load_seconds=loaded, analyze_seconds=analyzed)
    write_marker(spec, info)
    log(f"Generated in {loaded + analyzed:.1f}s (load {loaded:.1f}s, analyze {analyzed:.1f}s).")
    return {"spec": spec, "info": info}
