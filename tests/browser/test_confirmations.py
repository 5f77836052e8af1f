"""A costly step (cancelling, closing, a liquidation, an approval) asks once more before it is sent:
a slip of the mouse on the red button changes nothing; answered yes, the step is taken."""

import pytest

from cases.models import Case, CaseKind
from cases.services import case_create, case_transition, case_update
from tests.factories import queue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _click_step(page, button, *, answer: bool):
    page.confirm_answer = answer
    if answer:
        with page.expect_navigation():
            button.click()
        page.wait_for_load_state("networkidle")
    else:
        button.click()
        page.wait_for_timeout(700)  # time enough for a form that was (wrongly) sent to come back


def _fill_comment(form):
    if form.locator("textarea").count():
        form.locator("textarea").fill("客户来电要求撤销")


def test_cancelling_a_case_on_the_console_asks_first(new_page, client_profile, agent):
    case = case_create(created_by=agent, client=client_profile, kind=CaseKind.TICKET, subject="查询担保证券清单")
    case = case_update(case=case, user=agent, queue=queue("general"))
    case = case_update(case=case, user=agent, assignee=agent)
    if case.state == "new":
        case = case_transition(case=case, user=agent, name="open")
    page = new_page(user=agent)
    page.goto(f"/console/cases/{case.number}/")
    form = page.locator('form.transition[data-transition="cancel"]')
    _fill_comment(form)
    _click_step(page, form.locator("button[type=submit]"), answer=False)
    assert len(page.dialogs) == 1 and case.number in page.dialogs[0]
    assert Case.objects.get(pk=case.pk).state == "open"  # called back: nothing sent
    assert page.locator('form.transition[data-transition="cancel"] textarea').count() == 0 or \
        page.locator('form.transition[data-transition="cancel"] textarea').input_value() == "客户来电要求撤销"
    _click_step(page, form.locator("button[type=submit]"), answer=True)
    assert Case.objects.get(pk=case.pk).state == "cancelled"
    forward = page.locator('form.transition[data-transition="resolve"] button')
    assert forward.count() == 0 or forward.get_attribute("data-confirm") is None  # the way forward asks nothing
    assert not page.errors


def test_a_client_cancelling_on_the_portal_is_asked_first(new_page, client_profile, agent):
    case = case_create(created_by=client_profile.user, client=client_profile, kind=CaseKind.TICKET,
                       subject="融资利率能否下调")
    page = new_page(user=client_profile.user)
    page.goto(f"/portal/cases/{case.number}/")
    _fill_comment(page.locator('form.portal-step[data-step="cancel"]'))
    button = page.locator('form.portal-step[data-step="cancel"] button')
    _click_step(page, button, answer=False)
    assert len(page.dialogs) == 1 and case.number in page.dialogs[0]
    assert Case.objects.get(pk=case.pk).state == "new"
    _click_step(page, button, answer=True)
    assert Case.objects.get(pk=case.pk).state == "cancelled"
    assert not page.errors
