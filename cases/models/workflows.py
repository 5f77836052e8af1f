"""Each kind's state machine, as a proxy of Case (PRODUCT.md "Case kinds").

Transition methods only change the instance; services save it and write the audit row.
`custom` carries the label shown on buttons and whether the transition asks for a comment.
Conditions are small pure functions; `CONDITION_REASONS` explains them when they fail.
"""

from datetime import timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import transition

from cases import permissions as can
from cases.models.case import Case, CaseKind
from cases.models.request_conditions import (
    EXTENSION_CONDITIONS,
    RELIEF_CONDITIONS,
    preventive_outreach,
    still_not_restored,
)
from cases.models.request_conditions import REASONS as REQUEST_CONDITION_REASONS


def _meta(label, comment_required=False, **extra):
    return {"label": label, "comment_required": comment_required, **extra}


# --- conditions -----------------------------------------------------------------------------
REOPEN_WINDOW = timedelta(days=7)


def resolved_within_reopen_window(case) -> bool:
    return case.resolved_at is not None and timezone.now() - case.resolved_at <= REOPEN_WINDOW


def resolution_approved(case) -> bool:
    return case.approved_by_id is not None


def resolution_not_yet_approved(case) -> bool:
    return case.approved_by_id is None


def has_proposal(case) -> bool:
    return case.proposed_by_id is not None


def has_no_proposal(case) -> bool:
    return case.proposed_by_id is None


def proposes_approval(case) -> bool:
    """A request's proposal is to approve it: a supervisor approves only what an agent proposed (a
    proposal to decline that the supervisor disagrees with goes back for rework)."""
    return case.proposed_outcome == "approve"


CONDITION_REASONS = {
    resolved_within_reopen_window: _("A resolved ticket can be reopened only within 7 days."),
    resolution_approved: _("The proposed resolution has not been approved by a supervisor yet."),
    resolution_not_yet_approved: _("The proposed resolution is already approved."),
    has_proposal: _("Nothing has been proposed yet."),
    has_no_proposal: _("A proposal is already waiting for approval."),
    proposes_approval: _("The proposal is to decline the request: approve only what was proposed, or return it "
                         "for rework so that another proposal can be made."),
    preventive_outreach: _("Only a preventive outreach is closed by hand: a margin call closes itself when the "
                           "ratio is restored."),
    **REQUEST_CONDITION_REASONS,
}


class TicketCase(Case):
    class State(models.TextChoices):
        NEW = "new", _("New")
        OPEN = "open", _("Open")
        WAITING_ON_CLIENT = "waiting_on_client", _("Waiting on client")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")
        CANCELLED = "cancelled", _("Cancelled")

    initial_state = State.NEW

    class Meta:
        proxy = True
        verbose_name = _("service ticket")
        verbose_name_plural = _("service tickets")

    @transition("state", source=State.NEW, target=State.OPEN, permission=can.is_worker,
                custom=_meta(_("Open")))
    def open(self, *, by=None, comment=""):
        if self.assignee_id is None and by is not None:
            self.assignee = by

    @transition("state", source=State.OPEN, target=State.WAITING_ON_CLIENT, permission=can.is_worker,
                custom=_meta(_("Wait on client"), comment_required=True))
    def wait_on_client(self, *, by=None, comment=""):
        pass

    @transition("state", source=State.WAITING_ON_CLIENT, target=State.OPEN,
                permission=can.is_client_or_worker_or_system, custom=_meta(_("Resume")))
    def resume(self, *, by=None, comment=""):
        pass

    @transition("state", source=[State.OPEN, State.WAITING_ON_CLIENT], target=State.RESOLVED,
                permission=can.is_worker, custom=_meta(_("Resolve"), comment_required=True))
    def resolve(self, *, by=None, comment=""):
        self.resolved_at = timezone.now()

    @transition("state", source=State.RESOLVED, target=State.CLOSED,
                permission=can.is_client_or_worker_or_system, custom=_meta(_("Close")))
    def close(self, *, by=None, comment=""):
        self.closed_at = timezone.now()

    @transition("state", source=State.RESOLVED, target=State.OPEN, permission=can.is_worker_or_client,
                conditions=[resolved_within_reopen_window], custom=_meta(_("Reopen"), comment_required=True))
    def reopen(self, *, by=None, comment=""):
        self.resolved_at = None

    @transition("state", source=[State.NEW, State.OPEN], target=State.CANCELLED,
                permission=can.is_worker_or_client, custom=_meta(_("Cancel"), comment_required=True))
    def cancel(self, *, by=None, comment=""):
        self.closed_at = timezone.now()


