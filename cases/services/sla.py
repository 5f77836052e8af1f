"""Keeping each case's SLA timers in step with its events (the rules are in cases/sla_engine.py)."""

import datetime
import logging
from functools import reduce
from operator import or_

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Tier
from cases.models import (REGULATORY_METRICS, BusinessCalendar, Case, CaseEvent, CaseKind, EventKind, Metric, SlaPolicy,
                          SlaTimer)
from cases.sla import day_start
from cases.sla_engine import CALENDAR_CHANGED, SLA_KINDS, Engine, Target, Timer, is_waiting

PREMIUM_TIERS = (Tier.VIP, Tier.HNW)
#: Never paused, whatever a target's "pausable" box says: first response (the client has not been
#: answered yet) and the regulatory deadlines, which the firm cannot stop.
NEVER_PAUSED = (Metric.FIRST_RESPONSE, *REGULATORY_METRICS)
#: What only a dispute has (issue "SLA engine"): updates while it is investigated, the regulator's deadlines.
DISPUTE_METRICS = (Metric.PERIODIC_UPDATE, *REGULATORY_METRICS)
#: The events that tell a case's progress (Engine.follow).
PROGRESS_KINDS = (EventKind.TRANSITION, EventKind.APPROVAL, EventKind.MESSAGE)
logger = logging.getLogger(__name__)


def each_case(cases, apply, *, why: str) -> int:
    """`apply(case)` for each case, each in its own transaction, counting the truthy results. A
    case whose calendar cannot answer (a year missing) keeps its timers as they were and the others
    go on; one error line names them and the reason (the task does not fail on every retry)."""
    from cases.calendars import CalendarUnavailable

    changed, skipped, reasons = 0, [], set()
    for case in cases:
        try:
            with transaction.atomic():
                changed += bool(apply(case))
        except CalendarUnavailable as error:
            skipped.append(getattr(case, "number", case))
            reasons.add(str(error))
    if skipped:
        logger.error("%s: %d case(s) keep their timers (%s%s): %s", why, len(skipped),
                     ", ".join(str(case) for case in skipped[:5]), ", …" if len(skipped) > 5 else "",
                     " ".join(sorted(reasons)))
    return changed


def policy_for(case: Case) -> SlaPolicy | None:
    policies = SlaPolicy.objects.filter(is_active=True).filter(
        Q(kind="") | Q(kind=case.kind), Q(priority="") | Q(priority=case.priority),
        Q(tier="") | Q(tier=case.client.tier),
    ).order_by("position", "id")
    return policies.first()


def targets_for(case: Case, policy: SlaPolicy) -> dict[str, list]:
    """{metric: [business seconds, calendar code, pausable]} for this case under `policy`. The
    regulatory deadlines are never shortened for vip and hnw clients nor paused, and counted in
    working days, and first response is never paused, whatever the target's boxes say (the admin
    ticks both for a new target). The dispute metrics (periodic update, regulatory) time disputes
    alone, also under a policy for any kind."""
    premium = case.client.tier in PREMIUM_TIERS
    targets = {}
    for target in policy.targets.select_related("calendar"):
        if target.metric in DISPUTE_METRICS and case.kind != CaseKind.DISPUTE:
            continue
        seconds = int(target.target.total_seconds())
        if premium and target.scales_with_tier and target.metric not in REGULATORY_METRICS:
            seconds = int(seconds * policy.premium_tier_factor)
        pausable = target.pausable and target.metric not in NEVER_PAUSED
        calendar = BusinessCalendar.WORKING if target.metric in REGULATORY_METRICS else target.calendar.code
        targets[target.metric] = [seconds, calendar, pausable]
    return targets


def _last_policy_event(case: Case) -> CaseEvent | None:
    return case.events.filter(kind=EventKind.SLA, name="policy_applied").order_by("-id").first()


