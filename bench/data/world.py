"""What the generator's steps share: the random source, the clock, and the ids made so far."""

import bisect
import itertools
import random
from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class World:
    rng: random.Random
    now: datetime
    #: Role (group name) -> group id.
    group_ids: dict[str, int] = field(default_factory=dict)
    #: Role -> user ids of the staff generated with that role.
    staff: dict[str, list[int]] = field(default_factory=dict)
    #: Queue code -> queue id, and queue id -> ids of its members who work cases.
    queue_ids: dict[str, int] = field(default_factory=dict)
    queue_members: dict[int, list[int]] = field(default_factory=dict)
    #: Per generated client, by position: id, tier, advisor id, login user id, credit account ids.
    client_ids: list[int] = field(default_factory=list)
    client_tiers: list[str] = field(default_factory=list)
    client_advisors: list[int | None] = field(default_factory=list)
    client_users: list[int | None] = field(default_factory=list)
    client_accounts: list[list[int]] = field(default_factory=list)
    #: Generated securities: ids and prices (as floats, to size positions; rows hold Decimals).
    security_ids: list[int] = field(default_factory=list)
    security_prices: list[float] = field(default_factory=list)

    def pick_skewed(self, items: list, skew: float = 1.6):
        """Some items far more often than others (a few busy clients, agents, securities)."""
        return items[int(len(items) * self.rng.random() ** skew)]


class Weighted:
    """A fast weighted choice: `Weighted({"a": 3, "b": 1}).pick(rng)`."""

    def __init__(self, weights: dict):
        self.values = [value for value, weight in weights.items() if weight > 0]
        self.cumulative = list(itertools.accumulate(weights[value] for value in self.values))
        self.total = self.cumulative[-1]

    def pick(self, rng: random.Random):
        return self.values[bisect.bisect(self.cumulative, rng.random() * self.total)]