class DisputeCase(Case):
    class State(models.TextChoices):
        RECEIVED = "received", _("Received")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        INVESTIGATING = "investigating", _("Investigating")
        RESOLUTION_PROPOSED = "resolution_proposed", _("Resolution proposed")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED_BY_CLIENT = "rejected_by_client", _("Rejected by client")
        REFERRED_TO_MEDIATION = "referred_to_mediation", _("Referred to mediation")
        CLOSED = "closed", _("Closed")

    initial_state = State.RECEIVED

    class Meta:
        proxy = True
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")

    @transition("state", source=State.RECEIVED, target=State.ACKNOWLEDGED, permission=can.is_worker,
                custom=_meta(_("Acknowledge")))
    def acknowledge(self, *, by=None, comment=""):
        if self.assignee_id is None and by is not None:
            self.assignee = by

    @transition("state", source=State.ACKNOWLEDGED, target=State.INVESTIGATING, permission=can.is_worker,
                custom=_meta(_("Investigate")))
    def investigate(self, *, by=None, comment=""):
        pass

    @transition("state", source=State.INVESTIGATING, target=State.RESOLUTION_PROPOSED,
                permission=can.is_worker, custom=_meta(_("Propose resolution"), comment_required=True,
                                                       maker=True))
    def propose_resolution(self, *, by=None, comment=""):
        self.proposed_by = by
        self.proposal = comment
        self.proposed_outcome = "resolve"
        self.approved_by = None

    @transition("state", source=State.RESOLUTION_PROPOSED, target=State.RESOLUTION_PROPOSED,
                permission=can.is_checker, conditions=[has_proposal, resolution_not_yet_approved],
                custom=_meta(_("Approve resolution"), checker=True))
    def approve_resolution(self, *, by=None, comment=""):
        self.approved_by = by

    @transition("state", source=State.RESOLUTION_PROPOSED, target=State.INVESTIGATING,
                permission=can.is_checker, conditions=[has_proposal, resolution_not_yet_approved],
                custom=_meta(_("Return for rework"), comment_required=True, checker=True))
    def return_for_rework(self, *, by=None, comment=""):
        self.proposed_by = None
        self.proposed_outcome = ""

    @transition("state", source=State.RESOLUTION_PROPOSED, target=State.ACCEPTED,
                permission=can.is_worker_or_client, conditions=[resolution_approved],
                custom=_meta(_("Accept resolution")))
    def accept(self, *, by=None, comment=""):
        self.resolved_at = timezone.now()

    @transition("state", source=State.RESOLUTION_PROPOSED, target=State.REJECTED_BY_CLIENT,
                permission=can.is_worker_or_client, conditions=[resolution_approved],
                custom=_meta(_("Reject resolution"), comment_required=True))
    def reject(self, *, by=None, comment=""):
        pass

    @transition("state", source=State.REJECTED_BY_CLIENT, target=State.INVESTIGATING,
                permission=can.is_worker, custom=_meta(_("Investigate again")))
    def reinvestigate(self, *, by=None, comment=""):
        self.proposed_by = None
        self.approved_by = None
        self.proposed_outcome = ""

    @transition("state", source=State.REJECTED_BY_CLIENT, target=State.REFERRED_TO_MEDIATION,
                permission=can.is_worker, custom=_meta(_("Refer to mediation"), comment_required=True))
    def refer_to_mediation(self, *, by=None, comment=""):
        pass

    @transition("state", source=[State.ACCEPTED, State.REFERRED_TO_MEDIATION], target=State.CLOSED,
                permission=can.is_worker_or_system, custom=_meta(_("Close")))
    def close(self, *, by=None, comment=""):
        self.closed_at = timezone.now()
        if self.resolved_at is None:
            self.resolved_at = self.closed_at


