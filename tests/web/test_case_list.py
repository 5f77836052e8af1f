"""The console's case lists: tabs per role, filters, SLA urgency order and colours, ratio levels of
margin calls, keyset pages, the htmx table and a query count that does not grow with the page."""

import datetime
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from accounts.models import Tier
from accounts.roles import Role
from cases.models import Case, CaseKind, SlaTimer
from cases.services import case_create, message_create
from risk.models import AccountRisk, MarginCall, MonitoringRun, RatioSnapshot
from tests.factories import ClientProfileFactory, CreditAccountFactory, UserFactory, queue
from cases.web.case_list import segments
from cases.web.case_list_paging import keyset_page
from tests.web.margin import open_margin_call

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 11, 25, 10, 0, tzinfo=SH)  # a Wednesday, in service hours
H = datetime.timedelta(hours=1)
URL = "/console/"


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def make_case(client_profile, *, kind=CaseKind.TICKET, subject="问题", queue_code=None, assignee=None, creator=None,
              **fields):
    case = case_create(created_by=creator, client=client_profile, kind=kind, subject=subject,
                       credit_account=fields.pop("credit_account", None), priority=fields.pop("priority", "normal"))
    changes = dict(fields)
    if queue_code:
        changes["queue"] = queue(queue_code)
    changes["assignee"] = assignee
    Case.objects.filter(pk=case.pk).update(**changes)
    case.refresh_from_db()
    return case


def only_timer(case, *, target=10_000, elapsed=0, due_in=None, paused=False, metric="resolution"):
    """Replace the case's timers with one: running (due `due_in` from now) or paused."""
    SlaTimer.objects.filter(case=case).delete()
    running = not paused

    def moment(level):  # when `level` % of the target is used (business and wall time alike in the test)
        return NOW + datetime.timedelta(seconds=target * level // 100 - elapsed) if running else None

    return SlaTimer.objects.create(
        case=case, metric=metric, cycle=1, calendar_code="working", target_seconds=target, started_at=NOW - 10 * H,
        elapsed_seconds=elapsed, resumed_at=NOW if running else None,
        state="running" if running else "paused", pause_reason="" if running else "waiting_on_client",
        warn_50_at=moment(50), warn_75_at=moment(75),
        due_at=(NOW + due_in if due_in is not None else moment(100)) if running else None,
        breached=elapsed > target,
    )


def no_timer(case):
    SlaTimer.objects.filter(case=case).delete()


def login(client, user):
    client.force_login(user)
    return client


def numbers(response) -> list[str]:
    assert response.status_code == 200, response.content[:500]
    return re.findall(r'<tr data-case="([^"]+)"', response.content.decode())


def listed(client, **params) -> list[str]:
    return numbers(client.get(URL, params))


# --- who sees what ------------------------------------------------------------------------------
@pytest.fixture
def world(agent, other_agent, outsider_agent, team_lead, client_profile):
    """Cases in the queues the agent is in (general, disputes) and one they are not in (risk)."""
    return {
        "general_mine": make_case(client_profile, queue_code="general", assignee=agent),
        "general_free": make_case(client_profile, queue_code="general"),
        "disputes_other": make_case(client_profile, queue_code="disputes", assignee=other_agent),
        "risk_mine": make_case(client_profile, queue_code="risk", assignee=agent),
        "risk_free": make_case(client_profile, queue_code="risk"),
        "risk_other": make_case(client_profile, queue_code="risk", assignee=other_agent),
        "risk_outsider": make_case(client_profile, queue_code="risk", assignee=outsider_agent),
        "hnw_lead": make_case(client_profile, queue_code="hnw", assignee=team_lead),
    }


def names(world, *keys) -> set[str]:
    return {world[key].number for key in keys}


def api_numbers(api, user) -> set[str]:
    response = api.as_user(user).get("/api/v1/cases/", {"page_size": 200})
    return {row["number"] for row in response.json()["results"]}


def test_agent_in_queues_sees_mine_queues_and_unassigned(client, world, agent, api):
    login(client, agent)
    assert set(listed(client, tab="mine")) == names(world, "general_mine", "risk_mine")
    assert set(listed(client, tab="queues")) == names(world, "general_mine", "general_free", "disputes_other")
    assert set(listed(client, tab="unassigned")) == names(world, "general_free")
    # Together, exactly what the API lists for them.
    assert set(listed(client, tab="mine")) | set(listed(client, tab="queues")) == api_numbers(api, agent)


def test_agents_have_no_all_tab(client, world, agent):
    login(client, agent)
    page = client.get(URL).content.decode()
    assert re.findall(r'data-tab="(\w+)"', page) == ["mine", "queues", "unassigned"]
    assert client.get(URL, {"tab": "all"}).status_code == 400


def test_agent_outside_every_queue_sees_only_their_assignments(client, world, outsider_agent):
    login(client, outsider_agent)
    assert listed(client, tab="mine") == [world["risk_outsider"].number]
    assert listed(client, tab="queues") == []
    assert listed(client, tab="unassigned") == []


def test_team_lead_sees_their_queue_and_assignments_in_all(client, world, team_lead, api):
    login(client, team_lead)
    page = client.get(URL).content.decode()
    assert re.findall(r'data-tab="(\w+)"', page) == ["mine", "queues", "unassigned", "all"]
    assert set(listed(client, tab="all")) == names(world, "general_mine", "general_free", "hnw_lead")
    assert set(listed(client, tab="all")) == api_numbers(api, team_lead)
    assert listed(client, tab="mine") == [world["hnw_lead"].number]
    assert set(listed(client, tab="queues")) == names(world, "general_mine", "general_free")
    assert listed(client, tab="unassigned") == [world["general_free"].number]


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.SUPERVISOR, Role.RISK_OFFICER])
def test_overseers_see_every_case_in_all(client, world, role, api):
    user = UserFactory(roles=[role])
    login(client, user)
    assert client.get(URL).status_code == 200
    assert set(listed(client)) == {case.number for case in world.values()}  # "all" is their default tab
    assert set(listed(client, tab="all")) == api_numbers(api, user)
    assert set(listed(client, tab="unassigned")) == names(world, "general_free", "risk_free")


