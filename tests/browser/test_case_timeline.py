"""The case page's timeline opens at its newest entry: a long conversation scrolls in its own box,
and what was said last is what the agent sees first."""

import pytest

from accounts.roles import Role
from cases.services import case_create, message_create
from tests.factories import ClientProfileFactory, UserFactory, queue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_long_timeline_opens_at_the_newest_entry(new_page):
    agent = UserFactory(username="timeline_agent", roles=[Role.AGENT])
    queue("general").members.add(agent)
    client = ClientProfileFactory(name="王芳")
    case = case_create(created_by=agent, client=client, kind="ticket", subject="对账单", category="account")
    for number in range(40):
        message_create(case=case, author=client.user if number % 2 else agent, body=f"第 {number} 条消息\n" * 3)
    message_create(case=case, author=client.user, body="最新的一条：请尽快回复")
    page = new_page(user=agent)
    page.goto(f"/console/cases/{case.number}/")
    box = page.locator("#case-timeline .case-timeline")
    scroll_height, scroll_top, client_height = box.evaluate("b => [b.scrollHeight, b.scrollTop, b.clientHeight]")
    assert scroll_height > client_height  # long enough to scroll in its box
    assert scroll_height - scroll_top - client_height < 5  # at the bottom: the newest entry
    newest = page.get_by_text("最新的一条：请尽快回复")
    assert newest.is_visible() and newest.bounding_box()["y"] < page.viewport_size["height"] * 3
    assert page.errors == []
