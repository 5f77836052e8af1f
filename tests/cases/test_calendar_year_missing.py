"""A calendar year with no data (deleted in the shell) stops only what needs it: writes that need
the year are refused (409), reads keep working and show the figure as unknown (null in the API,
"unknown: Working days calendar 2027 missing" on the pages), commands end in one clear line
(CommandError) naming the calendar and year, and the monitoring beat logs it instead of failing."""

import datetime
import logging
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation

from cases.models import CalendarYear, Case, SlaTimer

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
MARKER = "unknown: Working days calendar 2027 missing"


def at(*args):
    return datetime.datetime(*args, tzinfo=SH)


@pytest.fixture
def ticket(agent, client_profile):
    """A ticket opened with its clocks running, then the working calendar's 2027 deleted (shell)."""
    from cases.services import case_create

    with time_machine.travel(at(2027, 6, 1, 10), tick=False):
        ticket = case_create(created_by=agent, client=client_profile, kind="ticket", subject="问题")
    CalendarYear.objects.filter(calendar__code="working", year=2027).delete()
    return ticket


def stored_timers(case):
    return list(SlaTimer.objects.filter(case=case).order_by("metric", "cycle").values_list(
        "metric", "cycle", "state", "elapsed_seconds", "due_at"))


def test_the_api_reads_cases_with_the_remaining_time_unknown(api, supervisor, ticket):
    due = {metric: due_at for metric, _cycle, _state, _elapsed, due_at in stored_timers(ticket)}
    with time_machine.travel(at(2027, 6, 1, 11), tick=False):
        listed = api.as_user(supervisor).get("/api/v1/cases/", **EN)
        detail = api.as_user(supervisor).get(f"/api/v1/cases/{ticket.number}/", **EN)
    assert listed.status_code == 200, listed.content
    assert detail.status_code == 200, detail.content
    row = next(row for row in listed.data["results"] if row["number"] == ticket.number)
    for timers in (row["sla"], detail.data["sla"]):
        assert {timer["metric"] for timer in timers} == set(due)
        for timer in timers:
            assert timer["remaining_business_seconds"] is None and timer["remaining_seconds"] is None
            assert timer["target"] > 0 and timer["due_at"] is not None  # what is stored is still shown
            assert timer["breached"] is False  # not guessed either way: its due moment has not passed


def test_writes_that_need_the_year_are_still_refused_with_409(api, client_profile, ticket):
    with time_machine.travel(at(2027, 6, 1, 11), tick=False):
        response = api.as_user(client_profile.user).post(
            "/api/v1/cases/", {"kind": "ticket", "subject": "另一个问题"}, format="json", **EN)
    assert response.status_code == 409, response.content
    assert (response.data["code"], response.data["calendar"], response.data["year"]) == (
        "calendar_year_missing", "working", 2027)
    assert Case.objects.count() == 1


def test_the_console_list_and_case_page_show_the_marker(client, agent, ticket):
    with time_machine.travel(at(2027, 6, 1, 11), tick=False):
        client.force_login(agent)
        listed = client.get(reverse("console:cases"), {"tab": "queues"}, **EN)
        page = client.get(reverse("console:case", kwargs={"number": ticket.number}), **EN)
    assert listed.status_code == 200
    assert ticket.number in listed.content.decode() and MARKER in listed.content.decode()
    assert page.status_code == 200
    assert MARKER in page.content.decode()
    assert 'class="sla sla-unknown"' in page.content.decode()  # not coloured as if on time


