"""State changes: permission check, transition, save, audit row, after-commit hook; one transaction."""

import functools
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.models import Case, EventKind
from cases.models.workflows import (REQUEST_CONDITION_REASONS, conditions_refusal, failed_conditions, state_label,
                                    step_label)
from cases.permissions import is_worker_or_client
from cases.services.events import event_record
from cases.services.locking import lock_case
from servicedesk.errors import Conflict, NotAllowed, ValidationFailed
from servicedesk.i18n import language_codes


#: The comments the system writes on the steps it takes itself: stored in the language active where the
#: step was taken (the replying client's, the periodic job's), shown to staff in theirs (system_comment).
CLIENT_REPLIED = gettext_lazy("The client replied.")
CLOSED_AUTOMATICALLY = gettext_lazy("Closed automatically: the 7 days to reopen it have passed.")
SYSTEM_COMMENTS = (CLIENT_REPLIED, CLOSED_AUTOMATICALLY)


@functools.cache
def _system_comments_written() -> dict[str, object]:
    """Each system comment as it is stored in each language, to the comment (read once: the
    catalogues do not change while the process runs)."""
    written = {}
    for text in SYSTEM_COMMENTS:
        for code in language_codes():
            with translation.override(code):
                written[str(text)] = text
    return written


def system_comment(comment: str) -> str:
    """A comment the system wrote, in whichever language, in the active one; any other as it was written."""
    text = _system_comments_written().get(comment)
    return comment if text is None else str(text)


def event_comment_shown(event) -> str:
    """An event's comment as a reader is shown it: as written, but a step the system took (no actor)
    says why in the reader's language (the case page's timeline, the API's events)."""
    if event.kind == EventKind.TRANSITION and event.actor_id is None:
        return system_comment(event.comment)
    return event.comment


@dataclass(frozen=True)
class AvailableTransition:
    name: str
    label: str
    target: str
    comment_required: bool


def ensure_may_take_steps(case: Case, user) -> None:
    """403 for a login that takes no step on this case at all (the read-only auditor), before the
    state or the step's comment is looked at."""
    if user is not None and not is_worker_or_client(case, user):
        raise NotAllowed(_("Your role may not take this step."))


def _transitions_by_name(case: Case) -> dict:
    return {t.name: t for t in case.as_workflow().get_all_state_transitions() if t.source == case.state}


@dataclass(frozen=True)
class BlockedTransition:
    name: str
    label: str
    reason: str


def transitions_now(*, case: Case, user) -> tuple[list[AvailableTransition], list[BlockedTransition]]:
    """The steps from the case's state this user's role may take, each condition checked once:
    those the conditions allow, and those a request's eligibility (request_conditions.py) holds
    back, with the reasons (a page says why an approval is not offered)."""
    workflow = case.as_workflow()
    available, blocked = [], []
    for t in workflow.get_all_state_transitions():
        if t.source != workflow.state or not t.has_perm(workflow, user):
            continue
        failed = failed_conditions(t, workflow)
        if not failed:
            available.append(AvailableTransition(name=t.name, label=str(t.custom.get("label", t.name)),
                                                 target=t.target,
                                                 comment_required=bool(t.custom.get("comment_required"))))
        elif all(condition in REQUEST_CONDITION_REASONS for condition in failed):
            blocked.append(BlockedTransition(name=t.name, label=str(t.custom.get("label", t.name)),
                                             reason=conditions_refusal(failed)))
    return available, blocked


def available_transitions(*, case: Case, user) -> list[AvailableTransition]:
    """The transitions this user may take now (state, conditions and permission all allow)."""
    return transitions_now(case=case, user=user)[0]


#: Follow-ups run in the same transaction after a transition: (kind, name) → [function(case, user)].
#: Other apps register theirs (risk: a relief approval moves the margin call's deadline).
FOLLOW_UPS: dict[tuple[str, str], list] = {}
#: The follow-ups that tell what the step did (`after_transition(..., tells=True)`): run after every one
#: of FOLLOW_UPS, whichever app registered first (a relief's approval notice names the deadline that
#: risk/effects.py moved; the apps are loaded cases before risk).
TELLING_FOLLOW_UPS: dict[tuple[str, str], list] = {}


