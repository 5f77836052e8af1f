"""Business time on the database calendars, SLA timers with pause, escalation, rebuild."""

import datetime
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command

from cases.calendars import CalendarYearMissing
from cases.models import BusinessCalendar, CalendarDay, Case, CaseKind, SlaEscalation, SlaPolicy, SlaTarget, SlaTimer
from cases.services import case_create, case_transition, case_update, message_create
from cases.services.sla import sla_rebuild, sla_replay
from cases.sla import add_business_time, business_time_between, trading_day_close
from cases.sla_engine import Timer
from cases.sla_sweep import sla_sweep
from notifications.models import Notification

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
H = datetime.timedelta(hours=1)


def at(*args):
    return datetime.datetime(*args, tzinfo=SH)


# --- calendars ----------------------------------------------------------------------------------
def test_deadline_across_national_day_2026():
    # 30 Sep (Wed) 16:00 + 2 h: one hour that day, then 1–7 Oct are holidays; 8 Oct resumes.
    assert add_business_time(at(2026, 9, 30, 16), 2 * H) == at(2026, 10, 8, 10)
    assert business_time_between(at(2026, 9, 30, 16), at(2026, 10, 8, 10)) == 2 * H


def test_deadline_across_spring_festival_2026_uses_the_make_up_saturday():
    # Sat 14 Feb is a make-up working day; 15 Feb Sunday, 16–23 Feb Spring Festival.
    assert add_business_time(at(2026, 2, 13, 16), 8 * H) == at(2026, 2, 14, 16)
    assert add_business_time(at(2026, 2, 13, 16), 9 * H) == at(2026, 2, 14, 17)
    assert add_business_time(at(2026, 2, 13, 16), 10 * H) == at(2026, 2, 24, 10)


def test_make_up_saturday_is_a_working_day_but_not_a_trading_day():
    assert add_business_time(at(2026, 10, 9, 16), 2 * H, "working") == at(2026, 10, 10, 10)
    assert add_business_time(at(2026, 10, 9, 14), 2 * H, "trading") == at(2026, 10, 12, 10)
    assert business_time_between(at(2026, 10, 10), at(2026, 10, 11), "trading") == datetime.timedelta(0)


def test_the_trading_day_runs_from_the_default_opening_to_the_close_at_15():
    """Service hours default to 09:00–17:00 and the trading calendar's day closes at 15:00 (issue
    "SLA engine"): it opened at 09:30, so a trading day held 5½ business hours instead of 6."""
    assert business_time_between(at(2026, 11, 26), at(2026, 11, 27), "trading") == 6 * H
    assert add_business_time(at(2026, 11, 26, 8), datetime.timedelta(0), "trading") == at(2026, 11, 26, 9)
    assert add_business_time(at(2026, 11, 26, 14), 2 * H, "trading") == at(2026, 11, 27, 10)


def test_an_installed_trading_calendar_opening_at_half_past_nine_opens_at_nine_after_migrating():
    import importlib

    from django.apps import apps
    from django.utils import timezone

    from cases.models import BusinessCalendar

    migration = importlib.import_module("cases.migrations.0024_trading_day_opens_at_nine")
    trading = BusinessCalendar.objects.filter(code="trading")
    trading.update(opens_at=datetime.time(9, 30), updated_at=timezone.now())  # as seeded before
    assert business_time_between(at(2026, 11, 26), at(2026, 11, 27), "trading") == 5.5 * H
    migration.open_at_nine(apps, None)
    assert trading.get().opens_at == datetime.time(9)
    assert business_time_between(at(2026, 11, 26), at(2026, 11, 27), "trading") == 6 * H  # seen at once
    trading.update(opens_at=datetime.time(10), updated_at=timezone.now())  # a supervisor's own choice is kept
    migration.open_at_nine(apps, None)
    assert trading.get().opens_at == datetime.time(10)


def test_start_at_night_or_on_a_weekend_counts_from_the_next_opening():
    assert add_business_time(at(2026, 11, 25, 20), H) == at(2026, 11, 26, 10)
    assert add_business_time(at(2026, 11, 28, 22), datetime.timedelta(minutes=30)) == at(2026, 11, 30, 9, 30)
    assert business_time_between(at(2026, 11, 27, 18), at(2026, 11, 30, 9)) == datetime.timedelta(0)


