"""Cases spread over two years: ids and numbers in creation order, queues chosen by the routing
rules in the database, most old cases finished and about a fifth of all cases still running.
A credit account has at most one open margin call (a constraint): a later one drawn open while
the account's earlier one is still open is written closed, on the day it was last touched."""

import math
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import F

from accounts.models import RoutingRule, Tier
from accounts.roles import Role
from bench.data.texts import CATEGORIES, DESCRIPTIONS, PROPOSALS, SUBJECTS
from bench.data.world import Weighted, World
from bench.writers import TableWriter, next_id
from cases.models import WORKFLOWS, Case, CaseKind, CaseNumberSequence, Channel, Priority
from cases.models.workflows import CLOSED_STATES

SPAN = timedelta(days=730)
KINDS = Weighted({CaseKind.TICKET: 50, CaseKind.MARGIN_CALL: 25, CaseKind.DISPUTE: 10,
                  CaseKind.EXTENSION: 10, CaseKind.RELIEF: 5})
PRIORITIES = Weighted({Priority.LOW: 15, Priority.NORMAL: 60, Priority.HIGH: 20, Priority.URGENT: 5})
CHANNELS = Weighted({Channel.PORTAL: 60, Channel.PHONE: 25, Channel.EMAIL: 10, Channel.CSRC_12386: 5})
#: Relative weights of states among a kind's finished or running states; a state not named weighs 1.
STATE_WEIGHTS = {
    "closed": 6, "resolved": 2, "cancelled": 1, "approved": 7, "declined": 3, "restored": 7,
    "open": 4, "waiting_on_client": 2, "investigating": 3, "client_notified": 4, "under_review": 3,
    "return_visit": 2, "liquidated": 0.5,
}
#: State -> (proposed outcome, approved already?) for states reached through maker-checker.
PROPOSALS_BY_STATE = {
    "resolution_proposed": ("resolve", False), "accepted": ("resolve", True),
    "rejected_by_client": ("resolve", True), "referred_to_mediation": ("resolve", True),
    "approved": ("approve", True), "declined": ("decline", True),
    "liquidation_pending": ("liquidate", False), "liquidated": ("liquidate", True),
    "return_visit": ("liquidate", True),
}
RESOLVED_STATES = {"resolved", "closed", "accepted", "approved", "declined", "restored", "return_visit"}
CLOSED_AT_STATES = {"closed", "cancelled", "approved", "declined", "restored"}
COLUMNS = ["id", "number", "kind", "category", "subject", "description", "priority", "state", "client_id",
           "credit_account_id", "queue_id", "assignee_id", "channel", "created_by_id", "proposed_by_id",
           "proposed_outcome", "proposal", "approved_by_id", "created_at", "updated_at", "resolved_at",
           "closed_at"]


def _states(kind: str) -> tuple[Weighted, Weighted, str]:
    workflow = WORKFLOWS[kind]
    finished = CLOSED_STATES[kind]
    weights = {state: STATE_WEIGHTS.get(state, 1) for state in workflow.State.values}
    return (Weighted({s: w for s, w in weights.items() if s in finished}),
            Weighted({s: w for s, w in weights.items() if s not in finished}),
            workflow.initial_state)


def maker_checker(kind: str, state: str, rng) -> tuple[str, bool] | None:
    """(outcome, approved?) when a maker proposed something on the way to `state`, else None."""
    if state in PROPOSALS_BY_STATE:
        outcome, approved = PROPOSALS_BY_STATE[state]
        return outcome, approved or (state == "resolution_proposed" and rng.random() < 0.5)
    if kind == CaseKind.DISPUTE and state == "closed":
        return "resolve", True
    if kind == CaseKind.MARGIN_CALL and state == "closed" and rng.random() < 0.3:
        return "liquidate", True
    if state == "under_review" and rng.random() < 0.3:
        return rng.choice(("approve", "decline")), False
    return None


def still_running_probability(age: timedelta) -> float:
    """Nearly everything from the last days, and a long tail of old cases still open: ~20% in all."""
    return max(0.18, 0.95 * math.exp(-age.total_seconds() / (30 * 86_400)))


class _Routes:
    """RoutingRule.matches over the rules in the database, cached per (kind, category, tier)."""

    def __init__(self):
        self.rules = list(RoutingRule.objects.filter(is_active=True).order_by("position", "id"))
        self.cache = {}

    def __call__(self, kind: str, category: str, tier: str) -> tuple[int | None, bool]:
        key = (kind, category, tier)
        if key not in self.cache:
            rule = next((r for r in self.rules if r.matches(kind=kind, category=category, tier=tier)), None)
            self.cache[key] = (rule.queue_id if rule else None,
                               tier == Tier.HNW or bool(rule and rule.assign_to_advisor))
        return self.cache[key]


