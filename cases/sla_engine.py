"""The SLA engine: a pure function of a case's event log.

Live, each new event is applied to the case's stored timers (cases/services/sla.py); rebuilt,
the whole log is replayed from nothing (`manage.py sla_rebuild`). Both run this same code, so
the stored timers can always be reproduced from the events, and a change of priority, tier or
policy (an `sla / policy_applied` event carrying the new targets) never loses elapsed or paused
time.

Rules (PRODUCT.md, issue "SLA engine"):
- policy_applied: the first one starts first_response, resolution, periodic_update and the
  regulatory metrics the policy has (paused if the case waits on the client; first_response not
  if staff answered in public before: no policy matched the case until then); later ones change
  targets of the running timers, and a clock its wait paused runs on from then when its new target
  is not paused (one made pausable while the case waits pauses). The clock of a metric the new
  targets no longer have stands still (paused, no_target) and runs on with its time when they
  have it again (stopped meanwhile: cancelled); a metric they have anew starts then, as the first
  targets start it, where the case still owes it (open; first_response not answered,
  regulatory_ack not acknowledged, regulatory_final not given).
- A public staff reply meets first_response and the open next_response, and restarts
  periodic_update (so does a dispute's resolution sent, approve_resolution: the client's
  answer); a public client message starts next_response if none is running (not the
  files sent with the case itself: first response answers them).
- Waiting on the client (ticket waiting_on_client; a dispute whose resolution was approved and
  sent) pauses the pausable metrics (resolution, periodic_update; never first_response nor the
  regulatory ones); leaving that wait resumes them, and so does the client's reply while the case
  still waits (a question about the proposal: the firm owes the answer); the staff's public
  answer, the case still waiting, pauses them again.
- acknowledge meets regulatory_ack; approve_resolution (the final response) regulatory_final.
- A finished state stops every timer; reopen starts a new resolution cycle. A timer stopped after
  running more than its target, or after its due moment (a reply in the evening to a clock due at
  the close), is breached; stopped at its due moment itself, met. A cancelled ticket's clocks still
  in time are cancelled: neither met nor breached, left out of compliance (ServiceNow's Cancelled
  stage); a client withdrawing a ticket is no proof the firm answered in time.
- An escalation event records the warning level fired; 100 % marks the timer breached.

The moments of a timer (project): the 50 %, 75 % and 100 % moments are where its business time run
reaches that share of its current target, ahead of it or, when it ran that far already, in its past
(walked back through its running stretches between pauses): a due moment that has passed stays the
moment the timer reached it, whatever changed since (a target, a priority, a tier, a pause). A paused
timer has no moments (nothing lies ahead of it) but the sweep's next alert for a level it crossed
before its pause and that was not fired yet: levels crossed are fired exactly once, paused or not.
Stopped while paused, a timer that had run its whole target gets back the due moment it reached.
A recorded breach (its 100 % fired) is never undone: a longer target moves the due moment ahead
again but the timer stays breached and its fired levels stay fired (their escalation rows remain).
Nor is one reached before a change of target that no sweep recorded yet (the API and the reports
showed it breached): the timer stays breached and the next sweep fires its breach, once.
"""

import datetime
from dataclasses import dataclass, field

from cases.calendars import CalendarHistory, Schedule, load_calendar_history
from cases.models.case import CaseKind, EventKind
from cases.models.sla import ESCALATION_LEVELS, Metric, SlaTimer
from cases.models.workflows import CLOSED_STATES, DisputeCase, TicketCase
from cases.sla import add_business_time, business_time_between

#: The SLA event recorded on a case whose running clocks moved with an edit of their calendar.
CALENDAR_CHANGED = "calendar_changed"
RUNNING, PAUSED, MET, BREACHED, CANCELLED = (SlaTimer.State.RUNNING, SlaTimer.State.PAUSED, SlaTimer.State.MET,
                                             SlaTimer.State.BREACHED, SlaTimer.State.CANCELLED)
