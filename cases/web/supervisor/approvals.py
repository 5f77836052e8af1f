"""The approvals inbox (supervisor:approvals): every maker-checker step awaiting a decision, and
the decision itself (supervisor:decide), taken through cases.services.case_transition, which
checks four eyes (cases/permissions.py is_checker / is_risk_checker): a proposer's forged POST
is refused there (403), not only by the disabled button."""

from dataclasses import dataclass
from functools import cache

from django import forms
from django.contrib import messages
from django.db.models import OuterRef, Q, Subquery
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_fsm import ConcurrentTransition

from accounts.roles import Role
from cases.calendars import calendar_refusals
from cases.models import WORKFLOWS, Case, CaseEvent, CaseKind, DisputeCase, MarginCallCase
from cases.models.request_conditions import open_margin_calls_prefetch
from cases.models.workflows import (RequestCase, conditions_refusal, failed_conditions, proposes_approval,
                                    state_label)
from cases.selectors import cases_visible_to
from cases.services import case_transition
from cases.web.supervisor.access import SUPERVISORS, page_for
from cases.web.supervisor.tables import case_url
from servicedesk.errors import ApplicationError

PAGE_SIZE = 50
#: Decisions that turn the proposal down (shown as such; they ask for a reason).
TURN_DOWN = {"decline", "return_for_rework", "decline_liquidation"}
OUTCOMES = {
    "resolve": gettext_lazy("Resolve the dispute as proposed"),
    "approve": gettext_lazy("Approve the request"),
    "decline": gettext_lazy("Decline the request"),
    "liquidate": gettext_lazy("Liquidate the account's positions"),
}
KIND_CHOICES = [(CaseKind.DISPUTE, CaseKind.DISPUTE.label), (CaseKind.EXTENSION, CaseKind.EXTENSION.label),
                (CaseKind.RELIEF, CaseKind.RELIEF.label), (CaseKind.MARGIN_CALL, CaseKind.MARGIN_CALL.label)]


def _transitions(kind: str, flag: str) -> list:
    workflow = WORKFLOWS[kind]
    return [t for t in workflow._meta.get_field("state").get_all_transitions(workflow) if t.custom.get(flag)]


@cache
def maker_steps() -> tuple[str, ...]:
    """Names of the transitions that propose (their audit rows say who proposed and when)."""
    return tuple(sorted({t.name for kind in WORKFLOWS for t in _transitions(kind, "maker")}))


def pending_q() -> Q:
    """Cases waiting for a checker: a proposed dispute resolution not yet approved, a request under
    review with a proposal, a liquidation proposed on a margin call."""
    return (
        Q(kind=CaseKind.DISPUTE, state=DisputeCase.State.RESOLUTION_PROPOSED, approved_by__isnull=True)
        | Q(kind__in=[CaseKind.EXTENSION, CaseKind.RELIEF], state=RequestCase.State.UNDER_REVIEW,
            proposed_by__isnull=False)
        | Q(kind=CaseKind.MARGIN_CALL, state=MarginCallCase.State.LIQUIDATION_PENDING, proposed_by__isnull=False)
    )


def pending_approvals(user, *, kind: str | None = None, after: int | None = None):
    """The inbox, oldest first, with who proposed and when (the latest proposing audit row)."""
    proposed_at = (CaseEvent.objects.filter(case=OuterRef("pk"), name__in=maker_steps())
                   .order_by("-created_at", "-id").values("created_at")[:1])
    cases = (cases_visible_to(user).filter(pending_q())
             .select_related("client", "credit_account", "queue", "assignee", "proposed_by",
                             "margin_call")  # a margin call's subject in the reader's language
             .annotate(proposed_at=Subquery(proposed_at)).order_by("id")
             # a request's eligibility reads its account's positions and open margin call
             .prefetch_related("credit_account__positions__security", open_margin_calls_prefetch()))
    if kind:
        cases = cases.filter(kind=kind)
    if after:
        cases = cases.filter(id__gt=after)
    return cases


@dataclass(frozen=True)
class Decision:
    name: str
    label: str
    turns_down: bool
    comment_required: bool
    allowed: bool
    reason: str


def _refusal(case: Case, user) -> str:
    """Why `user` may not decide `case` (shown beside the disabled buttons)."""
    liquidation = case.kind == CaseKind.MARGIN_CALL
    if case.proposed_by_id == user.pk:
        return (_("You proposed this liquidation: a second risk officer must approve it (four eyes).") if liquidation
                else _("You proposed this: another supervisor must decide (four eyes)."))
    if liquidation and not (user.is_superuser or user.has_role(Role.RISK_OFFICER)):
        return _("A liquidation is approved by a second risk officer, not by a supervisor.")
    return _("Your role may not take this step.")


def own_proposal_refusal(case: Case, user) -> str:
    """Why the proposer of a proposal still waiting for its checker takes no step on it (four eyes),
    or "": their case page said only that no step was possible."""
    if case.proposed_by_id is None or case.proposed_by_id != user.pk:
        return ""
    workflow = case.as_workflow()
    waiting = any(t.source == workflow.state and not t.has_perm(workflow, user) and not failed_conditions(t, workflow)
                  for t in _transitions(case.kind, "checker"))
    return _refusal(workflow, user) if waiting else ""


