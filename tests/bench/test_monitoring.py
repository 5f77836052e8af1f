"""The monitoring step of the benchmark data, its price files and the monitoring benchmark, at tiny
size (COPY on PostgreSQL, INSERTs on SQLite): the step leaves every account valued and undoes
cleanly, the price file is what the importer takes, and the benchmark runs once."""

import csv
import datetime

import pytest

from accounts.importers.prices import prices_import
from accounts.models import CreditAccount, Security
from bench import database
from bench.benchmarks import Run
from bench.benchmarks import monitoring as monitoring_benchmark
from bench.data import monitoring as data
from bench.generate import generate, generate_monitoring
from cases.models import Case, CaseEvent, CaseNumberSequence
from notifications.models import Notification
from risk.models import AccountRisk, MonitoringRun
from risk.monitoring import monitor_accounts

pytestmark = pytest.mark.django_db

SMALL = {"clients": 40, "accounts": 60, "positions_per_account": 3, "cases": 400, "securities": 30}


def case_states():
    return list(Case.objects.order_by("pk").values_list("pk", "state", "priority", "resolved_at", "closed_at",
                                                         "updated_at"))


@pytest.fixture
def monitored():
    generate(**SMALL)
    return generate_monitoring()


def test_the_step_values_every_account_and_a_second_run_changes_nothing(monitored):
    assert monitored.counts["accounts revalued"] == AccountRisk.objects.count() == CreditAccount.objects.count()
    assert MonitoringRun.objects.count() == 1
    assert not Notification.objects.filter(status="pending").exists()  # yesterday's notices were sent
    now = datetime.datetime.fromtimestamp(monitored.counts["now"], datetime.UTC)
    assert monitor_accounts(trigger="test", now=now).changed == 0


def test_the_price_file_moves_every_security_after_the_stored_prices(monitored, tmp_path):
    path = tmp_path / "prices.csv"
    as_of = data.price_file(path, seed=7, move=-0.08, noise=0.04)
    stored = {symbol: price for symbol, price in Security.objects.values_list("symbol", "price")}
    rows = list(csv.DictReader(path.open(encoding="utf-8")))

    assert as_of > max(Security.objects.values_list("price_as_of", flat=True))
    assert {row["symbol"] for row in rows} == set(stored) and len(rows) == len(stored)
    assert {row["as_of"] for row in rows} == {as_of.astimezone(data.SHANGHAI).isoformat()}
    assert rows[0]["as_of"].endswith("+08:00") and as_of.astimezone(data.SHANGHAI).hour == 15
    changes = [float(row["price"]) / float(stored[row["symbol"]]) - 1 for row in rows]
    assert -0.12 < sum(changes) / len(changes) < -0.04
    assert all(-0.3 - 0.01 <= change <= 0.3 + 0.01 for change in changes)
    assert data.price_file(tmp_path / "again.csv", seed=7, as_of=as_of) == as_of
    assert (tmp_path / "again.csv").read_text() == path.read_text()  # deterministic
    assert len(prices_import(path, now=as_of).updated_security_ids) == len(stored)


def test_the_step_undoes_to_the_cases_as_generated(monkeypatch):
    monkeypatch.setattr(database, "migrate", lambda: None)  # the test database is migrated already
    database.ensure_dataset(SMALL, log=lambda line: None)
    states, events, notices = case_states(), CaseEvent.objects.count(), Notification.objects.count()
    sequences = list(CaseNumberSequence.objects.values_list("year", "last"))

    marker = database.ensure_dataset(SMALL, steps={"monitoring": {}}, log=lambda line: None)
    assert marker["steps"]["monitoring"]["info"]["now"]
    assert AccountRisk.objects.count() == CreditAccount.objects.count()

    database.STEPS["monitoring"].undo()
    assert case_states() == states
    assert (CaseEvent.objects.count(), Notification.objects.count()) == (events, notices)
    assert list(CaseNumberSequence.objects.values_list("year", "last")) == sequences
    assert not AccountRisk.objects.exists() and not MonitoringRun.objects.exists()
    assert not database.STEPS["monitoring"].made()


def test_the_monitoring_benchmark_runs(monitored):
    run = Run(cases=Case.objects.count(), iterations=2, warmup=1, dataset={"spec": {"seed": 2026}})
    snapshots = AccountRisk.objects.values_list("snapshot_id", flat=True)
    before = sorted(snapshots)

    fall, rebound, again = monitoring_benchmark.monitoring(run, runs=2)

    assert "prices -8% ± 4%" in fall.benchmark and "prices +6% ± 4%" in rebound.benchmark
    for row in (fall, rebound):
        assert f"{CreditAccount.objects.count()} accounts revalued" in row.benchmark
        assert row.timings.median > 0 and row.baseline.median > 0 and row.queries > 0
    assert again.passed is True and again.timings.median > 0
    assert "0 accounts changed, 0 cases and 0 notices written" in again.benchmark
    assert sorted(snapshots) == before  # every run was rolled back
    assert run.notes
