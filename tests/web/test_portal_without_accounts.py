"""A client with no credit account (new, or every account closed) opening the extension or relief
form: told that such a request needs an account and pointed to a service ticket, not handed a form
whose account list is empty and whose every sending is refused."""

import pytest
from django.urls import reverse

from cases.models import Case
from tests.factories import CreditAccountFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("kind", ["extension", "relief"])
def test_a_request_about_an_account_says_so_to_a_client_without_one(client, client_profile, kind):
    client.force_login(client_profile.user)
    page = client.get(reverse("portal:submit", args=[kind]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "you have none with us" in page
    assert 'name="credit_account"' not in page and 'action="/portal/submit/' not in page
    assert f'href="{reverse("portal:submit", args=["ticket"])}"' in page
    assert Case.objects.count() == 0


def test_a_ticket_and_a_client_with_an_account_still_get_the_form(client, client_profile):
    client.force_login(client_profile.user)
    ticket = client.get(reverse("portal:submit", args=["ticket"]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'name="subject"' in ticket and "you have none with us" not in ticket
    account = CreditAccountFactory(client=client_profile)
    page = client.get(reverse("portal:submit", args=["extension"]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'name="credit_account"' in page and f">{account.account_no}</option>" in page
    assert "you have none with us" not in page
