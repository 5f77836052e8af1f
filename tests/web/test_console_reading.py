"""What staff read in the console: a case found by its whole number in any tab, a timer
breached at a closing that read "0h 00m", a liquidated margin call's amounts still shown as owed
(on the case page and in the portal), and the forecast's "already below" tile that read 0 when
those accounts were not listed."""

import datetime
import re
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from cases.models import Case
from cases.services import case_create, message_create
from risk.monitoring import monitor_accounts
from servicedesk.formats import moment as when
from tests.factories import ClientProfileFactory, CreditAccountFactory
from tests.web.margin import open_margin_call
from tests.web.test_case_list import make_case

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
URL = "/console/"


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=SH)


def listed(client, **params) -> list[str]:
    response = client.get(URL, params)
    assert response.status_code == 200, response.content[:500]
    return re.findall(r'<tr data-case="([^"]+)"', response.content.decode())


# --- a case found by its whole number, whatever the tab ---------------------------------------------
@pytest.fixture
def desk(agent, other_agent, outsider_agent, client_profile):
    return {
        "mine": make_case(client_profile, queue_code="general", assignee=agent),
        "colleagues": make_case(client_profile, queue_code="general", assignee=other_agent),  # in a queue of mine
        "free": make_case(client_profile, queue_code="disputes"),
        "elsewhere": make_case(client_profile, queue_code="risk", assignee=outsider_agent),  # not in my scope
    }


@pytest.mark.parametrize("tab", ["", "mine", "queues", "unassigned"])
def test_an_agent_finds_a_case_by_its_whole_number_in_any_tab(client, agent, desk, tab):
    """On "mine" (the agent's default tab) a colleague's case number typed whole said "No cases match"."""
    client.force_login(agent)
    for key in ("mine", "colleagues", "free"):
        number = desk[key].number
        for typed in (number, number.lower(), f" {number} "):
            assert listed(client, tab=tab, q=typed) == [number], (key, typed)


def test_a_case_outside_the_agents_scope_stays_out_of_sight_by_its_number(client, agent, desk):
    client.force_login(agent)
    for tab in ("mine", "queues", "unassigned"):
        assert listed(client, tab=tab, q=desk["elsewhere"].number) == []
        assert listed(client, tab=tab, q=desk["elsewhere"].number.lower()) == []


def test_the_other_filters_still_apply_to_a_case_number_and_the_tab_to_anything_else(client, agent, desk):
    client.force_login(agent)
    number = desk["colleagues"].number
    assert listed(client, tab="mine", q=number, queue="general") == [number]
    assert listed(client, tab="mine", q=number, queue="disputes") == []
    assert listed(client, tab="mine", q=number, kind="dispute") == []
    assert listed(client, tab="mine", q=number, state="closed") == []
    assert listed(client, tab="unassigned", q=number, assignee="none") == []
    # Not a whole number: the tab narrows as before (the serial alone, a subject).
    assert listed(client, tab="mine", q=number[-6:]) == []
    assert listed(client, tab="mine", q=desk["colleagues"].subject) == [desk["mine"].number]


def test_a_case_found_by_its_number_stays_in_the_htmx_refresh_and_every_order(client, agent, desk):
    client.force_login(agent)
    number = desk["free"].number
    page = client.get(URL, {"q": number.lower()}).content.decode()
    table = re.search(r'<div id="case-table"[^>]*>', page).group(0)
    assert f'q={number.lower()}' in table
    partial = client.get(URL, {"q": number.lower()}, HTTP_HX_REQUEST="true")
    assert re.findall(r'<tr data-case="([^"]+)"', partial.content.decode()) == [number]
    for sort in ("urgency", "created", "updated", "priority"):
        assert listed(client, q=number, sort=sort, size=25) == [number], sort


# --- a timer breached at a closing ----------------------------------------------------------------
@pytest.fixture
def due_at_the_close(agent, client_profile):
    """An urgent ticket answered at 13:00: its resolution is due at 17:00, the closing."""
    with time_machine.travel(at(2026, 11, 25, 13), tick=False):
        case = case_create(created_by=agent, client=client_profile, kind="ticket", subject="到期于收市",
                           priority="urgent")
        message_create(case=case, author=agent, body="您好，已收到。")
    timer = case.sla_timers.get(metric="resolution", stopped_at=None)
    assert timer.due_at == at(2026, 11, 25, 17)
    return case


