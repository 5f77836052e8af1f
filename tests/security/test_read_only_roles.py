"""Read-only roles are refused as such (403) whatever they try, before anything about the object."""

import pytest

from cases.models import CaseEvent
from cases.services import case_create

pytestmark = [pytest.mark.django_db, pytest.mark.security]


@pytest.mark.parametrize("step", ["cancel", "resolve", "approve", "no_such_step"])
def test_an_auditor_taking_any_step_is_refused_for_the_role(api, client, client_profile, auditor, step):
    """Only a step possible in the case's state was refused (403); any other got the 409 "not possible
    while the case is New", as if the auditor might take it in another state."""
    case = case_create(created_by=client_profile.user, client=client_profile, kind="ticket", subject="read only")
    events = CaseEvent.objects.count()
    response = api.as_user(auditor).post(f"/api/v1/cases/{case.number}/transitions/{step}/", {"comment": "x"},
                                         format="json")
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    client.force_login(auditor)
    assert client.post(f"/console/cases/{case.number}/transitions/{step}/", {"comment": "x"}).status_code == 403
    case.refresh_from_db()
    assert case.state == "new" and CaseEvent.objects.count() == events


def test_a_client_still_learns_why_their_step_is_not_possible_now(api, client_profile):
    case = case_create(created_by=client_profile.user, client=client_profile, kind="ticket", subject="mine")
    response = api.as_user(client_profile.user).post(f"/api/v1/cases/{case.number}/transitions/reopen/",
                                                     {"comment": "x"}, format="json")
    assert response.status_code == 409 and response.json()["allowed"] == ["cancel"]