def after_transition(kind: str, name: str, *, tells: bool = False):
    def register(function):
        (TELLING_FOLLOW_UPS if tells else FOLLOW_UPS).setdefault((kind, name), []).append(function)
        return function
    return register


def _allowed_names(case: Case, user) -> list[str]:
    return [t.name for t in available_transitions(case=case, user=user)]


@transaction.atomic
def case_transition(*, case: Case, user, name: str, comment: str = "", data: dict | None = None,
                    require_comment: bool = False) -> Case:
    """Move `case` along its workflow by transition `name` as `user` (None: the system). A role that
    takes no step on this case at all (the read-only auditor) is refused before the state is looked
    at: 403 whatever the step, never a 409 about the case's state.

    The comment is optional (the API's contract: `{"comment": "…"}` optional); the web pages ask
    for one where the workflow wants it (`require_comment`: a step whose comment_required is set
    is refused without one)."""
    ensure_may_take_steps(case, user)
    workflow = lock_case(case)
    transition = _transitions_by_name(workflow).get(name)
    if transition is None:
        raise Conflict(
            _("“%(name)s” is not possible while the case is “%(state)s”.") % {
                "name": step_label(workflow.kind, name), "state": state_label(workflow.kind, workflow.state)},
            extra={"state": workflow.state, "allowed": _allowed_names(workflow, user)},
        )
    method = getattr(workflow, name)
    if not transition.has_perm(workflow, user):
        if transition.custom.get("checker") and user is not None and workflow.proposed_by_id == user.pk:
            raise NotAllowed(_("You proposed this: someone else must decide it (four eyes)."))
        raise NotAllowed(_("Your role may not take this step."))
    failed = failed_conditions(transition, workflow)
    if failed:
        raise Conflict(
            conditions_refusal(failed),
            extra={"state": workflow.state, "allowed": _allowed_names(workflow, user)},
        )
    comment = (comment or "").strip()
    if require_comment and transition.custom.get("comment_required") and not comment:
        raise ValidationFailed(_("A comment is required."), extra={"comment": [_("A comment is required for this step.")]})

    from_state = workflow.state
    method(by=user, comment=comment)
    workflow.save()
    event_record(
        case=workflow,
        kind=EventKind.APPROVAL if transition.custom.get("checker") else EventKind.TRANSITION,
        actor=user, name=name, from_value=from_state, to_value=workflow.state, comment=comment, data=data,
    )
    step = (workflow.kind, name)
    for follow_up in (*FOLLOW_UPS.get(step, ()), *TELLING_FOLLOW_UPS.get(step, ())):
        follow_up(workflow, user)
    return workflow


def tickets_close_resolved(now=None) -> int:
    """Close the tickets resolved longer ago than the reopen window (7 days): nobody can reopen them
    any more, so they leave "resolved" for "closed", a step by the system with its audit event.
    Each in a transaction of its own (a client reopening one meanwhile wins: its state is checked
    under the lock). Returns how many were closed."""
    from cases.models import CaseKind
    from cases.models.workflows import REOPEN_WINDOW, TicketCase

    now = now or timezone.now()
    due = (Case.objects.filter(kind=CaseKind.TICKET, state=TicketCase.State.RESOLVED,
                               resolved_at__lte=now - REOPEN_WINDOW)
           .values_list("pk", flat=True).order_by("pk"))
    closed = 0
    for pk in due.iterator(chunk_size=500):
        try:
            case_transition(case=Case.objects.get(pk=pk), user=None, name="close",
                            comment=str(CLOSED_AUTOMATICALLY))
        except Conflict:  # reopened or closed meanwhile
            continue
        closed += 1
    return closed