def test_no_business_time_from_outside_hours_is_the_next_opening():
    """add_business_time(23:00, 0) gave 23:00: a clock started outside hours counts from the next
    opening, for no time as for any (one second more is one second past that opening)."""
    second = datetime.timedelta(seconds=1)
    for start, opening in ((at(2026, 11, 25, 23), at(2026, 11, 26, 9)),  # night
                           (at(2026, 11, 28, 22), at(2026, 11, 30, 9)),  # weekend
                           (at(2026, 11, 26, 17), at(2026, 11, 27, 9)),  # at the close
                           (at(2026, 11, 26, 8), at(2026, 11, 26, 9)),  # before the opening
                           (at(2026, 9, 30, 18), at(2026, 10, 8, 9))):  # National Day
        assert add_business_time(start, datetime.timedelta(0)) == opening
        assert add_business_time(start, second) == opening + second
        assert business_time_between(start, opening) == datetime.timedelta(0)
    assert add_business_time(at(2026, 11, 26, 10), datetime.timedelta(0)) == at(2026, 11, 26, 10)
    assert add_business_time(at(2026, 11, 26, 16), H) == at(2026, 11, 26, 17)  # a day's hours used up: its close
    with pytest.raises(ValueError):
        add_business_time(at(2026, 11, 26, 10), -second)


def test_t_plus_2_close_from_a_thursday_before_spring_festival():
    assert trading_day_close(datetime.date(2026, 2, 12), 2) == at(2026, 2, 24, 15)
    assert trading_day_close(datetime.date(2026, 9, 29), 2) == at(2026, 10, 8, 15)
    assert trading_day_close(datetime.date(2026, 9, 30), 1) == at(2026, 10, 8, 15)
    assert trading_day_close(at(2026, 10, 10, 11), 0) == at(2026, 10, 12, 15)


def test_a_year_without_data_is_an_error_naming_calendar_and_year():
    with pytest.raises(CalendarYearMissing) as error:
        add_business_time(at(2035, 3, 1, 10), H)
    assert "working" in str(error.value) and "2035" in str(error.value)
    with pytest.raises(CalendarYearMissing):
        trading_day_close(datetime.date(2040, 1, 1), 2)


def test_arguments_of_the_wrong_type_are_refused_saying_what_is_expected():
    """trading_day_close("2026-09-24", 2) failed with "can only concatenate str", 2.5 trading days gave
    the close of the third, and add_business_time(start, 3600) failed comparing an int to a timedelta."""
    with pytest.raises(TypeError, match="day must be a date"):
        trading_day_close("2026-09-24", 2)
    with pytest.raises(TypeError, match="whole number of trading days"):
        trading_day_close(datetime.date(2026, 9, 24), 2.5)
    with pytest.raises(TypeError, match="must be a timedelta"):
        add_business_time(at(2026, 11, 25, 10), 3600)
    with pytest.raises(TypeError, match="aware datetime"):
        business_time_between(datetime.date(2026, 11, 25), at(2026, 11, 26))
    with pytest.raises(ValueError, match="aware datetime"):
        add_business_time(datetime.datetime(2026, 11, 25, 10), H)


def test_a_supervisor_edit_of_a_day_is_seen_at_once():
    assert add_business_time(at(2026, 12, 7, 16), 2 * H) == at(2026, 12, 8, 10)
    day = CalendarDay.objects.create(calendar_id=1, date=datetime.date(2026, 12, 8), is_business_day=False, name="x")
    assert add_business_time(at(2026, 12, 7, 16), 2 * H) == at(2026, 12, 9, 10)
    day.delete()
    assert add_business_time(at(2026, 12, 7, 16), 2 * H) == at(2026, 12, 8, 10)


# --- timers ------------------------------------------------------------------------------------
def timers(case):
    return {(t.metric, t.cycle): t for t in SlaTimer.objects.filter(case=case)}


def new_ticket(client_profile, agent, priority="normal", kind=CaseKind.TICKET, **extra):
    return case_create(created_by=agent, client=client_profile, kind=kind, subject="SLA", priority=priority,
                       channel="phone", **extra)


def test_default_targets_and_halving_for_vip(client_profile, agent):
    with time_machine.travel(at(2026, 11, 25, 10), tick=False):
        case = new_ticket(client_profile, agent, priority="normal")
        t = timers(case)
        assert t[("first_response", 1)].due_at == at(2026, 11, 25, 14)
        assert t[("resolution", 1)].due_at == at(2026, 11, 30, 10)  # 3 working days
        client_profile.tier = "vip"
        client_profile.save()
        vip_case = new_ticket(client_profile, agent, priority="normal")
        assert timers(vip_case)[("first_response", 1)].due_at == at(2026, 11, 25, 12)


def test_dispute_regulatory_targets_are_never_halved_or_paused(credit_account, client_profile, agent):
    client_profile.tier = "hnw"
    client_profile.save()
    with time_machine.travel(at(2026, 11, 25, 10), tick=False):
        case = new_ticket(client_profile, agent, kind=CaseKind.DISPUTE, credit_account=credit_account)
    t = timers(case)
    assert t[("regulatory_ack", 1)].due_at == at(2026, 11, 26, 10)
    assert t[("regulatory_final", 1)].due_at == at(2026, 12, 16, 10)
    assert t[("resolution", 1)].target_seconds == 5 * 8 * 3600
    assert not t[("regulatory_final", 1)].pausable


