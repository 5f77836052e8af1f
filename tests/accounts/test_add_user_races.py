"""Two provisioning runs for the same new login at once (PostgreSQL, real concurrent transactions):
`add_user` run twice by a deployment script, say. The second one's insert waited for the first's and
was then refused by the unique username: it died of an IntegrityError. Now it finds the login the
first created and makes it match, as the same arguments given again would."""

import pytest
from django.contrib.auth import authenticate

from accounts.models import User
from accounts.roles import Role
from accounts.services import user_provision
from tests.risk.test_margin_call_races import first_then_second

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]
PASSWORD = "Desk-pass-2026-x"


def test_the_same_new_login_provisioned_twice_at_once_is_one_login():
    def provision(roles):
        return lambda: user_provision(username="wang.lei", roles=roles, password=PASSWORD)

    first, second = first_then_second(provision([Role.AGENT]), provision([Role.TEAM_LEAD]))
    assert not isinstance(second, Exception), second
    assert "created" in first.provision_changes and "created" not in second.provision_changes
    assert "roles" in second.provision_changes
    user = User.objects.get(username="wang.lei")
    assert set(user.groups.values_list("name", flat=True)) == {Role.TEAM_LEAD}  # the later run's roles
    assert authenticate(username="wang.lei", password=PASSWORD) == user
