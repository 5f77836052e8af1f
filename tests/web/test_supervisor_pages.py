"""The supervisor's pages: the SLA dashboard (figures, grouping, range, CSV exports, calendar
banner), the approvals inbox (four eyes, decline with a reason, double decisions) and the
calendars (confirming a year, adding and removing days), and who may open what."""

import csv
import datetime
import io
import re
from decimal import Decimal
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from accounts.roles import Role
from cases import reports
from cases.models import Case, CalendarDay, CalendarYear, CaseKind, SatisfactionRating
from cases.services import case_create, case_transition, case_update, message_create
from cases.sla_sweep import sla_sweep
from tests.factories import (
    CreditAccountFactory,
    PositionFactory,
    SecurityFactory,
    UserFactory,
    queue,
)

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
PASSWORD = "pass-word-123"


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=SH)


NOW = at(2026, 11, 25, 16, 30)  # a Wednesday; the default range is 2026-10-27 .. 2026-11-25


# --- reading the pages -----------------------------------------------------------------------------

class _Tables(HTMLParser):
    """Rows of every `table[data-table]` as {data-key: data-value}, body and foot apart."""

    def __init__(self):
        super().__init__()
        self.tables, self.current, self.section, self.row = {}, None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and "data-table" in attrs:
            self.current = self.tables.setdefault(attrs["data-table"], {"body": [], "foot": []})
        elif self.current is not None and tag in ("tbody", "tfoot"):
            self.section = "body" if tag == "tbody" else "foot"
        elif self.current is not None and tag == "tr" and self.section:
            self.row = {}
        elif self.row is not None and tag == "td" and "data-key" in attrs:
            self.row[attrs["data-key"]] = attrs.get("data-value", "")

    def handle_endtag(self, tag):
        if tag == "tr" and self.row is not None:
            if self.row:
                self.current[self.section].append(self.row)
            self.row = None
        elif tag == "table":
            self.current, self.section = None, None


def tables_of(response) -> dict:
    parser = _Tables()
    parser.feed(response.content.decode())
    return parser.tables


def by(rows: list[dict], key: str) -> dict:
    return {row[key]: row for row in rows}


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark for Excel
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def login(client, user):
    client.force_login(user)
    return client


# --- the known data set ----------------------------------------------------------------------------

@pytest.fixture
def known_set(client_profile, agent, other_agent, supervisor):
    """Normal tickets (first response due 4 business hours after creation) on Wed 25 Nov 2026:

    queue general: A1 (agent1) answered 11:00, met; A2 (agent2, subject a formula) answered 15:00,
    breached; E (agent1) opened 13:00, unanswered, past 75 % at 16:00, not breached: near breach.
    queue disputes: B1 (agent1) answered 11:00, met; B2 (agent2) answered 12:00, met; B3 (agent2)
    never answered, breached by the sweep at 16:00.
    Outside the default range: C1 (agent1, general) on Wed 14 Oct 2026, answered late, breached.
    Ratings: A1 5, B1 4, B2 2 (given 25 Nov)."""
    general, disputes = queue("general"), queue("disputes")

    def ticket(subject, queue_, assignee):
        case = case_create(created_by=agent, client=client_profile, kind=CaseKind.TICKET, subject=subject)
        case = case_update(case=case, user=agent, queue=queue_)
        return case_update(case=case, user=agent, assignee=assignee)

    with time_machine.travel(at(2026, 10, 14, 10), tick=False):
        c1 = ticket("old one", general, agent)
    with time_machine.travel(at(2026, 10, 14, 16), tick=False):
        message_create(case=c1, author=agent, body="late")
    with time_machine.travel(at(2026, 11, 25, 10), tick=False):
        a1 = ticket("a1", general, agent)
        a2 = ticket("=HYPERLINK(\"http://evil\")", general, other_agent)
        b1 = ticket("b1", disputes, agent)
        b2 = ticket("b2", disputes, other_agent)
        b3 = ticket("b3", disputes, other_agent)
    with time_machine.travel(at(2026, 11, 25, 11), tick=False):
        message_create(case=a1, author=agent, body="ok")
        message_create(case=b1, author=agent, body="ok")
    with time_machine.travel(at(2026, 11, 25, 12), tick=False):
        message_create(case=b2, author=other_agent, body="ok")
    with time_machine.travel(at(2026, 11, 25, 13), tick=False):
        e = ticket("e", general, agent)
    with time_machine.travel(at(2026, 11, 25, 15), tick=False):
        message_create(case=a2, author=other_agent, body="late")
    sla_sweep(now=at(2026, 11, 25, 16))
    with time_machine.travel(at(2026, 11, 25, 16, 10), tick=False):
        for case, score in ((a1, 5), (b1, 4), (b2, 2)):
            SatisfactionRating.objects.create(case=case, score=score)
    return {"a1": a1, "a2": a2, "b1": b1, "b2": b2, "b3": b3, "c1": c1, "e": e}


@pytest.fixture
def now(known_set):
    with time_machine.travel(NOW, tick=False):
        yield NOW


def dashboard(client, **params):
    return client.get(reverse("supervisor:dashboard"), params, HTTP_ACCEPT_LANGUAGE="en")


def named(code: str) -> str:
    """A queue as the English dashboard names it (not its code)."""
    return queue(code).name_en


# --- dashboard figures -------------------------------------------------------------------------------

def test_compliance_by_queue_equals_the_report_and_the_hand_count(client, supervisor, now):
    response = dashboard(login(client, supervisor))
    assert response.status_code == 200
    rows = by(tables_of(response)["compliance"]["body"], "group")
    # By hand: general 1 met (A1) of 2 decided (A2 breached); disputes 2 of 3 (B3 breached).
    assert rows[named("general")]["first_response"] == "50.0%"
    assert rows[named("disputes")]["first_response"] == "66.7%"
    assert rows[named("general")]["resolution"] == ""  # resolution clocks still running: nothing decided
    total = tables_of(response)["compliance"]["foot"][0]
    assert total["first_response"] == "60.0%"
    # The same figures as reports.sla_compliance over the same range.
    computed = reports.sla_compliance(start=at(2026, 10, 27), end=at(2026, 11, 26), group_by="queue")
    for row in computed:
        expected = "" if row["compliance"] is None else f"{row['compliance']:.1f}%"
        assert rows[named(row["group"])][row["metric"]] == expected
    page = response.content.decode()
    assert 'data-metric="first_response"' in page and "60.0%" in page  # the KPI card