def test_advisor_sees_their_clients_cases(client, advisor, agent):
    own = ClientProfileFactory(advisor=advisor, tier=Tier.HNW)
    case = make_case(own, queue_code="hnw", assignee=advisor)
    other = make_case(ClientProfileFactory(), queue_code="general", assignee=agent)
    login(client, advisor)
    assert listed(client) == [case.number]
    assert other.number not in listed(client, tab="unassigned")


def test_a_client_never_reaches_the_console(client, client_profile, world):
    login(client, client_profile.user)
    assert client.get(URL).status_code == 403
    assert client.get(URL, HTTP_HX_REQUEST="true").status_code == 403


@pytest.mark.parametrize(("language", "title", "reason"), [
    ("zh-hans", "无权访问", "工作台仅供员工使用。"),
    ("en", "Not allowed", "The console is for staff."),
])
def test_a_client_is_told_why_on_the_sites_403_page(client, client_profile, language, title, reason):
    response = login(client, client_profile.user).get(URL, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 403
    body = response.content.decode()
    assert f"<h1>{title}</h1>" in body
    assert re.search(rf'<p class="message error" role="alert">{reason}</p>', body)
    assert 'class="mainnav"' in body and f'href="{reverse("portal:home")}"' in body  # the client's navigation


def test_a_403_without_a_reason_says_the_role_may_not_open_the_page(client, agent):
    """An auditor-only write refused with a bare PermissionDenied: the site's page, in the reader's language."""
    auditor = UserFactory(username="auditor1", roles=[Role.AUDITOR])
    case = make_case(ClientProfileFactory(), queue_code="general", assignee=agent)
    response = login(client, auditor).post(reverse("console:case_assign", args=[case.number]),
                                           {"assignee": ""}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 403
    body = response.content.decode()
    assert "<h1>无权访问</h1>" in body and "您的角色无权打开此页面。" in body and 'class="mainnav"' in body


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    # The table's 15-second refresh after the session ended: the whole page reloads (to the login)
    # rather than the login form being swapped in for the table.
    response = client.get(URL, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response["HX-Refresh"] == "true"


def test_the_console_is_the_agent_home_page(client, agent):
    assert reverse("console:cases") == URL
    login(client, agent)
    assert client.get(reverse("home")).url == URL


# --- filters and search -------------------------------------------------------------------------
@pytest.fixture
def assorted(supervisor, agent, client_profile):
    vip = ClientProfileFactory(name="王大户", tier=Tier.VIP)
    account = CreditAccountFactory(client=vip)
    cases = {
        "ticket": make_case(client_profile, subject="融资利率咨询", queue_code="general", assignee=agent),
        "urgent": make_case(client_profile, subject="无法登录", queue_code="general", priority="urgent"),
        "dispute": make_case(vip, kind=CaseKind.DISPUTE, subject="利息计算有误", queue_code="disputes",
                             credit_account=account, creator=agent),
        "closed": make_case(client_profile, subject="已办结", queue_code="general", state="closed"),
    }
    for case in cases.values():
        only_timer(case, due_in=5 * H)
    overdue = make_case(client_profile, subject="逾期", queue_code="general")
    only_timer(overdue, elapsed=12_000, due_in=-H)
    near = make_case(client_profile, subject="临近", queue_code="general")
    only_timer(near, elapsed=8_000)
    cases.update(overdue=overdue, near=near, account=account)
    return cases


@pytest.mark.parametrize(("params", "expected"), [
    ({"kind": "dispute"}, {"dispute"}),
    ({"state": "closed"}, {"closed"}),
    ({"state": "active"}, {"ticket", "urgent", "dispute", "overdue", "near"}),
    ({"priority": "urgent"}, {"urgent"}),
    ({"tier": "vip"}, {"dispute"}),
    ({"queue": "disputes"}, {"dispute"}),
    ({"assignee": "agent1"}, {"ticket"}),
    ({"assignee": "none", "queue": "general"}, {"urgent", "closed", "overdue", "near"}),
    ({"sla": "overdue"}, {"overdue"}),
    ({"sla": "near_breach"}, {"overdue", "near"}),
    ({"q": "利率"}, {"ticket"}),
    ({"q": "王大"}, {"dispute"}),
    ({"kind": "ticket", "q": "登录"}, {"urgent"}),
])
def test_filters(client, supervisor, assorted, params, expected):
    login(client, supervisor)
    for sort in ("urgency", "created", "updated", "priority"):
        assert set(listed(client, sort=sort, **params)) == {assorted[key].number for key in expected}, sort


def test_a_case_paused_after_its_breach_is_in_the_overdue_filter_as_the_workload_counts_it(client, team_lead, agent,
                                                                                            client_profile):
    """A case waiting on the client whose clock had run its whole target shows "paused, breached" in red
    and the dashboard's workload counts it breached; "Overdue only" had left it out."""
    from cases.reports import workload

    breached = make_case(client_profile, subject="暂停前已超时", queue_code="general", assignee=agent,
                         state="waiting_on_client")
    only_timer(breached, elapsed=10_000, paused=True)
    SlaTimer.objects.filter(case=breached).update(next_alert_at=NOW - H)  # its 100 % alert, for the sweep
    paused_early = make_case(client_profile, subject="暂停于八成", queue_code="general", assignee=agent,
                             state="waiting_on_client")
    only_timer(paused_early, elapsed=8_000, paused=True)
    running = make_case(client_profile, subject="已逾期", queue_code="general", assignee=agent)
    only_timer(running, elapsed=12_000, due_in=-H)
    login(client, team_lead)
    [row] = [row for row in workload(now=NOW) if row["assignee"] == "agent1"]
    for sort in ("urgency", "created"):
        for sla in ("overdue", "near_breach"):
            found = listed(client, tab="all", assignee="agent1", sla=sla, sort=sort, size=25)
            assert sorted(found) == sorted([breached.number, running.number]), (sla, sort)
            assert len(found) == row["breached"]


def test_search_by_case_number_and_account(client, supervisor, assorted):
    login(client, supervisor)
    number = assorted["urgent"].number
    assert listed(client, q=number.lower()) == [number]
    # An agent on the phone types the digits the client reads out. A serial whose digits no other
    # text of the cases holds (a one-digit serial, "2", is in every case number of 2026 besides).
    number = "CS-2026-098765"
    Case.objects.filter(pk=assorted["urgent"].pk).update(number=number)
    assert listed(client, q="098765") == listed(client, q="98765") == [number]
    assert listed(client, account=assorted["account"].account_no) == [assorted["dispute"].number]


def test_a_search_of_digits_int_cannot_read_lists_nothing(client, supervisor, assorted):
    """"²" and "①" are digits to str.isdigit but not numbers to int(): the serial search was a 500.
    Full-width digits, as a Chinese keyboard types them, are a serial still."""
    login(client, supervisor)
    assert listed(client, q="²") == listed(client, q="①") == []
    number = "CS-2026-098765"
    Case.objects.filter(pk=assorted["urgent"].pk).update(number=number)
    assert listed(client, q="９８７６５") == [number]


@pytest.mark.parametrize("params", [
    {"kind": "nonsense"}, {"state": "flying"}, {"priority": "asap"}, {"tier": "gold"}, {"queue": "nowhere"},
    {"assignee": "nobody-of-that-name"}, {"sla": "soon"}, {"sort": "random"}, {"size": "7"}, {"size": "x"},
    {"after": "garbage"}, {"after": "9.1"}, {"before": "0.1.2.3.4"}, {"after": "0.99999999999999999999.1"},
    {"sort": "created", "after": "0.99999999999999999999"},
    {"after": "1.999.5"}, {"after": "1.-1.5"},
    {"after": "1.5", "before": "1.4"}, {"q": "x" * 101},
])
def test_bad_filter_values_get_400_with_a_message(client, supervisor, params):
    login(client, supervisor)
    response = client.get(URL, params, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    body = response.content.decode()
    assert 'role="alert"' in body
    assert "<tr data-case" not in body


def test_a_bad_filter_is_named_with_the_colon_of_the_page_s_language(client, supervisor):
    """The message above the list joined a field's label and its error with an ASCII colon in Chinese too."""
    from cases.web.case_list_forms import CaseListForm

    login(client, supervisor)
    with translation.override("en"):
        label = str(CaseListForm.base_fields["kind"].label)
    assert f"{label}: " in client.get(URL, {"kind": "nonsense"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    with translation.override("zh-hans"):
        label = str(CaseListForm.base_fields["kind"].label)
    body = client.get(URL, {"kind": "nonsense"}, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert f"{label}：" in body and f"{label}: " not in body


@pytest.mark.parametrize("params", [
    {"after": "0.9999999999999999.1"}, {"before": "0.-9999999999999999.1"}, {"sort": "created", "after": "0.-5"},
    {"sort": "updated", "before": "0.1.1"}, {"sort": "priority", "after": "3.1"},
])
def test_odd_but_well_formed_cursors_give_a_page(client, supervisor, assorted, params):
    login(client, supervisor)
    assert client.get(URL, params).status_code == 200


def test_bad_filter_in_an_htmx_request_gets_400_and_the_table_with_the_message(client, supervisor):
    login(client, supervisor)
    response = client.get(URL, {"kind": "nonsense"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert response.content.decode().lstrip().startswith('<div id="case-table"')


# --- urgency order, countdown colours, ratio levels ---------------------------------------------
def test_default_order_is_the_most_urgent_running_timer_first(client, supervisor, client_profile):
    later = make_case(client_profile, subject="later")
    only_timer(later, due_in=6 * H)
    overdue = make_case(client_profile, subject="overdue")
    only_timer(overdue, elapsed=11_000, due_in=-2 * H)
    soon = make_case(client_profile, subject="soon")
    only_timer(soon, due_in=H)
    two_timers = make_case(client_profile, subject="two timers")  # its earlier timer counts, and it is listed once
    only_timer(two_timers, due_in=9 * H)
    SlaTimer.objects.create(case=two_timers, metric="first_response", cycle=1, calendar_code="working",
                            target_seconds=7200, started_at=NOW, resumed_at=NOW, due_at=NOW + 3 * H)
    paused = make_case(client_profile, subject="paused")
    only_timer(paused, paused=True)
    finished = make_case(client_profile, subject="finished")
    no_timer(finished)
    login(client, supervisor)
    expected = [overdue, soon, two_timers, later, finished, paused]  # then the rest newest first
    assert listed(client) == [case.number for case in expected]
    assert listed(client, sort="urgency", size=25) == [case.number for case in expected]
    assert listed(client, sort="created") == [case.number for case in reversed(
        [later, overdue, soon, two_timers, paused, finished])]


def test_a_margin_call_shows_its_deadline_not_a_dash(client, risk_officer, client_profile):
    """A margin call without a running timer shows its T+2 deadline in the SLA column, labelled as
    the deadline (not an SLA share), red once passed; it used to show "—"."""
    call = open_margin_call(client_profile, UserFactory(roles=[Role.AGENT]))
    SlaTimer.objects.filter(case=call).delete()
    Case.objects.filter(pk=call.pk).update(assignee=None)
    MarginCall.objects.filter(case=call).update(deadline=NOW + 3 * H)
    soon = make_case(client_profile, subject="soon", queue_code="risk")
    only_timer(soon, due_in=H)
    login(client, risk_officer)
    assert listed(client, tab="unassigned", queue="risk") == [soon.number, call.number]
    body = client.get(URL, {"tab": "unassigned"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    row = re.search(rf'<tr data-case="{call.number}".*?</tr>', body, re.DOTALL).group(0)
    assert re.search(r'<span class="sla sla-deadline" data-deadline="[^"]+" title="The margin call&#x27;s deadline'
                     r'[^"]*">Deadline 2026-11-25 13:00</span>', row), row
    assert "%" not in re.search(r"<span class=\"sla .*?</span>", row).group(0)
    chinese = client.get(URL, {"tab": "unassigned"}, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "2026-11-25 13:00" in re.search(rf'<tr data-case="{call.number}".*?</tr>', chinese, re.DOTALL).group(0)

    MarginCall.objects.filter(case=call).update(deadline=NOW - H)  # past: red
    body = client.get(URL, {"tab": "unassigned"}).content.decode()
    assert re.search(rf'<tr data-case="{call.number}".*?<span class="sla sla-deadline sla-100"', body, re.DOTALL)


def test_a_margin_call_takes_its_place_among_the_running_timers_by_its_deadline(client, risk_officer,
                                                                               client_profile):
    """Forced liquidation follows a margin call's deadline: the call is listed by it among the
    cases with a running timer (it used to come after all of them, on a later page of a busy
    queue), also across pages; an outreach call (no deadline) still comes after them."""
    call = open_margin_call(client_profile, UserFactory(roles=[Role.AGENT]))
    Case.objects.filter(pk=call.pk).update(assignee=None)
    MarginCall.objects.filter(case=call).update(deadline=NOW + 2 * H)
    outreach = open_margin_call(ClientProfileFactory(), UserFactory(roles=[Role.AGENT]))
    Case.objects.filter(pk=outreach.pk).update(assignee=None)
    MarginCall.objects.filter(case=outreach).update(deadline=None, stage=MarginCall.Stage.OUTREACH)
    soon = make_case(client_profile, subject="soon", queue_code="risk")
    only_timer(soon, due_in=H)
    later = make_case(client_profile, subject="later", queue_code="risk")
    only_timer(later, due_in=5 * H)
    waiting = make_case(client_profile, subject="waiting", queue_code="risk", state="waiting_on_client")
    only_timer(waiting, paused=True)
    login(client, risk_officer)
    expected = [soon.number, call.number, later.number, outreach.number, waiting.number]
    assert listed(client, tab="unassigned", queue="risk") == expected
    # Page by page, one row a page, forwards and back: every case once, in the same order.
    order = segments(Case.objects.filter(queue__code="risk", assignee__isnull=True), "urgency")
    pages, cursor = [], None
    while True:
        page = keyset_page(order, 1, after=cursor)
        pages.append(page)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    number = dict(Case.objects.values_list("pk", "number"))
    assert [number[page.ids[0]] for page in pages] == expected
    back = [keyset_page(order, 1, before=page.previous_cursor) for page in pages[1:]]
    assert [number[page.ids[0]] for page in back] == expected[:-1]

    MarginCall.objects.filter(case=call).update(deadline=NOW - H)  # passed: the most urgent of all
    assert listed(client, tab="unassigned", queue="risk")[:2] == [call.number, soon.number]


def test_a_breached_paused_timer_is_shown_breached(client, supervisor, client_profile):
    breached = make_case(client_profile, subject="breached, then waiting on the client", state="waiting_on_client")
    only_timer(breached, target=10_000, elapsed=20_000, paused=True)  # 200 %
    calm = make_case(client_profile, subject="paused in time", state="waiting_on_client")
    only_timer(calm, target=10_000, elapsed=2_000, paused=True)
    login(client, supervisor)
    cells = sla_cells(client.get(URL))
    assert "sla sla-100" in cells[breached.number] and "data-deadline" not in cells[breached.number]
    assert "sla sla-paused" in cells[calm.number]


def test_a_paused_timer_past_its_target_is_red_before_the_sweep_records_the_breach(client, supervisor,
                                                                                  client_profile):
    """It ran past its target and then paused; the sweep has not marked it breached yet. The case page
    showed it red (breached), the list grey as if it were paused in time."""
    late = make_case(client_profile, subject="past its target, then waiting on the client", state="waiting_on_client")
    timer = only_timer(late, target=10_000, elapsed=12_000, paused=True)
    SlaTimer.objects.filter(pk=timer.pk).update(breached=False, state="paused")
    login(client, supervisor)
    assert "sla sla-100" in sla_cells(client.get(URL))[late.number]


def test_after_the_running_timers_come_the_cases_still_worked_then_the_finished_ones(client, supervisor,
                                                                                       client_profile):
    running = make_case(client_profile, subject="running")
    only_timer(running, due_in=H)
    closed = make_case(client_profile, subject="closed", state="closed")
    no_timer(closed)
    stale = make_case(client_profile, subject="closed, a timer left running", state="closed")
    only_timer(stale, due_in=-H)
    waiting = make_case(client_profile, subject="waiting on the client", state="waiting_on_client")
    only_timer(waiting, paused=True)
    cancelled = make_case(client_profile, subject="cancelled", state="cancelled")
    no_timer(cancelled)
    new = make_case(client_profile, subject="new, no timer")
    no_timer(new)
    login(client, supervisor)
    # Finished cases by state (cancelled before closed), newest first within a state.
    expected = [running, new, waiting, cancelled, stale, closed]
    assert listed(client) == [case.number for case in expected]
    first = client.get(URL, {"size": 25})
    assert numbers(first) == [case.number for case in expected]
    assert listed(client, sla="overdue") == []  # a finished case is never overdue


def test_priority_order(client, supervisor, client_profile):
    cases = {priority: make_case(client_profile, priority=priority) for priority in ("low", "urgent", "normal", "high")}
    login(client, supervisor)
    assert listed(client, sort="priority") == [cases[p].number for p in ("urgent", "high", "normal", "low")]


def test_updated_order(client, supervisor, client_profile):
    first, second, third = (make_case(client_profile) for _n in range(3))
    Case.objects.filter(pk=first.pk).update(updated_at=NOW + H)
    Case.objects.filter(pk=third.pk).update(updated_at=NOW - H)
    login(client, supervisor)
    assert listed(client, sort="updated") == [first.number, second.number, third.number]


def test_a_reply_or_a_note_moves_the_cases_last_update(client, supervisor, agent, client_profile):
    with time_machine.travel(NOW - 48 * H, tick=False):
        # the newest case first in the list before the replies (same update time, newest id first)
        answered, noted, replied, untouched = (make_case(client_profile, queue_code="general") for _n in range(4))
    with time_machine.travel(NOW - 2 * H, tick=False):
        message_create(case=replied, author=agent, body="您好，已收到您的问题。")
    with time_machine.travel(NOW - H, tick=False):
        message_create(case=noted, author=agent, body="已与运营部核对流水。", internal=True)
    message_create(case=answered, author=client_profile.user, body="材料已经上传，请查收。")

    response = login(client, supervisor).get(URL, {"sort": "updated"})
    assert numbers(response) == [answered.number, noted.number, replied.number, untouched.number]
    shown = dict(re.findall(r'<tr data-case="([^"]+)".*?<time datetime="[^"]+">([^<]+)</time>',
                            response.content.decode(), re.S))
    assert shown == {answered.number: "2026-11-25 10:00", noted.number: "2026-11-25 09:00",
                     replied.number: "2026-11-25 08:00", untouched.number: "2026-11-23 10:00"}


def sla_cells(response) -> dict[str, str]:
    body = response.content.decode()
    rows = re.findall(r'<tr data-case="([^"]+)".*?</tr>', body, re.DOTALL)
    cells = {}
    for number in rows:
        row = re.search(rf'<tr data-case="{number}".*?</tr>', body, re.DOTALL).group(0)
        cells[number] = re.search(r'<span class="sla ([\w-]+)"[^>]*>', row).group(0) if 'class="sla ' in row else ""
    return cells


@pytest.mark.parametrize(("elapsed", "css"), [
    (0, "sla-ok"), (4_999, "sla-ok"), (5_000, "sla-50"), (7_499, "sla-50"), (7_500, "sla-75"), (9_999, "sla-75"),
    (10_000, "sla-100"), (13_000, "sla-100"),
])
def test_countdown_colour_by_share_of_the_target_used(client, supervisor, client_profile, elapsed, css):
    case = make_case(client_profile)
    only_timer(case, target=10_000, elapsed=elapsed)
    login(client, supervisor)
    span = sla_cells(client.get(URL))[case.number]
    assert f"sla {css}" in span
    assert "data-live" not in span  # business time: written by the server only
    assert f'data-remaining="{10_000 - elapsed}"' in span
    deadline = re.search(r'data-deadline="([^"]+)"', span).group(1)
    assert datetime.datetime.fromisoformat(deadline) == NOW + datetime.timedelta(seconds=10_000 - elapsed)


def sla_text(body: str, case) -> str:
    return re.search(rf'data-case="{case.number}".*?<span class="sla [^>]*>([^<]*)</span>', body, re.DOTALL).group(1)


def test_countdown_text_is_the_business_time_left_and_overdue_by_when_late(client, supervisor, client_profile):
    """The figure is the business time left on the policy's calendar, as the case page writes it,
    not the wall-clock time to the due moment (which runs through nights and holidays)."""
    soon, late, long = make_case(client_profile), make_case(client_profile), make_case(client_profile)
    only_timer(soon, target=10_000, elapsed=2_000, due_in=datetime.timedelta(days=1, hours=2, minutes=5))
    only_timer(late, target=10_000, elapsed=11_000, due_in=-datetime.timedelta(minutes=90))
    # CS-2026-000151 of the demo: 88 of 120 business hours left, due 14 days 8 hours 10 minutes away.
    only_timer(long, target=120 * 3600, elapsed=32 * 3600, due_in=datetime.timedelta(days=14, hours=8, minutes=10))
    login(client, supervisor)
    body = client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert sla_text(body, soon) == "2h 13m"
    assert sla_text(body, late) == "overdue by 0h\u00a016m"
    assert sla_text(body, long) == "88h 00m"
    title = re.search(rf'data-case="{long.number}".*?<span class="sla [^>]*title="([^"]+)"', body, re.DOTALL).group(1)
    assert title == "Resolution: business time left, 26 % of the target used; due 2026-12-09 18:10"
    assert "data-live" not in body and "14 d" not in body
    chinese = client.get(URL, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert sla_text(chinese, long) == "88 小时 00 分"


def test_paused_timer_is_grey_and_does_not_tick(client, supervisor, client_profile):
    case = make_case(client_profile)
    only_timer(case, target=10_000, elapsed=8_000, paused=True)
    login(client, supervisor)
    span = sla_cells(client.get(URL))[case.number]
    assert "sla sla-paused" in span and "data-deadline" not in span and "data-live" not in span


def test_case_without_active_timer_shows_no_countdown(client, supervisor, client_profile):
    case = make_case(client_profile)
    no_timer(case)
    login(client, supervisor)
    assert sla_cells(client.get(URL))[case.number] == ""


def risk_state(account, level, ratio):
    run = MonitoringRun.objects.create(started_at=NOW, trigger="test")
    snapshot = RatioSnapshot.objects.create(run=run, account=account, taken_at=NOW, total_assets=Decimal("100"),
                                            total_liabilities=Decimal("80"), maintenance_ratio=ratio, level=level)
    AccountRisk.objects.update_or_create(account=account, defaults={
        "snapshot": snapshot, "total_assets": Decimal("100"), "total_liabilities": Decimal("80"),
        "maintenance_ratio": ratio, "level": level, "updated_at": NOW})


def test_margin_calls_show_the_ratio_level_of_their_account(client, risk_officer, client_profile):
    account = CreditAccountFactory(client=client_profile)
    margin_call = make_case(client_profile, kind=CaseKind.MARGIN_CALL, subject="追保", credit_account=account,
                            queue_code="risk")
    risk_state(account, "close_out", Decimal("1.2500"))
    ticket = make_case(client_profile, subject="同一账户的咨询", credit_account=account)
    login(client, risk_officer)
    body = client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    row = re.search(rf'<tr data-case="{margin_call.number}".*?</tr>', body, re.DOTALL).group(0)
    assert 'class="badge level-close_out"' in row and "Below the close-out line" in row and "125.00%" in row
    other = re.search(rf'<tr data-case="{ticket.number}".*?</tr>', body, re.DOTALL).group(0)
    assert "level-" not in other


def test_row_shows_links_badges_assignee_and_last_update(client, supervisor, agent):
    vip = ClientProfileFactory(name="贵宾客户", tier=Tier.VIP)
    case = make_case(vip, subject="开户咨询", queue_code="general", assignee=agent)
    login(client, supervisor)
    body = client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    row = re.search(rf'<tr data-case="{case.number}".*?</tr>', body, re.DOTALL).group(0)
    assert f'href="/console/cases/{case.number}/"' in row
    assert "Service ticket" in row and 'class="badge state state-new"' in row and "开户咨询" in row
    assert "贵宾客户" in row and 'class="badge tier-vip"' in row
    assert "agent1" in row
    assert "2026-11-25 10:00" in row  # updated_at in Asia/Shanghai


# --- pages --------------------------------------------------------------------------------------
def links(response) -> dict[str, str]:
    body = response.content.decode()
    return {rel: url.replace("&amp;", "&") for url, rel in re.findall(r'<a href="([^"]+)" rel="(next|prev)"', body)}


@pytest.mark.parametrize("sort", ["urgency", "created", "updated", "priority"])
def test_next_and_previous_pages(client, supervisor, client_profile, sort):
    cases = [make_case(client_profile, subject=f"c{n}", priority=("low", "high", "normal")[n % 3]) for n in range(32)]
    for n, case in enumerate(cases[:20]):  # 20 with running timers (some due at the same moment), 12 without
        only_timer(case, due_in=(n % 4) * H)
    for n, case in enumerate(cases[20:]):  # some still worked, some finished in different states
        no_timer(case)
        if n % 2:
            Case.objects.filter(pk=case.pk).update(state=("closed", "cancelled", "resolved")[n % 3])
    login(client, supervisor)
    first = client.get(URL, {"sort": sort, "size": 25, "kind": "ticket"})
    page1 = numbers(first)
    assert len(page1) == 25 and "prev" not in links(first)
    second = client.get(URL + links(first)["next"])
    page2 = numbers(second)
    assert len(page2) == 7 and "next" not in links(second)
    assert set(page1) | set(page2) == {case.number for case in cases}
    assert "kind=ticket" in links(second)["prev"] and "size=25" in links(second)["prev"]
    back = client.get(URL + links(second)["prev"])
    assert numbers(back) == page1
    assert "prev" not in links(back) and "next" in links(back)


def test_previous_page_in_the_middle(client, supervisor, client_profile):
    cases = [make_case(client_profile, subject=f"c{n}") for n in range(60)]
    for case in cases:
        no_timer(case)
    login(client, supervisor)
    first = client.get(URL, {"size": 25})
    second = client.get(URL + links(first)["next"])
    third = client.get(URL + links(second)["next"])
    assert len(numbers(third)) == 10
    back = client.get(URL + links(third)["prev"])
    assert numbers(back) == numbers(second)
    assert "prev" in links(back)


# --- htmx and queries ---------------------------------------------------------------------------
def test_page_refreshes_its_table_with_htmx(client, supervisor, assorted):
    login(client, supervisor)
    page = client.get(URL, {"kind": "ticket", "size": 25}).content.decode()
    table = re.search(r'<div id="case-table"[^>]*>', page).group(0)
    assert 'hx-trigger="every 15s"' in table and 'hx-swap="outerHTML"' in table
    assert 'hx-get="/console/?kind=ticket&amp;size=25"' in table
    partial = client.get(URL, {"kind": "ticket", "size": 25}, HTTP_HX_REQUEST="true")
    body = partial.content.decode()
    assert partial.status_code == 200
    assert body.lstrip().startswith('<div id="case-table"') and "<html" not in body and "<form" not in body
    assert set(numbers(partial)) == {assorted[key].number for key in ("ticket", "urgent", "closed")} | {
        assorted["overdue"].number, assorted["near"].number}


def test_no_inline_scripts_or_styles(client, supervisor, assorted):
    login(client, supervisor)
    body = client.get(URL).content.decode()
    assert "style=" not in body and "onclick" not in body
    assert not re.search(r"<script(?![^>]*\bsrc=)", body)


def test_page_in_english(client, supervisor, assorted):
    login(client, supervisor)
    body = client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for text in ("Cases", "Assigned to me", "My queues", "Unassigned", "All cases", "Subject", "Last update"):
        assert text in body


def count_queries(client, **params) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(URL, params)
    return len(captured.captured_queries), len(numbers(response))


@pytest.fixture
def busy_desk(agent, client_profile):
    """120 cases of an agent: 110 with a running timer (the most urgent: three margin calls with a
    ratio level, also the newest and the only urgent ones), 10 without."""
    for n in range(117):
        case = make_case(client_profile, queue_code=("general", "disputes")[n % 2], assignee=agent)
        if n < 10:
            no_timer(case)
        else:
            only_timer(case, due_in=(2 + n % 7) * H)
    for n in range(3):
        account = CreditAccountFactory(client=client_profile)
        case = make_case(client_profile, kind=CaseKind.MARGIN_CALL, credit_account=account, queue_code="risk",
                         assignee=agent, priority="urgent")
        only_timer(case, due_in=H)
        risk_state(account, "warning", Decimal("1.3500"))


@pytest.mark.parametrize("sort", ["urgency", "created", "updated", "priority"])
def test_queries_do_not_grow_with_the_page_size(client, supervisor, agent, busy_desk, sort,
                                                django_assert_max_num_queries):
    for user in (supervisor, agent):
        login(client, user)
        counts = {}
        for size in (25, 100):
            with django_assert_max_num_queries(10):
                counts[size] = count_queries(client, sort=sort, size=size)
        assert counts[25][1] == 25 and counts[100][1] == 100
        assert counts[25][0] == counts[100][0], counts
        assert client.get(URL, {"sort": sort, "size": 25}).content.decode().count("badge level-warning") == 3


@pytest.mark.parametrize("sort", ["urgency", "priority"])
def test_a_page_across_every_segment_of_an_order_stays_within_the_bound(client, supervisor, client_profile, sort,
                                                                         django_assert_max_num_queries):
    for n, priority in enumerate(("low", "high", "normal", "urgent") * 3):
        case = make_case(client_profile, priority=priority)
        if n % 2:
            no_timer(case)
    login(client, supervisor)
    with django_assert_max_num_queries(12):
        assert len(listed(client, sort=sort, size=100)) == 12


def test_a_margin_calls_subject_is_listed_in_the_readers_language(client, agent):
    """Stored in the firm's language (Chinese); an English reader of the console read it in Chinese."""
    from decimal import Decimal as D

    from risk.monitoring import monitor_accounts
    from tests.factories import CreditAccountFactory, PositionFactory, SecurityFactory, queue

    queue("risk").members.add(agent)
    account = CreditAccountFactory(account_no="A77000001", financing_debt=D("100000.00"))
    PositionFactory(account=account, security=SecurityFactory(price=D("13.50")), quantity=10000)  # 135 %
    monitor_accounts(trigger="test")
    client.force_login(agent)
    english = client.get("/console/?tab=queues&kind=margin_call", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Margin call: credit account A77000001 is below the warning line" in english and "追保" not in english
    chinese = client.get("/console/?tab=queues&kind=margin_call").content.decode()
    assert "追保：信用账户 A77000001 低于警戒线" in chinese