INITIAL_METRICS = (Metric.FIRST_RESPONSE, Metric.RESOLUTION, Metric.PERIODIC_UPDATE, Metric.REGULATORY_ACK,
                   Metric.REGULATORY_FINAL)
STOP_STATES = {
    **CLOSED_STATES,
    CaseKind.DISPUTE: CLOSED_STATES[CaseKind.DISPUTE] | {DisputeCase.State.ACCEPTED,
                                                         DisputeCase.State.REFERRED_TO_MEDIATION},
}
WAITING_REASON = "waiting_on_client"
#: A clock whose metric the targets in force no longer time: it stands still until they time it again.
NO_TARGET_REASON = "no_target"
SLA_KINDS = (CaseKind.TICKET, CaseKind.DISPUTE, CaseKind.EXTENSION, CaseKind.RELIEF)


@dataclass
class Target:
    seconds: int
    calendar: str
    pausable: bool


@dataclass
class Timer:
    metric: str
    cycle: int
    calendar_code: str
    target_seconds: int
    pausable: bool
    started_at: datetime.datetime
    state: str = RUNNING
    breached: bool = False
    stopped_at: datetime.datetime | None = None
    elapsed_seconds: int = 0
    resumed_at: datetime.datetime | None = None
    pause_reason: str = ""
    pauses: list = field(default_factory=list)
    fired_level: int = 0
    warn_50_at: datetime.datetime | None = None
    warn_75_at: datetime.datetime | None = None
    due_at: datetime.datetime | None = None
    next_alert_at: datetime.datetime | None = None
    changed: bool = True

    FIELDS = ("metric", "cycle", "calendar_code", "target_seconds", "pausable", "state", "breached",
              "started_at", "stopped_at", "elapsed_seconds", "resumed_at", "pause_reason", "pauses",
              "fired_level", "warn_50_at", "warn_75_at", "due_at", "next_alert_at")

    @property
    def active(self) -> bool:
        return self.stopped_at is None

    @classmethod
    def from_model(cls, row: SlaTimer) -> "Timer":
        return cls(**{name: getattr(row, name) for name in cls.FIELDS}, changed=False)

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.FIELDS}


def is_waiting(case) -> bool:
    """The case waits on the client: a ticket waiting_on_client, a dispute whose resolution was
    approved and sent (for the client to accept or reject)."""
    return (case.state == TicketCase.State.WAITING_ON_CLIENT
            or (case.kind == CaseKind.DISPUTE and case.state == DisputeCase.State.RESOLUTION_PROPOSED
                and case.approved_by_id is not None))


def _seconds(delta: datetime.timedelta) -> int:
    return int(delta.total_seconds())


def _moment(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text)


def running_since(timer: Timer) -> datetime.datetime:
    """When the running stretch of a running timer began: its start or the end of its last pause
    (a change of targets banks the time run, moving `resumed_at`, but begins no new stretch)."""
    if timer.pauses:
        return _moment(timer.pauses[-1][1]) if timer.pauses[-1][1] else timer.resumed_at
    return timer.started_at


def closed_stretches(timer: Timer) -> list[tuple[datetime.datetime, datetime.datetime]]:
    """The stretches the timer ran before each of its pauses, (from, to), oldest first."""
    stretches, begin = [], timer.started_at
    for paused_at, resumed_at, _reason in timer.pauses:
        stretches.append((begin, _moment(paused_at)))
        if not resumed_at:
            break
        begin = _moment(resumed_at)
    return stretches


