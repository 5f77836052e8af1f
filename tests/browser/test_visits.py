"""An agent's return visits in a real browser: the overdue one marked, the outcome recorded from
its row, the visit then among the recorded ones; the bell and the page in Chinese."""

import datetime

import pytest
from django.utils import timezone

from accounts.roles import Role
from cases.models import ReturnVisit
from tests.browser.conftest import screenshot
from tests.factories import ClientProfileFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_agent_records_an_overdue_return_visit(new_page):
    agent = UserFactory(username="visits_agent", roles=[Role.AGENT])
    today = timezone.localdate()
    late = ReturnVisit.objects.create(client=ClientProfileFactory(name="李娜"), reason="liquidation",
                                      due_date=today - datetime.timedelta(days=3), assigned_to=agent)
    soon = ReturnVisit.objects.create(client=ClientProfileFactory(name="王芳"), reason="hnw_quarterly",
                                      due_date=today + datetime.timedelta(days=4))
    page = new_page(user=agent)
    page.goto("/console/visits/")
    assert page.locator("h1").inner_text() == "回访"
    rows = page.locator("#visits tbody tr")
    assert rows.count() == 2
    assert rows.nth(0).get_attribute("data-visit") == str(late.pk)
    assert "逾期" in rows.nth(0).inner_text() and rows.nth(0).get_attribute("class") == "overdue"
    screenshot(page, "console-visits")

    row = page.locator(f'tr[data-visit="{late.pk}"]')
    row.locator("textarea").fill("客户已补足保证金，对平仓处理无异议")
    row.locator("select").select_option("yes")
    with page.expect_navigation():
        row.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert "对 李娜 的回访已登记。" in page.locator(".messages").inner_text()
    assert [page.locator("#visits tbody tr").nth(i).get_attribute("data-visit")
            for i in range(page.locator("#visits tbody tr").count())] == [str(soon.pk)]

    with page.expect_navigation():
        page.click('[data-show="recorded"]')
    page.wait_for_load_state("networkidle")
    assert "客户已补足保证金" in page.locator(f'tr[data-visit="{late.pk}"]').inner_text()
    late.refresh_from_db()
    assert late.state == "done" and late.done_by == agent
    assert page.errors == []
