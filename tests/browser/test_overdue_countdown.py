"""A margin call's countdown on the case page, ticked on by the page's script: once the deadline
passes between two refreshes it reads "overdue by …" without its "left:" label, never "−00:05"."""

import pytest

from tests.web.margin import open_margin_call

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_countdown_turns_overdue_when_the_deadline_passes(new_page, client_profile, agent):
    call = open_margin_call(client_profile, agent)
    page = new_page(user=agent, language="en")
    page.goto(f"/console/cases/{call.number}/")
    countdown = page.locator(".margin-call-kpis span[data-deadline][data-live]")
    assert page.locator(".margin-call-kpis .countdown-label").count() == 1
    assert not countdown.inner_text().startswith(("overdue", "\u2212"))
    # The deadline passes two days, three hours and five minutes ago; the page's script ticks.
    countdown.evaluate("el => { const ago = (2 * 86400 + 3 * 3600 + 5 * 60 + 20) * 1000;"
                       " el.dataset.deadline = new Date(Date.now() - ago).toISOString(); tickCountdowns(); }")
    assert countdown.inner_text() == "overdue by 2\u00a0d\u00a003:05"
    assert page.locator(".margin-call-kpis .countdown-label").count() == 0
    assert not page.errors