def test_grouping_switch_by_agent_kind(client, supervisor, now):
    http = login(client, supervisor)
    rows = by(tables_of(dashboard(http, group_by="assignee"))["compliance"]["body"], "group")
    assert rows["agent1"]["first_response"] == "100.0%"  # A1, B1 met
    assert rows["agent2"]["first_response"] == "33.3%"  # B2 met; A2, B3 breached
    rows = by(tables_of(dashboard(http, group_by="kind"))["compliance"]["body"], "group")
    assert rows["Service ticket"]["first_response"] == "60.0%"
    for group_by in ("tier", "priority"):
        response = dashboard(http, group_by=group_by)
        assert response.status_code == 200
        assert tables_of(response)["compliance"]["foot"][0]["first_response"] == "60.0%"
    assert dashboard(http, group_by="planet").status_code == 400


def test_range_filter_takes_in_older_cases(client, supervisor, now):
    http = login(client, supervisor)
    rows = by(tables_of(dashboard(http, **{"from": "2026-10-01", "to": "2026-11-25"}))["compliance"]["body"], "group")
    assert rows[named("general")]["first_response"] == "33.3%"  # C1 breached too
    rows = by(tables_of(dashboard(http, **{"from": "2026-10-01", "to": "2026-10-31"}))["compliance"]["body"], "group")
    assert set(rows) == {named("general")} and rows[named("general")]["first_response"] == "0.0%"
    breaches = tables_of(dashboard(http, **{"from": "2026-10-01", "to": "2026-10-31"}))["breaches"]["body"]
    old = Case.objects.get(subject="old one").number
    assert {(row["case"], row["metric"]) for row in breaches} == {(old, "First response"), (old, "Resolution")}


@pytest.mark.parametrize("params", [
    {"from": "2026-13-01"}, {"from": "yesterday"}, {"to": "2026-02-30"},
    {"from": "2026-11-20", "to": "2026-11-01"}, {"from": "2020-01-01", "to": "2026-11-25"},
    {"from": "1999-12-31", "to": "2000-01-05"}, {"period": "hour"}, {"to": "2000-01-05"},
    {"to": "0001-01-01"}, {"from": "0001-01-01"}, {"to": "9999-12-31"}, {"from": "9999-12-31"},
    {"from": "0001-01-01", "to": "0001-01-31"}, {"from": "9999-12-01", "to": "9999-12-31"},
])
def test_bad_filters_are_400_with_a_message(client, supervisor, now, params):
    response = dashboard(login(client, supervisor), **params)
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    export = client.get(reverse("supervisor:export", args=["compliance"]), params)
    assert export.status_code == 400


@pytest.mark.parametrize("table", ["compliance", "trend", "backlog", "breaches"])
def test_every_export_refuses_an_end_no_default_start_can_be_counted_back_from(client, supervisor, now, table):
    """?to=0001-01-01 was a 500 on the dashboard and every export (the default start, 29 days
    earlier, was counted before the end was checked); ?from=0001-01-01 was already a 400."""
    http = login(client, supervisor)
    response = http.get(reverse("supervisor:export", args=[table]), {"to": "0001-01-01"})
    assert response.status_code == 400 and "to: " in response.content.decode()


def test_trend_per_day_and_per_week(client, supervisor, now):
    http = login(client, supervisor)
    trend = tables_of(dashboard(http))["trend"]["body"]
    assert len(trend) == 30 and trend[0]["period"] == "2026-10-27" and trend[-1]["period"] == "2026-11-25"
    assert trend[-1]["all"] == "60.0%" and trend[-1]["first_response"] == "60.0%"
    assert trend[0]["all"] == ""
    weekly = tables_of(dashboard(http, period="week", **{"from": "2026-10-01"}))["trend"]["body"]
    assert weekly[0]["period"] == "2026-09-28"  # weeks start on Monday
    assert by(weekly, "period")["2026-10-12"]["first_response"] == "0.0%"  # C1
    assert by(weekly, "period")["2026-11-23"]["first_response"] == "60.0%"
    # Per period, the report's rows add up to its figures without periods.
    start, end = at(2026, 10, 1), at(2026, 11, 26)
    points = reports.sla_compliance(start=start, end=end, group_by="queue", period="day")
    assert {p["period"] for p in points} == {datetime.date(2026, 10, 14), datetime.date(2026, 11, 25)}
    for row in reports.sla_compliance(start=start, end=end, group_by="queue"):
        same = [p for p in points if (p["group"], p["metric"]) == (row["group"], row["metric"])]
        assert [sum(p[key] for p in same) for key in ("met", "breached", "running")] == \
            [row["met"], row["breached"], row["running"]]


def test_breaches_near_breach_backlog_workload_and_csat(client, supervisor, now, known_set):
    tables = tables_of(dashboard(login(client, supervisor)))
    assert {row["case"] for row in tables["breaches"]["body"]} == {known_set["a2"].number, known_set["b3"].number}
    near = tables["near_breach"]["body"]
    assert [(row["case"], row["metric"], row["due_at"]) for row in near] == [
        (known_set["e"].number, "First response", "2026-11-25 17:00")]
    page = dashboard(client).content.decode()
    assert f'href="/console/cases/{known_set["e"].number}/"' in page  # the case page (or its path)

    backlog = by(tables["backlog"]["body"], "kind")["Service ticket"]
    assert (backlog["<1d"], backlog[">30d"], backlog["total"]) == ("6", "1", "7")

    workload = by(tables["workload"]["body"], "assignee")
    assert (workload["agent1"]["open"], workload["agent1"]["breached"], workload["agent1"]["near_breach"]) == \
        ("4", "1", "1")  # A1, B1, C1, E; C1's resolution clock breached (6 weeks old); E past 75 %
    assert (workload["agent2"]["open"], workload["agent2"]["breached"], workload["agent2"]["near_breach"]) == \
        ("3", "1", "0")  # A2, B2, B3; B3's clock breached and running

    scores = by(tables["csat_scores"]["body"], "score")
    assert [scores[str(n)]["count"] for n in range(1, 6)] == ["0", "1", "0", "1", "1"]
    assert tables["csat_scores"]["foot"][0]["average"] == "3.67" and tables["csat_scores"]["foot"][0]["count"] == "3"
    csat = by(tables["csat"]["body"], "group")
    assert (csat[named("general")]["average"], csat[named("disputes")]["average"],
            csat[named("disputes")]["satisfied_percent"]) == \
        ("5.00", "3.00", "50.0%")


