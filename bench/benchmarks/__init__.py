"""The benchmarks. Each module here registers its function with `@benchmark("name")`; the function
gets a Run and returns rows for the results table (and may add notes printed under it)."""

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.measure import Row


@dataclass
class Run:
    cases: int
    iterations: int = 200
    warmup: int = 20
    verbose_explain: bool = False
    #: What bench.database.ensure_dataset returned: the dataset's marker, its steps' under "steps".
    dataset: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        self.notes.append(text)


REGISTRY: dict[str, Callable[[Run], list[Row]]] = {}


def benchmark(name: str):
    def register(function: Callable[[Run], list[Row]]):
        REGISTRY[name] = function
        return function
    return register


def discover() -> dict[str, Callable[[Run], list[Row]]]:
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    return REGISTRY
