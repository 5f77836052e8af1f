"""A dispute end to end, across roles, in real browsers: the client submits it with an attachment on
the portal; an agent acknowledges, investigates and proposes a resolution on the console case page;
the proposer cannot decide it (four eyes: the approvals page and a forged decision are refused); a
supervisor approves it on the approvals page; the client reads the resolution, accepts and rates it."""

from decimal import Decimal as D

import pytest

from accounts.roles import Role
from cases.models import Attachment, Case, CaseEvent, SatisfactionRating
from tests.browser.conftest import screenshot
from tests.browser.test_portal import png_bytes
from tests.factories import ClientProfileFactory, CreditAccountFactory, PositionFactory, SecurityFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
RESOLUTION = "We will refund the difference of ¥1,280.00 to your credit account within 3 working days."


@pytest.fixture
def client_user():
    user = UserFactory(username="dispute_client", roles=[Role.CLIENT])
    profile = ClientProfileFactory(user=user, name="Wang Fang")
    account = CreditAccountFactory(client=profile, account_no="A30000001", financing_debt=D("100000.00"))
    PositionFactory(account=account, security=SecurityFactory(price=D("20.00")), quantity=10000)
    return user


def step(page, name: str, comment: str = ""):
    form = page.locator(f'form.transition[data-transition="{name}"]')
    if comment:
        form.locator("textarea").fill(comment)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")


def test_a_dispute_from_submission_to_rating(new_page, client_user, agent, supervisor):
    # The client submits the dispute with an attachment.
    client_page = new_page(user=client_user, language="en")
    client_page.goto("/portal/submit/dispute/")
    client_page.fill("#id_subject", "Interest charged twice in October")
    client_page.select_option("#id_category", "interest_fee")
    client_page.select_option("#id_credit_account", "A30000001")
    client_page.fill("#id_description", "The October statement shows the same interest line twice.")
    client_page.set_input_files("input[name=attachments]", files=[
        {"name": "october-statement.png", "mimeType": "image/png", "buffer": png_bytes()}])
    with client_page.expect_navigation():
        client_page.click("form.portal-submit button[type=submit]")
    client_page.wait_for_load_state("networkidle")
    case = Case.objects.get(subject="Interest charged twice in October")
    assert (case.kind, case.state, case.channel) == ("dispute", "received", "portal")
    assert Attachment.objects.filter(message__case=case, original_name="october-statement.png").exists()
    assert client_page.errors == []

    # The agent works it on the console case page and proposes a resolution.
    agent_page = new_page(user=agent, language="en")
    agent_page.goto(f"/console/cases/{case.number}/")
    assert "october-statement.png" in agent_page.content()
    step(agent_page, "acknowledge")
    step(agent_page, "investigate")
    step(agent_page, "propose_resolution", RESOLUTION)
    case.refresh_from_db()
    assert (case.state, case.proposed_by, case.approved_by) == ("resolution_proposed", agent, None)
    screenshot(agent_page, "dispute-flow-agent")
    assert agent_page.errors == []

    # Until a supervisor approves, the client sees no proposal and cannot accept.
    client_page.goto(f"/portal/cases/{case.number}/")
    assert RESOLUTION not in client_page.content()
    assert client_page.locator('form.portal-step[data-step="accept"]').count() == 0

    # The proposer cannot decide their own proposal: the approvals page is refused, and so is a forged decision.
    response = agent_page.goto("/supervisor/approvals/")
    assert response.status == 403
    agent_page.goto(f"/console/cases/{case.number}/")
    token = agent_page.locator("input[name=csrfmiddlewaretoken]").first.input_value()
    forged = agent_page.request.post(f"/supervisor/approvals/{case.number}/decide/", form={
        "csrfmiddlewaretoken": token, "transition": "approve_resolution", "state": "resolution_proposed"})
    assert forged.status == 403
    case.refresh_from_db()
    assert case.approved_by is None

    # A supervisor (not the proposer) approves it in the approvals inbox.
    supervisor_page = new_page(user=supervisor, language="en")
    supervisor_page.goto("/supervisor/approvals/")
    item = supervisor_page.locator(f'article.approval[data-case="{case.number}"]')
    assert RESOLUTION in item.inner_text()
    approve = item.locator('button[data-decision="approve_resolution"]')
    assert approve.is_enabled()
    screenshot(supervisor_page, "dispute-flow-approvals")
    with supervisor_page.expect_navigation():
        approve.click()
    supervisor_page.wait_for_load_state("networkidle")
    case.refresh_from_db()
    assert case.approved_by == supervisor and case.state == "resolution_proposed"
    assert CaseEvent.objects.filter(case=case, name="approve_resolution", actor=supervisor).exists()
    assert supervisor_page.errors == []

    # The client reads the approved resolution, accepts it and rates the service.
    client_page.goto(f"/portal/cases/{case.number}/")
    assert RESOLUTION in client_page.locator(".portal-proposal").inner_text()
    assert "accept or reject" in client_page.locator(".portal-status").inner_text()
    with client_page.expect_navigation():
        client_page.locator('form.portal-step[data-step="accept"] button').click()
    client_page.wait_for_load_state("networkidle")
    case.refresh_from_db()
    assert case.state == "accepted"
    client_page.check("input[name=score][value='5']")
    client_page.fill("textarea[name=comment]", "Quick and fair.")
    with client_page.expect_navigation():
        client_page.locator("form.portal-rate button[type=submit]").click()
    client_page.wait_for_load_state("networkidle")
    rating = SatisfactionRating.objects.get(case=case)
    assert (rating.score, rating.comment) == (5, "Quick and fair.")
    assert "You rated this case 5 out of 5." in client_page.locator(".portal-rating").inner_text()
    screenshot(client_page, "dispute-flow-client")
    assert client_page.errors == []