def test_the_workload_note_says_what_breached_and_near_breach_count(client, supervisor, now):
    page = dashboard(login(client, supervisor)).content.decode()
    assert ("Open cases now; breached: those with a clock past its due moment; near breach: those with a clock "
            "past three quarters of its target, not due yet.") in page
    assert "whose clock is." not in page

def test_queues_and_people_by_name_not_code_or_username(client, supervisor, agent, now, known_set):
    """Every table names the queue in the reader's language and the agent by their name: what the
    page shows is what the CSV holds."""
    agent.first_name, agent.last_name = "伟", "张"
    agent.save()
    http = login(client, supervisor)
    zh = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
    by_queue = tables_of(http.get(reverse("supervisor:dashboard"), **zh))
    assert {row["group"] for row in by_queue["compliance"]["body"]} == {"综合服务", "争议投诉"}
    assert {row["group"] for row in by_queue["csat"]["body"]} == {"综合服务", "争议投诉"}
    assert by(by_queue["near_breach"]["body"], "case")[known_set["e"].number]["queue"] == "综合服务"
    assert by(by_queue["near_breach"]["body"], "case")[known_set["e"].number]["assignee"] == "张伟"
    assert {row["assignee"] for row in by_queue["workload"]["body"]} == {"张伟", "agent2"}  # agent2 has no name
    by_agent = tables_of(http.get(reverse("supervisor:dashboard"), {"group_by": "assignee"}, **zh))
    assert {row["group"] for row in by_agent["compliance"]["body"]} == {"张伟", "agent2"}
    assert "agent1" not in http.get(reverse("supervisor:dashboard"), {"group_by": "assignee"}, **zh).content.decode()
    workload = {row[0]: row for row in csv_rows(http.get(reverse("supervisor:export", args=["workload"]), **zh))[1:]}
    assert workload["张伟"][1:] == ["4", "1", "1"]



def test_a_case_with_nobody_assigned_shows_a_dash_for_its_agent(client, supervisor, now, known_set):
    """The crawl found blank cells in the breach lists where the case has no agent (or no queue):
    the number cells there say "—", so do the text cells; the CSV keeps the cell empty."""
    Case.objects.filter(pk=known_set["e"].pk).update(assignee=None)
    page = dashboard(login(client, supervisor)).content.decode()
    row = re.search(r'<td data-key="case" data-value="%s"[^>]*>.*?</tr>' % known_set["e"].number, page, re.S).group(0)
    assert '<td data-key="assignee" data-value="">—</td>' in row
    near = {row[0]: row for row in csv_rows(export(client, "near_breach"))[1:]}
    assert near[known_set["e"].number][-1] == ""


def test_chart_data_is_embedded_from_the_same_figures(client, supervisor, now):
    response = dashboard(login(client, supervisor))
    page = response.content.decode()
    assert 'id="trend-data"' in page and 'id="csat-data"' in page and 'id="trend-chart"' in page
    assert "vendor/chart.umd.min.js" in page and "js/supervisor.js" in page
    assert "<script>" not in page  # nothing inline (CSP)


# --- CSV exports -------------------------------------------------------------------------------------

def export(client, table, **params):
    return client.get(reverse("supervisor:export", args=[table]), params, HTTP_ACCEPT_LANGUAGE="en")


def test_each_table_exports_as_csv_with_the_numbers_shown(client, supervisor, now, known_set):
    http = login(client, supervisor)
    rows = csv_rows(export(http, "compliance"))
    assert rows[0][:5] == ["Queue", "First response compliance", "First response met", "First response breached",
                           "First response running"]
    body = {row[0]: row for row in rows[1:]}
    assert body[named("general")][1:5] == ["50.0%", "1", "1", "1"]  # A1 met, A2 breached, E running
    assert body["All"][1] == "60.0%"

    trend = csv_rows(export(http, "trend"))
    assert trend[0][:3] == ["Day", "All metrics", "First response"] and len(trend) == 31

    breaches = csv_rows(export(http, "breaches"))
    assert breaches[0] == ["Case", "Subject", "Metric", "Due", "Stopped", "Queue", "Agent"]
    subjects = {row[0]: row[1] for row in breaches[1:]}
    assert subjects[known_set["a2"].number] == "'=HYPERLINK(\"http://evil\")"  # neutralised
    assert subjects[known_set["b3"].number] == "b3"
    stopped = {row[0]: row[3:5] for row in breaches[1:]}
    assert stopped[known_set["a2"].number] == ["2026-11-25 14:00", "2026-11-25 15:00"]  # due 14:00, answered late
    assert stopped[known_set["b3"].number] == ["2026-11-25 14:00", ""]  # still running, breached

    assert [row[0] for row in csv_rows(export(http, "near_breach"))[1:]] == [known_set["e"].number]
    backlog = csv_rows(export(http, "backlog"))
    assert backlog[0] == ["Kind", "<1d", "1-3d", "3-7d", "7-30d", ">30d", "Total"]
    assert backlog[1] == ["Service ticket", "6", "0", "0", "0", "1", "7"]
    assert backlog[-1][0] == "All"
    workload = {row[0]: row for row in csv_rows(export(http, "workload"))[1:]}
    assert workload["agent2"] == ["agent2", "3", "1", "0"]
    scores = csv_rows(export(http, "csat_scores"))
    assert scores[0] == ["Score", "Ratings", "Share", "Average score"]
    assert scores[2] == ["2", "1", "33.3%", ""] and scores[-1] == ["All", "3", "", "3.67"]
    csat = {row[0]: row for row in csv_rows(export(http, "csat"))[1:]}
    assert csat[named("disputes")] == [named("disputes"), "2", "3.00", "50.0%"]
    assert export(http, "planets").status_code == 404


