"""SLA figures checked by hand on small known case sets: the report API, its CSV, the supervisor's
dashboard and the case API agree, on holidays, make-up days, pauses and the time zone's edges."""

import csv
import datetime
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine

from django.test import Client

from cases.models import CaseKind, SlaTimer
from cases.services import case_create, case_transition, case_update, message_create

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def at(*args):
    return datetime.datetime(*args, tzinfo=SH)


def due(case, metric):
    return SlaTimer.objects.get(case=case, metric=metric, cycle=1).due_at


def rows_of(response, group) -> dict[str, tuple]:
    assert response.status_code == 200, response.content
    return {row["metric"]: (row["met"], row["breached"], row["running"], row["compliance"])
            for row in response.data["rows"] if row["group"] == group}


def test_regulatory_deadlines_count_working_days_across_national_day_and_spring_festival(
        client_profile, credit_account, agent):
    """National Day 2026: 1–7 Oct off, Sat 10 Oct worked; Spring Festival 2026: 15–23 Feb off, Sat 14 and
    Sat 28 Feb worked. regulatory_ack is one working day, regulatory_final fifteen, never halved."""
    with time_machine.travel(at(2026, 9, 30, 10), tick=False):
        autumn = case_create(created_by=agent, client=client_profile, kind=CaseKind.DISPUTE, subject="国庆",
                             credit_account=credit_account)
    with time_machine.travel(at(2026, 2, 13, 16), tick=False):
        spring = case_create(created_by=agent, client=client_profile, kind=CaseKind.DISPUTE, subject="春节",
                             credit_account=credit_account)
    # 30 Sep 10:00–17:00 is 7 h; the next working day is Thu 8 Oct.
    assert due(autumn, "regulatory_ack") == at(2026, 10, 8, 10)
    # 8, 9, 10 (Sat, worked), 12–16, 19–23, 26, 27 Oct: the 15th working day.
    assert due(autumn, "regulatory_final") == at(2026, 10, 27, 10)
    # Fri 13 Feb 16:00–17:00, then Sat 14 Feb (worked) 09:00–16:00.
    assert due(spring, "regulatory_ack") == at(2026, 2, 14, 16)
    # 14, 24–28 Feb (28th a Saturday worked), 2–6, 9–12 Mar: the 15th working day.
    assert due(spring, "regulatory_final") == at(2026, 3, 12, 16)
    assert due(spring, "first_response") == at(2026, 2, 14, 12)


def test_a_case_opened_at_half_past_eleven_at_night_counts_on_that_local_day(api, supervisor, client_profile,
                                                                           agent):
    with time_machine.travel(at(2026, 11, 24, 23, 30), tick=False):  # 15:30 UTC
        case_create(created_by=agent, client=client_profile, kind=CaseKind.TICKET, subject="夜间")
    http = api.as_user(supervisor)
    with time_machine.travel(at(2026, 11, 25, 9, 30), tick=False):
        that_day = http.get("/api/v1/reports/sla/?from=2026-11-24&to=2026-11-24&group_by=kind")
        next_day = http.get("/api/v1/reports/sla/?from=2026-11-25&to=2026-11-25&group_by=kind")
        web = Client()
        web.force_login(supervisor)
        trend = web.get("/supervisor/export/trend/?from=2026-11-24&to=2026-11-25&period=day")
    assert rows_of(that_day, "ticket")["first_response"] == (0, 0, 1, None)
    assert rows_of(next_day, "ticket") == {}
    trend_rows = list(csv.reader(io.StringIO(trend.content.decode("utf-8-sig"))))
    assert [row[0] for row in trend_rows[1:]] == ["2026-11-24", "2026-11-25"]


@pytest.fixture
def paused_after_its_due_moment(client_profile, agent):
    """A normal ticket opened Mon 23 Nov 2026 10:00, answered at 11:00 (first response met); its
    resolution (3 working days: due Thu 26 Nov 10:00) ran on until the agent asked the client for
    papers on Fri 27 Nov 10:00: paused after 32 h of its 24 h, and no sweep has recorded the breach yet."""
    with time_machine.travel(at(2026, 11, 23, 10), tick=False):
        case = case_create(created_by=agent, client=client_profile, kind=CaseKind.TICKET, subject="材料")
        case = case_transition(case=case, user=agent, name="open")
        case_update(case=case, user=agent, assignee=agent)
    with time_machine.travel(at(2026, 11, 23, 11), tick=False):
        message_create(case=case, author=agent, body="已收到")
    with time_machine.travel(at(2026, 11, 27, 10), tick=False):
        case = case_transition(case=case, user=agent, name="wait_on_client", comment="请补充材料")
    timer = SlaTimer.objects.get(case=case, metric="resolution")
    assert (timer.state, timer.breached, timer.elapsed_seconds) == ("paused", False, 32 * 3600)
    return case


def test_a_clock_paused_after_its_target_is_a_breach_in_the_report_as_on_the_case(
        api, supervisor, paused_after_its_due_moment):
    case = paused_after_its_due_moment
    http = api.as_user(supervisor)
    with time_machine.travel(at(2026, 11, 27, 10, 0, 30), tick=False):
        shown = {timer["metric"]: timer for timer in http.get(f"/api/v1/cases/{case.number}/").data["sla"]}
        report = http.get("/api/v1/reports/sla/?from=2026-11-23&to=2026-11-23&group_by=kind")
        web = Client()
        web.force_login(supervisor)
        exported = web.get("/supervisor/export/compliance/?from=2026-11-23&to=2026-11-23&group_by=kind")
        workload = web.get("/supervisor/export/workload/")
    assert shown["resolution"]["breached"] is True
    figures = rows_of(report, "ticket")
    assert figures["first_response"] == (1, 0, 0, 100.0)
    assert figures["resolution"] == (0, 1, 0, 0.0)
    assert [(row["case"], row["metric"]) for row in report.data["breaches"]] == [(case.number, "resolution")]
    # The dashboard's export: resolution's compliance, met, breached, running (columns 10 to 13).
    lines = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert lines[1][9:13] == ["0.0%", "0", "1", "0"]
    assert list(csv.reader(io.StringIO(workload.content.decode("utf-8-sig"))))[1][1:3] == ["1", "1"]


def test_a_clock_paused_after_its_target_counts_once_after_the_sweep_records_it(
        api, supervisor, paused_after_its_due_moment):
    from cases.sla_sweep import sla_sweep

    http = api.as_user(supervisor)
    query = "/api/v1/reports/sla/?from=2026-11-23&to=2026-11-23&group_by=assignee"
    with time_machine.travel(at(2026, 11, 27, 10, 0, 30), tick=False):
        before = http.get(query)
    sla_sweep(now=at(2026, 11, 27, 10, 1))
    with time_machine.travel(at(2026, 11, 27, 10, 1, 30), tick=False):
        after = http.get(query)
    assert rows_of(before, "agent1")["resolution"] == rows_of(after, "agent1")["resolution"] == (0, 1, 0, 0.0)
    assert len(before.data["breaches"]) == len(after.data["breaches"]) == 1