def _approval_transitions(*eligibility):
    """A request's `propose_approval` and `approve`, with its kind's eligibility conditions
    (request_conditions.py) checked at both: when the agent proposes and when the supervisor
    approves, as the account may have changed in between."""

    @transition("state", source="under_review", target="under_review", permission=can.is_worker,
                conditions=[has_no_proposal, *eligibility],
                custom=_meta(_("Propose approval"), comment_required=True, maker=True))
    def propose_approval(self, *, by=None, comment=""):
        self.proposed_by = by
        self.proposed_outcome = "approve"
        self.proposal = comment

    @transition("state", source="under_review", target="approved", permission=can.is_checker,
                conditions=[has_proposal, proposes_approval, *eligibility], custom=_meta(_("Approve"), checker=True))
    def approve(self, *, by=None, comment=""):
        self.approved_by = by
        self.resolved_at = self.closed_at = timezone.now()

    return propose_approval, approve


class RequestCase(Case):
    """Extension (展期) and relief (纾困) requests: proposed by an agent, decided by a supervisor
    who is not the proposer."""

    class State(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        UNDER_REVIEW = "under_review", _("Under review")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")

    initial_state = State.SUBMITTED

    class Meta:
        proxy = True
        verbose_name = _("request")
        verbose_name_plural = _("requests")

    @transition("state", source=State.SUBMITTED, target=State.UNDER_REVIEW, permission=can.is_worker,
                custom=_meta(_("Start review")))
    def start_review(self, *, by=None, comment=""):
        if self.assignee_id is None and by is not None:
            self.assignee = by

    propose_approval, approve = _approval_transitions()

    @transition("state", source=State.UNDER_REVIEW, target=State.UNDER_REVIEW, permission=can.is_worker,
                conditions=[has_no_proposal],
                custom=_meta(_("Propose decline"), comment_required=True, maker=True))
    def propose_decline(self, *, by=None, comment=""):
        self.proposed_by = by
        self.proposed_outcome = "decline"
        self.proposal = comment

    @transition("state", source=State.UNDER_REVIEW, target=State.DECLINED, permission=can.is_checker,
                conditions=[has_proposal], custom=_meta(_("Decline"), comment_required=True, checker=True))
    def decline(self, *, by=None, comment=""):
        self.approved_by = by
        self.resolved_at = self.closed_at = timezone.now()

    @transition("state", source=State.UNDER_REVIEW, target=State.UNDER_REVIEW, permission=can.is_checker,
                conditions=[has_proposal], custom=_meta(_("Return for rework"), comment_required=True, checker=True))
    def return_for_rework(self, *, by=None, comment=""):
        """The supervisor sends the proposal back (to decline a request the agent proposed to
        approve, a supervisor may decline it at once): it is withdrawn, the request stays under
        review for another proposal."""
        self.proposed_by = None
        self.proposed_outcome = ""
        self.proposal = ""


class ExtensionCase(RequestCase):
    """Approval moves the contract's maturity (cases/services/requests.py)."""

    class Meta:
        proxy = True
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")

    propose_approval, approve = _approval_transitions(*EXTENSION_CONDITIONS)


class ReliefCase(RequestCase):
    """Approval moves the margin call's deadline (risk/effects.py)."""

    class Meta:
        proxy = True
        verbose_name = _("relief request")
        verbose_name_plural = _("relief requests")

    propose_approval, approve = _approval_transitions(*RELIEF_CONDITIONS)


class MarginCallCase(Case):
    """Opened and moved by the monitoring; its level follows the ratio (PRODUCT.md)."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        CLIENT_NOTIFIED = "client_notified", _("Client notified")
        RESTORED = "restored", _("Restored")
        LIQUIDATION_PENDING = "liquidation_pending", _("Liquidation pending")
        LIQUIDATED = "liquidated", _("Liquidated")
        RETURN_VISIT = "return_visit", _("Return visit")
        CLOSED = "closed", _("Closed")

    initial_state = State.OPEN

    class Meta:
        proxy = True
        verbose_name = _("margin call")
        verbose_name_plural = _("margin calls")

    @transition("state", source=State.OPEN, target=State.CLIENT_NOTIFIED, permission=can.is_worker_or_system,
                custom=_meta(_("Client notified")))
    def notify_client(self, *, by=None, comment=""):
        pass

    @transition("state", source=[State.OPEN, State.CLIENT_NOTIFIED, State.LIQUIDATION_PENDING],
                target=State.RESTORED, permission=can.is_system, conditions=[has_no_proposal],
                custom=_meta(_("Ratio restored")))
    def restore(self, *, by=None, comment=""):
        self.resolved_at = self.closed_at = timezone.now()

    @transition("state", source=[State.OPEN, State.CLIENT_NOTIFIED], target=State.LIQUIDATION_PENDING,
                permission=can.is_system, custom=_meta(_("Deadline passed")))
    def pass_deadline(self, *, by=None, comment=""):
        pass

    @transition("state", source=[State.OPEN, State.CLIENT_NOTIFIED], target=State.CLOSED, permission=can.is_worker,
                conditions=[preventive_outreach], custom=_meta(_("Close outreach"), comment_required=True))
    def close_outreach(self, *, by=None, comment=""):
        self.resolved_at = self.closed_at = timezone.now()

    @transition("state", source=State.LIQUIDATION_PENDING, target=State.CLIENT_NOTIFIED, permission=can.is_system,
                custom=_meta(_("Deadline moved: more time given")))
    def grant_more_time(self, *, by=None, comment=""):
        self._withdraw_proposal()

    @transition("state", source=State.LIQUIDATION_PENDING, target=State.LIQUIDATION_PENDING,
                permission=can.is_risk_officer, conditions=[has_no_proposal],
                custom=_meta(_("Propose liquidation"), comment_required=True, maker=True))
    def propose_liquidation(self, *, by=None, comment=""):
        self.proposed_by = by
        self.proposed_outcome = "liquidate"
        self.proposal = comment

    @transition("state", source=State.LIQUIDATION_PENDING, target=State.LIQUIDATION_PENDING,
                permission=can.is_risk_checker, conditions=[has_proposal],
                custom=_meta(_("Decline liquidation"), comment_required=True, checker=True))
    def decline_liquidation(self, *, by=None, comment=""):
        self._withdraw_proposal()

    def _withdraw_proposal(self) -> None:
        self.proposed_by = None
        self.proposed_outcome = ""
        self.proposal = ""

    @transition("state", source=State.LIQUIDATION_PENDING, target=State.LIQUIDATED,
                permission=can.is_risk_checker, conditions=[has_proposal, still_not_restored],
                custom=_meta(_("Approve liquidation"), checker=True))
    def approve_liquidation(self, *, by=None, comment=""):
        self.approved_by = by

    @transition("state", source=State.LIQUIDATED, target=State.RETURN_VISIT, permission=can.is_worker_or_system,
                custom=_meta(_("Schedule return visit")))
    def schedule_return_visit(self, *, by=None, comment=""):
        self.resolved_at = timezone.now()

    @transition("state", source=State.RETURN_VISIT, target=State.CLOSED, permission=can.is_worker,
                custom=_meta(_("Close"), comment_required=True))
    def close(self, *, by=None, comment=""):
        self.closed_at = timezone.now()


#: Steps whose comment is written to the client (what we need from them, why their request was
#: declined; the console's field says it is sent): shown on the portal and sent with the notice.
#: Every other step's comment is staff's.
CLIENT_FACING_COMMENTS = frozenset({"wait_on_client", "decline"})

#: Staff's deliberation before a decision (a proposal, a proposal sent back or turned down): the
#: client is shown the decision, not the steps towards it (the portal and the client API alike).
STAFF_DELIBERATIONS = frozenset({"propose_resolution", "return_for_rework", "propose_approval", "propose_decline",
                                 "propose_liquidation", "decline_liquidation"})


def client_state(case) -> str:
    """The state a client is shown: a dispute's resolution is proposed to the client once a
    supervisor approved it; until then, for the client, it is still being investigated
    (AWAITING_APPROVAL states the same in a query)."""
    if (case.kind == CaseKind.DISPUTE and case.state == DisputeCase.State.RESOLUTION_PROPOSED
            and not case.approved_by_id):
        return DisputeCase.State.INVESTIGATING.value
    return case.state


#: client_state's disputes shown as investigating, as a query condition.
AWAITING_APPROVAL = models.Q(kind=CaseKind.DISPUTE, state=DisputeCase.State.RESOLUTION_PROPOSED,
                             approved_by__isnull=True)


WORKFLOWS: dict[str, type[Case]] = {
    CaseKind.TICKET: TicketCase,
    CaseKind.DISPUTE: DisputeCase,
    CaseKind.EXTENSION: ExtensionCase,
    CaseKind.RELIEF: ReliefCase,
    CaseKind.MARGIN_CALL: MarginCallCase,
}

#: States in which a case is finished (no SLA runs, not in the open backlog).
CLOSED_STATES = {
    CaseKind.TICKET: {TicketCase.State.CLOSED, TicketCase.State.CANCELLED, TicketCase.State.RESOLVED},
    CaseKind.DISPUTE: {DisputeCase.State.CLOSED},
    CaseKind.EXTENSION: {RequestCase.State.APPROVED, RequestCase.State.DECLINED},
    CaseKind.RELIEF: {RequestCase.State.APPROVED, RequestCase.State.DECLINED},
    CaseKind.MARGIN_CALL: {MarginCallCase.State.RESTORED, MarginCallCase.State.CLOSED},
}
ALL_CLOSED_STATES = sorted({state for states in CLOSED_STATES.values() for state in states})


#: Each kind's state → label (lazy: translated when shown), built once: a list page asks per row.
_STATE_LABELS = {kind: dict(workflow.State.choices) for kind, workflow in WORKFLOWS.items()}
#: States no case is in any more but older events record (migration 0015: now liquidation_pending).
_STATE_LABELS[CaseKind.MARGIN_CALL]["deadline_passed"] = _("Deadline passed")


def state_label(kind: str, state: str) -> str:
    return _STATE_LABELS[kind].get(state, state)


#: Each kind's step → label (lazy: translated when shown), from any state of its workflow.
_STEP_LABELS = {kind: {step.name: step.custom.get("label", step.name)
                       for step in workflow._meta.get_field("state").get_all_transitions(workflow)}
                for kind, workflow in WORKFLOWS.items()}


def step_label(kind: str, name: str) -> str:
    """A workflow step's label (its button), in the reader's language; the name for a step it has not."""
    return str(_STEP_LABELS[kind].get(name, name))


def failed_conditions(transition, workflow) -> list:
    """The conditions of `transition` the case (`workflow`) does not meet now."""
    return [condition for condition in transition.conditions if not condition(workflow)]


def conditions_refusal(failed) -> str:
    """Why the step is not possible: the reason of each condition not met (CONDITION_REASONS). With
    nothing proposed, what the proposal is (proposes_approval) is not said: there is none to decline."""
    if has_proposal in failed:
        failed = [condition for condition in failed if condition is not proposes_approval]
    return " ".join(str(CONDITION_REASONS.get(condition, condition.__name__)) for condition in failed)