def decisions_for(case: Case, user) -> list[Decision]:
    """The checker steps of the case's current state; each allowed or not for this user by the
    workflow's own permission (no query: roles are cached on the user) and, where permitted, by the
    step's conditions (a request's eligibility: its reasons are shown beside the disabled button)."""
    workflow = case.as_workflow()
    decisions = []
    for transition in _transitions(case.kind, "checker"):
        if transition.source != workflow.state:
            continue
        if proposes_approval in transition.conditions and not proposes_approval(workflow):
            continue  # a proposal to decline is declined or returned for rework, never approved
        allowed = transition.has_perm(workflow, user)
        reason = "" if allowed else _refusal(workflow, user)
        if allowed:  # a step whose conditions fail (a request no longer eligible) would only answer 409
            failed = failed_conditions(transition, workflow)
            allowed, reason = not failed, conditions_refusal(failed)
        decisions.append(Decision(
            name=transition.name, label=str(transition.custom.get("label", transition.name)),
            turns_down=transition.name in TURN_DOWN, comment_required=bool(transition.custom.get("comment_required")),
            allowed=allowed, reason=reason))
    return decisions


@dataclass
class Item:
    case: Case
    url: str
    outcome: str
    decisions: list[Decision]

    @property
    def can_decide(self) -> bool:
        return any(decision.allowed for decision in self.decisions)

    @property
    def refusal(self) -> str:
        return next((decision.reason for decision in self.decisions if not decision.allowed), "")


class InboxFilter(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), required=False,
                             choices=[("", gettext_lazy("All kinds")), *KIND_CHOICES])
    after = forms.IntegerField(required=False, min_value=0, max_value=2**63 - 1, widget=forms.HiddenInput)


class DecisionForm(forms.Form):
    transition = forms.CharField(max_length=48)
    comment = forms.CharField(required=False, max_length=4000, error_messages={"max_length": gettext_lazy(
        "The comment may be at most %(limit_value)d characters long (it has %(show_value)d).")})
    #: The state the page showed: if the case moved since, the decision is stale (409).
    state = forms.CharField(required=False, max_length=32)
    #: The proposal the page showed (Case.proposal_key): if another replaced it since, stale too (409).
    proposal_key = forms.CharField(required=False, max_length=32)


def _render_inbox(request, *, status: int = 200, error: dict | None = None):
    inbox = InboxFilter(request.GET)
    filter_errors = {}
    if not inbox.is_valid():  # said on the page (a bare 400 showing every kind looked like the filter worked)
        filter_errors = {"kind": inbox.errors.get("kind", []),
                         "after": [_("This page link is not valid; start again from the first page.")]
                         if "after" in inbox.errors else []}
        inbox = InboxFilter({})
        inbox.is_valid()
        status = max(status, 400)
    kind, after = inbox.cleaned_data.get("kind"), inbox.cleaned_data.get("after")
    rows = list(pending_approvals(request.user, kind=kind, after=after)[:PAGE_SIZE + 1])
    has_next = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    items = [Item(case=case, url=case_url(case.number), outcome=str(OUTCOMES.get(case.proposed_outcome, "")),
                  decisions=decisions_for(case, request.user)) for case in rows]
    context = {"items": items, "inbox": inbox, "kind": kind or "", "error": error, "filter_errors": filter_errors,
               "next_after": rows[-1].pk if has_next else None}
    return render(request, "supervisor/approvals.html", context, status=status)


@page_for(*SUPERVISORS)
def approvals(request):
    return _render_inbox(request)


@require_POST
@page_for(*SUPERVISORS)
def decide(request, number: str):
    case = cases_visible_to(request.user).filter(number=number).first()
    if case is None:
        raise Http404
    form = DecisionForm(request.POST)
    if not form.is_valid():
        comment_errors = " ".join(form.errors.get("comment", []))  # too long: the limit, under the field too
        return _render_inbox(request, status=400, error={
            "number": number, "message": comment_errors or _("The decision is incomplete."), "comment": comment_errors})
    name, comment = form.cleaned_data["transition"], form.cleaned_data["comment"]
    if name not in {t.name for t in _transitions(case.kind, "checker")}:
        return _render_inbox(request, status=400,
                             error={"number": number, "message": _("“%(name)s” is not a decision.") % {"name": name}})
    expected = form.cleaned_data["state"]
    if expected and expected != case.state:
        return _render_inbox(request, status=409, error={
            "number": number, "message": _("Case %(number)s was decided or changed meanwhile; it is now “%(state)s”.")
            % {"number": number, "state": state_label(case.kind, case.state)}})
    if case.proposal_replaced(form.cleaned_data["proposal_key"]):
        return _render_inbox(request, status=409, error={
            "number": number, "message": _("The proposal of case %(number)s was replaced meanwhile; read the new "
                                           "one before deciding.") % {"number": number}})
    try:
        with calendar_refusals():
            case_transition(case=case, user=request.user, name=name, comment=comment, require_comment=True)
    except ApplicationError as error:
        field_errors = error.extra.get("comment") if error.status_code == 400 else None
        return _render_inbox(request, status=error.status_code, error={
            "number": number, "message": str(error.message), "comment": " ".join(map(str, field_errors or []))})
    except ConcurrentTransition:
        return _render_inbox(request, status=409, error={
            "number": number, "message": _("The case was changed by someone else at the same time; reload and try "
                                           "again.")})
    messages.success(request, _("Case %(number)s: decision recorded.") % {"number": number})
    return redirect("supervisor:approvals", permanent=False)
