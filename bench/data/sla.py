"""SLA timers (and the warning levels already fired) for the cases in the database.

Finished cases get stopped timers (met mostly, some breached) for first response and
resolution, and disputes for their periodic update and regulatory deadlines too. Open cases get
running timers (`stopped_at` NULL, `resumed_at` set): exactly `running` of them in all, a share
`crossing_share` of which have crossed a warning level the sweep has not fired yet at `now` (some
of them two or three levels), the rest below their next level or already breached. Tickets
waiting on the client have their resolution timer paused.

Timers are drawn, not replayed from events: the elapsed business time of a timer is chosen from
its target, then its start, pause and warning moments are placed on the calendar its policy names
(business seconds counted on that calendar, the same answers as cases.sla.add_business_time), so
warn_50_at < warn_75_at < due_at and next_alert_at is the moment of the lowest level not fired.
Each fired level has its SlaEscalation row, and a case with a breached timer its escalated_at.
"""

import bisect
import datetime
import math
from array import array
from types import SimpleNamespace

from django.db import connection
from django.db.models import Max

from accounts.models import Tier
from bench.writers import TableWriter, next_id
from cases.calendars import SHANGHAI, Schedule, load_schedule
from cases.models import Case, Metric, SlaEscalation, SlaTimer
from cases.services.sla import policy_for, targets_for
from cases.sla_engine import SLA_KINDS, STOP_STATES, WAITING_REASON

UTC = datetime.UTC
LEVELS = (50, 75, 100)
NEXT_LEVEL = {0: 50, 50: 75, 75: 100}
#: Fired level of a running timer: among those that crossed a level not yet fired, and among the others.
CROSSING_FIRED = {0: 50, 50: 30, 75: 20}
QUIET_FIRED = {0: 60, 50: 18, 75: 12, 100: 10}
#: Share of finished cases' timers that were breached.
BREACHED_SHARE = {Metric.FIRST_RESPONSE: 0.12, Metric.RESOLUTION: 0.15}
OTHER_BREACHED_SHARE = 0.08
INITIAL_STATES = {"new", "submitted", "received"}
#: Open dispute states past the acknowledgement / past the final response.
ACKNOWLEDGED = {"acknowledged", "investigating", "resolution_proposed", "rejected_by_client"}
FINAL_RESPONSE_SENT = {"rejected_by_client"}
TIMER_COLUMNS = ["id", "case_id", "metric", "cycle", "calendar_code", "target_seconds", "pausable", "state",
                 "breached", "started_at", "stopped_at", "elapsed_seconds", "resumed_at", "pause_reason", "pauses",
                 "warn_50_at", "warn_75_at", "due_at", "fired_level", "next_alert_at"]
ESCALATION_COLUMNS = ["id", "timer_id", "case_id", "level", "fired_at", "sweep"]
#: What sla_timers counts, in this order.
COUNTS = ("timers", "running timers", "crossing timers", "levels to fire", "paused timers", "breached timers",
          "escalations", "escalated cases")


class BusinessClock:
    """A calendar as business seconds counted from the first day of its first year: `position(t)`
    is the business time before `t`, `moment(p)` the earliest instant at position `p`."""

    def __init__(self, schedule: Schedule):
        years = sorted(schedule.years)
        last = max(year for n, year in enumerate(years) if year - years[0] == n)  # contiguous years only
        self.first_day = datetime.date(years[0], 1, 1)
        self.openings, self.before, self.ends = array("q"), array("q"), array("q")
        total, day = 0, self.first_day
        while day.year <= last:
            opening = int(schedule.opening(day).timestamp())
            length = int(schedule.closing(day).timestamp()) - opening if schedule.is_business_day(day) else 0
            self.openings.append(opening)
            self.before.append(total)
            total += length
            self.ends.append(total)
            day += datetime.timedelta(days=1)

    def position(self, moment: datetime.datetime | int) -> int:
        timestamp = moment if isinstance(moment, int) else int(moment.timestamp())
        index = (datetime.datetime.fromtimestamp(timestamp, SHANGHAI).date() - self.first_day).days
        if not 0 <= index < len(self.openings):
            raise ValueError(f"{datetime.datetime.fromtimestamp(timestamp, UTC)} is outside the calendar")
        length = self.ends[index] - self.before[index]
        return self.before[index] + min(max(timestamp - self.openings[index], 0), length)

    def moment(self, position: int) -> int:
        """The earliest timestamp at `position` (a closing time when it falls on one)."""
        index = bisect.bisect_left(self.ends, position)
        if index >= len(self.ends):
            raise ValueError("past the calendar's last year")
        return self.openings[index] + position - self.before[index]

    def add(self, start: int, seconds: int) -> int:
        """cases.sla.add_business_time, on timestamps (none from a start outside the calendar's hours
        is the next opening: the first instant at the start's position that is in hours)."""
        if seconds < 0:
            raise ValueError("business time to add must not be negative")
        position = self.position(start)
        if seconds:
            return self.moment(position + seconds)
        index = bisect.bisect_right(self.ends, position)
        if index >= len(self.ends):
            raise ValueError("past the calendar's last year")
        return self.openings[index] + position - self.before[index]


