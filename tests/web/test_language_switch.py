"""The language switch on a page drawn by a failed form: the form posts to an address that only
takes POST, so the switch must return to the page itself (it led to a blank 405 page)."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import ReturnVisit
from cases.services import case_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(client_profile, credit_account):
    return case_create(created_by=client_profile.user, client=client_profile, kind="ticket", subject="无法登录",
                       description="密码错误", category="technical", credit_account=credit_account)


def switch_to_english(client, response, page_url: str):
    """The failed form's page, then the switch as the browser posts it: back on the page, in English."""
    assert response.status_code == 400
    next_url = re.search(r'<input name="next" type="hidden" value="([^"]*)">', response.content.decode()).group(1)
    assert next_url == page_url
    switched = client.post(reverse("set_language"), {"language": "en", "next": next_url}, follow=True)
    assert switched.status_code == 200 and switched.redirect_chain[-1][0] == page_url
    assert '<html lang="en">' in switched.content.decode()


def test_after_a_failed_form_on_the_case_page(client, ticket, agent):
    client.force_login(agent)
    response = client.post(reverse("console:case_priority", args=[ticket.number]), {"priority": "soon"})
    switch_to_english(client, response, reverse("console:case", args=[ticket.number]))


def test_after_a_failed_reply_on_the_portal(client, ticket, client_profile):
    client.force_login(client_profile.user)
    response = client.post(reverse("portal:reply", args=[ticket.number]), {"body": ""})
    switch_to_english(client, response, reverse("portal:case", args=[ticket.number]))


def test_after_a_failed_decision_in_the_approvals(client, ticket, supervisor):
    client.force_login(supervisor)
    response = client.post(reverse("supervisor:decide", args=[ticket.number]), {"transition": "resolve"})
    switch_to_english(client, response, reverse("supervisor:approvals"))


def test_after_a_failed_day_on_a_calendar_year(client, supervisor):
    client.force_login(supervisor)
    response = client.post(reverse("supervisor:add_day", args=["working", 2027]), {"date": "2027-02-30"})
    switch_to_english(client, response, reverse("supervisor:calendar_year", args=["working", 2027]))


def test_after_a_failed_return_visit(client, client_profile, agent):
    visit = ReturnVisit.objects.create(client=client_profile, reason="hnw_quarterly", due_date=timezone.localdate(),
                                       assigned_to=agent)
    client.force_login(agent)
    response = client.post(reverse("console:visit_record", args=[visit.pk]), {"outcome": "", "reached": ""})
    switch_to_english(client, response, reverse("console:visits"))