class Engine:
    def __init__(self, kind: str, timers: list[Timer], targets: dict[str, Target] | None = None,
                 waiting: bool = False):
        self.kind = kind
        self.timers = timers
        self.waiting = waiting  # the case waits on the client (is_waiting; replayed: from the transitions)
        # The case's progress so far (follow): what decides whether a clock the targets add runs.
        self.answered = False  # a public staff reply was seen (replayed: before the first targets too)
        self.closed = False  # resolved, closed or cancelled (until reopened)
        self.acknowledged = False  # a dispute acknowledged
        self.finalised = False  # a dispute's resolution approved (its final response given)
        self.targets = targets or {}
        self.calendars: dict[str, CalendarHistory] = {}
        # The moment whose calendar counts: the event being applied (None: now). Each event is
        # counted on the calendar as it stood then, live and replayed alike (CalendarChange).
        self.as_of: datetime.datetime | None = None

    # --- helpers ------------------------------------------------------------------------------
    def schedule(self, code: str) -> Schedule:
        if code not in self.calendars:
            self.calendars[code] = load_calendar_history(code)
        return self.calendars[code].as_of(self.as_of)

    def active(self, metric: str) -> Timer | None:
        return next((t for t in self.timers if t.metric == metric and t.active), None)

    def start(self, metric: str, at: datetime.datetime, paused: bool = False) -> None:
        target = self.targets.get(metric)
        if target is None or self.active(metric) is not None:
            return
        cycle = 1 + max((t.cycle for t in self.timers if t.metric == metric), default=0)
        timer = Timer(metric=metric, cycle=cycle, calendar_code=target.calendar, target_seconds=target.seconds,
                      pausable=target.pausable, started_at=at, resumed_at=at)
        self.timers.append(timer)
        if paused and timer.pausable:
            self.pause(timer, at, WAITING_REASON)
        self.project(timer)

    def accrue(self, timer: Timer, at: datetime.datetime) -> None:
        """Bank the business time run since `resumed_at`. Whole seconds are counted from the start
        of the running stretch, so that banking it in parts (a change of targets) gives what banking
        it at once gives, and the moments projected from the stretch's start never move."""
        if timer.resumed_at is not None and at > timer.resumed_at:
            schedule = self.schedule(timer.calendar_code)
            begin = running_since(timer)
            run = _seconds(business_time_between(begin, at, schedule))
            if timer.resumed_at > begin:
                run -= _seconds(business_time_between(begin, timer.resumed_at, schedule))
            timer.elapsed_seconds += max(run, 0)
        timer.resumed_at = None

    def stop(self, timer: Timer | None, at: datetime.datetime, cancelled: bool = False) -> None:
        """Stop the clock: breached if late (_late), else met, or cancelled when the case was
        cancelled (neither met nor breached: the reports leave it out)."""
        if timer is None or not timer.active:
            return
        cancelled = cancelled or timer.pause_reason == NO_TARGET_REASON  # not timed when it stopped
        was_paused = timer.resumed_at is None
        if was_paused:
            self._close_pause(timer, at)
        self.accrue(timer, at)
        timer.stopped_at = at
        if was_paused:  # a paused timer has no due moment: the one it reached before its pause, if it did
            timer.due_at = self.reached_at(timer, (100,))[100]
        timer.breached = timer.breached or self._late(timer, at)
        timer.state = BREACHED if timer.breached else CANCELLED if cancelled else MET
        timer.pause_reason = ""
        self.project(timer)

    @staticmethod
    def _late(timer: Timer, at: datetime.datetime) -> bool:
        """Stopped at `at` after running its whole target: late when it ran more, or when it stops
        after its due moment (a reply at 17:30 to a clock due at the 17:00 close ran no more
        business time, but the API and the sweep showed it breached since 17:00); stopped at its
        due moment itself, it is in time. A paused clock that had run its whole target is late."""
        if timer.elapsed_seconds != timer.target_seconds:
            return timer.elapsed_seconds > timer.target_seconds
        return timer.due_at is None or at > timer.due_at

    def pause(self, timer: Timer, at: datetime.datetime, reason: str) -> None:
        if not timer.active or not timer.pausable or timer.resumed_at is None:
            return
        self.accrue(timer, at)
        timer.state = BREACHED if timer.breached else PAUSED
        timer.pause_reason = reason
        timer.pauses = [*timer.pauses, [at.isoformat(), None, reason]]
        self.project(timer)

    def resume(self, timer: Timer, at: datetime.datetime) -> None:
        if not timer.active or timer.resumed_at is not None:
            return
        if timer.pause_reason == NO_TARGET_REASON and timer.metric not in self.targets:
            return  # not timed now: the client's reply does not start it
        self._close_pause(timer, at)
        timer.resumed_at = at
        timer.state = BREACHED if timer.breached else RUNNING
        timer.pause_reason = ""
        self.project(timer)

    def _suspend(self, timer: Timer, at: datetime.datetime) -> None:
        """The targets no longer time this clock: it stands still (paused for NO_TARGET_REASON, pausable
        or not, also when a wait paused it) with the time it ran; no deadline, no warning ahead. Stopped
        so, it is cancelled: neither met nor breached (unless it was breached before)."""
        if timer.pause_reason == NO_TARGET_REASON:
            return
        if timer.resumed_at is None:
            self._close_pause(timer, at)
        self.accrue(timer, at)
        timer.state = BREACHED if timer.breached else PAUSED
        timer.pause_reason = NO_TARGET_REASON
        timer.pauses = [*timer.pauses, [at.isoformat(), None, NO_TARGET_REASON]]
        self.project(timer)

    @staticmethod
    def _close_pause(timer: Timer, at: datetime.datetime) -> None:
        if timer.pauses and timer.pauses[-1][1] is None:
            timer.pauses = [*timer.pauses[:-1], [timer.pauses[-1][0], at.isoformat(), timer.pauses[-1][2]]]

    def project(self, timer: Timer) -> None:
        """Recompute the warning and due moments of a timer (module docstring): a running timer's
        three, in its past for the levels it ran past already; none while paused, but the sweep's
        next alert for a level crossed before the pause and not fired yet; a stopped timer keeps
        the due moment it had (the breach list and the case say when it was due), and, stopped after it
        before its breach was fired, that moment as its next alert."""
        timer.changed = True
        # Late before a sweep fired its breach: the sweep still fires it, once (escalated, told).
        late = timer.breached and timer.fired_level < ESCALATION_LEVELS[-1]
        if not timer.active:
            timer.warn_50_at = timer.warn_75_at = None
            timer.next_alert_at = (timer.due_at or timer.stopped_at) if late else None
            return
        pending = [level for level in ESCALATION_LEVELS if level > timer.fired_level]
        if timer.resumed_at is None:
            timer.warn_50_at = timer.warn_75_at = timer.due_at = None
            # Levels are crossed in order: only the lowest one not fired can be the next alert.
            timer.next_alert_at = self.reached_at(timer, pending[:1])[pending[0]] if pending else None
        else:
            moments = self.reached_at(timer, ESCALATION_LEVELS)
            timer.warn_50_at, timer.warn_75_at, timer.due_at = moments[50], moments[75], moments[100]
            timer.next_alert_at = moments[pending[0]] if pending else None
        if late:  # past its old target when its target changed (_apply_policy): its breach is due now
            timer.next_alert_at = timer.started_at

    def reached_at(self, timer: Timer, levels) -> dict[int, datetime.datetime | None]:
        """{level: the earliest moment the timer's business time run reaches `level` % of its
        target}, on its calendar: ahead of a running timer or behind it; None for a paused timer
        short of it. Counted from the start of the running stretch (for a running timer) or walked
        through the stretches before its pauses, in the whole seconds `accrue` banks; business time
        banked on another calendar, which those stretches do not show, counts as run first."""
        schedule = self.schedule(timer.calendar_code)
        begin = running_since(timer) if timer.resumed_at is not None else None
        before = timer.elapsed_seconds  # run before the running stretch (all of it while paused)
        if begin is not None and timer.resumed_at > begin:
            before -= _seconds(business_time_between(begin, timer.resumed_at, schedule))
        moments, stretches = {}, None
        for level in levels:
            wanted = timer.target_seconds * level // 100
            if wanted > before:
                moments[level] = None if begin is None else add_business_time(
                    begin, datetime.timedelta(seconds=wanted - before), schedule)
                continue
            if stretches is None:
                stretches = [(start, _seconds(business_time_between(start, end, schedule)))
                             for start, end in closed_stretches(timer)]
            ahead = wanted - (before - sum(length for _start, length in stretches))
            moments[level] = timer.started_at
            for start, length in stretches:
                if ahead <= length:
                    if ahead > 0:
                        moments[level] = add_business_time(start, datetime.timedelta(seconds=ahead), schedule)
                    break
                ahead -= length
        return moments

    # --- events -------------------------------------------------------------------------------
    def follow(self, event) -> None:
        """Note what the event says of the case's progress (the flags in __init__). A stored case's
        engine follows its earlier events before a change of targets, as a replay has."""
        if event.kind == EventKind.MESSAGE and not event.is_internal:
            if event.data.get("source") == "staff" and not event.data.get("with_submission"):
                self.answered = True
        elif event.kind in (EventKind.TRANSITION, EventKind.APPROVAL):
            self.closed = event.to_value in STOP_STATES.get(self.kind, ())
            self.acknowledged = self.acknowledged or event.name == "acknowledge"
            self.finalised = self.finalised or event.name == "approve_resolution"
            self.answered = self.answered or event.name == "approve_resolution"  # the resolution sent

    def apply(self, event) -> None:
        if self.kind not in SLA_KINDS:
            return
        self.follow(event)
        at = self.as_of = event.created_at
        if event.kind == EventKind.SLA and event.name == "policy_applied":
            self._apply_policy(event.data, at)
        elif event.kind == EventKind.SLA and event.name == CALENDAR_CHANGED:
            self.reproject(event.data.get("calendar"))
        elif event.kind in (EventKind.TRANSITION, EventKind.APPROVAL):
            self._apply_transition(event, at)
        elif event.kind == EventKind.MESSAGE and not event.is_internal:
            if not event.data.get("with_submission"):  # files sent with the case: what first response answers
                self._apply_message(event.data.get("source"), at)
        elif event.kind == EventKind.ESCALATION and event.name == "sla_warning":
            self._apply_escalation(event.data)

    def _apply_policy(self, data: dict, at: datetime.datetime) -> None:
        """New targets (a policy edited, another policy, a change of priority or tier): the clocks
        running keep their time on the new targets; the clock of a metric the targets no longer time
        stands still (_suspend) and runs on, with its time, once they time it again (a policy switched
        off and on, a target deleted and added again, lose no time); a metric they time anew starts
        now, where it applies to the case as it stands (_applies), as the first targets do."""
        self.targets = {metric: Target(*values) for metric, values in data.get("targets", {}).items()}
        for timer in self.timers:
            target = self.targets.get(timer.metric)
            if timer.active and target is None:
                self._suspend(timer, at)
            elif timer.active:
                if timer.resumed_at is not None:  # bank the time run so far on the old calendar
                    self.accrue(timer, at)
                    timer.resumed_at = at
                if not timer.breached and self._late(timer, at):
                    # Past its target before the change, no sweep had recorded it yet (beat down, or
                    # within its minute): breached as the API and the reports showed it, and fired.
                    timer.breached, timer.state = True, BREACHED
                timer.target_seconds, timer.calendar_code = target.seconds, target.calendar
                made_pausable = target.pausable and not timer.pausable
                timer.pausable = target.pausable
                if timer.pause_reason == NO_TARGET_REASON:
                    # Timed again: it runs on from the time it had (or waits, with the case).
                    self.resume(timer, at)
                    if self.waiting:
                        self.pause(timer, at, WAITING_REASON)
                elif timer.resumed_at is None and not timer.pausable:
                    # Paused by a wait, on a target no longer paused: it runs from now (paused, the
                    # sweep never escalated it and the reports counted it running for good).
                    self.resume(timer, at)
                elif made_pausable and self.waiting:
                    # Made pausable while the case waits on the client: paused as the wait would have.
                    self.pause(timer, at, WAITING_REASON)
                # Its breach, state and fired levels stay as recorded (a breach is never undone);
                # its moments move to the new target, in its past where it ran past them already.
                self.project(timer)
        for metric in INITIAL_METRICS:  # the first targets too (also long after the case opened)
            if self._applies(metric):
                self.start(metric, at, paused=self.waiting)

    def _applies(self, metric: str) -> bool:
        """A clock of `metric` started now would time something still to do: the case is open and
        not answered yet (first response), not acknowledged (regulatory acknowledgement), its final
        response not given (regulatory final)."""
        if self.closed:
            return False
        done = {Metric.FIRST_RESPONSE: self.answered, Metric.REGULATORY_ACK: self.acknowledged,
                Metric.REGULATORY_FINAL: self.finalised}
        return not done.get(metric, False)

    def reproject(self, code: str | None) -> None:
        """A day of calendar `code` was made a holiday or a working day: the running clocks on it
        are projected again (the time already run is kept; only the moments ahead move)."""
        for timer in self.timers:
            if timer.active and timer.resumed_at is not None and timer.calendar_code == code:
                self.project(timer)

    def _apply_transition(self, event, at: datetime.datetime) -> None:
        name, state = event.name, event.to_value
        if state in STOP_STATES.get(self.kind, ()):
            self.waiting = False
            for timer in self.timers:
                self.stop(timer, at, cancelled=state == TicketCase.State.CANCELLED)
            return
        if name == "acknowledge":
            self.stop(self.active(Metric.REGULATORY_ACK), at)
        if name == "approve_resolution":  # the resolution sent: the final response, and an answer
            self.stop(self.active(Metric.REGULATORY_FINAL), at)
            self._answered(at)
        if name == "reopen":
            self.start(Metric.RESOLUTION, at)
        waiting = state == TicketCase.State.WAITING_ON_CLIENT or name == "approve_resolution"
        self.waiting = waiting
        if waiting:
            self._pause_active(at)
        elif name != "approve_resolution":
            self._resume_active(at)

    def _apply_message(self, source: str | None, at: datetime.datetime) -> None:
        if source == "staff":
            self._answered(at)
            if self.waiting:  # answered, the case still waits on the client
                self._pause_active(at)
        elif source == "client":
            if any(t.active for t in self.timers):
                if self.waiting:  # the client replied: the firm is the one to act
                    self._resume_active(at)
                self.start(Metric.NEXT_RESPONSE, at)

    def _answered(self, at: datetime.datetime) -> None:
        """The firm answered the client in public (a staff reply, a dispute's resolution sent): first
        response and the open next response are met, periodic_update is met and the next one runs
        from now (paused, as the last one was)."""
        self.stop(self.active(Metric.FIRST_RESPONSE), at)
        self.stop(self.active(Metric.NEXT_RESPONSE), at)
        periodic = self.active(Metric.PERIODIC_UPDATE)
        if periodic is not None:
            was_paused = periodic.resumed_at is None
            self.stop(periodic, at)
            self.start(Metric.PERIODIC_UPDATE, at, paused=was_paused)

    def _pause_active(self, at: datetime.datetime) -> None:
        """Waiting on the client: the running pausable timers pause (pause passes the others by)."""
        for timer in [t for t in self.timers if t.active]:
            self.pause(timer, at, WAITING_REASON)

    def _resume_active(self, at: datetime.datetime) -> None:
        for timer in [t for t in self.timers if t.active]:
            self.resume(timer, at)

    def _apply_escalation(self, data: dict) -> None:
        timer = next((t for t in self.timers if t.metric == data.get("metric") and t.cycle == data.get("cycle")), None)
        if timer is None:
            return
        level = int(data.get("level", 0))
        timer.fired_level = max(timer.fired_level, level)
        if level >= 100:
            timer.breached = True
            if timer.active:
                timer.state = BREACHED
        self.project(timer)
