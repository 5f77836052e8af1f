"""Reads of people: the users holding a role."""

import pytest

from accounts.roles import CASE_WORKERS, Role
from accounts.selectors import users_with_roles
from tests.factories import ClientProfileFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_users_with_roles_lists_each_holder_once_and_no_one_else():
    both = UserFactory(username="lead_and_agent", roles=[Role.AGENT, Role.TEAM_LEAD])
    agent = UserFactory(username="plain_agent", roles=[Role.AGENT])
    auditor = UserFactory(username="an_auditor", roles=[Role.AUDITOR])
    ClientProfileFactory()  # a client: never a case worker
    UserFactory(username="no_role")

    workers = list(users_with_roles(*CASE_WORKERS).order_by("username"))
    assert workers == [both, agent]
    assert list(users_with_roles(Role.AUDITOR)) == [auditor]
    assert not users_with_roles("no_such_role").exists()


def test_the_case_page_offers_every_case_worker_to_assign(client, supervisor, agent, client_profile):
    from cases.models import CaseKind
    from cases.services import case_create

    case = case_create(created_by=agent, client=client_profile, kind=CaseKind.TICKET, subject="s")
    lead = UserFactory(username="lead1", roles=[Role.TEAM_LEAD, Role.AGENT])
    client.force_login(supervisor)
    html = client.get(f"/console/cases/{case.number}/").content.decode()
    options = html.split('name="assignee"')[1].split("</select>")[0]
    assert options.count('value="lead1"') == 1 and 'value="agent1"' in options
    assert client_profile.user.username not in options
