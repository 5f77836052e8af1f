"""What the case page shows of the case itself: SLA timers, timeline, client (account_panels.py:
the credit account and margin call). Read through the shared selectors (the same scope and data
as the API); each builder runs a fixed number of queries, whatever the size of the case."""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Queue, User
from accounts.selectors import mask_id_number, mask_phone, sees_personal_data
from cases.models import (BusinessCalendar, Case, CaseEvent, CaseKind, CaseMessage, EventKind, Metric, Priority,
                          SlaTimer)
from cases.models.case import MARGIN_CALL_CLOSED_STATES
from cases.categories import category_label
from cases.models.visits import ReturnVisit
from cases.models.workflows import state_label, step_label
from cases.selectors import events_for, messages_for
from cases.services.transitions import event_comment_shown
from cases.sla_engine import CALENDAR_CHANGED
from cases.sla_status import ScheduleCache, shown_state, time_left, timer_status
from risk.models import MarginCallContact
from servicedesk.formats import business_time

PAUSE_REASONS = {"waiting_on_client": gettext_lazy("waiting on the client"),
                 "no_target": gettext_lazy("no target in force")}
#: Why the SLA targets changed (the reason a policy_applied event records: cases.services.sla and cases.tasks).
SLA_REASONS = {"priority": gettext_lazy("the priority changed"),
               "tier changed": gettext_lazy("the client's tier changed"),
               "policy changed": gettext_lazy("the SLA policy was edited"),
               "reopened": gettext_lazy("the case was reopened under the targets now in force")}
PROPOSED_OUTCOMES = {"resolve": gettext_lazy("resolve"), "approve": gettext_lazy("approve"),
                     "decline": gettext_lazy("decline"), "liquidate": gettext_lazy("forced liquidation")}


# --- SLA timers ---------------------------------------------------------------------------------

def sla_css(*, state: str, breached: bool, share_used: Decimal | None) -> str:
    """The countdown's colour class (static/css/app.css): breached, paused, or the share of the target used."""
    if breached or (share_used is not None and share_used >= 1):  # a breach before a pause stays one
        return "sla-100"
    if state == SlaTimer.State.PAUSED:
        return "sla-paused"
    if share_used is not None and share_used >= Decimal("0.75"):
        return "sla-75"
    if share_used is not None and share_used >= Decimal("0.5"):
        return "sla-50"
    return "sla-ok"


@dataclass(frozen=True)
class TimerRow:
    metric: str
    metric_label: str
    cycle: int
    state: str
    state_label: str
    target: str
    remaining_seconds: int | None  # business seconds
    #: The business time left, as the console's list writes it (cases.web.case_list): "88h 00m",
    #: running or paused; the calendar's marker when it cannot say. Not ticked by a script (business
    #: time stands still outside service hours): the part is read again every minute.
    remaining: str
    deadline: str | None  # ISO 8601, the due moment while the clock runs
    share_used: int | None  # percent
    #: Why the remaining time and share are unknown ("unknown: Working days calendar 2026 missing"), else "".
    unknown: str
    css: str
    due_at: object
    breached: bool
    stopped: bool
    pause_reason: str


def timer_rows(case: Case, now=None) -> list[TimerRow]:
    """Every timer of the case (prefetched by case_detail, ordered by metric and cycle), running
    and paused first. Remaining business time as the API's sla_timer_data computes it."""
    now = now or timezone.now()
    schedules = ScheduleCache()
    metric_labels = dict(Metric.choices)
    state_labels = dict(SlaTimer.State.choices)
    rows = []
    for timer in case.sla_timers.all():
        status = timer_status(timer, schedules, now)  # a calendar year missing: say so, never guess
        remaining, unknown, breached = status.remaining, status.unknown, status.breached
        state = shown_state(timer, status)
        share = (None if remaining is None or not timer.target_seconds
                 else Decimal(timer.target_seconds - remaining) / timer.target_seconds)
        running = timer.due_at is not None and timer.stopped_at is None
        left = unknown if remaining is None else time_left(status)
        rows.append(TimerRow(
            metric=timer.metric, metric_label=str(metric_labels.get(timer.metric, timer.metric)), cycle=timer.cycle,
            state=state, state_label=str(state_labels.get(state, state)),
            target=business_time(timer.target_seconds),
            remaining_seconds=remaining, remaining=left, deadline=timer.due_at.isoformat() if running else None,
            share_used=None if share is None else int(share * 100), unknown=unknown,
            css="sla-unknown" if unknown and not breached else sla_css(state=state, breached=breached,
                                                                        share_used=share),
            due_at=timer.due_at, breached=breached, stopped=timer.stopped_at is not None,
            pause_reason=str(PAUSE_REASONS.get(timer.pause_reason, timer.pause_reason)),
        ))
    rows.sort(key=lambda row: (row.stopped, row.metric, row.cycle))
    return rows