@transaction.atomic
def sla_policy_apply(*, case: Case, actor=None, reason: str = "") -> CaseEvent | None:
    """Record the targets now in force for the case, if they differ from the last ones; the
    event itself moves the timers (keeping elapsed and paused time)."""
    if case.kind not in SLA_KINDS:
        return None
    from cases.services.events import event_record

    policy = policy_for(case)
    targets = targets_for(case, policy) if policy else {}
    last = _last_policy_event(case)
    if last is not None and last.data.get("targets") == targets:
        return None
    if last is None and not targets:
        return None
    return event_record(case=case, kind=EventKind.SLA, actor=actor, name="policy_applied",
                        to_value=policy.name_en if policy else "", comment=reason, is_internal=True,
                        data={"policy": policy.pk if policy else None, "targets": targets})


def sla_clients_tier_changed(*, client_ids) -> int:
    """The open cases of clients whose tier changed take the targets now in force for them,
    keeping the time already run (vip and hnw clients have shorter targets). Returns how many
    cases changed targets; idempotent."""
    from cases.models.workflows import ALL_CLOSED_STATES

    open_cases = (Case.objects.filter(client_id__in=client_ids, kind__in=SLA_KINDS)
                  .exclude(state__in=ALL_CLOSED_STATES).only("pk", "number"))
    return each_case(open_cases.iterator(chunk_size=500),
                     lambda case: sla_policy_reapply(case.pk, reason="tier changed"), why="tier changed")


def sla_policy_reapply(case_id: int, *, reason: str) -> CaseEvent | None:
    """sla_policy_apply for an open case of a set (a tier or a policy changed), the case locked and
    read again first, as a person's change locks it: read with the set, before a priority changed
    meanwhile committed, it got the old priority's targets, the change's own lost."""
    from cases.models.workflows import ALL_CLOSED_STATES

    case = Case.objects.select_for_update(of=("self",)).select_related("client").get(pk=case_id)
    if case.state in ALL_CLOSED_STATES:
        return None
    return sla_policy_apply(case=case, reason=reason)


def sla_clients_tier_changed_on_commit(client_ids) -> None:
    """After the change of tier commits: a task on the SLA queue, else (no broker) here and now."""
    client_ids = sorted(set(client_ids))
    if not client_ids:
        return

    def reapply():
        from cases.tasks import sla_tier_changed_task
        from servicedesk.broker import publish

        if not publish(sla_tier_changed_task, client_ids):
            sla_clients_tier_changed(client_ids=client_ids)

    transaction.on_commit(reapply)


def _targets_from(event: CaseEvent | None) -> dict[str, Target]:
    if event is None:
        return {}
    return {metric: Target(*values) for metric, values in event.data.get("targets", {}).items()}


def _save(case: Case, timers: list[Timer], rows: dict) -> None:
    for timer in timers:
        if not timer.changed:
            continue
        row = rows.get((timer.metric, timer.cycle))
        if row is None:
            SlaTimer.objects.create(case=case, **timer.as_dict())
        else:
            for name, value in timer.as_dict().items():
                setattr(row, name, value)
            row.save()


def sla_on_event(event: CaseEvent) -> None:
    """Apply one new event of a case to its stored timers (same transaction as the event)."""
    case = event.case
    if case.kind not in SLA_KINDS or event.kind not in (
            EventKind.SLA, EventKind.TRANSITION, EventKind.APPROVAL, EventKind.MESSAGE, EventKind.ESCALATION):
        return
    rows = {(row.metric, row.cycle): row for row in SlaTimer.objects.select_for_update().filter(case=case)}
    if not rows and event.kind != EventKind.SLA:
        return
    if rows:
        targets = {} if event.kind == EventKind.SLA else _targets_from(_last_policy_event(case))
        engine = Engine(case.kind, [Timer.from_model(row) for row in rows.values()], targets,
                        waiting=is_waiting(case))
        if event.kind == EventKind.SLA:  # new targets may start a clock: where the case stands, as replayed
            for earlier in case.events.filter(pk__lt=event.pk, kind__in=PROGRESS_KINDS).order_by("id"):
                engine.follow(earlier)
    else:  # the first targets: what came before them (a wait, a public reply) is read from the log, as replayed
        engine = Engine(case.kind, [])
        for earlier in case.events.filter(pk__lt=event.pk).order_by("id"):
            engine.apply(earlier)
    engine.apply(event)
    _save(case, engine.timers, rows)
    if event.kind == EventKind.TRANSITION and event.name == "reopen":
        # The new resolution cycle runs on the targets now in force: a policy edit or a change of
        # tier while the case was resolved moved the open cases only (its own event, so a replay agrees).
        sla_policy_apply(case=case, reason="reopened")