def test_regulatory_targets_added_in_the_admin_are_never_halved_or_paused(credit_account, client_profile, agent):
    """A supervisor's new policy for vip disputes, its targets with the admin's boxes left as they
    come (paused while waiting, shorter for vip and hnw: both ticked): the regulatory deadlines
    were halved and paused, and first response paused, against the issue ("never")."""
    working = BusinessCalendar.objects.get(code="working")
    policy = SlaPolicy.objects.create(position=1, name="争议·VIP", name_en="Dispute, vip", kind="dispute", tier="vip")
    for metric, target in (("first_response", 4 * H), ("resolution", 80 * H), ("regulatory_ack", 8 * H),
                           ("regulatory_final", 120 * H)):
        SlaTarget.objects.create(policy=policy, metric=metric, target=target, calendar=working)
    client_profile.tier = "vip"
    client_profile.save()
    with time_machine.travel(at(2026, 11, 25, 10), tick=False):
        case = new_ticket(client_profile, agent, kind=CaseKind.DISPUTE, credit_account=credit_account)
    t = timers(case)
    assert t[("resolution", 1)].due_at == at(2026, 12, 2, 10)  # halved: 5 working days
    assert t[("regulatory_ack", 1)].due_at == at(2026, 11, 26, 10)  # 1 working day, not half of it
    assert t[("regulatory_final", 1)].due_at == at(2026, 12, 16, 10)  # 15 working days
    assert [metric for (metric, _cycle), timer in t.items() if timer.pausable] == ["resolution"]


def test_a_policy_for_any_kind_times_the_dispute_metrics_of_disputes_alone_in_working_days(
        credit_account, client_profile, agent):
    """A policy for every kind with a periodic update and the regulatory deadlines (the latter, as
    written before the admin refused it, on the trading calendar): tickets got regulatory clocks
    (breached in the reports, never stopped by an acknowledgement a ticket does not have), and the
    dispute's regulatory deadlines ran in trading days."""
    trading = BusinessCalendar.objects.get(code="trading")
    policy = SlaPolicy.objects.create(position=1, name="全部", name_en="Everything")
    for metric, target in (("first_response", 4 * H), ("resolution", 24 * H), ("periodic_update", 24 * H),
                           ("regulatory_ack", 8 * H), ("regulatory_final", 120 * H)):
        SlaTarget.objects.create(policy=policy, metric=metric, target=target, calendar=trading)
    with time_machine.travel(at(2026, 11, 25, 10), tick=False):
        ticket = new_ticket(client_profile, agent)
        dispute = new_ticket(client_profile, agent, kind=CaseKind.DISPUTE, credit_account=credit_account)
    assert sorted(metric for metric, _cycle in timers(ticket)) == ["first_response", "resolution"]
    t = timers(dispute)
    assert {metric for metric, _cycle in t} == {"first_response", "resolution", "periodic_update", "regulatory_ack",
                                                "regulatory_final"}
    assert (t[("regulatory_ack", 1)].calendar_code, t[("regulatory_ack", 1)].due_at) == ("working",
                                                                                        at(2026, 11, 26, 10))
    assert t[("regulatory_final", 1)].due_at == at(2026, 12, 16, 10)  # 15 working days
    assert t[("periodic_update", 1)].calendar_code == "trading"


def test_an_answer_after_a_due_moment_at_the_close_is_late_before_any_sweep(client_profile, agent, supervisor,
                                                                           api):
    """First response due at the 17:00 close, answered at 17:30 (no business time run since): the
    API showed it breached from 17:00, but the answer recorded it met unless a sweep had run in
    between. Answered at its due moment itself, it is in time."""
    with time_machine.travel(at(2026, 11, 25, 13), tick=False):
        late, on_time = new_ticket(client_profile, agent), new_ticket(client_profile, agent)
    assert timers(late)[("first_response", 1)].due_at == at(2026, 11, 25, 17)
    with time_machine.travel(at(2026, 11, 25, 17, 20), tick=False):
        shown = {t["metric"]: t for t in api.as_user(supervisor).get(f"/api/v1/cases/{late.number}/").data["sla"]}
    assert shown["first_response"]["breached"] is True
    with time_machine.travel(at(2026, 11, 25, 17), tick=False):
        message_create(case=on_time, author=agent, body="您好，已收到。")
    with time_machine.travel(at(2026, 11, 25, 17, 30), tick=False):
        message_create(case=late, author=agent, body="您好，已收到。")
    first = timers(late)[("first_response", 1)]
    assert (first.state, first.breached) == ("breached", True)
    assert timers(on_time)[("first_response", 1)].state == "met"
    assert {(t.metric, t.cycle): t.as_dict() for t in sla_replay(late)} == {
        (t.metric, t.cycle): Timer.from_model(t).as_dict() for t in SlaTimer.objects.filter(case=late)}