def list_sla_text(client, case, language) -> tuple[str, str]:
    body = client.get(URL, {"tab": "all"}, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    match = re.search(rf'data-case="{case.number}".*?<span class="sla ([\w -]+)"[^>]*>([^<]*)</span>', body, re.DOTALL)
    return match.group(1), match.group(2)


def page_sla_text(client, case, language) -> tuple[str, str]:
    body = client.get(reverse("console:case_part", args=[case.number, "timers"]),
                      HTTP_ACCEPT_LANGUAGE=language).content.decode()
    row = re.search(r'<tr class="timer[^"]*" data-metric="resolution".*?</tr>', body, re.DOTALL).group(0)
    match = re.search(r'<span class="sla ([\w -]+)"[^>]*>([^<]*)</span>', row)
    return match.group(1), match.group(2)


@pytest.mark.parametrize("read", [list_sla_text, page_sla_text], ids=["list", "case page"])
def test_a_timer_breached_at_the_close_reads_breached_not_0h_00m(client, supervisor, due_at_the_close, read):
    client.force_login(supervisor)
    with time_machine.travel(at(2026, 11, 25, 16), tick=False):  # an hour left: the figure, as before
        assert read(client, due_at_the_close, "en")[1] == "1h 00m"
    with time_machine.travel(at(2026, 11, 25, 20), tick=False):  # business time stands still overnight
        css, text = read(client, due_at_the_close, "en")
        assert text == "Breached" and "sla-100" in css
        assert read(client, due_at_the_close, "zh-hans")[1] == "已超时"
    with time_machine.travel(at(2026, 11, 26, 9, 30), tick=False):  # the next opening: late by the figure
        assert read(client, due_at_the_close, "en")[1] == "overdue by 0h\u00a030m"


# --- a margin call once it is over ----------------------------------------------------------------
@pytest.fixture
def margin_call(agent, client_profile):
    return open_margin_call(client_profile, agent)


def margin_call_part(client, case) -> str:
    return client.get(reverse("console:case_part", args=[case.number, "margin_call"]),
                      HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_an_open_margin_call_shows_what_is_owed_in_red(client, agent, margin_call):
    client.force_login(agent)
    body = margin_call_part(client, margin_call)
    assert 'class="kpis margin-call-kpis"' in body
    assert "Cash to deposit" in body and "or securities to sell and repay" in body
    assert 'data-amount="15000.00"' in body


@pytest.mark.parametrize("state", ["liquidated", "return_visit", "closed", "restored"])
def test_a_margin_call_over_shows_its_amounts_as_what_it_asked_for_not_as_owed(client, agent, margin_call, state):
    """After a liquidation the panel still said "Cash to deposit ¥15,000.00" in red, as if owed."""
    Case.objects.filter(pk=margin_call.pk).update(state=state)
    client.force_login(agent)
    for body in (margin_call_part(client, margin_call),
                 client.get(reverse("console:case", args=[margin_call.number]), HTTP_ACCEPT_LANGUAGE="en")
                 .content.decode()):
        assert 'class="kpis margin-call-kpis over"' in body
        assert "Cash to deposit" not in body and "or securities to sell and repay" not in body
        assert "Cash the call asked for" in body and "or securities it asked to sell and repay" in body
        assert 'data-amount="15000.00"' in body and 'data-amount="37500.00"' in body  # still there, as history
    css = (settings.BASE_DIR / "static" / "css" / "app.css").read_text()
    assert ".margin-call-kpis.over .top-up-cash .value { color: inherit; }" in css  # not the red of a call to act


# --- the forecast's "already below" tile -----------------------------------------------------------
@pytest.fixture
def book(db):
    """Cash against 100,000 of debt: the ratio is cash / 100,000. Two below the warning line (140 %)."""
    for account_no, cash in (("N1", "160000"), ("T1", "145000"), ("W1", "135000"), ("X1", "120000")):
        CreditAccountFactory(account_no=account_no, cash=D(cash), financing_debt=D("100000.00"),
                             client=ClientProfileFactory(name=f"Client {account_no}"))
    monitor_accounts(trigger="test")


def already_below_tile(html: str) -> int:
    return int(re.search(r'<div class="value">(\d+)</div><div class="label">Already below the warning line<', html)
               .group(1))


def test_the_already_below_tile_counts_those_accounts_whether_they_are_listed_or_not(client, risk_officer, book):
    client.force_login(risk_officer)
    url = reverse("risk_pages:forecast")
    unticked = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert re.findall(r'<tr data-account="(\w+)"', unticked) == ["T1", "N1"]  # those below are not listed
    assert already_below_tile(unticked) == 2
    ticked = client.get(url, {"include_breached": "on"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert re.findall(r'<tr data-account="(\w+)"', ticked) == ["X1", "W1", "T1", "N1"]
    assert already_below_tile(ticked) == 2
    # Within the ratio the officer chose: below 130 %, only X1 is assessed, listed or not.
    for query in ({"below": 130}, {"below": 130, "include_breached": "on"}):
        assert already_below_tile(client.get(url, query, HTTP_ACCEPT_LANGUAGE="en").content.decode()) == 1


def test_the_portal_asks_nothing_of_a_liquidated_call_and_works_out_what_the_ratio_still_needs(
        client, agent, client_profile, margin_call):
    """The client's account card quoted the liquidated call's amount and its passed deadline,
    "Otherwise we may sell securities in your account (forced liquidation)", as if still to come."""
    client.force_login(client_profile.user)
    home = reverse("portal:home")
    deadline = when(margin_call.margin_call.deadline)
    page = client.get(home, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"Deposit ¥15,000.00, or sell securities worth ¥37,500.00 and repay with the proceeds, by {deadline}" in page
    security = margin_call.credit_account.positions.get().security
    security.price = D("13.00")  # sold in part meanwhile, say: 130 %, below the warning line still
    security.save()
    for state in ("liquidated", "return_visit"):
        Case.objects.filter(pk=margin_call.pk).update(state=state)
        page = client.get(home, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "¥15,000.00" not in page and deadline not in page and "forced liquidation" not in page
        assert ("Deposit ¥10,000.00, or sell securities worth ¥25,000.00 and repay with the proceeds, as soon as "
                "possible to bring it back to 140%.") in page
