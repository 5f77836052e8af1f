"""What a client learns of the staff who answer them: a name, never a login name (a staff login
is half of what a password guess needs; the client's list refuses ?assignee= for the same reason)."""

import pytest

from accounts.roles import Role
from cases.services import case_create, message_create
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.security]


def test_a_staff_reply_without_a_name_is_signed_customer_service_in_the_clients_api(api, client_profile, supervisor):
    """The portal signs such a reply "Customer service"; the client's API gave the agent's username."""
    agent = UserFactory(username="zhao.desk7", first_name="", last_name="", roles=[Role.AGENT])
    named = UserFactory(username="qian.desk8", first_name="芳", last_name="钱", roles=[Role.AGENT])
    case = case_create(created_by=client_profile.user, client=client_profile, kind="ticket", subject="开户")
    message_create(case=case, author=agent, body="您好，已收到。")
    message_create(case=case, author=named, body="已为您处理。")

    response = api.as_user(client_profile.user).get(f"/api/v1/cases/{case.number}/messages/",
                                                    HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert [row["author"] for row in response.json()] == ["Customer service", "钱芳"]
    assert "zhao.desk7" not in response.content.decode() and "qian.desk8" not in response.content.decode()

    staff = api.as_user(supervisor).get(f"/api/v1/cases/{case.number}/messages/")
    assert [row["author"] for row in staff.json()] == ["zhao.desk7", "qian.desk8"]  # staff know each other