def _at(timestamp: int | None) -> datetime.datetime | None:
    return None if timestamp is None else datetime.datetime.fromtimestamp(timestamp, UTC)


def _iso(timestamp: int) -> str:
    return _at(timestamp).isoformat()


def _ts(moment: datetime.datetime | None) -> int | None:
    """Whole seconds, rounded up: a timer never starts before its case."""
    return None if moment is None else math.ceil(moment.timestamp())


def _pick(weights: dict, rng, allowed) -> int:
    choices = {value: weight for value, weight in weights.items() if allowed(value)}
    if not choices:
        return min(weights)
    point, total = rng.random() * sum(choices.values()), 0
    for value, weight in choices.items():
        total += weight
        if point < total:
            return value
    return value


def dataset_now() -> datetime.datetime:
    """The moment the cases were generated at: no case was created, changed or closed after it."""
    latest = Case.objects.aggregate(updated=Max("updated_at"), created=Max("created_at"))
    moments = [moment for moment in latest.values() if moment is not None]
    if not moments:
        raise LookupError("no cases to time")
    return max(moments).replace(microsecond=0) + datetime.timedelta(seconds=1)


class _Targets:
    """{metric: (seconds, calendar code, pausable)} per (kind, priority, tier), from the policies
    in the database, as cases.services.sla chooses them for a case."""

    def __init__(self):
        self.cache = {}

    def __call__(self, kind: str, priority: str, tier: str) -> dict:
        key = (kind, priority, tier)
        if key not in self.cache:
            case = SimpleNamespace(kind=kind, priority=priority, client=SimpleNamespace(tier=tier or Tier.STANDARD))
            policy = policy_for(case)
            self.cache[key] = {metric: tuple(values) for metric, values in
                               (targets_for(case, policy) if policy else {}).items()}
        return self.cache[key]


class _Plan:
    """Which timers each case gets and whether they run."""

    STOPPED, RUNNING, PAUSED = "stopped", "running", "paused"

    def __init__(self, kind: str, state: str, metrics: dict):
        self.finished = state in STOP_STATES[kind]
        self.timers: dict[str, str] = {}
        if not metrics:
            return
        initial = [m for m in (Metric.FIRST_RESPONSE, Metric.RESOLUTION, Metric.PERIODIC_UPDATE,
                               Metric.REGULATORY_ACK, Metric.REGULATORY_FINAL) if m in metrics]
        if self.finished:
            self.timers = dict.fromkeys(initial, self.STOPPED)
            return
        if state in INITIAL_STATES:
            self.timers = dict.fromkeys(initial, self.RUNNING)
            return
        self.timers = dict.fromkeys(initial, self.RUNNING)
        self.timers[Metric.FIRST_RESPONSE] = self.STOPPED
        if state == "waiting_on_client":
            for metric in initial:
                if metrics[metric][2] and metric != Metric.FIRST_RESPONSE:
                    self.timers[metric] = self.PAUSED
        if Metric.REGULATORY_ACK in self.timers and state in ACKNOWLEDGED:
            self.timers[Metric.REGULATORY_ACK] = self.STOPPED
        if Metric.REGULATORY_FINAL in self.timers and state in FINAL_RESPONSE_SENT:
            self.timers[Metric.REGULATORY_FINAL] = self.STOPPED
        self.timers = {metric: status for metric, status in self.timers.items() if metric in metrics}

    @property
    def may_await_reply(self) -> bool:
        """A client wrote since the last reply: a next_response timer may run (added to reach the count)."""
        return (not self.finished and self.timers.get(Metric.FIRST_RESPONSE) == self.STOPPED
                and self.RUNNING in self.timers.values())

    def running(self) -> int:
        return sum(status == self.RUNNING for status in self.timers.values())


