"""Return visits (回访): scheduled after every resolved dispute and every liquidation (follow-ups
of those transitions, in their transaction), and each quarter for every high-net-worth client
(the beat task visits.schedule_quarterly, one set-based INSERT); an agent records the outcome.
Each is scheduled once: a unique index per (case, reason), and per (client, reason, due date)
for the quarterly ones."""

import datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Tier, User
from cases.models import BusinessCalendar, Case, CaseKind, EventKind, MarginCallCase, ReturnVisit
from cases.services.events import event_record
from cases.services.transitions import after_transition, case_transition
from servicedesk.errors import Conflict, NotAllowed, ValidationFailed

Reason = ReturnVisit.Reason


def due_date_for(reason: str, start: datetime.date) -> datetime.date:
    """settings.RETURN_VISIT_DUE_DAYS[reason] calendar days after `start`, on the next working day
    where that is none (due on a Saturday or in National Day week, the call was late before anyone
    could make it); the calendar day itself where the working calendar has no data for its year."""
    from cases.calendars import CalendarUnavailable, load_schedule

    due = day = start + datetime.timedelta(days=settings.RETURN_VISIT_DUE_DAYS[reason])
    try:
        working = load_schedule(BusinessCalendar.WORKING)
        while not working.is_business_day(due):
            due += datetime.timedelta(days=1)
    except CalendarUnavailable:
        return day
    return due


def return_visit_schedule(*, case: Case, reason: str) -> ReturnVisit:
    """The case's visit for `reason`, scheduled now unless it already is. Assigned to the client's
    advisor, else to whoever worked the case, whoever of them still works here (an account
    deactivated: nobody would make the call; unassigned, every agent's list shows it). (No case
    event: the transition's event is the last word on the case; the visit row is the record, and
    its outcome becomes an event.)"""
    visit = ReturnVisit.objects.filter(case=case, reason=reason).first()
    if visit is not None:
        return visit
    client = case.client
    working = [user for user in (client.advisor, case.assignee) if user is not None and user.is_active]
    return ReturnVisit.objects.create(
        client=client, case=case, reason=reason, due_date=due_date_for(reason, timezone.localdate()),
        assigned_to_id=working[0].pk if working else None,
    )


@after_transition(CaseKind.DISPUTE, "accept")
@after_transition(CaseKind.DISPUTE, "close")  # closed after mediation (after acceptance: already scheduled)
def visit_after_dispute(case: Case, user: User | None) -> None:
    return_visit_schedule(case=case, reason=Reason.DISPUTE_RESOLVED)


@after_transition(CaseKind.MARGIN_CALL, "approve_liquidation")
def visit_after_liquidation(case: Case, user: User | None) -> None:
    return_visit_schedule(case=case, reason=Reason.LIQUIDATION)


def quarter_start(day: datetime.date) -> datetime.date:
    return datetime.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


_QUARTERLY_SQL = """
    INSERT INTO cases_returnvisit (client_id, case_id, reason, due_date, assigned_to_id, state, outcome, done_at,
                                   done_by_id, created_at)
    SELECT c.id, NULL, %s, %s, a.id, %s, '', NULL, NULL, %s
    FROM accounts_clientprofile c
    LEFT JOIN accounts_user a ON a.id = c.advisor_id AND a.is_active  -- an advisor who left: unassigned
    WHERE c.tier = %s
    ORDER BY c.id
    ON CONFLICT DO NOTHING
"""


@transaction.atomic
def return_visits_schedule_quarterly(today: datetime.date | None = None) -> int:
    """This quarter's visit for every high-net-worth client, once (run again: adds nothing).
    Returns how many were scheduled."""
    start = quarter_start(today or timezone.localdate())
    due = due_date_for(Reason.HNW_QUARTERLY, start)
    with connection.cursor() as cursor:
        cursor.execute(_QUARTERLY_SQL, [
            Reason.HNW_QUARTERLY.value, connection.ops.adapt_datefield_value(due), ReturnVisit.State.SCHEDULED.value,
            connection.ops.adapt_datetimefield_value(timezone.now()), Tier.HNW.value,
        ])
        return cursor.rowcount


@transaction.atomic
def return_visit_complete(*, visit: ReturnVisit, user: User, outcome: str, reached: bool) -> ReturnVisit:
    """Record how the visit went: done when the client was reached, else missed. Once."""
    if user is None or not user.works_cases:
        raise NotAllowed(_("Your role may not record return visits."))
    outcome = (outcome or "").strip()
    if not outcome:
        raise ValidationFailed(_("Invalid return visit."), extra={"outcome": [_("Say how the visit went.")]})
    visit = ReturnVisit.objects.select_for_update().get(pk=visit.pk)
    if visit.state != ReturnVisit.State.SCHEDULED:
        raise Conflict(_("This return visit is already recorded."), extra={"state": visit.state})
    visit.state = ReturnVisit.State.DONE if reached else ReturnVisit.State.MISSED
    visit.outcome, visit.done_at, visit.done_by = outcome, timezone.now(), user
    if visit.assigned_to_id is None:
        visit.assigned_to = user
    visit.save(update_fields=["state", "outcome", "done_at", "done_by", "assigned_to"])
    if visit.case_id is not None:
        event_record(case=visit.case, kind=EventKind.UPDATE, actor=user, name="return_visit",
                     from_value=ReturnVisit.State.SCHEDULED, to_value=visit.state, comment=outcome, is_internal=True,
                     data={"return_visit": visit.pk, "reason": visit.reason})
        if visit.reason == Reason.LIQUIDATION:
            _close_after_liquidation(visit.case, user, outcome)
    return visit


def _close_after_liquidation(case: Case, user: User, outcome: str) -> None:
    """The visit after a liquidation is the margin call's last step: recorded (the client reached
    or not), the case goes through return_visit to closed, with the outcome as its comment, and
    the account may have a margin call again (at most one open per account)."""
    if case.state == MarginCallCase.State.LIQUIDATED:
        case = case_transition(case=case, user=None, name="schedule_return_visit")
    if case.state == MarginCallCase.State.RETURN_VISIT:
        case_transition(case=case, user=user, name="close", comment=outcome)