def test_waiting_on_client_pauses_resolution_across_nights_and_holidays(client_profile, agent):
    with time_machine.travel(at(2026, 9, 29, 10), tick=False):
        case = new_ticket(client_profile, agent)
        case = case_transition(case=case, user=agent, name="open")
    with time_machine.travel(at(2026, 9, 29, 12), tick=False):  # 2 business hours run
        message_create(case=case, author=agent, body="请补充材料")
        case = case_transition(case=case, user=agent, name="wait_on_client", comment="需要材料")
    t = timers(case)
    assert t[("resolution", 1)].state == "paused" and t[("resolution", 1)].due_at is None
    assert t[("first_response", 1)].state == "met"
    with time_machine.travel(at(2026, 10, 9, 14), tick=False):  # client answers after National Day
        message_create(case=case, author=client_profile.user, body="材料已上传")
    t = timers(case)
    resolution = t[("resolution", 1)]
    assert resolution.state == "running" and resolution.elapsed_seconds == 2 * 3600
    # 24 h target − 2 h elapsed = 22 h from Fri 9 Oct 14:00: 3 h that day, 8 h on make-up Sat 10 Oct,
    # 8 h Mon 12 Oct, then 3 h on Tue 13 Oct.
    assert resolution.due_at == at(2026, 10, 13, 12)
    assert resolution.pauses[0][2] == "waiting_on_client"
    assert t[("next_response", 1)].state == "running"


def test_first_response_is_never_paused(client_profile, agent):
    with time_machine.travel(at(2026, 11, 25, 10), tick=False):
        case = case_transition(case=new_ticket(client_profile, agent), user=agent, name="open")
        case = case_transition(case=case, user=agent, name="wait_on_client", comment="?")
    assert timers(case)[("first_response", 1)].state == "running"


def test_priority_change_keeps_elapsed_time(client_profile, agent, supervisor):
    with time_machine.travel(at(2026, 11, 25, 10), tick=False):
        case = new_ticket(client_profile, agent, priority="normal")
    with time_machine.travel(at(2026, 11, 25, 11), tick=False):
        case_update(case=case, user=supervisor, priority="urgent")
    resolution = timers(case)[("resolution", 1)]
    assert resolution.elapsed_seconds == 3600
    assert resolution.target_seconds == 4 * 3600
    assert resolution.due_at == at(2026, 11, 25, 14)


def test_policy_change_keeps_elapsed_time(client_profile, agent):
    from cases.services.sla import sla_policy_apply

    with time_machine.travel(at(2026, 11, 25, 10), tick=False):
        case = new_ticket(client_profile, agent, priority="normal")
    policy = SlaPolicy.objects.get(kind="ticket", priority="normal")
    SlaTarget.objects.filter(policy=policy, metric="resolution").update(target=datetime.timedelta(hours=10))
    with time_machine.travel(at(2026, 11, 25, 13), tick=False):
        sla_policy_apply(case=case, reason="policy edited")
    resolution = timers(case)[("resolution", 1)]
    assert (resolution.elapsed_seconds, resolution.target_seconds) == (3 * 3600, 10 * 3600)
    assert resolution.due_at == at(2026, 11, 26, 12)


def test_sweep_fires_each_level_once_and_escalates(client_profile, agent, team_lead, supervisor,
                                                  django_capture_on_commit_callbacks):
    with time_machine.travel(at(2026, 11, 25, 10), tick=False):
        case = new_ticket(client_profile, agent, priority="urgent")  # first response 30 min
        case_update(case=case, user=agent, assignee=agent)
    with django_capture_on_commit_callbacks(execute=True):  # the notify task runs once the sweep commits
        assert sla_sweep(now=at(2026, 11, 25, 10, 16)) == 1  # 50 % of the 30-minute first response
        assert sla_sweep(now=at(2026, 11, 25, 10, 16)) == 0  # never twice
        assert sla_sweep(now=at(2026, 11, 25, 10, 31)) == 2  # 75 % and 100 % at once; resolution not yet
    first = SlaTimer.objects.get(case=case, metric="first_response")
    assert (first.state, first.breached, first.fired_level, first.next_alert_at) == ("breached", True, 100, None)
    assert SlaEscalation.objects.filter(timer=first).count() == 3
    case.refresh_from_db()
    assert case.escalated_at is not None
    recipients = set(Notification.objects.filter(case=case, event="sla_warning")
                     .values_list("recipient_user__username", "data__level"))
    assert ("agent1", 50) in recipients and ("lead1", 75) in recipients and ("supervisor1", 100) in recipients
    assert case.events.filter(kind="escalation").count() == SlaEscalation.objects.filter(case=case).count()


