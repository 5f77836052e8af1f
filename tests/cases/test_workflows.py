"""Every allowed transition of every kind, and a disallowed one from each state."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from cases.models import WORKFLOWS, CaseEvent, CaseKind
from cases.services import case_create, case_transition
from risk.monitoring import monitor_accounts
from servicedesk.errors import Conflict, NotAllowed
from tests.factories import CreditAccountFactory, PositionFactory, SecurityFactory

pytestmark = pytest.mark.django_db

# How to reach each state from the start, as (transition, actor) steps.
A, S, S2, C, SYS, R, R2 = "agent", "supervisor", "other_supervisor", "client", "system", "risk", "other_risk"
DISPUTE_PROPOSED = [("acknowledge", A), ("investigate", A), ("propose_resolution", A)]
DISPUTE_APPROVED = [*DISPUTE_PROPOSED, ("approve_resolution", S)]
MARGIN_PASSED = [("notify_client", SYS), ("pass_deadline", SYS)]
MARGIN_PROPOSED = [*MARGIN_PASSED, ("propose_liquidation", R)]
MARGIN_LIQUIDATED = [*MARGIN_PROPOSED, ("approve_liquidation", R2)]
REQUEST_PATHS = {
    "submitted": [],
    "under_review": [("start_review", A)],
    "approved": [("start_review", A), ("propose_approval", A), ("approve", S)],
    "declined": [("start_review", A), ("propose_decline", A), ("decline", S)],
}
PATHS = {
    CaseKind.TICKET: {
        "new": [], "open": [("open", A)], "waiting_on_client": [("open", A), ("wait_on_client", A)],
        "resolved": [("open", A), ("resolve", A)], "closed": [("open", A), ("resolve", A), ("close", C)],
        "cancelled": [("cancel", C)],
    },
    CaseKind.DISPUTE: {
        "received": [], "acknowledged": [("acknowledge", A)],
        "investigating": [("acknowledge", A), ("investigate", A)],
        "resolution_proposed": DISPUTE_PROPOSED,
        "accepted": [*DISPUTE_APPROVED, ("accept", C)],
        "rejected_by_client": [*DISPUTE_APPROVED, ("reject", C)],
        "referred_to_mediation": [*DISPUTE_APPROVED, ("reject", C), ("refer_to_mediation", A)],
        "closed": [*DISPUTE_APPROVED, ("accept", C), ("close", A)],
    },
    CaseKind.EXTENSION: REQUEST_PATHS,
    CaseKind.RELIEF: REQUEST_PATHS,
    CaseKind.MARGIN_CALL: {
        "open": [], "client_notified": [("notify_client", SYS)],
        "restored": [("notify_client", SYS), ("restore", SYS)],
        "liquidation_pending": MARGIN_PASSED,
        "liquidated": MARGIN_LIQUIDATED,
        "return_visit": [*MARGIN_LIQUIDATED, ("schedule_return_visit", A)],
        "closed": [*MARGIN_LIQUIDATED, ("schedule_return_visit", A), ("close", A)],
    },
}
# Who takes each transition when the test takes it.
ACTOR = {
    "close": A, "cancel": A, "reopen": C, "resume": C, "accept": C, "reject": C,
    "approve_resolution": S, "return_for_rework": S, "approve": S, "decline": S,
    "restore": SYS, "pass_deadline": SYS, "notify_client": SYS,
    "propose_liquidation": R, "approve_liquidation": R2, "decline_liquidation": R2, "grant_more_time": SYS,
}
COMMENT = "说明 / note"
# Transitions that need more than their source state (an approval, a proposal) start from here.
PROPOSED = [("start_review", A), ("propose_approval", A)]
PRECONDITION_PATHS = {
    "accept": DISPUTE_APPROVED, "reject": DISPUTE_APPROVED,
    "approve": PROPOSED, "decline": PROPOSED,
    "approve_liquidation": MARGIN_PROPOSED, "decline_liquidation": MARGIN_PROPOSED,
    # a request's proposal sent back (a dispute's starts from its own resolution_proposed path)
    (CaseKind.EXTENSION, "return_for_rework"): PROPOSED, (CaseKind.RELIEF, "return_for_rework"): PROPOSED,
}


@pytest.fixture
def credit_account(client_profile, request):
    """An account a request may be approved for: it matures in 10 days (inside the extension
    window), interest is paid and it has no debt (no ratio to fall short). For relief requests it
    is under a margin call (debt 100,000 against 10,000 shares at 12.00: 120 %), which relief needs."""
    account = CreditAccountFactory(client=client_profile,
                                   contract_maturity=timezone.localdate() + datetime.timedelta(days=10))
    callspec = getattr(request.node, "callspec", None)
    if callspec is not None and callspec.params.get("kind") == CaseKind.RELIEF:
        account.financing_debt = Decimal("100000.00")
        account.save(update_fields=["financing_debt"])
        PositionFactory(account=account, security=SecurityFactory(price=Decimal("12.00")), quantity=10000)
        monitor_accounts(trigger="test")
    return account


@pytest.fixture
def actors(agent, supervisor, other_supervisor, client_profile, risk_officer, other_risk_officer):
    return {A: agent, S: supervisor, S2: other_supervisor, C: client_profile.user, SYS: None,
            R: risk_officer, R2: other_risk_officer}


def short_of_margin(account) -> None:
    """Debt 100,000 against 10,000 shares at 12.00 (120 %, below close-out): a margin call's account,
    whose liquidation may be approved (not once the ratio is back above the warning line)."""
    account.financing_debt = Decimal("100000.00")
    account.save(update_fields=["financing_debt"])
    PositionFactory(account=account, security=SecurityFactory(price=Decimal("12.00")), quantity=10000)


def new_case(kind, client_profile, credit_account, agent):
    creator = None if kind == CaseKind.MARGIN_CALL else agent
    if kind == CaseKind.MARGIN_CALL and credit_account.financing_debt == 0:
        short_of_margin(credit_account)
    return case_create(created_by=creator, client=client_profile, kind=kind, subject="测试", channel="phone",
                       credit_account=credit_account)


def drive(case, steps, actors):
    for name, who in steps:
        case = case_transition(case=case, user=actors[who], name=name, comment=COMMENT)
    return case


#: Transitions that need more than a path of steps: tested where their precondition is made.
ELSEWHERE = {"close_outreach"}  # a stress test's preventive outreach: tests/risk/test_stress.py


def all_transitions():
    for kind, workflow in WORKFLOWS.items():
        for transition in workflow().get_all_state_transitions():
            if transition.name in ELSEWHERE:
                continue
            yield pytest.param(kind, transition.name, transition.source, transition.target,
                               id=f"{kind}:{transition.source}->{transition.name}")


@pytest.mark.parametrize(("kind", "name", "source", "target"), list(all_transitions()))
def test_every_allowed_transition(kind, name, source, target, actors, client_profile, credit_account, agent):
    path = PRECONDITION_PATHS.get((kind, name), PRECONDITION_PATHS.get(name, PATHS[kind][source]))
    case = drive(new_case(kind, client_profile, credit_account, agent), path, actors)
    assert case.state == source
    case = case_transition(case=case, user=actors[ACTOR.get(name, A)], name=name, comment=COMMENT)
    assert case.state == target
    last = CaseEvent.objects.filter(case=case).latest("id")
    assert (last.name, last.from_value, last.to_value) == (name, source, target)


def all_states():
    for kind, paths in PATHS.items():
        for state in paths:
            yield pytest.param(kind, state, id=f"{kind}:{state}")


@pytest.mark.parametrize(("kind", "state"), list(all_states()))
def test_a_disallowed_transition_from_each_state(kind, state, actors, client_profile, credit_account, agent):
    case = drive(new_case(kind, client_profile, credit_account, agent), PATHS[kind][state], actors)
    workflow = WORKFLOWS[kind]()
    from_here = {t.name for t in workflow.get_all_state_transitions() if t.source == state}
    other = sorted({t.name for t in workflow.get_all_state_transitions()} - from_here)[0]
    events_before = CaseEvent.objects.filter(case=case).count()
    with pytest.raises(Conflict) as error:
        case_transition(case=case, user=actors[ACTOR.get(other, A)], name=other, comment=COMMENT)
    assert error.value.extra["state"] == state
    case.refresh_from_db()
    assert case.state == state
    assert CaseEvent.objects.filter(case=case).count() == events_before


def test_the_proposer_cannot_approve_their_own_resolution(actors, client_profile, credit_account, agent):
    supervisor = actors[S]
    case = new_case(CaseKind.DISPUTE, client_profile, credit_account, agent)
    case = drive(case, [("acknowledge", S), ("investigate", S), ("propose_resolution", S)], actors)
    with pytest.raises(NotAllowed, match="four eyes"), translation.override("en"):  # the reason, not the role
        case_transition(case=case, user=supervisor, name="approve_resolution")
    case = case_transition(case=case, user=actors[S2], name="approve_resolution")
    assert case.approved_by == actors[S2]


def test_a_request_is_decided_only_by_a_supervisor_who_did_not_propose(actors, client_profile, credit_account,
                                                                       agent):
    case = drive(new_case(CaseKind.EXTENSION, client_profile, credit_account, agent),
                 [("start_review", S), ("propose_approval", S)], actors)
    with pytest.raises(NotAllowed):
        case_transition(case=case, user=actors[S], name="approve")
    with pytest.raises(NotAllowed):
        case_transition(case=case, user=actors[A], name="approve")
    assert case_transition(case=case, user=actors[S2], name="approve").state == "approved"


def test_liquidation_needs_two_different_risk_officers(actors, client_profile, credit_account, agent):
    case = drive(new_case(CaseKind.MARGIN_CALL, client_profile, credit_account, agent), MARGIN_PASSED, actors)
    assert case.state == "liquidation_pending"
    with pytest.raises(Conflict):  # nothing proposed yet
        case_transition(case=case, user=actors[R2], name="approve_liquidation")
    case = case_transition(case=case, user=actors[R], name="propose_liquidation", comment=COMMENT)
    assert (case.state, case.proposed_by) == ("liquidation_pending", actors[R])
    with pytest.raises(NotAllowed):
        case_transition(case=case, user=actors[R], name="approve_liquidation")
    with pytest.raises(NotAllowed):
        case_transition(case=case, user=actors[S], name="approve_liquidation")
    assert case_transition(case=case, user=actors[R2], name="approve_liquidation").state == "liquidated"


def test_a_declined_liquidation_can_be_proposed_again_or_restored(actors, client_profile, credit_account, agent):
    case = drive(new_case(CaseKind.MARGIN_CALL, client_profile, credit_account, agent), MARGIN_PROPOSED, actors)
    with pytest.raises(Conflict):  # proposed: the monitoring's restore waits for the officers' decision
        case_transition(case=case, user=None, name="restore")
    with pytest.raises(NotAllowed):  # the proposer cannot decline their own proposal either
        case_transition(case=case, user=actors[R], name="decline_liquidation", comment="客户已承诺补仓")
    case = case_transition(case=case, user=actors[R2], name="decline_liquidation", comment="客户已承诺补仓")
    assert (case.state, case.proposed_by, case.proposal) == ("liquidation_pending", None, "")
    assert case_transition(case=case, user=None, name="restore").state == "restored"


def test_a_resolved_ticket_reopens_only_within_seven_days(actors, client_profile, credit_account, agent):
    case = drive(new_case(CaseKind.TICKET, client_profile, credit_account, agent), PATHS["ticket"]["resolved"],
                 actors)
    type(case).objects.filter(pk=case.pk).update(resolved_at=timezone.now() - timezone.timedelta(days=8))
    case.refresh_from_db()
    with pytest.raises(Conflict) as error:
        case_transition(case=case, user=actors[C], name="reopen", comment="still broken")
    assert "7" in error.value.message


def test_a_client_may_not_take_staff_steps(actors, client_profile, credit_account, agent):
    case = new_case(CaseKind.DISPUTE, client_profile, credit_account, agent)
    with pytest.raises(NotAllowed):
        case_transition(case=case, user=actors[C], name="acknowledge")


def test_margin_calls_are_never_opened_by_hand(client_profile, credit_account, agent):
    from servicedesk.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        case_create(created_by=agent, client=client_profile, kind=CaseKind.MARGIN_CALL, subject="x",
                    credit_account=credit_account)


def test_the_open_assigned_cases_index_covers_every_worked_state():
    """The dashboard's workload reads the partial index case_open_assignee_idx; it serves only if
    its states are exactly the report's open states, in the same order (a workflow state added
    without a migration of the index would leave the workload reading every case)."""
    from cases.models import Case
    from cases.models.case import WORKED_STATES
    from cases.reports import OPEN_STATES

    assert list(WORKED_STATES) == OPEN_STATES
    index = next(index for index in Case._meta.indexes if index.name == "case_open_assignee_idx")
    assert ("state__in", WORKED_STATES) in index.condition.children