def test_csv_in_chinese_opens_in_excel(client, supervisor, now):
    response = login(client, supervisor).get(reverse("supervisor:export", args=["backlog"]),
                                              {"group_by": "kind"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    rows = csv_rows(response)
    assert rows[1][0] == "服务请求"  # the kind's Chinese name, readable through the BOM


def test_formula_cells_are_neutralised_whatever_their_first_sign():
    from cases.web.supervisor.tables import Column, Table

    table = Table("t", "t", [Column("text", "Text")], [{"text": value} for value in ("=1", "+1", "-1", "@a", "ok")])
    rows = list(csv.reader(io.StringIO(table.csv_response("t.csv").content.decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == ["'=1", "'+1", "'-1", "'@a", "ok"]


def test_the_backlog_s_age_columns_are_translated(client, supervisor, now, known_set, monkeypatch):
    """Its headings were the report's codes ("<1d", "1-3d"…) in every language, an English "d" on a
    Chinese page and in its CSV: they go through the catalogue (a stand-in entry here)."""
    chinese = {"<1d": "<1天", "1-3d": "1–3天", "3-7d": "3–7天", "7-30d": "7–30天", ">30d": ">30天"}
    real_gettext = translation._trans.gettext
    monkeypatch.setattr(translation._trans, "gettext", lambda message: chinese.get(message) or real_gettext(message))
    http = login(client, supervisor)
    page = http.get(reverse("supervisor:dashboard"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    backlog = page[page.index('id="backlog-title"'):page.index('id="workload-title"')]
    assert all(f">{escape(label)}</th>" in backlog for label in chinese.values()) and ">1-3d<" not in backlog
    header = csv_rows(http.get(reverse("supervisor:export", args=["backlog"]), HTTP_ACCEPT_LANGUAGE="zh-hans"))[0]
    assert header[1:6] == list(chinese.values())


# --- calendar banner ---------------------------------------------------------------------------------

def test_calendar_banner_until_this_year_and_next_are_confirmed(client, supervisor, auditor, now):
    http = login(client, supervisor)
    page = dashboard(http).content.decode()
    assert 'id="calendar-banner"' in page and reverse("supervisor:calendars") in page
    for year in CalendarYear.objects.filter(year__in=(2026, 2027)).select_related("calendar"):
        response = http.post(reverse("supervisor:confirm_year", args=[year.calendar.code, year.year]))
        assert response.status_code == 302
    assert 'id="calendar-banner"' not in dashboard(http).content.decode()
    confirmed = CalendarYear.objects.get(calendar__code="working", year=2027)
    assert (confirmed.status, confirmed.confirmed_by, confirmed.confirmed_at) == ("confirmed", supervisor, NOW)


def test_calendar_banner_and_page_name_the_calendars(client, supervisor, now):
    http = login(client, supervisor)
    for language, names in (("zh-hans", ("工作日", "交易日（上交所）")), ("en", ("Working days", "Trading days (SSE)"))):
        page = http.get(reverse("supervisor:dashboard"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
        banner = page[page.index('id="calendar-banner"'):page.index("</div>", page.index('id="calendar-banner"'))]
        assert all(name in banner for name in names)
        assert not re.search(r"\b(working|trading)\b", banner)
        calendars = http.get(reverse("supervisor:calendars"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert "(trading," not in calendars and "(working," not in calendars
        heading = rf"<h2>{re.escape(names[1])} <span class=\"muted small\">\(09:00–15:00\)</span></h2>"
        assert re.search(heading, calendars)


def test_the_banner_says_estimated_mid_sentence_in_lower_case(client, supervisor, now):
    page = dashboard(login(client, supervisor)).content.decode()
    assert "The Working days calendar for 2027 is estimated, not confirmed." in page
    assert "is Estimated" not in page

def test_auditors_and_team_leads_see_no_banner(client, auditor, team_lead, now):
    for user in (auditor, team_lead):
        page = dashboard(login(client, user)).content.decode()
        assert 'id="calendar-banner"' not in page and 'data-table="compliance"' in page



def test_supervisors_see_how_many_e_mails_wait_for_their_review(client, supervisor, team_lead, now):
    from notifications.inbound import email_ingest

    email_ingest(b"From: stranger@unknown.example\r\nSubject: open an account\r\n\r\nhow?\r\n", source="test")
    page = dashboard(login(client, supervisor)).content.decode()
    assert 'data-held-emails="1"' in page and "E-mails held for review" in page
    assert f'{reverse("admin:notifications_inboundemail_changelist")}?status__exact=held' in page
    assert "data-held-emails" not in dashboard(login(client, team_lead)).content.decode()

# --- approvals ---------------------------------------------------------------------------------------

TODAY = NOW.date()


@pytest.fixture
def eligible_account(client_profile, now):
    """Eligible for an extension: matures in 10 days, interest paid, ratio 200 %, no margin call."""
    security = SecurityFactory(price=Decimal("20.00"))
    account = CreditAccountFactory(client=client_profile, financing_debt=Decimal("100000.00"),
                                   contract_maturity=TODAY + datetime.timedelta(days=10))
    PositionFactory(account=account, security=security, quantity=10000)
    return account


@pytest.fixture
def pending(client_profile, eligible_account, agent, supervisor, risk_officer, now):
    """A dispute whose resolution supervisor1 proposed; an extension agent1 proposed to approve;
    a margin call whose liquidation risk1 proposed."""
    dispute = case_create(created_by=agent, client=client_profile, kind=CaseKind.DISPUTE, subject="fee dispute")
    for name in ("acknowledge", "investigate"):
        dispute = case_transition(case=dispute, user=agent, name=name)
    dispute = case_transition(case=dispute, user=supervisor, name="propose_resolution", comment="refund 100")
    extension = case_create(created_by=agent, client=client_profile, kind=CaseKind.EXTENSION, subject="extend",
                            credit_account=eligible_account)
    extension = case_transition(case=extension, user=agent, name="start_review")
    extension = case_transition(case=extension, user=agent, name="propose_approval", comment="eligible")
    margin_call = case_create(created_by=None, client=client_profile, kind=CaseKind.MARGIN_CALL, subject="call",
                              credit_account=CreditAccountFactory(client=client_profile))
    Case.objects.filter(pk=margin_call.pk).update(state="liquidation_pending", proposed_by=risk_officer,
                                                  proposed_outcome="liquidate")
    return {"dispute": dispute, "extension": extension, "margin_call": Case.objects.get(pk=margin_call.pk)}


def approvals_page(client):
    return client.get(reverse("supervisor:approvals"), HTTP_ACCEPT_LANGUAGE="en")


def article(page: str, number: str) -> str:
    start = page.index(f'id="approval-{number}"')
    return page[start:page.index("</article>", start)]


def decide(client, case, transition, comment="", state=None):
    return client.post(reverse("supervisor:decide", args=[case.number]),
                       {"transition": transition, "comment": comment, "state": state or case.state},
                       HTTP_ACCEPT_LANGUAGE="en")


def test_a_proposal_to_decline_offers_decline_and_rework_not_approval(client, other_supervisor, pending, agent):
    extension = pending["extension"]
    extension = case_transition(case=extension, user=other_supervisor, name="return_for_rework", comment="再看看")
    case_transition(case=extension, user=agent, name="propose_decline", comment="负债逾期")
    page = approvals_page(login(client, other_supervisor)).content.decode()
    item = article(page, extension.number)
    assert 'data-decision="decline"' in item and 'data-decision="return_for_rework"' in item
    assert 'data-decision="approve"' not in item
    assert decide(login(client, other_supervisor), extension, "approve").status_code == 409
    extension.refresh_from_db()
    assert extension.state == "under_review" and extension.proposed_outcome == "decline"


def test_the_inbox_lists_every_step_waiting_with_proposer_and_time(client, supervisor, pending):
    page = approvals_page(login(client, supervisor)).content.decode()
    dispute = article(page, pending["dispute"].number)
    assert "supervisor1" in dispute and "2026-11-25 16:30" in dispute and "refund 100" in dispute
    # supervisor1 proposed it: both decisions disabled, with the reason.
    assert 'data-decision="approve_resolution" disabled' in dispute
    assert 'data-decision="return_for_rework" disabled' in dispute
    assert "another supervisor must decide" in dispute
    extension = article(page, pending["extension"].number)
    assert "agent1" in extension and "Approve the request" in extension
    assert 'data-decision="approve"' in extension and 'data-decision="approve" disabled' not in extension
    assert 'data-decision="decline"' in extension
    liquidation = article(page, pending["margin_call"].number)
    assert "risk1" in liquidation and 'data-decision="approve_liquidation" disabled' in liquidation
    assert "second risk officer" in liquidation


def test_an_approval_the_request_no_longer_qualifies_for_is_disabled_with_the_reason(
        client, supervisor, pending, eligible_account):
    """The account fell out of the extension window after the proposal: Approve would only answer 409."""
    eligible_account.contract_maturity = TODAY - datetime.timedelta(days=3)
    eligible_account.save()
    extension = pending["extension"]
    item = article(approvals_page(login(client, supervisor)).content.decode(), extension.number)
    assert 'data-decision="approve" disabled' in item
    assert "only in the 15 calendar days before the contract matures" in item
    assert 'data-decision="decline" disabled' not in item and "<textarea" in item and "disabled>" not in item
    assert decide(client, extension, "approve").status_code == 409


def test_the_inbox_names_the_queue_and_the_people(client, supervisor, agent, pending):
    agent.first_name, agent.last_name = "伟", "张"
    agent.save()
    Case.objects.filter(pk=pending["extension"].pk).update(queue=queue("general"), assignee=agent)
    page = login(client, supervisor).get(reverse("supervisor:approvals"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    extension = article(page.content.decode(), pending["extension"].number)
    assert '<dd class="queue">综合服务 · 张伟</dd>' in extension
    assert '<dd class="proposer">张伟</dd>' in extension
    assert "general" not in extension and "agent1" not in extension


def test_another_supervisor_approves(client, other_supervisor, pending):
    dispute = pending["dispute"]
    response = decide(login(client, other_supervisor), dispute, "approve_resolution")
    assert response.status_code == 302
    dispute.refresh_from_db()
    assert dispute.approved_by == other_supervisor
    assert f'id="approval-{dispute.number}"' not in approvals_page(client).content.decode()


def test_self_approval_is_refused_and_changes_nothing(client, supervisor, pending):
    dispute = pending["dispute"]
    response = decide(login(client, supervisor), dispute, "approve_resolution")
    assert response.status_code == 403
    dispute.refresh_from_db()
    assert dispute.approved_by is None and dispute.state == "resolution_proposed"
    assert dispute.events.filter(name="approve_resolution").count() == 0


def test_decline_needs_a_reason(client, supervisor, pending):
    extension = pending["extension"]
    http = login(client, supervisor)
    response = decide(http, extension, "decline")
    assert response.status_code == 400 and "comment" in response.content.decode().lower()
    extension.refresh_from_db()
    assert extension.state == "under_review"
    response = decide(http, extension, "decline", comment="ratio too close to the line")
    assert response.status_code == 302
    extension.refresh_from_db()
    assert (extension.state, extension.approved_by) == ("declined", supervisor)
    assert extension.events.get(name="decline").comment == "ratio too close to the line"


def test_a_second_decision_is_a_conflict(client, supervisor, other_supervisor, pending):
    extension, dispute = pending["extension"], pending["dispute"]
    http = login(client, supervisor)
    assert decide(http, extension, "approve", state="under_review").status_code == 302
    response = decide(http, extension, "approve", state="under_review")
    assert response.status_code == 409 and "decided" in response.content.decode()
    assert decide(http, extension, "decline", comment="no", state="").status_code == 409
    extension.refresh_from_db()
    assert extension.state == "approved"
    # A dispute stays in resolution_proposed once approved: the workflow's condition refuses again.
    http = login(client, other_supervisor)
    assert decide(http, dispute, "approve_resolution").status_code == 302
    assert decide(http, dispute, "approve_resolution").status_code == 409


def _drawn_proposal_key(page: str, number: str) -> str:
    return re.search(r'name="proposal_key" value="([^"]*)"', article(page, number)).group(1)


def test_a_decision_on_a_proposal_returned_and_replaced_meanwhile_is_a_conflict(client, other_supervisor, pending,
                                                                               agent):
    """The page showed "refund 100"; meanwhile another supervisor returned it and the agent proposed "refund 10":
    the state is resolution_proposed again, but the approval was not given to what the page showed."""
    dispute = pending["dispute"]
    http = login(client, other_supervisor)
    drawn = _drawn_proposal_key(approvals_page(http).content.decode(), dispute.number)
    third = UserFactory(username="supervisor3", roles=[Role.SUPERVISOR])
    dispute = case_transition(case=dispute, user=third, name="return_for_rework", comment="金额有误")
    dispute = case_transition(case=dispute, user=agent, name="propose_resolution", comment="refund 10")
    response = http.post(reverse("supervisor:decide", args=[dispute.number]), {
        "transition": "approve_resolution", "state": "resolution_proposed", "proposal_key": drawn},
        HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 409
    assert "was replaced meanwhile" in response.content.decode()
    dispute.refresh_from_db()
    assert (dispute.state, dispute.approved_by) == ("resolution_proposed", None)
    redrawn = _drawn_proposal_key(response.content.decode(), dispute.number)
    assert redrawn != drawn
    assert http.post(reverse("supervisor:decide", args=[dispute.number]), {
        "transition": "approve_resolution", "state": "resolution_proposed", "proposal_key": redrawn}).status_code == 302
    dispute.refresh_from_db()
    assert (dispute.approved_by, dispute.proposal) == (other_supervisor, "refund 10")


def test_an_approval_the_account_no_longer_allows_is_a_conflict_with_the_reason(client, other_supervisor, pending,
                                                                               eligible_account):
    eligible_account.contract_maturity = TODAY + datetime.timedelta(days=40)  # outside the 15 days now
    eligible_account.save()
    response = decide(login(client, other_supervisor), pending["extension"], "approve")
    assert response.status_code == 409
    assert "only in the 15 calendar days before the contract matures" in response.content.decode()
    assert Case.objects.get(pk=pending["extension"].pk).state == "under_review"


def test_only_decisions_may_be_posted(client, other_supervisor, pending):
    http = login(client, other_supervisor)
    assert decide(http, pending["dispute"], "accept").status_code == 400
    assert decide(http, pending["dispute"], "").status_code == 400
    assert client.get(reverse("supervisor:decide", args=[pending["dispute"].number])).status_code == 405
    assert client.post(reverse("supervisor:decide", args=["CS-0000-000000"]), {"transition": "approve"}) \
        .status_code == 404


def test_a_supervisor_cannot_approve_a_liquidation(client, other_supervisor, pending):
    response = decide(login(client, other_supervisor), pending["margin_call"], "approve_liquidation")
    assert response.status_code == 403
    assert Case.objects.get(pk=pending["margin_call"].pk).state == "liquidation_pending"


def test_a_second_risk_officer_declines_a_liquidation_with_a_reason(client, other_risk_officer, other_supervisor,
                                                                    pending):
    """On the case page the checker may turn the proposal down: the call stays pending liquidation
    with no proposal (the ratio restored closes it; an officer may propose again) and leaves the
    supervisors' inbox."""
    call = pending["margin_call"]
    url = reverse("console:case_transition", args=[call.number, "decline_liquidation"])
    login(client, other_risk_officer)
    refused = client.post(url, {"t-decline_liquidation-state": "liquidation_pending"}, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 400  # a reason is required
    assert Case.objects.get(pk=call.pk).proposed_by is not None
    response = client.post(url, {"t-decline_liquidation-state": "liquidation_pending",
                                 "t-decline_liquidation-comment": "客户已到账补仓资金，待今晚清算"})
    assert response.status_code == 302
    call.refresh_from_db()
    assert (call.state, call.proposed_by, call.proposal) == ("liquidation_pending", None, "")
    client.logout()
    assert f'id="approval-{call.number}"' not in approvals_page(login(client, other_supervisor)).content.decode()


# --- calendars ---------------------------------------------------------------------------------------

def add_day(client, code, year, **data):
    return client.post(reverse("supervisor:add_day", args=[code, year]), data, HTTP_ACCEPT_LANGUAGE="en")


def remove_day(client, code, year, date):
    return client.post(reverse("supervisor:remove_day", args=[code, year]), {"date": date}, HTTP_ACCEPT_LANGUAGE="en")


def test_calendars_page_lists_years_with_their_status(client, supervisor, auditor, now):
    CalendarYear.objects.filter(calendar__code="trading", year=2026).update(
        status="confirmed", confirmed_by=supervisor, confirmed_at=NOW)
    page = login(client, auditor).get(reverse("supervisor:calendars"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-calendar="working"' in page and 'data-calendar="trading"' in page
    assert 'data-year="2027" data-status="estimated"' in page
    assert "supervisor1" in page and "2026-11-25 16:30" in page
    assert "data-confirm-year" not in page and "Add a day" not in page  # auditors read


def test_auditors_find_the_calendars_in_their_navigation(client, auditor, now):
    page = login(client, auditor).get(reverse("console:cases"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    nav = page[page.index('class="mainnav"'):page.index("</nav>", page.index('class="mainnav"'))]
    assert f'href="{reverse("supervisor:calendars")}"' in nav and "Calendars" in nav

def test_the_add_a_day_form_has_no_colon_after_its_labels(client, supervisor, now):
    """As every other form of the pages (servicedesk.forms.LabelForm): no ":" after a Chinese label."""
    page = login(client, supervisor).get(reverse("supervisor:calendar_year", args=["working", 2027])).content.decode()
    assert '<label for="id_date">日期</label>' in page and '<label for="id_kind">日期类型</label>' in page


def test_add_and_remove_days_with_validation(client, supervisor, now):
    http = login(client, supervisor)
    before = CalendarDay.objects.count()
    response = add_day(http, "working", 2027, date="2027-03-03", kind="holiday", name="Company day")
    assert response.status_code == 302
    day = CalendarDay.objects.get(calendar__code="working", date=datetime.date(2027, 3, 3))
    assert (day.is_business_day, day.name) == (False, "Company day")
    assert LogEntry.objects.filter(user=supervisor, object_id=str(day.pk)).exists()
    page = http.get(reverse("supervisor:calendar_year", args=["working", 2027])).content.decode()
    assert 'data-date="2027-03-03" data-business="0"' in page

    for data in (
        {"date": "2027-03-03", "kind": "holiday"},  # duplicate
        {"date": "2026-03-04", "kind": "holiday"},  # outside the year
        {"date": "2027-02-30", "kind": "holiday"},  # no such date
        {"date": "", "kind": "holiday"},
        {"date": "2027-03-10", "kind": "workday"},  # a Wednesday: already a working day
        {"date": "2027-03-06", "kind": "party"},
    ):
        response = add_day(http, "working", 2027, **data)
        assert response.status_code == 400, data
        assert 'role="alert"' in response.content.decode()
    assert add_day(http, "trading", 2027, date="2027-03-06", kind="workday").status_code == 400  # never trades
    assert add_day(http, "working", 2027, date="2027-03-06", kind="workday", name="调休").status_code == 302
    assert CalendarDay.objects.count() == before + 2

    assert remove_day(http, "working", 2027, "2027-03-03").status_code == 302
    assert not CalendarDay.objects.filter(calendar__code="working", date=datetime.date(2027, 3, 3)).exists()
    assert remove_day(http, "working", 2027, "2027-03-03").status_code == 400  # not listed any more
    assert remove_day(http, "working", 2027, "2026-10-01").status_code == 400  # another year
    assert remove_day(http, "working", 2027, "soon").status_code == 400
    assert add_day(http, "working", 2031, date="2031-03-03", kind="holiday").status_code == 404  # no such year
    assert CalendarDay.objects.count() == before + 1


def test_confirming_twice_is_a_conflict(client, supervisor, other_supervisor, now):
    url = reverse("supervisor:confirm_year", args=["working", 2027])
    assert login(client, supervisor).post(url).status_code == 302
    response = login(client, other_supervisor).post(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 409 and "supervisor1" in response.content.decode()
    assert CalendarYear.objects.get(calendar__code="working", year=2027).confirmed_by == supervisor


def test_auditors_may_not_change_calendars(client, auditor, now):
    http = login(client, auditor)
    assert http.post(reverse("supervisor:confirm_year", args=["working", 2027])).status_code == 403
    assert add_day(http, "working", 2027, date="2027-03-03", kind="holiday").status_code == 403
    assert remove_day(http, "working", 2027, "2027-01-01").status_code == 403
    assert CalendarYear.objects.get(calendar__code="working", year=2027).status == "estimated"
    assert CalendarDay.objects.filter(calendar__code="working", date=datetime.date(2027, 1, 1)).exists()


# --- access ------------------------------------------------------------------------------------------

@pytest.fixture
def users(supervisor, team_lead, auditor, agent, risk_officer, advisor, client_profile):
    return {"supervisor": supervisor, "team_lead": team_lead, "auditor": auditor, "agent": agent,
            "risk_officer": risk_officer, "advisor": advisor, "client": client_profile.user,
            "superuser": UserFactory(username="root", is_superuser=True, is_staff=True)}


ACCESS = {  # role: (dashboard, export, approvals, calendars)
    "supervisor": (200, 200, 200, 200),
    "superuser": (200, 200, 200, 200),
    "team_lead": (200, 200, 403, 403),
    "auditor": (200, 200, 403, 200),
    "agent": (403, 403, 403, 403),
    "risk_officer": (403, 403, 403, 403),
    "advisor": (403, 403, 403, 403),
    "client": (403, 403, 403, 403),
}


@pytest.mark.parametrize("role", list(ACCESS))
def test_role_access_matrix(client, users, role, now):
    login(client, users[role])
    urls = [reverse("supervisor:dashboard"), reverse("supervisor:export", args=["backlog"]),
            reverse("supervisor:approvals"), reverse("supervisor:calendars")]
    assert tuple(client.get(url).status_code for url in urls) == ACCESS[role]
    year_page = client.get(reverse("supervisor:calendar_year", args=["working", 2027])).status_code
    assert year_page == ACCESS[role][3]


def test_anonymous_visitors_go_to_the_login_page(client):
    for name in ("dashboard", "approvals", "calendars"):
        response = client.get(reverse(f"supervisor:{name}"))
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_team_leads_may_not_decide(client, team_lead, pending):
    response = decide(login(client, team_lead), pending["extension"], "approve")
    assert response.status_code == 403
    assert Case.objects.get(pk=pending["extension"].pk).state == "under_review"


# --- query counts ------------------------------------------------------------------------------------

def count_queries(client, url, **params) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params).status_code == 200
    return len(captured.captured_queries)


def more_cases(client_profile, count: int):
    """`count` more tickets by more agents in both queues, half answered late (breached), and rated."""
    agents = [UserFactory(username=f"extra{n}", roles=[Role.AGENT]) for n in range(count)]
    with time_machine.travel(at(2026, 11, 24, 10), tick=False):
        cases = []
        for n, member in enumerate(agents):
            case = case_create(created_by=member, client=client_profile, kind=CaseKind.TICKET, subject=f"x{n}")
            case = case_update(case=case, user=member, queue=queue("general" if n % 2 else "disputes"))
            cases.append(case_update(case=case, user=member, assignee=member))
    with time_machine.travel(at(2026, 11, 24, 16), tick=False):
        for case, member in zip(cases, agents):
            message_create(case=case, author=member, body="late")
            SatisfactionRating.objects.create(case=case, score=3)


def test_dashboard_queries_do_not_grow_with_rows(client, supervisor, client_profile, now):
    http = login(client, supervisor)
    url = reverse("supervisor:dashboard")
    small = count_queries(http, url, group_by="assignee")
    more_cases(client_profile, 6)
    assert count_queries(http, url, group_by="assignee") == small
    assert small <= 23  # with the clocks past due not swept yet (compliance, trend, breaches) and held e-mails


def test_approvals_queries_do_not_grow_with_items(client, other_supervisor, pending, client_profile, agent,
                                                  eligible_account):
    http = login(client, other_supervisor)
    url = reverse("supervisor:approvals")
    few = count_queries(http, url)
    for n in range(4):
        dispute = case_create(created_by=agent, client=client_profile, kind=CaseKind.DISPUTE, subject=f"d{n}")
        for name in ("acknowledge", "investigate"):
            dispute = case_transition(case=dispute, user=agent, name=name)
        case_transition(case=dispute, user=agent, name="propose_resolution", comment="ok")
        account = CreditAccountFactory(client=client_profile, financing_debt=Decimal("100000.00"),
                                       contract_maturity=TODAY + datetime.timedelta(days=10))
        PositionFactory(account=account, security=SecurityFactory(price=Decimal("20.00")), quantity=10000)
        extension = case_create(created_by=agent, client=client_profile, kind=CaseKind.EXTENSION,
                                subject=f"e{n}", credit_account=account)
        extension = case_transition(case=extension, user=agent, name="start_review")
        case_transition(case=extension, user=agent, name="propose_approval", comment="eligible")
        relief = case_create(created_by=agent, client=client_profile, kind=CaseKind.RELIEF, subject=f"r{n}",
                             credit_account=account, category="staged_repayment")
        relief = case_transition(case=relief, user=agent, name="start_review")
        case_transition(case=relief, user=agent, name="propose_approval", comment="in stages")
    # the last account got a margin call since: its extension's approval is disabled, still no query more
    case_create(created_by=None, client=client_profile, kind=CaseKind.MARGIN_CALL, subject="call",
                credit_account=account)
    assert count_queries(http, url) == few
    item = article(approvals_page(http).content.decode(), extension.number)
    assert 'data-decision="approve" disabled' in item and "open margin call cannot be extended" in item
    assert 'data-decision="approve" disabled' not in article(approvals_page(http).content.decode(), relief.number)


# --- odd input ---------------------------------------------------------------------------------------

def test_odd_input_is_never_a_server_error(client, supervisor, pending):
    http = login(client, supervisor)
    for url, params in (
        (reverse("supervisor:dashboard"), {"from": "2026-11-01\x00", "group_by": "queue\x00"}),
        (reverse("supervisor:export", args=["compliance"]), {"to": "99999-01-01"}),
        (reverse("supervisor:approvals"), {"after": "99999999999999999999"}),
        (reverse("supervisor:approvals"), {"after": "-1", "kind": "ticket"}),
        ("/supervisor/calendars/working/99999999999999999999/", {}),
    ):
        assert client.get(url, params).status_code in (400, 404), (url, params)
    for number in ("CS-2026-000001%00", "x" * 300, "%E2%80%AE", "CS-2026-999999"):
        response = http.post(f"/supervisor/approvals/{number}/decide/", {"transition": "approve"})
        assert response.status_code == 404, number
    response = decide(http, pending["extension"], "decline", comment="why\x00")
    assert response.status_code == 400
    response = add_day(http, "working", 2027, date="2027-03-03", kind="holiday", name="a\x00b")
    assert response.status_code == 400


def test_a_filter_the_approvals_refuse_is_said_on_the_page(client, other_supervisor, pending):
    """A kind or page link the inbox cannot take: 400 and the reason where the filter is, in the reader's
    language, not the whole inbox as if the filter had worked."""
    http = login(client, other_supervisor)
    url = reverse("supervisor:approvals")
    response = http.get(url, {"kind": "ticket"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    page = response.content.decode()
    assert re.search(r'<div class="error" role="alert">Select a valid choice\. ticket is not one of', page)
    chinese = http.get(url, {"kind": "ticket"}, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "选择一个有效的选项" in chinese and "Select a valid choice" not in chinese
    stale = http.get(url, {"after": "-1"}, HTTP_ACCEPT_LANGUAGE="en")
    assert stale.status_code == 400
    assert "This page link is not valid; start again from the first page." in stale.content.decode()
    assert "此分页链接无效" in http.get(url, {"after": "-1"}, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'role="alert"' not in approvals_page(http).content.decode()


def test_confirming_twice_names_the_calendar_and_the_person(client, supervisor, other_supervisor, now):
    supervisor.first_name, supervisor.last_name = "Wei", "Zhang"
    supervisor.save()
    url = reverse("supervisor:confirm_year", args=["working", 2027])
    assert login(client, supervisor).post(url).status_code == 302
    http = login(client, other_supervisor)
    english = http.post(url, HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 409
    assert "Working days 2027 was already confirmed by Wei Zhang on 2026-11-25 16:30." in english.content.decode()
    chinese = http.post(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "工作日 2027" in chinese and "Wei Zhang" in chinese
    assert "working 2027" not in chinese and "supervisor1" not in chinese


def test_a_decision_comment_too_long_says_the_limit(client, other_supervisor, pending):
    extension = pending["extension"]
    response = decide(login(client, other_supervisor), extension, "decline", comment="x" * 5000)
    assert response.status_code == 400
    page = response.content.decode()
    assert "The comment may be at most 4000 characters long (it has 5000)." in page
    assert "The decision is incomplete." not in page
    assert re.search(r'<div class="field has-error">', article(page, extension.number))
    extension.refresh_from_db()
    assert extension.state == "under_review"
    chinese = login(client, other_supervisor).post(
        reverse("supervisor:decide", args=[extension.number]),
        {"transition": "decline", "comment": "x" * 5000, "state": extension.state}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "4000" in chinese.content.decode() and "决定信息不完整" not in chinese.content.decode()
