"""A margin call end to end in the browser: a price import drops an account below the close-out
line, the monitoring opens the margin call, an agent of the risk queue finds it in the console,
sees the deadline and the cash to deposit, logs a call; a second price import restores the ratio
and the case closes as restored (the page notices by itself, and after a reload)."""

import datetime
import re
from decimal import Decimal as D

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.roles import Role
from cases.models import Case
from risk.models import MarginCallContact
from tests.browser.conftest import screenshot
from tests.factories import (
    ClientProfileFactory, CreditAccountFactory, PositionFactory, SecurityFactory, UserFactory, queue,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def import_prices(tmp_path, security, price: str, minutes: int) -> None:
    """`manage.py import_prices` with one price, `minutes` after the stored one; the command
    queues the monitoring run, which tasks run eagerly in tests."""
    feed = tmp_path / f"prices-{minutes}.csv"
    as_of = (security.price_as_of + datetime.timedelta(minutes=minutes)).isoformat()
    feed.write_text(f"symbol,price,as_of\n{security.symbol},{price},{as_of}\n", encoding="utf-8")
    with open(tmp_path / "import.log", "a") as log:
        call_command("import_prices", str(feed), stdout=log)


def open_case_from_console(page, number: str) -> None:
    """Through the case list when it lists the case; by number otherwise."""
    page.goto("/console/")
    link = page.locator(f"a:text-is('{number}')")
    try:
        link.first.wait_for(timeout=3000)
    except Exception:  # the list page is not there, or does not show this queue by default
        page.goto(f"/console/cases/{number}/")
    else:
        with page.expect_navigation():
            link.first.click()
    page.wait_for_load_state("networkidle")


def test_margin_call_from_price_drop_to_restored(new_page, tmp_path):
    agent = UserFactory(username="risk_desk_agent", first_name="小", last_name="王", roles=[Role.AGENT])
    queue("risk").members.add(agent)
    client = ClientProfileFactory(name="张三")
    security = SecurityFactory(price=D("16.00"), price_as_of=timezone.now() - datetime.timedelta(hours=1))
    account = CreditAccountFactory(client=client, financing_debt=D("100000.00"))
    PositionFactory(account=account, security=security, quantity=10000)  # ratio = price / 10

    import_prices(tmp_path, security, "16.00", minutes=1)  # 160 %: nothing to do
    assert not Case.objects.filter(credit_account=account).exists()
    import_prices(tmp_path, security, "12.50", minutes=2)  # 125 %: below the close-out line (130 %)
    case = Case.objects.get(credit_account=account, kind="margin_call")
    details = case.margin_call
    assert case.state == "client_notified" and details.stage == "margin_call"
    assert details.top_up_cash == D("15000.00")  # 1.40 × 100,000 − 125,000
    deadline = timezone.localtime(details.deadline).strftime("%Y-%m-%d %H:%M")
    assert deadline.endswith("15:00")

    page = new_page(agent, language="en")
    open_case_from_console(page, case.number)
    assert page.url.endswith(f"/console/cases/{case.number}/")
    assert page.locator(".case-header [data-state]").first.get_attribute("data-state") == "client_notified"
    assert page.locator(".margin-call-deadline").inner_text() == deadline
    assert page.locator(".top-up-cash .value").get_attribute("data-amount") == "15000.00"
    assert re.sub(r"\D", "", page.locator(".top-up-cash .value").inner_text()) == "1500000"
    assert page.locator(".ratio-gauge").is_visible()
    screenshot(page, "console-case-page")

    page.select_option("#case-call-form select[name=outcome]", "promised")
    page.fill("#case-call-form textarea[name=note]", "客户承诺今天下午转入 15,000 元")
    with page.expect_navigation():
        page.click("#case-call-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator(".margin-call-contacts tr[data-outcome=promised]").count() == 1
    contact = MarginCallContact.objects.get(case=case)
    assert (contact.outcome, contact.recorded_by) == ("promised", agent)
    page.locator("#case-margin-call").scroll_into_view_if_needed()
    screenshot(page, "console-margin-call")

    import_prices(tmp_path, security, "14.30", minutes=3)  # 143 %: above warning + 2 points
    case.refresh_from_db()
    assert case.state == "restored"
    # The open page notices within its 15-second poll, without a reload ...
    page.wait_for_selector(".case-header [data-state=restored]", timeout=25000)
    # ... and a reload shows the same.
    page.reload()
    page.wait_for_load_state("networkidle")
    assert page.locator(".case-header [data-state]").first.get_attribute("data-state") == "restored"
    assert page.locator(".margin-call-contacts tr[data-outcome=promised]").count() == 1
    assert page.errors == []


def test_a_long_unbroken_call_note_wraps_inside_the_call_log(new_page):
    """A pasted reference number or URL of 2,000 characters stays inside the margin-call card."""
    from risk.services import margin_call_contact_record
    from tests.web.margin import open_margin_call

    agent = UserFactory(username="risk_desk_agent", roles=[Role.AGENT])
    case = open_margin_call(ClientProfileFactory(), agent)
    margin_call_contact_record(case=case, user=agent, outcome="reached", note="x" * 2000)

    page = new_page(agent, language="en")
    page.goto(f"/console/cases/{case.number}/")
    page.wait_for_load_state("networkidle")
    note = page.locator(".margin-call-contacts td.note")
    assert note.inner_text() == "x" * 2000
    widths = page.evaluate("""() => {
        const cell = document.querySelector(".margin-call-contacts td.note");
        const card = document.querySelector("#case-margin-call");
        return {cell: cell.scrollWidth - cell.clientWidth, card: card.scrollWidth - card.clientWidth,
                right: cell.getBoundingClientRect().right - card.getBoundingClientRect().right};
    }""")
    assert widths["cell"] == 0 and widths["card"] == 0 and widths["right"] <= 0, widths
    assert note.bounding_box()["height"] > 100  # wrapped over many lines
    assert page.errors == []
