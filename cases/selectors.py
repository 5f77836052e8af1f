"""Reads of cases shared by the API, the console and reports, scoped to what a user may see."""

import re

from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery

from accounts.models import User
from accounts.roles import SEE_EVERYTHING, Role
from cases.models import Case, CaseEvent, CaseMessage, EventKind, SlaTimer
from cases.models.workflows import STAFF_DELIBERATIONS

#: What a client sees of the audit trail: what happened to their case, not who on staff did what
#: nor staff's deliberation before a decision (STAFF_DELIBERATIONS).
CLIENT_EVENT_KINDS = (EventKind.CREATED, EventKind.TRANSITION, EventKind.APPROVAL, EventKind.MESSAGE)
#: The field changes a client is shown too: a margin call's deadline set (the call raised below the
#: close-out line) or moved (a relief approved, the trading calendar, the immediate line), which
#: change the amount and deadline on the client's page.
CLIENT_FIELD_CHANGES = ("margin_call_raised", "deadline_moved")

#: A whole case number ("CS-2026-000123"), in any letter case: one case, found through its unique index.
CASE_NUMBER = re.compile(r"^CS-\d{4}-\d{6}$", re.IGNORECASE)


def case_number_q(text: str) -> Q:
    """A case by its number as people say it: whole, in any case ("cs-2026-000123"), or its serial
    alone ("123", "000123", "１２３" typed full-width: that serial in every year). Decimal digits only:
    "²" or "①" are digits int() cannot read (a 500 from the case lists' search)."""
    found = Q(number__iexact=text)
    if text.isdecimal() and len(text) <= 6:
        found |= Q(number__endswith=f"-{int(text):06d}")
    return found


def case_scope_q(user: User, queue_code: str | None = None) -> Q | None:
    """Clients: their own cases. Agents and team leads: their queues and assignments. Advisors:
    their clients' cases too. Supervisors, risk officers, auditors: everything (None).

    `queue_code`: the caller keeps only that queue's cases anyway, so the queue part of the scope
    narrows to it (all of it for a member, their assignments for anyone else): a plain condition
    the (queue, state) and (assignee, state) indexes serve, instead of an OR no index can."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.is_superuser or user.has_role(*SEE_EVERYTHING):
        return None
    q = Q(pk__in=[])
    if user.has_role(Role.AGENT, Role.TEAM_LEAD, Role.ADVISOR):
        if queue_code is None:
            q |= Q(assignee=user) | Q(queue__in=user.queues.values("pk"))
        else:
            member_of = user.queues.filter(code=queue_code).values_list("pk", flat=True).first()
            q |= Q(assignee=user) if member_of is None else Q(queue_id=member_of)
    if user.has_role(Role.ADVISOR):
        q |= Q(client__advisor=user)
    if user.has_role(Role.CLIENT):
        q |= Q(client__user=user)
    return q


def cases_visible_to(user: User, queue_code: str | None = None) -> QuerySet[Case]:
    q = case_scope_q(user, queue_code)
    queryset = Case.objects.all()
    return queryset if q is None else queryset.filter(q)


#: The columns a case list row shows (cases.serializers.CaseListSerializer); long texts stay out.
LIST_COLUMNS = (
    "number", "kind", "category", "subject", "priority", "state", "channel", "created_at", "updated_at",
    "resolved_at", "closed_at", "escalated_at", "client__client_no", "client__name", "client__tier",
    "credit_account__account_no", "queue__code", "assignee__username",
)


#: What a case row shows of its timers (cases.serializers.sla_timer_data); the paused intervals
#: and warning moments stay in the database.
TIMER_COLUMNS = ("case_id", "metric", "cycle", "calendar_code", "target_seconds", "state", "breached", "due_at",
                 "elapsed_seconds", "resumed_at", "stopped_at", "pause_reason")


def _timer_rows() -> QuerySet[SlaTimer]:
    """The timers a case row shows, in the order that leaves each metric's latest cycle last."""
    return SlaTimer.objects.only(*TIMER_COLUMNS).order_by("metric", "cycle")


def _timers() -> Prefetch:
    return Prefetch("sla_timers", queryset=_timer_rows())


def case_list(user: User, queue_code: str | None = None) -> QuerySet[Case]:
    """Rows for a list page: few joins (planning a many-join query costs more than running it at
    a million cases), only the columns a row shows, the SLA timers in one more query."""
    return (cases_visible_to(user, queue_code).select_related("client", "credit_account", "queue", "assignee")
            .only(*LIST_COLUMNS).prefetch_related(_timers()))