class TimerMaker:
    def __init__(self, rng, now: datetime.datetime):
        self.rng, self.now = rng, int(now.timestamp())
        self.clocks: dict[str, BusinessClock] = {}
        self.timer_id, self.escalation_id = next_id(SlaTimer), next_id(SlaEscalation)
        self.escalations = array("q")  # (id, timer, case, level, fired at) flattened
        self.counts = {"timers": 0, "running timers": 0, "crossing timers": 0, "levels to fire": 0,
                       "paused timers": 0, "breached timers": 0}

    def clock(self, code: str) -> BusinessClock:
        if code not in self.clocks:
            self.clocks[code] = BusinessClock(load_schedule(code))
        return self.clocks[code]

    def _fired(self, timer_id: int, case_id: int, fired_level: int, moments: dict[int, int]) -> None:
        for level in LEVELS:
            if level <= fired_level:
                self.escalations.extend((self.escalation_id, timer_id, case_id, level, moments[level]))
                self.escalation_id += 1

    def _row(self, case_id, metric, cycle, target, *, state, breached, started, stopped=None, elapsed=0,
             resumed=None, pause_reason="", pauses=(), warn=None, fired=0, next_alert=None) -> tuple:
        seconds, calendar, pausable = target
        warn = warn or (None, None, None)
        self.counts["timers"] += 1
        self.counts["breached timers"] += breached
        row = (self.timer_id, case_id, metric, cycle, calendar, seconds, pausable, state, breached, _at(started),
               _at(stopped), elapsed, _at(resumed), pause_reason, list(pauses), _at(warn[0]), _at(warn[1]),
               _at(warn[2]), fired, _at(next_alert))
        self.timer_id += 1
        return row

    def stopped(self, case_id: int, metric: str, target: tuple, created: int, ended: int) -> tuple:
        """A timer stopped by `ended` (first response and the regulatory acknowledgement sooner)."""
        rng, clock = self.rng, self.clock(target[1])
        seconds = target[0]
        breached = rng.random() < BREACHED_SHARE.get(metric, OTHER_BREACHED_SHARE)
        ratio = 1 + rng.random() * 1.5 if breached else 0.05 + 0.95 * rng.random() ** 1.5
        start = clock.position(created)
        available = clock.position(ended) - start
        elapsed = max(0, min(int(seconds * ratio), available))
        breached = elapsed > seconds
        stopped = ended if metric in (Metric.RESOLUTION, Metric.PERIODIC_UPDATE, Metric.REGULATORY_FINAL) else \
            max(min(clock.add(created, elapsed), ended), created)
        fired = max((level for level in LEVELS if elapsed >= seconds * level // 100), default=0)
        if fired == 100 and not breached:
            fired = 75
        moments = {level: max(clock.moment(start + seconds * level // 100), created) for level in LEVELS}
        self._fired(self.timer_id, case_id, fired, moments)
        return self._row(case_id, metric, 1, target, state=SlaTimer.State.BREACHED if breached else SlaTimer.State.MET,
                         breached=breached, started=created, stopped=stopped, elapsed=elapsed, fired=fired)

    def paused(self, case_id: int, metric: str, target: tuple, created: int, paused_at: int) -> tuple:
        rng, clock = self.rng, self.clock(target[1])
        seconds = target[0]
        start = clock.position(created)
        available = max(clock.position(paused_at) - start, 0)
        elapsed = min(int(seconds * rng.random() * 1.3), available)
        breached = elapsed > seconds
        fired = max((level for level in LEVELS if elapsed >= seconds * level // 100), default=0)
        if fired == 100 and not breached:
            fired = 75
        moments = {level: max(clock.moment(start + seconds * level // 100), created) for level in LEVELS}
        self._fired(self.timer_id, case_id, fired, moments)
        self.counts["paused timers"] += 1
        state = SlaTimer.State.BREACHED if breached else SlaTimer.State.PAUSED
        return self._row(case_id, metric, 1, target, state=state, breached=breached, started=created,
                         elapsed=elapsed, pause_reason=WAITING_REASON,
                         pauses=[[_iso(max(paused_at, created)), None, WAITING_REASON]], fired=fired)

    def running(self, case_id: int, metric: str, cycle: int, target: tuple, created: int, crossing: bool) -> tuple:
        """A running timer whose next level was crossed by now (`crossing`) or is still ahead."""
        rng, clock, now = self.rng, self.clock(target[1]), self.now
        seconds = target[0]
        at_now = clock.position(now)
        most = at_now - clock.position(created)  # business time since the case opened
        if crossing:
            fired = _pick(CROSSING_FIRED, rng, lambda f: seconds * NEXT_LEVEL[f] // 100 <= most)
            low = seconds * NEXT_LEVEL[fired] // 100
            after = NEXT_LEVEL.get(NEXT_LEVEL[fired])
            high = (seconds * after // 100 - 1) if after and rng.random() < 0.7 else seconds * 3 // 2
        else:
            fired = _pick(QUIET_FIRED, rng, lambda f: seconds * f // 100 <= most)
            low = seconds * fired // 100
            high = seconds * NEXT_LEVEL[fired] // 100 - 1 if fired < 100 else seconds * 3
        elapsed_total = rng.randint(low, max(low, min(high, most)))
        # A pausable timer may have waited on the client once: business time before the pause is banked.
        banked, pause = 0, 0
        if target[2] and elapsed_total >= 3600 and rng.random() < 0.25:
            banked = int(elapsed_total * (0.2 + 0.6 * rng.random()))
            pause = min(rng.randint(3600, 2 * 8 * 3600), most - elapsed_total)
        resumed_position = at_now - (elapsed_total - banked)
        started = max(clock.moment(resumed_position - pause - banked), created)
        resumed = max(clock.moment(resumed_position), started)
        pauses = []
        if banked:
            paused_at = max(clock.moment(resumed_position - pause), started)
            pauses = [[_iso(paused_at), _iso(resumed), WAITING_REASON]]
        # As the engine projects them: ahead of the running stretch, or in the stretch before the pause.
        moments = {level: clock.add(resumed, seconds * level // 100 - banked) if seconds * level // 100 > banked
                   else clock.add(started, seconds * level // 100) for level in LEVELS}
        breached = fired == 100
        next_alert = moments[NEXT_LEVEL[fired]] if fired < 100 else None
        crossed = sum(1 for level in LEVELS if level > fired and moments[level] <= now)
        if crossing != (crossed > 0):  # cannot happen: the elapsed time was chosen for it
            raise AssertionError(f"timer of case {case_id}: crossing={crossing}, {crossed} levels crossed")
        self.counts["running timers"] += 1
        self.counts["crossing timers"] += crossing
        self.counts["levels to fire"] += crossed
        self._fired(self.timer_id, case_id, fired, moments)
        return self._row(case_id, metric, cycle, target,
                         state=SlaTimer.State.BREACHED if breached else SlaTimer.State.RUNNING, breached=breached,
                         started=started, elapsed=banked, resumed=resumed, pauses=pauses,
                         warn=(moments[50], moments[75], moments[100]), fired=fired, next_alert=next_alert)


def _load_cases() -> list[tuple]:
    rows = (Case.objects.filter(kind__in=SLA_KINDS).order_by("id")
            .values_list("id", "kind", "priority", "state", "client__tier", "created_at", "updated_at",
                         "resolved_at", "closed_at"))
    return [(case_id, kind, priority, state, tier, _ts(created), _ts(closed or resolved or updated))
            for case_id, kind, priority, state, tier, created, updated, resolved, closed in rows.iterator(20_000)]


def sla_timers(*, rng, now: datetime.datetime, running: int, crossing_share: float) -> dict[str, int]:
    """Timers for every case of a kind with SLAs (none may have timers yet); returns counts."""
    if SlaTimer.objects.exists():
        raise RuntimeError("the cases already have SLA timers")
    cases = _load_cases()
    targets = _Targets()
    case_metrics = [targets(kind, priority, tier) for _id, kind, priority, state, tier, _c, _e in cases]
    plans = [_Plan(case[1], case[3], metrics) for case, metrics in zip(cases, case_metrics)]

    # Exactly `running` running timers: a next response awaited on some cases, or (too many) a
    # first response already sent on some new ones.
    have = sum(plan.running() for plan in plans)
    if have < running:
        candidates = [n for n, plan in enumerate(plans)
                      if plan.may_await_reply and Metric.NEXT_RESPONSE in case_metrics[n]]
        for n in rng.sample(candidates, min(running - have, len(candidates))):
            plans[n].timers[Metric.NEXT_RESPONSE] = _Plan.RUNNING
    elif have > running:
        candidates = [n for n, plan in enumerate(plans) if plan.timers.get(Metric.FIRST_RESPONSE) == _Plan.RUNNING]
        for n in rng.sample(candidates, min(have - running, len(candidates))):
            plans[n].timers[Metric.FIRST_RESPONSE] = _Plan.STOPPED

    # Which running timers crossed a level not fired yet: a share of those old enough to have.
    maker = TimerMaker(rng, now)
    at_now = {}
    running_timers, feasible = [], []
    for n, plan in enumerate(plans):
        for metric, status in plan.timers.items():
            if status != _Plan.RUNNING:
                continue
            seconds, calendar, _pausable = case_metrics[n][metric]
            clock = maker.clock(calendar)
            if calendar not in at_now:
                at_now[calendar] = clock.position(maker.now)
            if at_now[calendar] - clock.position(cases[n][5]) >= seconds // 2:
                feasible.append(len(running_timers))
            running_timers.append((n, metric))
    crossing = set(rng.sample(feasible, min(round(len(running_timers) * crossing_share), len(feasible))))

    index = 0
    with TableWriter(SlaTimer, TIMER_COLUMNS, rows=sum(len(plan.timers) for plan in plans)) as write:
        for n, plan in enumerate(plans):
            case_id, _kind, _priority, state, _tier, created, ended = cases[n]
            for metric, status in plan.timers.items():
                target = case_metrics[n][metric]
                if status == _Plan.STOPPED:
                    write(maker.stopped(case_id, metric, target, created, max(ended, created)))
                elif status == _Plan.PAUSED:
                    write(maker.paused(case_id, metric, target, created, max(ended, created)))
                else:
                    cycle = 1
                    if metric in (Metric.NEXT_RESPONSE, Metric.PERIODIC_UPDATE) and state not in INITIAL_STATES:
                        cycle = 1 + rng.randrange(3)
                    write(maker.running(case_id, metric, cycle, target, created, index in crossing))
                    index += 1
    escalations = maker.escalations
    with TableWriter(SlaEscalation, ESCALATION_COLUMNS, rows=len(escalations) // 5) as write:
        for at in range(0, len(escalations), 5):
            write((*escalations[at:at + 4], _at(escalations[at + 4]), "bench"))
    with connection.cursor() as cursor:  # a case is escalated when its first timer breached
        cursor.execute("""
            UPDATE cases_case SET escalated_at = e.first_breach
            FROM (SELECT case_id, MIN(fired_at) AS first_breach FROM cases_slaescalation
                  WHERE level = 100 GROUP BY case_id) AS e
            WHERE cases_case.id = e.case_id
        """)
        maker.counts["escalated cases"] = cursor.rowcount
    maker.counts["escalations"] = len(escalations) // 5
    return {name: maker.counts[name] for name in COUNTS}
