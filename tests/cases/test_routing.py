"""Where a new case goes (cases.routing): the routing rules as the admin shows them."""

import pytest

from accounts.models import Tier
from cases.models import Case
from cases.services import case_create
from tests.factories import ClientProfileFactory

pytestmark = pytest.mark.django_db


def test_an_hnw_case_is_not_assigned_to_an_advisor_who_left(advisor):
    client = ClientProfileFactory(tier=Tier.HNW, advisor=advisor)
    advisor.is_active = False  # the advisor left the firm; their clients are not reassigned yet
    advisor.save()
    case = case_create(kind="ticket", category="technical", subject="无法登录", description="",
                       client=client, created_by=client.user)
    case = Case.objects.get(pk=case.pk)
    assert case.assignee is None
    assert case.queue.code == "hnw"  # waits in the advisors' queue, where a team lead sees it


def test_a_margin_call_of_an_hnw_client_is_not_assigned_to_an_advisor_who_left(advisor, agent):
    from tests.web.margin import open_margin_call

    client = ClientProfileFactory(tier=Tier.HNW, advisor=advisor)
    advisor.is_active = False
    advisor.save()
    case = open_margin_call(client, agent)
    assert case.assignee is None
    assert case.queue.code == "risk"


def test_an_hnw_case_goes_to_an_active_advisor(advisor):
    client = ClientProfileFactory(tier=Tier.HNW, advisor=advisor)
    case = case_create(kind="ticket", category="technical", subject="无法登录", description="",
                       client=client, created_by=client.user)
    assert Case.objects.get(pk=case.pk).assignee == advisor


def rule_form(**fields) -> dict:
    from tests.factories import queue

    return {"position": "5", "kind": "ticket", "category": "fees", "tier": "", "queue": str(queue("disputes").pk),
            "is_active": "on", **fields}


@pytest.mark.parametrize(("kind", "category"), [
    ("ticket", "fee"),  # a typo
    ("ticket", "liquidation"),  # a dispute's category: no ticket is filed under it on the portal
    ("", "费用问题"),  # the category's name, not its code
])
def test_the_admin_warns_of_a_routing_rule_no_portal_case_can_match(admin, kind, category):
    """Saved (the API takes any category) but said: the rule was listed as active and routed nothing."""
    from django.contrib.messages import get_messages
    from django.urls import reverse

    from accounts.models import RoutingRule

    response = admin.post(reverse("admin:accounts_routingrule_add"), rule_form(kind=kind, category=category),
                          follow=True)
    warnings = [str(message) for message in get_messages(response.wsgi_request) if message.level_tag == "warning"]
    assert any(category in text and "fees" in text for text in warnings), warnings  # what was typed, what to use
    assert RoutingRule.objects.filter(category=category).exists()
    response = admin.post(reverse("admin:accounts_routingrule_add"), rule_form(position="6"), follow=True)
    # a known code: no word of categories (the queue's lack of members is another warning)
    assert not [m for m in get_messages(response.wsgi_request) if "technical" in str(m)]


def test_a_routing_rule_routes_as_the_admin_saved_it(admin, client_profile):
    from django.urls import reverse

    response = admin.post(reverse("admin:accounts_routingrule_add"), rule_form())
    assert response.status_code == 302
    fee_question = case_create(kind="ticket", category="fees", subject="手续费", description="",
                               client=client_profile, created_by=client_profile.user)
    other = case_create(kind="ticket", category="technical", subject="无法登录", description="",
                        client=client_profile, created_by=client_profile.user)
    assert (fee_question.queue.code, other.queue.code) == ("disputes", "general")


def test_the_admin_warns_when_a_rule_sends_cases_to_a_queue_nobody_works(admin, agent):
    from django.contrib.messages import get_messages
    from django.urls import reverse

    from accounts.models import Queue

    empty = Queue.objects.create(code="ipo", name="新股", name_en="New shares")
    response = admin.post(reverse("admin:accounts_routingrule_add"), rule_form(queue=str(empty.pk)), follow=True)
    warnings = [str(message) for message in get_messages(response.wsgi_request) if message.level_tag == "warning"]
    assert any("ipo" in text for text in warnings), warnings  # names the queue, in either language

    # the queue's last active member removed: said when the queue is saved
    empty.members.add(agent)
    response = admin.post(reverse("admin:accounts_queue_change", args=[empty.pk]),
                          {"name": "新股", "name_en": "New shares", "members": []}, follow=True)
    assert response.status_code == 200 and not empty.members.exists()
    warnings = [str(message) for message in get_messages(response.wsgi_request) if message.level_tag == "warning"]
    assert any("ipo" in text for text in warnings), warnings

    response = admin.post(reverse("admin:accounts_queue_change", args=[empty.pk]),
                          {"name": "新股", "name_en": "New shares", "members": [agent.pk]}, follow=True)
    assert not [m for m in get_messages(response.wsgi_request) if m.level_tag == "warning"]
