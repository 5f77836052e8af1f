"""SLA figures in the API and the report, on a known set of cases."""

import csv
import datetime
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine

from django.db import connection
from django.test import Client

from cases.models import CaseKind, SlaTimer
from cases.services import case_create, case_transition, case_update, message_create
from cases.services.sla import sla_replay
from cases.sla_engine import Timer
from cases.sla_sweep import sla_sweep

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def at(*args):
    return datetime.datetime(*args, tzinfo=SH)


def tickets_answered_at_eleven(count: int, client_profile, agent) -> list:
    """`count` normal tickets opened on Wed 25 Nov 2026 at 10:00 (first response due 14:00) and
    assigned to `agent`, the first answered at 11:00."""
    with time_machine.travel(at(2026, 11, 25, 10), tick=False):
        cases = [case_create(created_by=agent, client=client_profile, kind=CaseKind.TICKET, subject=f"t{i}")
                 for i in range(count)]
        for case in cases:
            case_update(case=case, user=agent, assignee=agent)
    with time_machine.travel(at(2026, 11, 25, 11), tick=False):
        message_create(case=cases[0], author=agent, body="ok")
    return cases


@pytest.fixture
def known_set(client_profile, agent, supervisor):
    """Three normal tickets on Wed 25 Nov 2026 at 10:00 (first response due 14:00): one answered at
    11:00 (met), one answered at 15:00 (breached), one never answered (breached by the sweep)."""
    cases = tickets_answered_at_eleven(3, client_profile, agent)
    with time_machine.travel(at(2026, 11, 25, 15), tick=False):
        message_create(case=cases[1], author=agent, body="late")
    sla_sweep(now=at(2026, 11, 25, 16))
    return cases


def test_report_figures(api, supervisor, known_set):
    with time_machine.travel(at(2026, 11, 25, 16, 30), tick=False):
        response = api.as_user(supervisor).get("/api/v1/reports/sla/?group_by=kind")
    assert response.status_code == 200
    rows = {row["metric"]: row for row in response.data["rows"] if row["group"] == "ticket"}
    assert (rows["first_response"]["met"], rows["first_response"]["breached"], rows["first_response"]["running"]) \
        == (1, 2, 0)
    assert rows["first_response"]["compliance"] == pytest.approx(33.3)
    assert rows["resolution"]["running"] == 3
    aging = {row["kind"]: row for row in response.data["backlog_aging"]}
    assert aging["ticket"]["<1d"] == 3
    assert {b["case"] for b in response.data["breaches"]} == {known_set[1].number, known_set[2].number}