# --- timeline -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class TimelineItem:
    at: object
    kind: str  # "message", "event" or "escalation"
    css: str
    message: CaseMessage | None = None
    event: CaseEvent | None = None
    text: str = ""
    #: The event's comment as shown: what a person wrote; never a code (an SLA event's reason is in `text`).
    comment: str = ""


@dataclass(frozen=True)
class EventNames:
    """The names of the people and queues that events record by username and code, in the
    reader's language (timeline: one query each for the whole timeline)."""

    people: dict[str, str]
    queues: dict[str, str]

    @classmethod
    def of(cls, events: list[CaseEvent]) -> "EventNames":
        usernames = {value for event in events if event.kind == EventKind.ASSIGNMENT
                     for value in (event.from_value, event.to_value) if value}
        codes = {value for event in events if event.kind == EventKind.QUEUE
                 for value in (event.from_value, event.to_value) if value}
        # An empty `__in` runs no query: a timeline without such events costs nothing more.
        people = {user.username: user.display_name for user in
                  User.objects.filter(username__in=usernames).only("username", "first_name", "last_name")}
        return cls(people=people, queues={queue.code: queue.localized_name
                                          for queue in Queue.objects.filter(code__in=codes)})


def _value_label(case: Case, event: CaseEvent, value: str, names: EventNames | None) -> str:
    if names is not None and event.kind == EventKind.ASSIGNMENT:
        return names.people.get(value, value)
    if names is not None and event.kind == EventKind.QUEUE:
        return names.queues.get(value, value)
    if event.kind in (EventKind.TRANSITION, EventKind.APPROVAL, EventKind.CREATED):
        return str(state_label(case.kind, value)) if value else ""
    if event.kind == EventKind.PRIORITY:
        return str(dict(Priority.choices).get(value, value))
    if event.name == "category":
        return category_label(value) if value else ""
    return value


def _name_label(event: CaseEvent) -> str:
    """A changed field's name as the model calls it (not its code); else the kind of event."""
    if event.name:
        try:
            return capfirst(str(Case._meta.get_field(event.name).verbose_name))
        except FieldDoesNotExist:
            return event.name
    return str(event.get_kind_display())


def event_text(case: Case, event: CaseEvent, names: EventNames | None = None) -> str:
    """One line saying what the event did, in the reader's language; people and queues by their
    names (`names`), not by the username or code the event recorded."""
    before = _value_label(case, event, event.from_value, names)
    after = _value_label(case, event, event.to_value, names)
    if event.kind == EventKind.CREATED:
        return _("Case opened (%(state)s)") % {"state": after}
    if event.kind == EventKind.MESSAGE:  # in the admin's audit trail (the timeline shows the message itself)
        return str(dict(CaseMessage.Visibility.choices).get(event.name, event.name))
    if event.kind in (EventKind.TRANSITION, EventKind.APPROVAL):
        if event.name and event.from_value == event.to_value:  # a step that keeps the state: say which
            return _("%(name)s: %(from)s → %(to)s") % {"name": step_label(case.kind, event.name),
                                                       "from": before, "to": after}
        return _("State: %(from)s → %(to)s") % {"from": before, "to": after}
    if event.kind == EventKind.ASSIGNMENT:
        return _("Assigned to %(to)s") % {"to": after} if after else _("Unassigned (was %(from)s)") % {"from": before}
    if event.kind == EventKind.PRIORITY:
        return _("Priority: %(from)s → %(to)s") % {"from": before, "to": after}
    if event.kind == EventKind.QUEUE:
        return _("Queue: %(from)s → %(to)s") % {"from": before or "—", "to": after or "—"}
    if event.kind == EventKind.ESCALATION:
        metric = dict(Metric.choices).get(event.from_value, event.from_value)
        return _("SLA %(metric)s at %(level)s%% of its target") % {"metric": metric, "level": event.to_value}
    if event.kind == EventKind.SLA and event.name == CALENDAR_CHANGED:
        calendar = BusinessCalendar.objects.filter(code=event.to_value).first()
        name = calendar.localized_name if calendar else event.to_value
        return _("SLA deadlines moved: the calendar “%(calendar)s” changed on %(dates)s") % {
            "calendar": name, "dates": event.comment}
    if event.kind == EventKind.SLA:
        if event.name == "policy_applied" and (event.data or {}).get("targets") == {}:  # no policy matches now
            reason = SLA_REASONS.get(event.comment, event.comment) or _("no policy matches the case")
            return _("No SLA policy applies any more (%(reason)s): the clocks already running keep their "
                     "targets, no new one starts") % {"reason": reason}
        if not event.comment:
            return _("SLA policy applied")
        return _("SLA policy applied: %(reason)s") % {"reason": SLA_REASONS.get(event.comment, event.comment)}
    if event.kind == EventKind.NOTIFICATION:
        from notifications.events import event_label
        from notifications.models import Notification

        channel = (event.data or {}).get("channel", "")
        return _("Notice %(event)s (%(channel)s): %(status)s") % {
            "event": event_label(event.name), "channel": dict(Notification.Channel.choices).get(channel, channel),
            "status": dict(Notification.Status.choices).get(event.to_value, event.to_value)}
    if event.name == "call_logged":
        outcome = dict(MarginCallContact.Outcome.choices).get(event.to_value, event.to_value)
        return _("Call to the client logged: %(outcome)s") % {"outcome": outcome}
    immediate = (event.data or {}).get("level") == "immediate"
    if event.name == "margin_call_raised":
        if immediate:
            return _("Below the immediate close-out line: now a margin call, due at once")
        return _("Below the close-out line: now a margin call with a deadline")
    if event.name == "deadline_moved":
        if immediate:
            return _("Below the immediate close-out line: the margin-call deadline is brought forward to now")
        if (event.data or {}).get("calendar"):  # risk.deadlines: the days are the comment
            return _("Margin-call deadline moved later: a trading day it counted was closed in the calendar")
        return _("Margin-call deadline moved")
    if event.name == "email_attached":
        return _("E-mail from %(sender)s added to the case") % {"sender": event.to_value}
    if event.name == "rated":
        return _("The client rated the case %(score)s out of 5") % {"score": event.to_value}
    if event.name == "return_visit":
        return _("Return visit: %(state)s") % {
            "state": dict(ReturnVisit.State.choices).get(event.to_value, event.to_value)}
    if before or after:
        return _("%(name)s: %(from)s → %(to)s") % {"name": _name_label(event),
                                                   "from": before or "—", "to": after or "—"}
    return _name_label(event)


