"""The supervisor's pages in a real browser: the dashboard draws its charts from the figures the
reports compute; the approvals inbox shows a pending proposal whose proposer cannot approve it."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from cases import reports
from cases.calendars import load_schedule
from cases.models import CaseKind, SatisfactionRating
from cases.services import case_create, case_transition, case_update, message_create
from cases.sla_sweep import sla_sweep
from tests.browser.conftest import screenshot
from tests.factories import queue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SH = ZoneInfo("Asia/Shanghai")


def recent_working_day() -> datetime.date:
    """A working day at least three days ago: well inside the dashboard's default 30 days."""
    schedule, day = load_schedule("working"), timezone.localdate() - datetime.timedelta(days=3)
    while not schedule.is_business_day(day):
        day -= datetime.timedelta(days=1)
    return day


def at(day: datetime.date, hour: int) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=SH)


@pytest.fixture
def known_set(client_profile, agent, other_agent):
    """Three normal tickets at 10:00 on a recent working day (first response due 14:00): two
    answered at 11:00 (met), one at 15:00 (breached): first response 66.7 %. Ratings 5 and 3."""
    day = recent_working_day()
    with time_machine.travel(at(day, 10), tick=False):
        cases = []
        for n, (queue_code, assignee) in enumerate((("general", agent), ("general", other_agent),
                                                    ("disputes", agent))):
            case = case_create(created_by=agent, client=client_profile, kind=CaseKind.TICKET, subject=f"t{n}")
            case = case_update(case=case, user=agent, queue=queue(queue_code))
            cases.append(case_update(case=case, user=agent, assignee=assignee))
    with time_machine.travel(at(day, 11), tick=False):
        message_create(case=cases[0], author=agent, body="ok")
        message_create(case=cases[2], author=agent, body="ok")
    with time_machine.travel(at(day, 15), tick=False):
        message_create(case=cases[1], author=other_agent, body="late")
    sla_sweep(now=at(day, 16))
    with time_machine.travel(at(day, 16), tick=False):
        SatisfactionRating.objects.create(case=cases[0], score=5)
        SatisfactionRating.objects.create(case=cases[2], score=3)
    return day


def chart_data(page, canvas_id: str) -> dict:
    return page.evaluate("""(id) => {
        const chart = Chart.getChart(document.getElementById(id));
        return chart ? {labels: chart.data.labels,
                        datasets: chart.data.datasets.map((d) => ({key: d.key, data: d.data}))} : null;
    }""", canvas_id)


def test_dashboard_draws_the_reports_figures(new_page, supervisor, known_set):
    page = new_page(supervisor, language="en")
    page.goto("/supervisor/")
    page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('trend-chart'))")
    trend = chart_data(page, "trend-chart")
    today = timezone.localdate()
    assert trend["labels"][0] == (today - datetime.timedelta(days=29)).isoformat()
    assert trend["labels"][-1] == today.isoformat()
    lines = {dataset["key"]: dataset["data"] for dataset in trend["datasets"]}
    day = trend["labels"].index(known_set.isoformat())
    # every metric together: the resolution clocks count too once past their due moment (three
    # working days: it depends on the weekday the test runs), as the reports count them
    figures = reports.sla_compliance(start=at(known_set, 0), end=at(known_set + datetime.timedelta(days=1), 0),
                                     group_by=None)
    met_all = sum(row["met"] for row in figures)
    decided = met_all + sum(row["breached"] for row in figures)
    assert lines["first_response"][day] == 66.7 and lines["all"][day] == round(100.0 * met_all / decided, 1)
    assert all(value is None for n, value in enumerate(lines["all"]) if n != day)

    # The figures reports.sla_compliance computes for the same range, on the page and the chart.
    start = datetime.datetime.combine(today - datetime.timedelta(days=29), datetime.time.min, tzinfo=SH)
    rows = reports.sla_compliance(start=start, end=start + datetime.timedelta(days=30), group_by="queue")
    met = sum(row["met"] for row in rows if row["metric"] == "first_response")
    breached = sum(row["breached"] for row in rows if row["metric"] == "first_response")
    assert (met, breached) == (2, 1)
    assert page.locator(".kpi[data-metric=first_response] .value").inner_text() == "66.7%"
    general = page.locator("#table-compliance tbody tr",  # the queue by its name, not its code
                           has=page.locator(f'td[data-value="{queue("general").name_en}"]'))
    assert general.locator("td[data-key=first_response] strong").inner_text() == "50.0%"

    scores = chart_data(page, "csat-chart")
    assert scores["labels"] == ["1", "2", "3", "4", "5"] and scores["datasets"][0]["data"] == [0, 0, 1, 0, 1]
    page.select_option("#id_group_by", "assignee")
    with page.expect_navigation():
        page.click(".dashboard-filter button[type=submit]")
    page.wait_for_load_state("networkidle")
    agent1 = page.locator("#table-compliance tbody tr", has=page.locator("td[data-value=agent1]"))
    assert agent1.locator("td[data-key=first_response] strong").inner_text() == "100.0%"
    screenshot(page, "supervisor-dashboard")
    assert page.errors == []


def test_approvals_show_a_pending_item_the_proposer_cannot_approve(new_page, supervisor, agent, client_profile):
    dispute = case_create(created_by=agent, client=client_profile, kind=CaseKind.DISPUTE, subject="利息计算争议")
    for name in ("acknowledge", "investigate"):
        dispute = case_transition(case=dispute, user=agent, name=name)
    case_transition(case=dispute, user=supervisor, name="propose_resolution", comment="退还多收利息 120 元")
    page = new_page(supervisor, language="en")
    page.goto("/supervisor/approvals/")
    item = page.locator(f"#approval-{dispute.number}")
    assert item.is_visible()
    assert "supervisor1" in item.locator(".proposer").inner_text()
    approve = item.locator("[data-decision=approve_resolution]")
    assert approve.is_disabled()
    assert "another supervisor must decide" in item.locator(".refusal").inner_text()
    screenshot(page, "supervisor-approvals")
    assert page.errors == []


def test_calendars_page(new_page, supervisor):
    page = new_page(supervisor, language="en")
    page.goto("/supervisor/calendars/")
    year = timezone.localdate().year
    row = page.locator(f"#calendar-working tr[data-year='{year}']")
    assert row.get_attribute("data-status") == "estimated"
    with page.expect_navigation():
        row.locator("[data-confirm-year]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(f"#calendar-working tr[data-year='{year}']").get_attribute("data-status") == "confirmed"
    screenshot(page, "supervisor-calendars")
    assert page.errors == []
