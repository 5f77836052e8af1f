"""Generate benchmark data fast: staff, clients, securities, credit accounts, positions and cases,
then, as steps of their own, the cases' SLA timers and the margin monitoring's state.

    generate(clients=80_000, accounts=100_000, positions_per_account=10, cases=1_000_000)
    generate_sla_timers(running_timers=200_000, crossing_share=0.3)
    generate_monitoring()

Rows go in with COPY on PostgreSQL (batched INSERTs elsewhere), with ids handed out here so rows
can refer to each other without reading anything back. It adds to what the database holds (the
queues, routing rules and role groups from the migrations, any earlier rows) in one transaction.
A later benchmark that needs more adds a step like generate_sla_timers, with a marker of its own
(bench/database.py STEPS), so a dataset made before the step existed gets it added, not remade.
"""

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import ClientProfile, CreditAccount, Position, Security, User
from bench.data import cases as case_data
from bench.data import holdings, people
from bench.data import monitoring as monitoring_data
from bench.data import sla as sla_data
from bench.data.world import World
from bench.writers import reset_sequences
from cases.models import Case, SlaEscalation, SlaTimer


@dataclass
class Generated:
    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())


def generate(*, clients: int, accounts: int, positions_per_account: int, cases: int, securities: int = 5000,
             seed: int = 2026, now: datetime | None = None,
             log: Callable[[str], None] | None = None) -> Generated:
    """Add `clients` clients (with logins), their `accounts` credit accounts holding
    `positions_per_account` positions each among `securities` securities, `cases` cases, and the
    staff to work them. Deterministic for a given seed and `now`."""
    world = World(rng=random.Random(seed), now=now or timezone.now())
    generated = Generated()

    step = _stepper(generated, log)
    with transaction.atomic():
        _fast_commit()
        staff = people.staff_counts(clients=clients, cases=cases)
        step("staff", lambda: people.staff(world, counts=staff))
        step("clients", lambda: people.clients(world, clients))
        step("securities", lambda: holdings.securities(world, securities))
        step("accounts", lambda: holdings.accounts_and_positions(
            world, accounts, positions_per_account=positions_per_account), "accounts", "positions")
        step("cases", lambda: case_data.cases(world, cases))
        reset_sequences([User, ClientProfile, Security, CreditAccount, Position, Case])
    return generated


def generate_sla_timers(*, running_timers: int, crossing_share: float = 0.3, seed: int = 2026,
                        now: datetime | None = None, log: Callable[[str], None] | None = None) -> Generated:
    """SLA timers for the cases in the database (which must have none yet): stopped ones for
    finished cases, `running_timers` running ones for open cases, `crossing_share` of which have
    crossed a warning level the sweep has not fired at `now` (default: just after the newest
    case). Deterministic for a given seed, cases and `now`; `Generated.counts["now"]` is not a
    count but that moment, as a timestamp (the sweep benchmark's now)."""
    generated = Generated()
    step = _stepper(generated, log)
    with transaction.atomic():
        _fast_commit()
        now = now or sla_data.dataset_now()
        counts = {}

        def make():
            counts.update(sla_data.sla_timers(rng=random.Random(f"{seed}/sla"), now=now, running=running_timers,
                                              crossing_share=crossing_share))
            return tuple(counts[name] for name in sla_data.COUNTS)

        step("SLA timers", make, *sla_data.COUNTS)
        reset_sequences([SlaTimer, SlaEscalation])
    generated.counts["now"] = int(now.timestamp())
    return generated


def generate_monitoring(*, now: datetime | None = None, log: Callable[[str], None] | None = None) -> Generated:
    """One monitoring run over every account at the stored prices, as the last run before the next
    price import left things (bench/data/monitoring.py), recorded so it can be undone.
    `Generated.counts["now"]` is the run's moment, as a timestamp."""
    generated = Generated()
    step = _stepper(generated, log)
    counts = {}
    with transaction.atomic():

        def make():
            counts.update(monitoring_data.monitored(now=now))
            return tuple(counts[name] for name in monitoring_data.COUNTS)

        step("monitoring", make, *monitoring_data.COUNTS)
    generated.counts["now"] = counts["now"]
    return generated


def _stepper(generated: Generated, log: Callable[[str], None] | None):
    def step(name: str, make: Callable[[], int | tuple[int, ...]], *names: str) -> None:
        started = time.perf_counter()
        made = make()
        generated.seconds[name] = time.perf_counter() - started
        for key, count in zip(names or (name,), made if isinstance(made, tuple) else (made,)):
            generated.counts[key] = count
        if log:
            log(f"  {name}: {', '.join(f'{generated.counts[k]:,} {k}' for k in names or (name,))} "
                f"in {generated.seconds[name]:.1f}s")
    return step


def _fast_commit() -> None:
    if connection.vendor == "postgresql":
        # Nothing is lost by a crash here: the whole generation is one transaction anyway.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")