def test_rebuild_reproduces_the_stored_timers(client_profile, agent, supervisor):
    with time_machine.travel(at(2026, 9, 29, 10), tick=False):
        case = new_ticket(client_profile, agent)
        case = case_transition(case=case, user=agent, name="open")
    with time_machine.travel(at(2026, 9, 29, 11), tick=False):
        message_create(case=case, author=agent, body="在处理")
        case = case_transition(case=case, user=agent, name="wait_on_client", comment="?")
    with time_machine.travel(at(2026, 10, 8, 9, 30), tick=False):
        message_create(case=case, author=client_profile.user, body="回复")
        case.refresh_from_db()
        case_update(case=case, user=supervisor, priority="high")
    sla_sweep(now=at(2026, 10, 8, 16))
    stored = {(t.metric, t.cycle): Timer.from_model(t).as_dict() for t in SlaTimer.objects.filter(case=case)}
    replayed = {(t.metric, t.cycle): t.as_dict() for t in sla_replay(case)}
    assert replayed == stored
    SlaTimer.objects.filter(case=case).update(elapsed_seconds=0, due_at=None)
    assert sla_rebuild(case=case) is True
    assert {(t.metric, t.cycle): Timer.from_model(t).as_dict() for t in SlaTimer.objects.filter(case=case)} == stored


def test_rebuilding_an_unknown_case_number_is_an_error_naming_it(client_profile, agent):
    """`sla_rebuild --case NOPE` printed "0 case(s) replayed" and exited 0, as if NOPE had nothing to redo."""
    with time_machine.travel(at(2026, 11, 25, 10), tick=False):
        case = new_ticket(client_profile, agent)
    SlaTimer.objects.filter(case=case).update(due_at=None)
    with pytest.raises(CommandError, match="NOPE") as refused:
        call_command("sla_rebuild", "--case", case.number, "--case", "NOPE", stdout=io.StringIO())
    assert case.number not in str(refused.value)
    assert not SlaTimer.objects.filter(case=case, due_at__isnull=False).exists()  # nothing replayed
    call_command("sla_rebuild", "--case", case.number, stdout=io.StringIO())
    assert not SlaTimer.objects.filter(case=case, due_at__isnull=True).exists()


def test_rebuilding_a_margin_call_says_it_has_no_sla_timers(client_profile):
    """`sla_rebuild --case` with a margin call's number printed "0 case(s) replayed" and nothing of why."""
    from decimal import Decimal

    from django.utils import translation

    from risk.monitoring import monitor_accounts
    from tests.factories import CreditAccountFactory, PositionFactory, SecurityFactory

    account = CreditAccountFactory(client=client_profile, financing_debt=Decimal("100000.00"))
    PositionFactory(account=account, security=SecurityFactory(price=Decimal("12.00")), quantity=10000)
    with time_machine.travel(at(2026, 11, 23, 10), tick=False):
        monitor_accounts(trigger="test")
    call = Case.objects.get(kind=CaseKind.MARGIN_CALL, credit_account=account)
    out = io.StringIO()
    with translation.override("en"):
        call_command("sla_rebuild", "--case", call.number, stdout=out)
    assert f"{call.number}: no SLA timers to replay (a margin call runs on its own deadline)." in out.getvalue()
    assert "0 case(s) replayed" in out.getvalue()


def test_a_public_update_restarts_the_dispute_periodic_update(client_profile, credit_account, agent):
    with time_machine.travel(at(2026, 11, 25, 10), tick=False):
        case = new_ticket(client_profile, agent, kind=CaseKind.DISPUTE, credit_account=credit_account)
    with time_machine.travel(at(2026, 11, 26, 10), tick=False):
        message_create(case=case, author=agent, body="调查进展：已调取交易记录")
    t = timers(case)
    assert (t[("periodic_update", 1)].state, t[("periodic_update", 1)].elapsed_seconds) == ("met", 8 * 3600)
    assert t[("periodic_update", 2)].started_at == at(2026, 11, 26, 10)
    assert t[("periodic_update", 2)].due_at == at(2026, 12, 1, 10)  # 3 working days later
    with time_machine.travel(at(2026, 11, 26, 11), tick=False):
        message_create(case=case, author=agent, body="内部备注", internal=True)
    assert SlaTimer.objects.filter(case=case, metric="periodic_update").count() == 2