def test_the_console_marker_names_the_calendar_in_the_reader_s_language(client, agent, ticket):
    with time_machine.travel(at(2027, 6, 1, 11), tick=False):
        client.force_login(agent)
        page = client.get(reverse("console:case", kwargs={"number": ticket.number}),
                          HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "工作日" in page and "2027" in page and MARKER not in page


def test_sla_rebuild_ends_with_one_line_naming_the_calendar_and_year(ticket):
    timers = stored_timers(ticket)
    with time_machine.travel(at(2027, 6, 1, 11), tick=False), translation.override("en"), \
            pytest.raises(CommandError) as refused:
        call_command("sla_rebuild", "--case", ticket.number)
    message = str(refused.value)
    assert "\n" not in message and ticket.number in message
    assert "“working” calendar has no data for 2027" in message
    assert stored_timers(ticket) == timers


def test_seed_demo_ends_with_one_line_and_leaves_the_database_empty():
    from accounts.models import ClientProfile

    CalendarYear.objects.filter(calendar__code="working", year=2027).delete()
    with time_machine.travel(at(2027, 6, 1, 10), tick=False), translation.override("en"), \
            pytest.raises(CommandError) as refused:
        call_command("seed_demo")
    assert "“working” calendar has no data for 2027" in str(refused.value)
    assert not ClientProfile.objects.exists() and not Case.objects.exists()


@pytest.fixture
def below_close_out():
    from tests.factories import CreditAccountFactory, PositionFactory, SecurityFactory

    account = CreditAccountFactory(financing_debt=D("100000.00"))
    PositionFactory(account=account, security=SecurityFactory(price=D("12.00")), quantity=10000)  # 120 %
    CalendarYear.objects.filter(calendar__code="trading", year=2027).delete()
    return account


def test_run_monitoring_ends_with_one_line_when_a_deadline_needs_a_missing_year(below_close_out):
    with time_machine.travel(at(2027, 6, 1, 10), tick=False), translation.override("en"), \
            pytest.raises(CommandError) as refused:
        call_command("run_monitoring")
    assert "“trading” calendar has no data for 2027" in str(refused.value)
    assert not Case.objects.exists()


def test_import_prices_without_a_broker_ends_with_one_line_when_a_deadline_needs_a_missing_year(
        below_close_out, tmp_path):
    """With no broker the revaluation the import starts runs in the command itself: it ended in a
    traceback of CalendarYearMissing. The prices stay imported (the summary says so), nothing else."""
    from accounts.models import Security

    security = Security.objects.get(positions__account=below_close_out)
    feed = tmp_path / "prices.csv"
    feed.write_text(f"symbol,price,as_of\n{security.symbol},11.90,2027-06-01T09:59:00+08:00\n")
    out = tmp_path / "out.txt"
    with time_machine.travel(at(2027, 6, 1, 10), tick=False), translation.override("en"), \
            pytest.raises(CommandError) as refused, open(out, "w") as stdout:
        call_command("import_prices", str(feed), stdout=stdout)
    assert refused.value.returncode == 1
    assert "“trading” calendar has no data for 2027" in str(refused.value)
    assert "1 updated" in out.read_text()
    security.refresh_from_db()
    assert security.price == D("11.90") and not Case.objects.exists()


@pytest.mark.django_db(transaction=True)  # the revaluation runs once the stress mode is committed
def test_a_stress_mode_set_without_a_broker_is_not_answered_as_refused_when_its_revaluation_fails(api, caplog):
    """The revaluation ran in the request after the commit: its CalendarYearMissing answered 409,
    "nothing was changed", while the stress mode stood set. The change is answered as made and the
    failed revaluation logged (the next scheduled run revalues)."""
    from accounts.roles import Role
    from risk.models import StressMode
    from tests.factories import CreditAccountFactory, PositionFactory, SecurityFactory, UserFactory

    officer = UserFactory(username="risk1", roles=[Role.RISK_OFFICER])
    account = CreditAccountFactory(financing_debt=D("100000.00"))
    PositionFactory(account=account, security=SecurityFactory(price=D("13.50")), quantity=10000)  # 135 %
    CalendarYear.objects.filter(calendar__code="trading", year=2027).delete()
    with time_machine.travel(at(2027, 6, 1, 10), tick=False), caplog.at_level(logging.ERROR, logger="risk.stress"):
        response = api.as_user(officer).post("/api/v1/risk/stress-mode/", {"points": "10.00"}, format="json")
    assert response.status_code == 200 and response.json()["active"] is True
    assert StressMode.objects.get().points == D("10.00")
    assert any("change (stress_mode) failed" in record.getMessage() for record in caplog.records)
    assert not Case.objects.exists()  # 135 % is under the raised close-out line: a run with the year raises it


def test_the_monitoring_beat_logs_a_missing_year_instead_of_failing(below_close_out, caplog):
    from risk.tasks import monitoring_periodic_task

    with time_machine.travel(at(2027, 6, 1, 10), tick=False), translation.override("en"), \
            caplog.at_level(logging.ERROR, logger="risk.tasks"):
        assert monitoring_periodic_task.delay().get() == 0
    assert any("“trading” calendar has no data for 2027" in record.getMessage() for record in caplog.records)
    assert not Case.objects.exists()


def test_a_run_that_raises_no_call_revalues_without_the_missing_trading_year():
    """Only raising a call needs the T+2 deadline: an account below warning alone is still valued,
    alerted and given its outreach case."""
    from risk.models import AccountAlert, AccountRisk
    from risk.monitoring import monitor_accounts
    from tests.factories import CreditAccountFactory, PositionFactory, SecurityFactory

    account = CreditAccountFactory(financing_debt=D("100000.00"))
    PositionFactory(account=account, security=SecurityFactory(price=D("13.50")), quantity=10000)  # 135 %
    CalendarYear.objects.filter(calendar__code="trading", year=2027).delete()
    with time_machine.travel(at(2027, 6, 1, 10), tick=False):
        outcome = monitor_accounts(trigger="test")
    assert (outcome.cases_opened, outcome.cases_raised) == (1, 0)
    assert AccountRisk.objects.get(account=account).level == "warning"
    assert set(AccountAlert.objects.filter(account=account).values_list("line", flat=True)) == {"attention", "warning"}


def test_a_policy_edit_moves_every_case_but_those_whose_year_is_missing(agent, client_profile, caplog):
    """The reapply task goes on past a case whose deadline needs the missing year, and says which."""
    import datetime as dt

    from cases.models import CaseEvent, SlaPolicy
    from cases.services import case_create
    from cases.tasks import sla_reapply_task

    with time_machine.travel(at(2026, 12, 1, 10), tick=False):
        early = case_create(created_by=agent, client=client_profile, kind="ticket", subject="十二月初")
    with time_machine.travel(at(2026, 12, 31, 16), tick=False):
        late = case_create(created_by=agent, client=client_profile, kind="ticket", subject="年末")
    CalendarYear.objects.filter(calendar__code="working", year=2027).delete()
    target = SlaPolicy.objects.get(kind="ticket", priority="normal").targets.get(metric="resolution")
    target.target = dt.timedelta(hours=1)  # a shorter target: the early ticket's falls in December
    target.save()

    with time_machine.travel(at(2026, 12, 31, 16, 30), tick=False), caplog.at_level(logging.ERROR):
        assert sla_reapply_task.delay().get() == 1

    applied = CaseEvent.objects.filter(name="policy_applied", comment="policy changed")
    assert list(applied.values_list("case__number", flat=True)) == [early.number]
    assert any(late.number in record.getMessage() and "2027" in record.getMessage() for record in caplog.records)