def test_report_as_csv_and_for_forbidden_roles(api, supervisor, agent, client_profile, known_set):
    response = api.as_user(supervisor).get("/api/v1/reports/sla/?group_by=queue&format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[0] == "group,metric,met,breached,running,compliance"
    assert api.as_user(agent).get("/api/v1/reports/sla/").status_code == 403
    assert api.as_user(client_profile.user).get("/api/v1/reports/sla/").status_code == 403
    assert api.as_user(supervisor).get("/api/v1/reports/sla/?group_by=planet").status_code == 400


def test_case_api_shows_timers_and_filters(api, supervisor, client_profile, known_set):
    http = api.as_user(supervisor)
    with time_machine.travel(at(2026, 11, 25, 16, 30), tick=False):
        detail = http.get(f"/api/v1/cases/{known_set[2].number}/").data
        first = next(t for t in detail["sla"] if t["metric"] == "first_response")
        assert first["breached"] is True and first["state"] == "breached"
        assert first["remaining_seconds"] == 4 * 3600 - int(6.5 * 3600)
        breached = {row["number"] for row in http.get("/api/v1/cases/?breached=true").data["results"]}
        assert breached == {known_set[1].number, known_set[2].number}
        running = {row["number"] for row in http.get("/api/v1/cases/?sla_state=running").data["results"]}
        assert running == {case.number for case in known_set}  # resolution still runs on all three
        due = http.get("/api/v1/cases/?due_before=2026-11-26T00:00:00%2B08:00").data["results"]
        assert {row["number"] for row in due} == {known_set[2].number}
    client_view = api.as_user(client_profile.user).get(f"/api/v1/cases/{known_set[0].number}/").data
    assert "sla" not in client_view


def test_escalations_are_events_visible_in_the_api(api, supervisor, known_set):
    events = api.as_user(supervisor).get(f"/api/v1/cases/{known_set[2].number}/events/").data
    levels = [e["data"]["level"] for e in events if e["kind"] == "escalation"]
    assert sorted(levels) == [50, 75, 100]  # one sweep fired all three at the same moment


@pytest.mark.parametrize("value", ["maybe", "yes", "2"])
def test_an_unreadable_breached_filter_is_bad_input_not_no_filter(api, supervisor, known_set, value):
    """?breached=maybe answered every case, as if the filter had not been given."""
    response = api.as_user(supervisor).get(f"/api/v1/cases/?breached={value}")
    assert response.status_code == 400
    assert "true, false, 1, 0" in response.json()["breached"][0]


def test_the_breached_filter_reads_true_false_1_and_0(api, supervisor, known_set):
    http = api.as_user(supervisor)
    breached, met = {known_set[1].number, known_set[2].number}, {known_set[0].number}
    with time_machine.travel(at(2026, 11, 25, 16, 30), tick=False):
        for value, expected in (("true", breached), ("1", breached), ("True", breached), ("false", met), ("0", met)):
            response = http.get(f"/api/v1/cases/?breached={value}")
            assert response.status_code == 200, value
            assert {row["number"] for row in response.data["results"]} == expected, value


def test_a_report_period_ending_before_it_starts_is_bad_input(api, supervisor, known_set):
    """?from=2026-12-01&to=2026-11-01 answered empty rows, as if nothing had happened."""
    http = api.as_user(supervisor)
    response = http.get("/api/v1/reports/sla/?from=2026-12-01&to=2026-11-01")
    assert response.status_code == 400 and list(response.json()) == ["to"]
    assert http.get("/api/v1/reports/sla/?from=2026-12-01&to=2026-11-01&format=csv").status_code == 400
    rows = http.get("/api/v1/reports/sla/?from=2026-11-01&to=2026-12-01&group_by=kind").data["rows"]
    assert any(row["group"] == "ticket" for row in rows)


def test_a_report_format_other_than_json_or_csv_is_bad_input_naming_both(api, supervisor, agent, known_set):
    """?format=xml was DRF's content negotiation 404 ("未找到"), as if the report did not exist."""
    response = api.as_user(supervisor).get("/api/v1/reports/sla/?format=xml")
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    assert "json, csv" in response.json()["format"][0]
    assert api.as_user(supervisor).get("/api/v1/reports/sla/?format=json").status_code == 200
    assert api.as_user(agent).get("/api/v1/reports/sla/?format=xml").status_code == 403  # the role first


def test_timers_also_give_the_contract_s_target_and_remaining_business_seconds(api, supervisor, known_set):
    """The issue's names (target, remaining business seconds) next to target_seconds and remaining_seconds."""
    http = api.as_user(supervisor)
    number = known_set[2].number
    with time_machine.travel(at(2026, 11, 25, 16, 30), tick=False):
        detail = http.get(f"/api/v1/cases/{number}/").data["sla"]
        listed = next(row for row in http.get("/api/v1/cases/").data["results"] if row["number"] == number)["sla"]
    for timers in (detail, listed):
        first = next(timer for timer in timers if timer["metric"] == "first_response")
        assert first["target"] == first["target_seconds"] == 4 * 3600
        assert first["remaining_business_seconds"] == first["remaining_seconds"] == 4 * 3600 - int(6.5 * 3600)


# --- dates at the ends of the calendar, the CSV answer, the format and the Accept header ----------

def csv_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.mark.parametrize("query, field", [
    ("from=0001-01-01", "from"),  # midnight in Shanghai: still year 0 in UTC
    ("to=0001-01-01", "to"),
    ("from=2026-11-01&to=0001-01-01T00:00:00", "to"),
    ("from=9999-12-31T23:00:00-12:00", "from"),  # year 10000 in UTC and in Shanghai
])
def test_a_report_date_with_no_utc_or_local_time_is_bad_input_naming_it(api, supervisor, known_set, query, field):
    """?from=0001-01-01 was a 500 (OverflowError), in JSON and in CSV alike."""
    http = api.as_user(supervisor)
    response = http.get(f"/api/v1/reports/sla/?{query}")
    assert response.status_code == 400 and list(response.json()) == [field]
    response = http.get(f"/api/v1/reports/sla/?{query}&format=csv")
    assert response.status_code == 400 and response["Content-Type"].startswith("text/csv")
    assert [line[0] for line in csv_of(response)] == ["field", field]


@pytest.mark.parametrize("query", [
    "from=0001-01-01T00:00:00Z", "to=0001-01-01T00:00:00Z", "to=9999-12-31", "from=9999-12-31T23:00:00%2B08:00",
    "from=9999-12-15", "from=9999-12-01&to=9999-12-31T23:59:59",
])
def test_a_report_date_at_the_ends_of_the_calendar_that_exists_is_answered(api, supervisor, known_set, query):
    """A start on the last day or in the last month Python has was a 500 on PostgreSQL: the first
    whole day or month after it was counted before anyone asked whether there is one."""
    response = api.as_user(supervisor).get(f"/api/v1/reports/sla/?{query}&group_by=kind")
    assert response.status_code == 200
    expected = [] if "from=9999" in query or "to=0001" in query else ["ticket"]
    assert sorted({row["group"] for row in response.json()["rows"]}) == expected


@pytest.mark.parametrize("query, field", [
    ("group_by=foo", "group_by"), ("from=abc", "from"), ("from=2026-12-01&to=2026-11-01", "to"),
])
def test_a_csv_report_s_refusal_says_why_in_csv(api, supervisor, agent, known_set, query, field):
    """The 400 of ?format=csv was a byte-order mark and nothing else."""
    response = api.as_user(supervisor).get(f"/api/v1/reports/sla/?format=csv&{query}")
    assert response.status_code == 400 and response["Content-Type"].startswith("text/csv")
    header, *lines = csv_of(response)
    assert header == ["field", "message"]
    assert [field for field, _message in lines] == [field] and lines[0][1]
    forbidden = api.as_user(agent).get("/api/v1/reports/sla/?format=csv")
    assert forbidden.status_code == 403 and csv_of(forbidden)[1][1]  # the role's refusal too


def csv_sections(response) -> dict[str, tuple[list[str], list[list[str]]]]:
    """The report's CSV as {section: (columns, rows)}: the compliance rows first (no name line),
    then each section after an empty line and its name."""
    sections, name, lines = {}, "rows", csv_of(response)
    while lines:
        columns, lines = lines[0], lines[1:]
        end = lines.index([]) if [] in lines else len(lines)
        sections[name] = (columns, lines[:end])
        if end < len(lines):
            name, lines = lines[end + 1][0], lines[end + 2:]
        else:
            lines = []
    return sections


def test_the_csv_report_holds_what_the_json_report_holds(api, supervisor, known_set):
    """?format=csv held the compliance rows only: no backlog aging, breaches, CSAT or overdue visits."""
    http = api.as_user(supervisor)
    with time_machine.travel(at(2026, 11, 25, 16, 30), tick=False):
        answer = http.get("/api/v1/reports/sla/?group_by=kind").json()
        response = http.get("/api/v1/reports/sla/?group_by=kind&format=csv")
    assert response.status_code == 200 and response["Content-Disposition"] == 'attachment; filename="sla-report.csv"'
    assert response.content.decode("utf-8-sig").splitlines()[0] == "group,metric,met,breached,running,compliance"
    sections = csv_sections(response)
    assert list(sections) == ["rows", "backlog_aging", "breaches", "csat", "overdue_visits"]
    for name, (columns, rows) in sections.items():
        assert all(set(columns) == set(row) for row in answer[name]), name
        assert rows == [["" if row[column] is None else str(row[column]) for column in columns]
                        for row in answer[name]], name
    assert sections["backlog_aging"][1] == [["ticket", "3", "0", "0", "0", "0"]]
    assert {row[0] for row in sections["breaches"][1]} == {known_set[1].number, known_set[2].number}


def test_the_format_parameter_wins_over_the_accept_header(api, supervisor, known_set):
    """?format=csv with `Accept: application/json` was a 406."""
    http = api.as_user(supervisor)
    response = http.get("/api/v1/reports/sla/?format=csv", HTTP_ACCEPT="application/json")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    response = http.get("/api/v1/reports/sla/?format=json", HTTP_ACCEPT="text/csv")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    response = http.get("/api/v1/reports/sla/", HTTP_ACCEPT="text/csv")  # without ?format= the header decides
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    response = http.get("/api/v1/reports/sla/?format=xml", HTTP_ACCEPT="text/csv")
    assert response.status_code == 400 and "json, csv" in response.json()["format"][0]


@pytest.mark.parametrize("query, field", [
    ("breached=true", "breached"), ("breached=false", "breached"), ("sla_state=running", "sla_state"),
    ("due_before=2026-11-26T00:00:00%2B08:00", "due_before"),
])
def test_clients_may_not_filter_their_cases_by_sla_data(api, supervisor, client_profile, known_set, query, field):
    """Clients never receive SLA data, yet ?breached=true gave a client the subset of their cases breached."""
    with time_machine.travel(at(2026, 11, 25, 16, 30), tick=False):
        response = api.as_user(client_profile.user).get(f"/api/v1/cases/?{query}")
        assert response.status_code == 400 and list(response.json()) == [field]
        assert api.as_user(client_profile.user).get("/api/v1/cases/?kind=ticket").status_code == 200
        assert api.as_user(supervisor).get(f"/api/v1/cases/?{query}").status_code == 200


def test_a_cancelled_ticket_s_clocks_are_cancelled_not_met_and_left_out_of_compliance(
        api, supervisor, agent, client_profile, known_set):
    """A ticket the client withdrew before anyone answered counted as a first response met in time
    (compliance 50 % instead of the 33.3 % the answered tickets earn); a breach before the
    cancellation stays a breach."""
    with time_machine.travel(at(2026, 11, 25, 10), tick=False):
        withdrawn, late = [case_create(created_by=agent, client=client_profile, kind=CaseKind.TICKET, subject=s)
                           for s in ("withdrawn", "withdrawn late")]
    with time_machine.travel(at(2026, 11, 25, 12), tick=False):
        case_transition(case=withdrawn, user=client_profile.user, name="cancel", comment="已自行解决")
    with time_machine.travel(at(2026, 11, 25, 16, 30), tick=False):
        case_transition(case=late, user=client_profile.user, name="cancel", comment="不需要了")
        staff = api.as_user(supervisor)
        report = staff.get("/api/v1/reports/sla/?group_by=kind")
        shown = staff.get(f"/api/v1/cases/{withdrawn.number}/")
        found = staff.get("/api/v1/cases/?sla_state=cancelled")
        browser = Client()
        browser.force_login(supervisor)
        page = browser.get(f"/console/cases/{withdrawn.number}/")
    rows = {row["metric"]: row for row in report.data["rows"] if row["group"] == "ticket"}
    first = rows["first_response"]
    assert (first["met"], first["breached"], first["running"], first["compliance"]) == (1, 3, 0, 25.0)
    assert rows["resolution"]["running"] == 3
    states = {t["metric"]: t["state"] for t in shown.data["sla"]}
    assert states == {"first_response": "cancelled", "resolution": "cancelled"}
    assert {t.metric: t.state for t in SlaTimer.objects.filter(case=late)} == {
        "first_response": "breached", "resolution": "cancelled"}  # the breach before the cancel stays one
    assert {c["number"] for c in found.data["results"]} == {withdrawn.number, late.number}
    assert page.status_code == 200
    assert page.content.decode().count('class="timer timer-cancelled"') == 2  # the case page's SLA table
    stored = {(t.metric, t.cycle): Timer.from_model(t).as_dict() for t in SlaTimer.objects.filter(case=withdrawn)}
    assert {(t.metric, t.cycle): t.as_dict() for t in sla_replay(withdrawn)} == stored  # the log says the same


def test_the_migration_names_the_clocks_a_cancellation_stopped_cancelled(client_profile, agent):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("cases.migrations.0026_sla_timer_cancelled")
    with time_machine.travel(at(2026, 11, 25, 10), tick=False):
        withdrawn = case_create(created_by=agent, client=client_profile, kind=CaseKind.TICKET, subject="w")
    with time_machine.travel(at(2026, 11, 25, 11), tick=False):
        message_create(case=withdrawn, author=agent, body="在处理")  # first response met before the cancel
    with time_machine.travel(at(2026, 11, 25, 12), tick=False):
        case_transition(case=withdrawn, user=client_profile.user, name="cancel", comment="已自行解决")
    SlaTimer.objects.filter(case=withdrawn).update(state="met")  # as recorded before
    migration.cancelled_clocks(apps, type("Editor", (), {"connection": connection})())
    assert {t.metric: t.state for t in SlaTimer.objects.filter(case=withdrawn)} == {
        "first_response": "met", "resolution": "cancelled"}


def test_the_sla_state_filter_reads_each_metric_s_current_cycle_as_the_case_shows_it(api, supervisor, agent,
                                                                                   client_profile):
    """?sla_state= matched a metric's earlier cycles too: a case whose late answer to the client's
    first question (next response, cycle 1, breached) was followed by a new question (cycle 2, running)
    was listed under sla_state=breached while every clock it shows is running or met."""
    with time_machine.travel(at(2026, 11, 25, 10), tick=False):
        case = case_create(created_by=agent, client=client_profile, kind=CaseKind.TICKET, subject="cycles")
    with time_machine.travel(at(2026, 11, 25, 10, 30), tick=False):
        message_create(case=case, author=agent, body="您好")  # first response met
    with time_machine.travel(at(2026, 11, 25, 11), tick=False):
        message_create(case=case, author=client_profile.user, body="问题一")  # next response due 15:00
    with time_machine.travel(at(2026, 11, 25, 16), tick=False):
        message_create(case=case, author=agent, body="迟到的答复")  # cycle 1 breached
    with time_machine.travel(at(2026, 11, 25, 16, 30), tick=False):
        message_create(case=case, author=client_profile.user, body="问题二")  # cycle 2 runs
    http = api.as_user(supervisor)
    with time_machine.travel(at(2026, 11, 25, 16, 45), tick=False):
        shown = {t["metric"]: t["state"] for t in http.get(f"/api/v1/cases/{case.number}/").data["sla"]}
        listed = {state: {row["number"] for row in http.get(f"/api/v1/cases/?sla_state={state}").data["results"]}
                  for state in ("breached", "running", "met")}
    assert shown == {"first_response": "met", "next_response": "running", "resolution": "running"}
    assert case.number not in listed["breached"]
    assert case.number in listed["running"] and case.number in listed["met"]


def test_a_report_to_date_alone_includes_that_day_as_on_the_dashboard(api, supervisor, known_set):
    """?from=2026-11-25&to=2026-11-25 answered no rows for the cases of 25 November (the date was read
    as its midnight, the end of a range that excludes it), where the supervisor's dashboard, given the
    same query, counts that whole day. A date-time `to` still ends the range before it."""
    http = api.as_user(supervisor)

    def tickets(query):
        response = http.get(f"/api/v1/reports/sla/?group_by=kind&{query}")
        assert response.status_code == 200, response.content
        return {row["metric"]: row["breached"] for row in response.data["rows"] if row["group"] == "ticket"}

    assert tickets("from=2026-11-25&to=2026-11-25") == {"first_response": 2, "resolution": 0}
    assert tickets("from=2026-11-01&to=2026-11-25")["first_response"] == 2
    assert tickets("to=2026-11-24") == {}
    assert tickets("from=2026-11-01&to=2026-11-25T00:00:00%2B08:00") == {}
    assert tickets("from=2026-11-25T09:00:00&to=2026-11-25T10:00:01") == {"first_response": 2, "resolution": 0}
    refused = http.get("/api/v1/reports/sla/?from=2026-11-26&to=2026-11-25")
    assert refused.status_code == 400 and list(refused.json()) == ["to"]
    csv_rows = csv_of(http.get("/api/v1/reports/sla/?group_by=kind&from=2026-11-25&to=2026-11-25&format=csv"))
    assert ["ticket", "first_response", "1", "2", "0", "33.3"] in csv_rows



def test_a_report_period_with_its_offset_typed_unescaped_is_read_with_that_offset(api, supervisor, known_set):
    """?to=2026-11-25T10:00:01+08:00 typed into a browser's address bar: the query string reads the "+" as a
    space, and the report refused the issue's own ISO 8601 form (400) where the case list's filters read it."""
    http = api.as_user(supervisor)

    def tickets(query):
        response = http.get(f"/api/v1/reports/sla/?group_by=kind&{query}")
        assert response.status_code == 200, response.content
        return {row["metric"]: row["breached"] for row in response.data["rows"] if row["group"] == "ticket"}

    assert (tickets("from=2026-11-25T09:00:00+08:00&to=2026-11-25T10:00:01+08:00")
            == tickets("from=2026-11-25T09:00:00%2B08:00&to=2026-11-25T10:00:01%2B08:00")
            == {"first_response": 2, "resolution": 0})
    assert tickets("from=2026-11-25T10:00:01+08:00") == {}


@pytest.mark.parametrize("day", ["20261125", "2026-W48-3", "2026W483"])
def test_a_report_to_date_in_iso_8601_s_other_forms_includes_that_day_too(api, supervisor, known_set, day):
    """The report reads ISO 8601's basic and week forms of a date (20261125, 2026-W48-3: Wednesday 25
    November), but only 2026-11-25 was taken for a date alone: ?to=20261125 ended at that day's midnight
    and left out the day's cases, and ?from=20261125&to=20261125 answered no rows at all."""
    http = api.as_user(supervisor)

    def tickets(query):
        response = http.get(f"/api/v1/reports/sla/?group_by=kind&{query}")
        assert response.status_code == 200, response.content
        return {row["metric"]: row["breached"] for row in response.data["rows"] if row["group"] == "ticket"}

    assert tickets(f"to={day}") == tickets(f"from={day}&to={day}") == {"first_response": 2, "resolution": 0}
    refused = http.get(f"/api/v1/reports/sla/?from=2026-11-26&to={day}")
    assert refused.status_code == 400 and list(refused.json()) == ["to"]

def test_an_unknown_grouping_or_sla_state_is_refused_naming_the_values_allowed(api, supervisor, known_set):
    """?group_by=planet and ?sla_state=late said only that the value is not a valid choice: the
    refusal names the values there are, as the report's format and the other filters do."""
    http = api.as_user(supervisor)
    response = http.get("/api/v1/reports/sla/?group_by=planet")
    assert response.status_code == 400
    assert "queue, assignee, kind, tier, priority" in response.json()["group_by"][0]
    response = http.get("/api/v1/cases/?sla_state=late")
    assert response.status_code == 400
    assert "running, paused, met, breached, cancelled" in response.json()["sla_state"][0]
    assert http.get("/api/v1/reports/sla/?group_by=").data["group_by"] == "queue"  # empty: the default


def test_a_clock_past_its_due_moment_is_a_breach_in_the_report_before_any_sweep(api, supervisor, client_profile,
                                                                                  agent):
    """The sweep runs every minute; until it does, a clock running past its due moment is
    breached all the same, in the report, its CSV, the breach list and the dashboard, as the case
    API shows it — never counted running."""
    cases = tickets_answered_at_eleven(2, client_profile, agent)
    assert not SlaTimer.objects.filter(breached=True).exists()  # no sweep has run
    http = api.as_user(supervisor)
    with time_machine.travel(at(2026, 11, 25, 14, 5), tick=False):  # first response due 14:00
        report = http.get("/api/v1/reports/sla/?group_by=kind").data
        rows = {row["metric"]: row for row in report["rows"] if row["group"] == "ticket"}
        first = rows["first_response"]
        assert (first["met"], first["breached"], first["running"], first["compliance"]) == (1, 1, 0, 50.0)
        assert rows["resolution"]["running"] == 2 and rows["resolution"]["breached"] == 0
        assert [(b["case"], b["metric"]) for b in report["breaches"]] == [(cases[1].number, "first_response")]
        lines = list(csv.reader(io.StringIO(
            http.get("/api/v1/reports/sla/?group_by=kind&format=csv").content.decode("utf-8-sig"))))
        assert ["ticket", "first_response", "1", "1", "0", "50.0"] in lines
        detail = http.get(f"/api/v1/cases/{cases[1].number}/").data
        assert next(t for t in detail["sla"] if t["metric"] == "first_response")["breached"] is True
    with time_machine.travel(at(2026, 11, 25, 13, 55), tick=False):  # before it fell due: running, not a breach
        first = next(row for row in http.get("/api/v1/reports/sla/?group_by=kind").data["rows"]
                     if row["group"] == "ticket" and row["metric"] == "first_response")
        assert (first["met"], first["breached"], first["running"]) == (1, 0, 1)


def test_the_breach_list_reads_as_one_query_would_when_a_breached_clock_is_paused(known_set):
    """A clock breached and then paused (the case waits on the client) has no due moment. The list
    joins the recorded breaches and the clocks past due not swept yet, each read `limit` long, and
    sorted them again with a missing due moment last, while PostgreSQL had read it first: the
    paused clock took a place in the list and a later breach of the range was left out."""
    from django.db.models import Q

    from cases import reports

    paused = SlaTimer.objects.get(case=known_set[0], metric="resolution")
    SlaTimer.objects.filter(pk=paused.pk).update(state=SlaTimer.State.PAUSED, breached=True, due_at=None)
    now = at(2026, 11, 25, 16, 30)
    one_query = SlaTimer.objects.filter(Q(breached=True) | Q(state="running", breached=False, due_at__lte=now))
    for limit in (1, 2, 3):
        expected = list(one_query.order_by("-due_at", "-id").values_list("pk", flat=True)[:limit])
        assert [timer.pk for timer in reports.breach_list(limit=limit, now=now)] == expected


@pytest.mark.parametrize("period", ["day", "week"])
def test_the_dashboard_s_one_overdue_query_gives_the_figures_the_report_reads_alone(client_profile, agent, period):
    """The dashboard reads the clocks past due once, by group and day, for its compliance table and
    its trend: the same figures as sla_compliance reading them for each."""
    from cases.reports import overdue_per_group_and_period, sla_compliance

    tickets_answered_at_eleven(3, client_profile, agent)
    now, start, end = at(2026, 11, 30, 10), at(2026, 11, 1), at(2026, 12, 1)  # resolution overdue too
    by_group, by_period = overdue_per_group_and_period(start, end, group_by="queue", period=period, now=now)
    assert sum(by_group.values()) == sum(by_period.values()) >= 2
    alone = sla_compliance(start=start, end=end, group_by="queue", now=now)
    assert sla_compliance(start=start, end=end, group_by="queue", now=now, overdue=by_group) == alone
    assert sum(row["breached"] for row in alone) == sum(by_group.values())  # no sweep ran: all overdue
    alone = sla_compliance(start=start, end=end, group_by=None, period=period, now=now)
    assert sla_compliance(start=start, end=end, group_by=None, period=period, now=now, overdue=by_period) == alone
    assert [row["period"] for row in alone] == [datetime.date(2026, 11, 25 if period == "day" else 23)] * len(alone)
