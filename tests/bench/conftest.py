import pytest

from bench.benchmarks import Run
from bench.generate import generate, generate_sla_timers
from cases.models import Case

#: The page benchmarks' tiny dataset: enough cases and running timers to fill a list page.
PAGES_DATASET = {"clients": 40, "accounts": 50, "positions_per_account": 2, "cases": 600, "securities": 20}


@pytest.fixture
def pages_run(db) -> Run:
    """A run over the tiny dataset the web page benchmarks read (2 timed requests each)."""
    generate(**PAGES_DATASET)
    generate_sla_timers(running_timers=150, crossing_share=0.3)
    return Run(cases=Case.objects.count(), iterations=2, warmup=1)
