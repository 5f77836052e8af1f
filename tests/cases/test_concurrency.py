"""Two people act on one case at the same moment: one wins, the other gets a conflict (PostgreSQL)."""

import pytest
from rest_framework.test import APIClient

from cases.models import Case, CaseEvent, CaseKind
from cases.services import case_create, case_transition
from servicedesk.errors import Conflict
from tests.concurrency import run_together

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres(reason="row locks and concurrent transactions need PostgreSQL (set DATABASE_URL)"),
]


def test_two_agents_transition_one_case_at_once_over_http(client_profile, agent, other_agent):
    case = case_create(created_by=agent, client=client_profile, kind=CaseKind.TICKET, subject="并发")
    case_transition(case=case, user=agent, name="open")

    def resolve_as(user):
        def call():
            http = APIClient()
            http.force_authenticate(user)
            return http.post(f"/api/v1/cases/{case.number}/transitions/resolve/", {"comment": f"by {user}"},
                             format="json")
        return call

    first, second = run_together(resolve_as(agent), resolve_as(other_agent))
    assert sorted([first.status_code, second.status_code]) == [200, 409]
    assert Case.objects.get(pk=case.pk).state == "resolved"
    assert CaseEvent.objects.filter(case=case, name="resolve").count() == 1


def test_two_services_racing_on_stale_copies_one_conflicts(client_profile, agent, other_agent):
    case = case_create(created_by=agent, client=client_profile, kind=CaseKind.TICKET, subject="并发")
    copy_one, copy_two = Case.objects.get(pk=case.pk), Case.objects.get(pk=case.pk)
    results = run_together(
        lambda: case_transition(case=copy_one, user=agent, name="open"),
        lambda: case_transition(case=copy_two, user=other_agent, name="cancel", comment="dup"),
    )
    winners = [r for r in results if isinstance(r, Case)]
    losers = [r for r in results if isinstance(r, Conflict)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert Case.objects.get(pk=case.pk).state == winners[0].state
    assert CaseEvent.objects.filter(case=case, kind="transition").count() == 1


def test_a_priority_change_is_not_lost_when_a_transition_saves(client_profile, agent, supervisor):
    from cases.services import case_update

    case = case_create(created_by=agent, client=client_profile, kind=CaseKind.TICKET, subject="优先级")
    stale = Case.objects.get(pk=case.pk)
    case_update(case=case, user=supervisor, priority="urgent")
    case_transition(case=stale, user=agent, name="open")
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.state, fresh.priority) == ("open", "urgent")
