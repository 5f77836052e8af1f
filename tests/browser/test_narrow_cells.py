"""What only a browser shows: a case number that breaks over three lines in a narrow column, the
notices' table running off a phone's screen, a link that cannot be clicked."""

import datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from accounts.interest import interest_accrue
from cases.calendars import load_schedule
from cases.models import CaseKind
from cases.services import case_create, case_update
from cases.sla_sweep import sla_sweep
from notifications.models import Notification
from tests.browser.conftest import screenshot
from tests.factories import CreditAccountFactory, queue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SH = ZoneInfo("Asia/Shanghai")
RATING = "/rate/1:abc:XYZ/"
#: The lines an element's text is broken over: a range around it has one box per line.
LINES = ("el => { const range = document.createRange(); range.selectNodeContents(el);"
         " return range.getClientRects().length; }")


def _notices(client_profile, case, count=3):
    for n in range(count):
        Notification.objects.create(
            recipient_user=client_profile.user, recipient_client=client_profile, channel="in_app",
            event="rating_request", case=case, status="sent", subject=f"请为事项 {case.number} 的服务评分",
            body=f"您的事项 {case.number}（融资利率能否下调）已办结。请在 30 天内为我们的服务打分（1 至 5 分）："
                 f"http://testserver{RATING}")


def test_the_notices_fit_a_phone_and_their_rating_link_opens(new_page, client_profile, agent):
    case = case_create(created_by=agent, client=client_profile, kind=CaseKind.TICKET, subject="融资利率能否下调")
    _notices(client_profile, case)
    page = new_page(user=client_profile.user)
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto("/notifications/")
    row = page.locator("#notification-inbox tr[data-notice]").first
    assert row.locator("td").nth(1).evaluate(LINES) == 1  # the case number on one line
    assert row.locator("button").evaluate(LINES) == 1  # "打开", not 打 over 开
    link = row.locator(".notice-body a")
    assert link.get_attribute("href") == f"http://testserver{RATING}"  # straight after "：", still a link
    assert link.inner_text() == f"http://testserver{RATING}"
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    screenshot(page, "notifications_phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.locator("#notification-inbox tr[data-notice]").first.locator("button").is_visible()
    assert page.locator("#notification-inbox tr[data-notice] button").first.evaluate(
        "el => el.getBoundingClientRect().right") <= 390
    # The bell's list, opened on the phone, is on the screen: it ran 136 px off its left edge.
    page.click("#notification-bell summary")
    left, right = page.locator(".bell-panel").evaluate(
        "el => [el.getBoundingClientRect().left, el.getBoundingClientRect().right]")
    screenshot(page, "notifications_bell_phone")
    assert 0 <= left and right <= 390, (left, right)
    assert not page.errors


def test_the_interest_days_read_on_a_phone(new_page, client_profile):
    """The day of each interest line on one line ("2026-03-01", not "2026-" above "03-01")."""
    account = CreditAccountFactory(client=client_profile, account_no="A30000009", financing_debt=D("1000000.00"),
                                   annual_rate=D("0.08350"), contract_start=datetime.date(2026, 1, 1),
                                   contract_maturity=datetime.date(2026, 12, 31))
    for day in (1, 2, 3):
        interest_accrue(datetime.date(2026, 3, day))
    page = new_page(user=client_profile.user)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/portal/accounts/{account.account_no}/?from=2026-03-01&to=2026-03-03")
    screenshot(page, "portal_interest_phone")
    days = page.locator("tr[data-day] td:first-child")
    assert days.count() == 3
    assert [days.nth(n).evaluate(LINES) for n in range(3)] == [1, 1, 1]
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # the table scrolls in its box
    assert not page.errors


def test_a_breached_case_number_stays_on_one_line_on_the_dashboard(new_page, client_profile, agent, supervisor):
    """An unanswered ticket breaches its first response; the breaches table sits in half the page."""
    schedule, day = load_schedule("working"), timezone.localdate() - datetime.timedelta(days=3)
    while not schedule.is_business_day(day):
        day -= datetime.timedelta(days=1)
    with time_machine.travel(datetime.datetime.combine(day, datetime.time(10), tzinfo=SH), tick=False):
        case = case_create(created_by=agent, client=client_profile, kind=CaseKind.TICKET,
                           subject="维持担保比例显示异常，请尽快核实并回电")
        case_update(case=case, user=agent, queue=queue("general"))
    sla_sweep(now=datetime.datetime.combine(day, datetime.time(16), tzinfo=SH))
    page = new_page(user=supervisor)
    page.goto("/supervisor/")
    link = page.locator(f'#table-breaches a:text-is("{case.number}")').first
    screenshot(page, "supervisor_breaches")
    assert link.evaluate(LINES) == 1
    # Its seven columns take the page's width (they had half of it, the agent scrolled out of sight).
    card, page_width = page.locator("section[aria-labelledby=breaches-title]"), page.viewport_size["width"]
    assert card.evaluate("el => el.getBoundingClientRect().width") > 0.9 * page_width
    assert page.locator("#table-breaches").evaluate(
        "t => t.closest('.table-wrap').scrollWidth <= t.closest('.table-wrap').clientWidth")
    assert not page.errors