class _CaseMaker:
    """Makes one case row at a time; what it needs from the world is looked up once."""

    def __init__(self, world: World):
        self.world, self.rng = world, world.rng
        self.states = {kind: _states(kind) for kind in CaseKind.values}
        self.routes = _Routes()
        self.agents = world.staff.get(Role.AGENT) or [None]
        self.supervisors = world.staff.get(Role.SUPERVISOR) or [None]
        self.risk_officers = world.staff.get(Role.RISK_OFFICER) or [None]
        self.members = {queue_id: sorted(ids) for queue_id, ids in world.queue_members.items()}
        self.client_positions = range(len(world.client_ids))
        self.open_margin_calls: set[int] = set()  # accounts with an open margin call

    def row(self, case_id: int, number: str, created: datetime) -> tuple:
        world, rng = self.world, self.rng
        kind = KINDS.pick(rng)
        client = world.pick_skewed(self.client_positions)
        accounts = world.client_accounts[client]
        needs_account = kind in (CaseKind.MARGIN_CALL, CaseKind.EXTENSION, CaseKind.RELIEF)
        account = rng.choice(accounts) if accounts and (needs_account or rng.random() < 0.6) else None
        if needs_account and account is None:
            kind = CaseKind.TICKET
        category = rng.choice(CATEGORIES[kind])
        queue_id, to_advisor = self.routes(kind, category, world.client_tiers[client])
        finished_states, running_states, initial_state = self.states[kind]
        running = rng.random() < still_running_probability(world.now - created)
        state = (running_states if running else finished_states).pick(rng)

        advisor = world.client_advisors[client] if to_advisor else None
        if advisor is not None:
            assignee = advisor
        elif state == initial_state and rng.random() < 0.8:
            assignee = None
        else:
            assignee = world.pick_skewed(self.members.get(queue_id) or self.agents, 1.3)
        if kind == CaseKind.MARGIN_CALL:
            channel, created_by, priority = Channel.SYSTEM, None, rng.choice((Priority.HIGH, Priority.URGENT))
        else:
            channel, priority = CHANNELS.pick(rng), PRIORITIES.pick(rng)
            created_by = world.client_users[client] if channel == Channel.PORTAL else rng.choice(self.agents)
        proposed_by, outcome, proposal, approved_by = self._proposal(kind, state, assignee)
        resolved_at, closed_at, updated_at = self._times(created, state, running)
        if kind == CaseKind.MARGIN_CALL and running:
            if account in self.open_margin_calls:  # no more random draws: the rest stays as it was
                state, resolved_at, closed_at = "closed", updated_at, updated_at
            else:
                self.open_margin_calls.add(account)
        return (case_id, number, kind, category, rng.choice(SUBJECTS[kind]), rng.choice(DESCRIPTIONS), priority,
                state, world.client_ids[client], account, queue_id, assignee, channel, created_by, proposed_by,
                outcome, proposal, approved_by, created, updated_at, resolved_at, closed_at)

    def _proposal(self, kind: str, state: str, assignee: int | None) -> tuple:
        """(proposed by, outcome, proposal, approved by) of a maker-checker step on the way to `state`."""
        made = maker_checker(kind, state, self.rng)
        if made is None:
            return None, "", "", None
        outcome, approved = made
        makers = self.risk_officers if kind == CaseKind.MARGIN_CALL else self.agents
        checkers = self.risk_officers if kind == CaseKind.MARGIN_CALL else self.supervisors
        return (assignee or self.rng.choice(makers), outcome, PROPOSALS[outcome],
                self.rng.choice(checkers) if approved else None)

    def _times(self, created: datetime, state: str, running: bool) -> tuple:
        """(resolved at, closed at, updated at), none of them after now."""
        rng, now = self.rng, self.world.now
        resolved_at = closed_at = None
        if not running:
            resolved_at = min(created + timedelta(minutes=rng.randint(20, 60 * 24 * 10)), now)
            if state in CLOSED_AT_STATES:
                closed_at = min(resolved_at + timedelta(minutes=rng.randint(0, 60 * 24 * 3)), now)
            if state not in RESOLVED_STATES:
                resolved_at = None
        touched = min(created + (now - created) * rng.random(), created + timedelta(days=10))
        return resolved_at, closed_at, closed_at or resolved_at or touched


def cases(world: World, count: int) -> int:
    """`count` cases created between two years ago and now, in id order; numbers continue each
    year's CaseNumberSequence, which is moved on past them."""
    if not count:
        return 0
    maker = _CaseMaker(world)
    local = ZoneInfo(settings.TIME_ZONE)
    last_numbers = dict(CaseNumberSequence.objects.values_list("year", "last"))
    first_id = next_id(Case)
    start = world.now - SPAN
    step = (SPAN - timedelta(hours=1)) / count
    year, year_ends = None, start
    with TableWriter(Case, COLUMNS, rows=count) as write:
        for n in range(count):
            created = start + step * (n + world.rng.random())
            if created >= year_ends:
                year = created.astimezone(local).year
                year_ends = datetime(year + 1, 1, 1, tzinfo=local)
            last_numbers[year] = number = last_numbers.get(year, 0) + 1
            write(maker.row(first_id + n, f"CS-{year}-{number:06d}", created))
    for year, last in last_numbers.items():
        CaseNumberSequence.objects.update_or_create(year=year, defaults={"last": last})
    return count


def close_later_open_margin_calls() -> int:
    """What the rule above does, on cases already in the database (generated before it): every
    open margin call with an earlier open one on its account is closed when it was last touched.
    Returns how many were closed."""
    open_calls = (Case.objects.filter(kind=CaseKind.MARGIN_CALL).exclude(state__in=CLOSED_STATES[CaseKind.MARGIN_CALL])
                  .order_by("credit_account_id", "id").values_list("id", "credit_account_id"))
    seen, later = set(), []
    for case_id, account in open_calls.iterator(20_000):
        if account in seen:
            later.append(case_id)
        seen.add(account)
    for start in range(0, len(later), 5_000):
        Case.objects.filter(id__in=later[start:start + 5_000]).update(
            state="closed", resolved_at=F("updated_at"), closed_at=F("updated_at"))
    return len(later)