def test_a_client_reply_to_a_sent_resolution_resumes_the_dispute_and_the_answer_pauses_it(
        client_profile, credit_account, agent, supervisor):
    """Waiting on the client's decision pauses resolution and periodic_update; a question from the
    client resumes them (the firm owes the answer) and starts next_response; the public answer,
    the case still waiting, pauses them again. The event log replays to the same timers."""
    with time_machine.travel(at(2026, 11, 25, 10), tick=False):
        case = new_ticket(client_profile, agent, kind=CaseKind.DISPUTE, credit_account=credit_account)
        for name in ("acknowledge", "investigate"):
            case = case_transition(case=case, user=agent, name=name)
        case = case_transition(case=case, user=agent, name="propose_resolution", comment="退还多收利息 120 元")
    with time_machine.travel(at(2026, 11, 25, 12), tick=False):
        case = case_transition(case=case, user=supervisor, name="approve_resolution")
    t = timers(case)
    assert t[("resolution", 1)].state == "paused" and t[("resolution", 1)].elapsed_seconds == 2 * 3600
    # The resolution sent is the client's update: the next one is owed from then, paused while they decide.
    assert (t[("periodic_update", 1)].state, t[("periodic_update", 1)].stopped_at) == ("met", at(2026, 11, 25, 12))
    assert (t[("periodic_update", 2)].state, t[("periodic_update", 2)].elapsed_seconds) == ("paused", 0)
    with time_machine.travel(at(2026, 11, 26, 10), tick=False):
        message_create(case=case, author=client_profile.user, body="退款什么时候到账？")
    t = timers(case)
    assert (t[("resolution", 1)].state, t[("resolution", 1)].resumed_at) == ("running", at(2026, 11, 26, 10))
    assert t[("periodic_update", 2)].state == "running"
    assert t[("periodic_update", 2)].due_at == at(2026, 12, 1, 10)  # 3 working days from the client's question
    assert t[("next_response", 1)].state == "running"
    with time_machine.travel(at(2026, 11, 26, 11), tick=False):
        message_create(case=case, author=agent, body="接受方案后三个工作日内到账。")
    t = timers(case)
    assert (t[("resolution", 1)].state, t[("resolution", 1)].elapsed_seconds) == ("paused", 3 * 3600)
    assert t[("next_response", 1)].state == "met"
    assert [p[2] for p in t[("resolution", 1)].pauses] == ["waiting_on_client", "waiting_on_client"]
    stored = {(t.metric, t.cycle): Timer.from_model(t).as_dict() for t in SlaTimer.objects.filter(case=case)}
    assert {(t.metric, t.cycle): t.as_dict() for t in sla_replay(case)} == stored


def test_a_dispute_resolution_sent_without_a_reply_answers_the_client_first_response_met(
        client_profile, credit_account, agent, supervisor):
    """The resolution approved and sent at 11:00 with no message before it: first response ran on
    and the 14:01 sweep escalated a breach to the supervisors though the client had the firm's final
    answer three hours earlier."""
    with time_machine.travel(at(2026, 11, 23, 10), tick=False):  # Monday: first response due 14:00
        case = new_ticket(client_profile, agent, kind=CaseKind.DISPUTE, credit_account=credit_account)
        for name in ("acknowledge", "investigate"):
            case = case_transition(case=case, user=agent, name=name)
    with time_machine.travel(at(2026, 11, 23, 11), tick=False):
        case = case_transition(case=case, user=agent, name="propose_resolution", comment="退还多收利息 120 元")
        case = case_transition(case=case, user=supervisor, name="approve_resolution")
    t = timers(case)
    assert (t[("first_response", 1)].state, t[("first_response", 1)].stopped_at) == ("met", at(2026, 11, 23, 11))
    assert sla_sweep(now=at(2026, 11, 23, 14, 1)) == 0
    stored = {(t.metric, t.cycle): Timer.from_model(t).as_dict() for t in SlaTimer.objects.filter(case=case)}
    assert {(t.metric, t.cycle): t.as_dict() for t in sla_replay(case)} == stored


def test_a_stopped_timer_keeps_its_due_moment_for_the_case_and_the_breach_list(client_profile, agent, supervisor,
                                                                               client):
    with time_machine.travel(at(2026, 11, 25, 10), tick=False):
        case = new_ticket(client_profile, agent)  # first response due 14:00
    with time_machine.travel(at(2026, 11, 25, 15), tick=False):
        message_create(case=case, author=agent, body="您好，已收到。")  # an hour late
        client.force_login(supervisor)
        shown = {t["metric"]: t for t in client.get(f"/api/v1/cases/{case.number}/").json()["sla"]}
        report = client.get("/api/v1/reports/sla/", {"from": "2026-11-01", "to": "2026-11-30"}).json()
    assert shown["first_response"]["state"] == "breached"
    assert shown["first_response"]["due_at"] == "2026-11-25T14:00:00+08:00"
    breach = next(row for row in report["breaches"] if row["case"] == case.number)
    assert breach["metric"] == "first_response" and breach["due_at"].startswith("2026-11-25T14:00:00")
    # Its breach, never seen by a sweep, is still to be fired (tests/cases/test_sla_late_stop_escalates.py).
    assert SlaTimer.objects.get(case=case, metric="first_response").next_alert_at == at(2026, 11, 25, 14)
    sla_sweep(now=at(2026, 11, 25, 15, 1))
    assert SlaTimer.objects.get(case=case, metric="first_response").next_alert_at is None


