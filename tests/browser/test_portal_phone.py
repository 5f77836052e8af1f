"""The client portal on a phone, as a client reads it."""

import pytest

from cases.services import case_create, case_transition
from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_clients_cases_show_their_status_on_a_phone(new_page, client_profile, agent):
    """My cases, on the home page and on their own page: six columns ran off a 390 px screen, the
    status ("waiting for your reply", "your turn") out of sight unless the table was swiped sideways."""
    case = case_create(created_by=client_profile.user, client=client_profile, kind="ticket",
                       subject="融资利率能否下调", category="fees")
    for name in ("open", "wait_on_client"):
        case = case_transition(case=case, user=agent, name=name, comment="请确认您方便接听电话的时间")
    page = new_page(user=client_profile.user, language="en")
    page.set_viewport_size({"width": 390, "height": 844})
    for url in ("/portal/", "/portal/cases/"):
        page.goto(url)
        screenshot(page, f"portal_cases_phone_{url.strip('/').replace('/', '_')}")
        row = page.locator(f"tr[data-case='{case.number}']")
        for badge in ("Waiting for your reply", "Your turn"):
            left, right = row.get_by_text(badge).evaluate(
                "el => [el.getBoundingClientRect().left, el.getBoundingClientRect().right]")
            assert 0 <= left and right <= 390, (url, badge, left, right)
        wrap = page.locator(".table-wrap").first
        assert wrap.evaluate("el => el.scrollWidth <= el.clientWidth"), url  # nothing to swipe to
    assert not page.errors