def sla_replay(case: Case) -> list[Timer]:
    """The case's timers as its event log says they are, computed from nothing."""
    engine = Engine(case.kind, [])
    for event in case.events.order_by("id"):
        engine.apply(event)
    return engine.timers


@transaction.atomic
def sla_rebuild(*, case: Case) -> bool:
    """Recompute the stored timers from the event log; True if anything had to change."""
    replayed = {(t.metric, t.cycle): t for t in sla_replay(case)}
    rows = {(row.metric, row.cycle): row for row in SlaTimer.objects.select_for_update().filter(case=case)}
    stale = set(rows) - set(replayed)
    if stale:
        SlaTimer.objects.filter(pk__in=[rows[key].pk for key in stale]).delete()
    changed = bool(stale)
    for key, timer in replayed.items():
        row = rows.get(key)
        if row is not None and Timer.from_model(row).as_dict() == timer.as_dict():
            timer.changed = False
        else:
            changed = True
    _save(case, list(replayed.values()), rows)
    return changed


def _window_covers(day: datetime.date) -> Q:
    """Running timers whose projection spans `day` (local): resumed before it ends, due after it begins."""
    begins = day_start(day)
    return Q(resumed_at__lt=begins + datetime.timedelta(days=1), due_at__gte=begins)


def sla_calendar_changed(*, calendar_code: str, dates: list[datetime.date], actor=None,
                         hours_changed: bool = False) -> int:
    """After days of a calendar were added, removed or changed: every case with a running clock on
    that calendar whose deadline lies beyond one of those days is projected again, with an SLA
    event that says so (its timeline shows why the deadline moved). After its service hours
    changed (`hours_changed`), every running clock on it. A case whose moments stay the same gets
    no event. Returns how many cases moved."""
    if not dates and not hours_changed:
        return 0
    affected = SlaTimer.objects.filter(calendar_code=calendar_code, stopped_at__isnull=True, resumed_at__isnull=False)
    if not hours_changed:
        affected = affected.filter(reduce(or_, (_window_covers(day) for day in dates)))
    affected = affected.values_list("case_id", flat=True).distinct().order_by("case_id")
    days = [day.isoformat() for day in sorted(dates)]
    # What each case's event says changed: the days, or the service hours ("09:00–15:00"), read once.
    comment = ", ".join(days) or _service_hours(calendar_code)
    return each_case(affected.iterator(chunk_size=500),
                     lambda case_id: _calendar_reproject(case_id, calendar_code, days, comment, actor),
                     why=f"calendar {calendar_code} changed")


def _service_hours(calendar_code: str) -> str:
    calendar = BusinessCalendar.objects.get(code=calendar_code)
    return f"{calendar.opens_at:%H:%M}–{calendar.closes_at:%H:%M}"


@transaction.atomic
def _calendar_reproject(case_id: int, calendar_code: str, days: list[str], comment: str, actor) -> bool:
    from cases.services.events import event_record

    case = Case.objects.select_for_update(of=("self",)).get(pk=case_id)
    rows = list(SlaTimer.objects.select_for_update().filter(case=case))
    before = {(row.metric, row.cycle): row.due_at for row in rows}
    engine = Engine(case.kind, [Timer.from_model(row) for row in rows])
    engine.reproject(calendar_code)
    after = {(timer.metric, timer.cycle): timer.due_at for timer in engine.timers}
    if after == before:
        return False

    def shown(moment):
        return timezone.localtime(moment).isoformat() if moment else None

    changes = {f"{metric}:{cycle}": [shown(before[(metric, cycle)]), shown(due)]
               for (metric, cycle), due in after.items() if due != before[(metric, cycle)]}
    # The event moves the stored timers as the engine above did (sla_on_event), and a replay too.
    event_record(case=case, kind=EventKind.SLA, actor=actor, name=CALENDAR_CHANGED, to_value=calendar_code,
                 comment=comment, is_internal=True,
                 data={"calendar": calendar_code, "dates": days, "due": changes})
    return True