def test_a_breached_regulatory_deadline_also_tells_compliance(client_profile, credit_account, agent, supervisor,
                                                             auditor, django_capture_on_commit_callbacks):
    with time_machine.travel(at(2026, 11, 25, 10), tick=False):
        dispute = new_ticket(client_profile, agent, kind=CaseKind.DISPUTE, credit_account=credit_account)
        ticket = new_ticket(client_profile, agent, priority="urgent")
    with django_capture_on_commit_callbacks(execute=True):
        sla_sweep(now=at(2026, 11, 26, 10, 1))  # regulatory acknowledgement (1 working day) breached
    told = set(Notification.objects.filter(recipient_user=auditor, data__level=100)
               .values_list("case__number", "data__metric"))
    assert (dispute.number, "regulatory_ack") in told
    assert not any(number == ticket.number for number, _metric in told)
    assert Notification.objects.filter(recipient_user=supervisor, case=ticket, data__level=100).exists()


def test_a_compliance_officer_who_is_also_a_supervisor_is_told_of_a_regulatory_breach_once(
        client_profile, credit_account, agent, django_capture_on_commit_callbacks):
    """The 100 % notice goes to the supervisors and, for a regulatory metric, to compliance: one
    person holding both roles got the same notice twice."""
    from accounts.roles import Role
    from tests.factories import UserFactory

    both = UserFactory(username="compliance_head", roles=[Role.SUPERVISOR, Role.AUDITOR])
    auditor = UserFactory(username="auditor2", roles=[Role.AUDITOR])
    with time_machine.travel(at(2026, 11, 25, 10), tick=False):
        dispute = new_ticket(client_profile, agent, kind=CaseKind.DISPUTE, credit_account=credit_account)
    with django_capture_on_commit_callbacks(execute=True):
        sla_sweep(now=at(2026, 11, 26, 10, 1))  # regulatory acknowledgement (1 working day) breached
    for user in (both, auditor):
        told = Notification.objects.filter(recipient_user=user, case=dispute, data__metric="regulatory_ack",
                                           data__level=100)
        assert told.count() == 1, user.username
    # As a supervisor, told once of each breach of the case (first response, regulatory acknowledgement).
    assert Notification.objects.filter(recipient_user=both, case=dispute, data__level=100).count() == 2


def test_warnings_are_told_once_even_when_the_notify_task_runs_twice_or_is_lost(client_profile, agent, supervisor):
    from cases.services.escalations import escalations_notify

    with time_machine.travel(at(2026, 11, 25, 10), tick=False):
        case = new_ticket(client_profile, agent, priority="urgent")
    assert sla_sweep(now=at(2026, 11, 25, 10, 31)) == 3  # its notify task was lost (no commit here)
    assert not Notification.objects.filter(case=case, event="sla_warning").exists()
    assert escalations_notify() == 3  # the next sweep's pick-up of what was not told
    assert escalations_notify() == 0
    told = Notification.objects.filter(case=case, recipient_user=supervisor, data__level=100)
    assert told.count() == 1


def test_business_time_between_from_running_totals_equals_walking_the_days():
    """The O(1) running totals give what walking day by day gives, to the microsecond."""
    import random

    from cases.calendars import load_schedule
    from cases.sla import ONE_DAY, ZERO

    schedule = load_schedule("working")

    def walked(start, end):
        total, day = ZERO, start.date()
        while day <= end.date():
            if schedule.is_business_day(day):
                begin, finish = max(start, schedule.opening(day)), min(end, schedule.closing(day))
                total += max(finish - begin, ZERO)
            day += ONE_DAY
        return total

    rng = random.Random(5)
    base = at(2021, 1, 1)
    for _ in range(300):
        start = base + datetime.timedelta(seconds=rng.randint(0, 5 * 365 * 86400), microseconds=rng.randint(0, 999999))
        end = start + datetime.timedelta(seconds=rng.randint(0, 90 * 86400))
        assert business_time_between(start, end) == walked(start, end), (start, end)


def test_a_day_changed_in_place_is_seen_at_once():
    day = CalendarDay.objects.create(calendar_id=1, date=datetime.date(2026, 12, 8), is_business_day=False, name="x")
    assert add_business_time(at(2026, 12, 7, 16), 2 * H) == at(2026, 12, 9, 10)
    day.date = datetime.date(2026, 12, 9)  # same count, same id: only the day's own stamp says it changed
    day.save()
    assert add_business_time(at(2026, 12, 7, 16), 2 * H) == at(2026, 12, 8, 10)


def test_the_50_percent_warning_of_a_case_whose_assignee_left_goes_to_the_team_leads(
        client_profile, agent, team_lead, supervisor):
    """The 50 % warning goes to the assignee; an assignee whose account was deactivated (left the
    firm, cases not yet handed over) was told nothing, and nobody else was either."""
    from cases.services.escalations import escalations_notify

    with time_machine.travel(at(2026, 11, 25, 10), tick=False):
        case = new_ticket(client_profile, agent, priority="urgent")  # first response 30 min
        case_update(case=case, user=agent, assignee=agent)
    agent.is_active = False
    agent.save(update_fields=["is_active"])
    assert sla_sweep(now=at(2026, 11, 25, 10, 16)) == 1
    assert escalations_notify() == 1
    told = set(Notification.objects.filter(case=case, event="sla_warning")
               .values_list("recipient_user__username", "data__level"))
    assert told == {("lead1", 50)}


