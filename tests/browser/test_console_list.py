"""An agent's day starts on the console's case list: their cases with coloured SLA countdowns,
a filter by kind, the language switched to English."""

import datetime

import pytest
from django.utils import timezone, translation

from accounts.roles import Role
from cases.models import Case, CaseKind, SlaTimer
from cases.services import case_create
from servicedesk import formats
from tests.browser.conftest import screenshot
from tests.factories import ClientProfileFactory, UserFactory, queue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def assigned_case(agent, client, *, kind=CaseKind.TICKET, subject, used_percent):
    """A case of the agent whose only timer has used `used_percent` of a 10-hour target."""
    case = case_create(created_by=agent, client=client, kind=kind, subject=subject)
    Case.objects.filter(pk=case.pk).update(assignee=agent, queue=queue("general"))
    SlaTimer.objects.filter(case=case).delete()
    now, target = timezone.now(), 36_000
    elapsed = target * used_percent // 100
    SlaTimer.objects.create(case=case, metric="resolution", cycle=1, calendar_code="working", target_seconds=target,
                            started_at=now - datetime.timedelta(days=3), elapsed_seconds=elapsed, resumed_at=now,
                            state="breached" if elapsed > target else "running", breached=elapsed > target,
                            due_at=now + datetime.timedelta(seconds=target - elapsed))
    return case


def test_agent_works_from_the_case_list(new_page):
    agent = UserFactory(username="agent_list", roles=[Role.AGENT])
    queue("general").members.add(agent)
    client = ClientProfileFactory(name="张三")
    calm = assigned_case(agent, client, subject="融资利率咨询", used_percent=20)
    busy = assigned_case(agent, client, subject="账户冻结", used_percent=85)
    late = assigned_case(agent, client, subject="超时工单", used_percent=130)
    dispute = assigned_case(agent, client, kind=CaseKind.DISPUTE, subject="利息计算有误", used_percent=60)
    someone_elses = case_create(created_by=agent, client=client, kind=CaseKind.TICKET, subject="别人的")
    Case.objects.filter(pk=someone_elses.pk).update(assignee=UserFactory(roles=[Role.AGENT]))

    page = new_page(user=agent)
    assert page.url.endswith("/console/")  # the agent's home page
    rows = page.locator("tr[data-case]")
    # Their own cases, the most urgent first.
    assert rows.evaluate_all("rows => rows.map(r => r.dataset.case)") == [
        late.number, busy.number, dispute.number, calm.number]
    assert page.locator(f'tr[data-case="{late.number}"] .sla.sla-100[data-deadline]').count() == 1
    assert page.locator(f'tr[data-case="{busy.number}"] .sla.sla-75').count() == 1
    assert page.locator(f'tr[data-case="{dispute.number}"] .sla.sla-50').count() == 1
    assert page.locator(f'tr[data-case="{calm.number}"] .sla.sla-ok').count() == 1
    with translation.override("zh-hans"):  # late: "overdue by …" in the page's language, never a minus sign
        overdue = formats.overdue_format().partition("%(time)s")[0]
    assert page.locator(f'tr[data-case="{late.number}"] .sla').inner_text().startswith(overdue)
    # Business time left, written by the server; the page's script does not tick it on as wall-clock
    # time (business time stands still outside service hours): the table is read again every 15 s.
    calm_sla = page.locator(f'tr[data-case="{calm.number}"] .sla')
    shown = calm_sla.inner_text()
    assert 28_800 - 120 <= int(calm_sla.get_attribute("data-remaining")) <= 28_800  # 80 % of 10 h
    assert shown in ("8h 00m", "8 小时 00 分", "7h 59m", "7 小时 59 分"), shown
    page.evaluate("tickCountdowns()")
    assert calm_sla.inner_text() == shown
    assert page.locator("table.cases [data-live]").count() == 0
    screenshot(page, "console-case-list")

    page.select_option("#id_kind", "dispute")
    with page.expect_navigation():
        page.click("form.case-filters button[type=submit]")
    assert "kind=dispute" in page.url
    assert rows.evaluate_all("rows => rows.map(r => r.dataset.case)") == [dispute.number]

    with page.expect_navigation():  # the language form submits itself (static/js/app.js)
        page.select_option("#language-select", "en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Cases"
    headings = page.locator("table.cases th").all_inner_texts()
    assert headings[:4] == ["Case", "Kind", "State", "Subject"] and "Last update" in headings
    assert "kind=dispute" in page.url  # the filter survives the switch
    assert rows.count() == 1 and "Dispute / complaint" in rows.first.inner_text()
    screenshot(page, "console-case-list-en")
    assert page.errors == []