def event_comment(event: CaseEvent) -> str:
    """The comment shown under the event: an SLA event's (a reason code, the changed dates) is in its text;
    a step the system took says why in the reader's language, not in the one it was written in."""
    return "" if event.kind == EventKind.SLA else event_comment_shown(event)


def timeline(user: User, case: Case) -> list[TimelineItem]:
    """Messages and events merged by time (two queries and the attachments' prefetch). A message's
    own "message" event is left out: the message itself is the entry. Internal notes come only
    from messages_for, which keeps them from anyone who is not staff."""
    items = [
        TimelineItem(at=message.created_at, kind="message",
                     css="message internal" if message.is_internal else "message public", message=message)
        for message in messages_for(user, case)
    ]
    events = list(events_for(user, case).exclude(kind=EventKind.MESSAGE))
    names = EventNames.of(events)
    for event in events:
        escalation = event.kind == EventKind.ESCALATION
        items.append(TimelineItem(at=event.created_at, kind="escalation" if escalation else "event",
                                  css="escalation" if escalation else f"event kind-{event.kind}", event=event,
                                  text=event_text(case, event, names), comment=event_comment(event)))
    items.sort(key=lambda item: (item.at, 0 if item.kind == "message" else 1,
                                 (item.message or item.event).pk))
    return items


# --- client -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ClientPanel:
    client: object
    advisor: User | None
    id_number: str
    phone: str
    masked: bool
    phone_masked: bool


def calls_the_client(user: User, case: Case) -> bool:
    """The one who calls the client about an open margin call: its assignee, or an agent of its
    queue (the risk queue's agents take the calls), who needs the phone number whole to dial."""
    if case.kind != CaseKind.MARGIN_CALL or case.state in MARGIN_CALL_CLOSED_STATES or not user.works_cases:
        return False
    if case.assignee_id == user.pk:
        return True
    return case.queue_id is not None and user.queues.filter(pk=case.queue_id).exists()


def client_panel(user: User, case: Case) -> ClientPanel:
    client = case.client
    unmasked = sees_personal_data(user, client)
    phone_whole = unmasked or calls_the_client(user, case)
    return ClientPanel(
        client=client, advisor=client.advisor if client.advisor_id else None,
        id_number=client.id_number if unmasked else mask_id_number(client.id_number),
        phone=client.phone if phone_whole else mask_phone(client.phone), masked=not unmasked,
        phone_masked=not phone_whole,
    )