def test_the_warnings_for_team_leads_of_a_case_with_no_queue_go_to_the_supervisors(
        client_profile, agent, team_lead, supervisor):
    """Routing may leave a case without a queue: its 50 % (nobody assigned) and 75 % warnings,
    meant for the queue's team leads, reached nobody at all."""
    from cases.models import Case
    from cases.services.escalations import escalations_notify

    with time_machine.travel(at(2026, 11, 25, 10), tick=False):
        case = new_ticket(client_profile, agent, priority="urgent")  # first response 30 min
    Case.objects.filter(pk=case.pk).update(queue=None, assignee=None)
    assert sla_sweep(now=at(2026, 11, 25, 10, 23)) == 2  # 50 % and 75 %
    assert escalations_notify() == 2
    told = set(Notification.objects.filter(case=case, event="sla_warning")
               .values_list("recipient_user__username", "data__level"))
    assert told == {(supervisor.username, 50), (supervisor.username, 75)}


def test_a_reopened_ticket_s_new_resolution_cycle_runs_on_the_targets_now_in_force(client_profile, agent):
    """A policy edit moves the open cases only: a ticket resolved at that moment and reopened days
    later started its new resolution clock on the targets it had before the edit (3 working days
    instead of the 10 hours now in force), and kept them."""
    with time_machine.travel(at(2026, 11, 23, 10), tick=False):
        case = case_transition(case=new_ticket(client_profile, agent), user=agent, name="open")
    with time_machine.travel(at(2026, 11, 23, 11), tick=False):
        message_create(case=case, author=agent, body="已处理")
        case = case_transition(case=case, user=agent, name="resolve", comment="已处理")
    policy = SlaPolicy.objects.get(kind="ticket", priority="normal")
    SlaTarget.objects.filter(policy=policy, metric="resolution").update(target=datetime.timedelta(hours=10))
    from cases.tasks import sla_reapply_task
    assert sla_reapply_task() == 0  # no open case
    with time_machine.travel(at(2026, 11, 24, 10), tick=False):
        case = case_transition(case=case, user=client_profile.user, name="reopen", comment="还是不行")
    reopened = timers(case)[("resolution", 2)]
    assert (reopened.state, reopened.target_seconds, reopened.elapsed_seconds) == ("running", 10 * 3600, 0)
    assert reopened.due_at == at(2026, 11, 25, 12)  # 7 h on Tue, 3 h on Wed
    assert timers(case)[("resolution", 1)].target_seconds == 24 * 3600  # the first cycle as it ran
    stored = {(t.metric, t.cycle): Timer.from_model(t).as_dict() for t in SlaTimer.objects.filter(case=case)}
    assert {(t.metric, t.cycle): t.as_dict() for t in sla_replay(case)} == stored


def test_a_policy_first_matching_an_answered_case_waiting_on_the_client_starts_resolution_paused(
        client_profile, agent):
    """A ticket opened while no policy matched it got its clocks when a supervisor put a policy
    (back) in force: one waiting on the client had its resolution clock running all the while, and
    a first response clock though staff had answered it already (breached a few hours later)."""
    policy = SlaPolicy.objects.get(kind="ticket", priority="normal")
    SlaPolicy.objects.filter(pk=policy.pk).update(is_active=False)
    with time_machine.travel(at(2026, 11, 25, 10), tick=False):
        case = case_transition(case=new_ticket(client_profile, agent), user=agent, name="open")
        message_create(case=case, author=agent, body="请补充材料")  # answered: no first response clock
        case = case_transition(case=case, user=agent, name="wait_on_client", comment="请补充材料")
    assert not SlaTimer.objects.filter(case=case).exists()
    SlaPolicy.objects.filter(pk=policy.pk).update(is_active=True)
    from cases.tasks import sla_reapply_task
    with time_machine.travel(at(2026, 11, 26, 10), tick=False):
        assert sla_reapply_task() == 1
    t = timers(case)
    assert (t[("resolution", 1)].state, t[("resolution", 1)].due_at) == ("paused", None)
    assert ("first_response", 1) not in t  # answered before any policy matched: nothing to breach
    with time_machine.travel(at(2026, 11, 27, 10), tick=False):
        message_create(case=case, author=client_profile.user, body="材料已上传")
    resolution = timers(case)[("resolution", 1)]
    assert (resolution.state, resolution.elapsed_seconds, resolution.due_at) == ("running", 0, at(2026, 12, 2, 10))
    stored = {(t.metric, t.cycle): Timer.from_model(t).as_dict() for t in SlaTimer.objects.filter(case=case)}
    assert {(t.metric, t.cycle): t.as_dict() for t in sla_replay(case)} == stored