def case_list_values(cases: QuerySet[Case], lookups) -> QuerySet[dict]:
    """`cases` (case_list's, filtered) as rows of `lookups` and the id, no model instances: a list
    page's 50 cases with their clients, accounts, queues and assignees as objects, and DRF's fields
    reading them, took about 9 ms of a 40 ms API page (cases.serializers.case_list_rows)."""
    return cases.prefetch_related(None).values("id", *lookups)


def latest_timers(case_ids: list[int]) -> dict[int, dict[str, SlaTimer]]:
    """Each case's latest timer per metric (the one a case row shows), in one query."""
    latest: dict[int, dict[str, SlaTimer]] = {}
    for timer in _timer_rows().filter(case_id__in=case_ids):
        latest.setdefault(timer.case_id, {})[timer.metric] = timer
    return latest


def case_detail(user: User) -> QuerySet[Case]:
    """One case with what its page and the API show. Five tables joined, the rest fetched apart:
    with the margin call, its three valuations and the three people also joined (thirteen
    tables), PostgreSQL spent 15–25 ms choosing a join order for a 0.5 ms lookup by number; the
    people proposing and approving are fetched only when there are some."""
    return _with_details(cases_visible_to(user))


def _with_details(cases: QuerySet[Case]) -> QuerySet[Case]:
    margin_call = Case._meta.get_field("margin_call").related_model.objects.select_related(
        "latest_snapshot", "opened_snapshot", "restored_snapshot")
    return cases.select_related(
        "client", "credit_account", "queue", "assignee", "created_by",
    ).prefetch_related("proposed_by", "approved_by", Prefetch("margin_call", queryset=margin_call), _timers())


def case_get(user: User, number: str) -> Case:
    """The case if the user may see it; Case.DoesNotExist (404) otherwise, never a hint it exists."""
    return case_detail(user).get(number=number).as_workflow()


def case_after_write(user: User, number: str) -> Case:
    """The case as `user`'s change left it. A change can take the case out of their sight (an
    agent outside the queue unassigning themselves, a case moved to a queue they are not in):
    they still get the result of their own change, read without their scope, this once."""
    try:
        return case_get(user, number)
    except Case.DoesNotExist:
        return _with_details(Case.objects.all()).get(number=number).as_workflow()


def is_staff_reader(user: User) -> bool:
    return user.is_superuser or any(role != Role.CLIENT for role in user.role_codes)


def messages_for(user: User, case: Case) -> QuerySet[CaseMessage]:
    queryset = case.messages.select_related("author").prefetch_related("attachments")
    if not is_staff_reader(user):
        queryset = queryset.filter(visibility=CaseMessage.Visibility.PUBLIC)
    return queryset


def client_visible(events: QuerySet[CaseEvent]) -> QuerySet[CaseEvent]:
    """Of `events`, those a case's client is shown: no internal note, assignment, SLA step or staff
    deliberation, and of field changes only a margin call's deadline (CLIENT_FIELD_CHANGES)."""
    shown = Q(kind__in=CLIENT_EVENT_KINDS) | Q(kind=EventKind.UPDATE, name__in=CLIENT_FIELD_CHANGES)
    return events.filter(shown, is_internal=False).exclude(name__in=STAFF_DELIBERATIONS)


def events_for(user: User, case: Case) -> QuerySet[CaseEvent]:
    queryset = case.events.select_related("actor")
    if not is_staff_reader(user):
        queryset = client_visible(queryset)
    return queryset


def last_change_seen_by_client():
    """For a case query: when its client last had something to see (a reply, a step, an approval),
    the "last change" the portal shows. updated_at moves with internal notes and assignments too, and
    a case whose only news was staff's own work read as changed."""
    latest = client_visible(CaseEvent.objects.filter(case=OuterRef("pk"))).order_by("-created_at", "-id")
    return Subquery(latest.values("created_at")[:1])


def attachment_for(user: User, pk: int):
    """An attachment of a case the user may see, and for clients only of a public message; else
    Attachment.DoesNotExist (404), never a hint it exists."""
    from cases.models import Attachment

    queryset = Attachment.objects.select_related("message").filter(message__case__in=cases_visible_to(user))
    if not is_staff_reader(user):
        queryset = queryset.filter(message__visibility=CaseMessage.Visibility.PUBLIC)
    return queryset.get(pk=pk)
