"""An agent answers from a saved reply in a real browser: chosen from the list, its text (in the
client's language, the case's values filled in) lands in the reply after what was typed, and is
sent as the reply."""

import pytest

from accounts.roles import Role
from cases.models import CaseMessage, SavedReply
from cases.services import case_create
from tests.factories import ClientProfileFactory, UserFactory, queue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_agent_replies_from_a_saved_reply(new_page):
    agent = UserFactory(username="saved_reply_agent", roles=[Role.AGENT], first_name="伟", last_name="张")
    queue("general").members.add(agent)
    client = ClientProfileFactory(name="李娜")
    case = case_create(created_by=agent, client=client, kind="ticket", subject="如何还款", description="请说明",
                       category="account")
    SavedReply.objects.create(title="还款方式", title_en="How to repay", body_zh="{client_name}您好：还款步骤见附件。{agent_name}",
                              body_en="Dear {client_name}: the steps are attached. {agent_name}")
    page = new_page(user=agent)
    page.goto(f"/console/cases/{case.number}/")
    reply = page.locator("form.compose-public textarea[name$=body]")
    reply.fill("您好！")
    page.select_option("[data-saved-reply]", label="还款方式")
    assert reply.input_value() == "您好！\n\n李娜您好：还款步骤见附件。张伟"
    assert page.locator("[data-saved-reply]").input_value() == ""  # ready for another
    with page.expect_navigation():
        page.click("form.compose-public button[type=submit]")
    page.wait_for_load_state("networkidle")
    message = CaseMessage.objects.get(case=case, author=agent)
    assert message.body.replace("\r\n", "\n") == "您好！\n\n李娜您好：还款步骤见附件。张伟"  # a form sends CRLF
    assert message.visibility == "public"
    assert page.errors == []
