"""A timer's due moment is the moment it reaches (or reached) 100 % of its current target: a
change of policy, priority or tier never moves a passed due moment to the moment of the change,
nor undoes a recorded breach; the levels a timer crossed before a pause still fire, once."""

import datetime
import io
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, SlaEscalation, SlaPolicy, SlaTarget, SlaTimer
from cases.serializers import sla_timer_data
from cases.services import case_create, case_transition, case_update, message_create
from cases.services.sla import sla_clients_tier_changed, sla_rebuild, sla_replay
from cases.sla_engine import Timer
from cases.sla_status import ScheduleCache
from cases.sla_sweep import sla_sweep
from cases.tasks import sla_reapply_task

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
H = datetime.timedelta(hours=1)


def at(*args):
    return datetime.datetime(*args, tzinfo=SH)


def timer(case, metric) -> SlaTimer:
    return SlaTimer.objects.get(case=case, metric=metric, cycle=1)


def shown(moment) -> str:
    return moment.astimezone(SH).isoformat()


def assert_replay_reproduces_the_stored_timers(case):
    stored = {(t.metric, t.cycle): Timer.from_model(t).as_dict() for t in SlaTimer.objects.filter(case=case)}
    assert {(t.metric, t.cycle): t.as_dict() for t in sla_replay(case)} == stored
    assert sla_rebuild(case=case) is False


def set_resolution_target(target: datetime.timedelta) -> None:
    """A supervisor edits "Ticket, normal" (the admin saves it, then the reapply task runs)."""
    policy = SlaPolicy.objects.get(kind="ticket", priority="normal")
    SlaTarget.objects.filter(policy=policy, metric="resolution").update(target=target)
    sla_reapply_task()


@pytest.fixture
def breached_ticket(client_profile, agent):
    """A normal ticket of Wed 25 Nov 2026 10:00 (resolution 3 working days: due Mon 30 Nov 10:00),
    answered at 11:00; the client wrote back at 11:30 (next response 4 h: due 15:30) and was never
    answered. The sweep of Mon 30 Nov 10:05 found both late: 50, 75 and 100 % fired for each."""
    with time_machine.travel(at(2026, 11, 25, 10), tick=False):
        case = case_create(created_by=agent, client=client_profile, kind="ticket", subject="SLA", priority="normal")
    with time_machine.travel(at(2026, 11, 25, 11), tick=False):
        message_create(case=case, author=agent, body="您好，已收到。")
    with time_machine.travel(at(2026, 11, 25, 11, 30), tick=False):
        message_create(case=case, author=client_profile.user, body="还有一个问题")
    assert sla_sweep(now=at(2026, 11, 30, 10, 5)) == 6
    assert timer(case, "next_response").due_at == at(2026, 11, 25, 15, 30)
    assert timer(case, "resolution").due_at == at(2026, 11, 30, 10)
    return case


def assert_still_breached(one: SlaTimer):
    assert (one.state, one.breached, one.fired_level, one.next_alert_at) == ("breached", True, 100, None)
    assert sorted(one.escalations.values_list("level", flat=True)) == [50, 75, 100]


# --- defect 1: a change of targets and a breached timer -------------------------------------------
def test_a_policy_edit_keeps_the_due_moments_breached_timers_reached(breached_ticket, client, supervisor):
    """Editing the policy to 1 day 1 hour and back used to set both due moments to the moment of the
    edit, for good (and sla_rebuild, ?due_before= and the breach list followed)."""
    case = breached_ticket
    with time_machine.travel(at(2026, 12, 1, 10), tick=False):
        set_resolution_target(25 * H)
    # 25 business hours from Wed 10:00: 7 + 8 + 8 to Friday's close, then 2 on Monday.
    assert timer(case, "resolution").due_at == at(2026, 11, 30, 11)
    assert timer(case, "next_response").due_at == at(2026, 11, 25, 15, 30)  # its target did not change
    with time_machine.travel(at(2026, 12, 1, 11), tick=False):
        set_resolution_target(24 * H)
    resolution, next_response = timer(case, "resolution"), timer(case, "next_response")
    assert resolution.due_at == at(2026, 11, 30, 10) and next_response.due_at == at(2026, 11, 25, 15, 30)
    assert resolution.elapsed_seconds == (7 + 8 + 8 + 8 + 2) * 3600  # the time run is kept, to the second
    for one in (resolution, next_response):
        assert_still_breached(one)
    assert sla_sweep(now=at(2026, 12, 1, 11, 1)) == 0
    assert_replay_reproduces_the_stored_timers(case)

    client.force_login(supervisor)
    with time_machine.travel(at(2026, 12, 1, 11, 30), tick=False):
        sla = {t["metric"]: t for t in client.get(f"/api/v1/cases/{case.number}/").json()["sla"]}
        due = client.get("/api/v1/cases/", {"due_before": "2026-11-30T10:30:00+08:00"}).json()["results"]
        report = client.get("/api/v1/reports/sla/", {"from": "2026-11-01", "to": "2026-12-01"}).json()
    assert (sla["resolution"]["due_at"], sla["resolution"]["breached"]) == ("2026-11-30T10:00:00+08:00", True)
    assert sla["resolution"]["remaining_business_seconds"] == -(9 * 3600 + 1800)
    assert sla["next_response"]["due_at"] == "2026-11-25T15:30:00+08:00"
    assert case.number in {row["number"] for row in due}
    breaches = {row["metric"]: row["due_at"] for row in report["breaches"] if row["case"] == case.number}
    assert breaches == {"resolution": "2026-11-30T10:00:00+08:00", "next_response": "2026-11-25T15:30:00+08:00"}


def test_a_longer_target_moves_the_due_moment_ahead_but_never_undoes_a_recorded_breach(breached_ticket):
    case = breached_ticket
    with time_machine.travel(at(2026, 12, 1, 10), tick=False):
        set_resolution_target(40 * H)
    resolution = timer(case, "resolution")
    # 40 business hours from Wed 25 Nov 10:00 end Wed 2 Dec 10:00: due again, and yet breached.
    assert resolution.due_at == at(2026, 12, 2, 10)
    assert_still_breached(resolution)
    assert sla_sweep(now=at(2026, 12, 2, 11)) == 0  # no level fires twice
    assert SlaEscalation.objects.filter(case=case).count() == 6
    assert_replay_reproduces_the_stored_timers(case)


def test_a_shorter_target_puts_the_crossed_moments_in_the_past_and_the_sweep_fires_them_once(
        client_profile, agent, supervisor):
    with time_machine.travel(at(2026, 11, 25, 10), tick=False):
        case = case_create(created_by=agent, client=client_profile, kind="ticket", subject="SLA", priority="normal")
        message_create(case=case, author=agent, body="您好，已收到。")
    with time_machine.travel(at(2026, 11, 27, 10), tick=False):  # 16 business hours run
        case_update(case=case, user=supervisor, priority="high")  # resolution: 1 working day
    resolution = timer(case, "resolution")
    assert (resolution.warn_50_at, resolution.warn_75_at, resolution.due_at) == (
        at(2026, 11, 25, 14), at(2026, 11, 25, 16), at(2026, 11, 26, 10))
    assert resolution.next_alert_at == at(2026, 11, 25, 14)
    assert sla_sweep(now=at(2026, 11, 27, 10, 1)) == 3
    assert sla_sweep(now=at(2026, 11, 27, 10, 2)) == 0
    resolution.refresh_from_db()
    assert_still_breached(resolution)
    assert resolution.due_at == at(2026, 11, 26, 10)
    assert_replay_reproduces_the_stored_timers(case)


def test_a_tier_change_keeps_the_due_moments_breached_timers_reached(breached_ticket):
    case = breached_ticket
    client_profile = case.client
    client_profile.tier = "vip"
    client_profile.save()
    with time_machine.travel(at(2026, 12, 1, 10), tick=False):
        assert sla_clients_tier_changed(client_ids=[client_profile.pk]) == 1
    resolution, next_response = timer(case, "resolution"), timer(case, "next_response")
    assert (resolution.target_seconds, next_response.target_seconds) == (12 * 3600, 2 * 3600)
    assert resolution.due_at == at(2026, 11, 26, 14)  # 12 business hours from Wed 10:00
    assert next_response.due_at == at(2026, 11, 25, 13, 30)
    for one in (resolution, next_response):
        assert_still_breached(one)
    assert_replay_reproduces_the_stored_timers(case)


def test_changes_of_targets_never_move_a_due_moment_by_the_fractions_of_a_second_they_bank(client_profile, agent):
    """Each change banks the time run in whole seconds; the moments are counted from the start of
    the running stretch, so that an edit and its undoing give back the very same moments."""
    opened = at(2026, 11, 25, 10) + datetime.timedelta(microseconds=250_000)
    with time_machine.travel(opened, tick=False):
        case = case_create(created_by=agent, client=client_profile, kind="ticket", subject="SLA", priority="normal")
    before = {metric: timer(case, metric).due_at for metric in ("first_response", "resolution")}
    assert before["first_response"] == at(2026, 11, 25, 14) + datetime.timedelta(microseconds=250_000)
    for moment, target in ((at(2026, 11, 25, 11, 0, 0, 900_000), 25 * H),
                           (at(2026, 11, 25, 12, 0, 0, 600_000), 24 * H)):
        with time_machine.travel(moment, tick=False):
            set_resolution_target(target)
    assert {metric: timer(case, metric).due_at for metric in before} == before
    assert timer(case, "resolution").elapsed_seconds == 2 * 3600
    assert_replay_reproduces_the_stored_timers(case)


# --- defect 2: levels crossed before a pause ------------------------------------------------------
def test_a_timer_paused_after_its_due_moment_is_breached_once_and_found_as_breached(client_profile, agent,
                                                                                    supervisor, client):
    """Paused 6 hours after its due moment and before a sweep saw it: the API said breached, the
    sweep never fired (it looked at running timers only) and filters and report left it out."""
    with time_machine.travel(at(2026, 11, 25, 10), tick=False):
        case = case_create(created_by=agent, client=client_profile, kind="ticket", subject="SLA", priority="normal")
        case = case_transition(case=case, user=agent, name="open")
    with time_machine.travel(at(2026, 11, 25, 10, 30), tick=False):
        message_create(case=case, author=agent, body="请补充材料")
    with time_machine.travel(at(2026, 11, 30, 16), tick=False):  # due Mon 10:00
        case = case_transition(case=case, user=agent, name="wait_on_client", comment="需要材料")
    paused = timer(case, "resolution")
    assert (paused.state, paused.due_at, paused.next_alert_at) == ("paused", None, at(2026, 11, 26, 14))

    assert sla_sweep(now=at(2026, 11, 30, 16, 1)) == 3
    assert sla_sweep(now=at(2026, 11, 30, 16, 2)) == 0
    paused.refresh_from_db()
    assert_still_breached(paused)
    assert paused.resumed_at is None and paused.pauses[-1][1] is None  # still paused
    case.refresh_from_db()
    assert case.escalated_at is not None
    assert case.events.filter(kind="escalation", from_value="resolution").count() == 3
    assert_replay_reproduces_the_stored_timers(case)

    client.force_login(supervisor)
    with time_machine.travel(at(2026, 11, 30, 16, 30), tick=False):
        sla = {t["metric"]: t for t in client.get(f"/api/v1/cases/{case.number}/").json()["sla"]}
        breached = client.get("/api/v1/cases/", {"breached": "true"}).json()["results"]
        by_state = client.get("/api/v1/cases/", {"sla_state": "breached"}).json()["results"]
        report = client.get("/api/v1/reports/sla/", {"from": "2026-11-01", "to": "2026-12-01"}).json()
    assert (sla["resolution"]["breached"], sla["resolution"]["remaining_business_seconds"]) == (True, -6 * 3600)
    assert case.number in {row["number"] for row in breached}
    assert case.number in {row["number"] for row in by_state}
    assert any(row["case"] == case.number and row["metric"] == "resolution" for row in report["breaches"])

    with time_machine.travel(at(2026, 12, 1, 10), tick=False):  # the client answers: the clock runs again
        message_create(case=case, author=client_profile.user, body="材料已上传")
    resumed = timer(case, "resolution")
    assert resumed.resumed_at == at(2026, 12, 1, 10)
    assert resumed.due_at == at(2026, 11, 30, 10)  # the moment it reached its target, not the reply's
    assert_still_breached(resumed)
    assert sla_sweep(now=at(2026, 12, 1, 10, 1)) == 0
    assert_replay_reproduces_the_stored_timers(case)


def test_a_level_crossed_before_a_pause_fires_once_and_the_next_ones_after_the_resume(client_profile, agent):
    with time_machine.travel(at(2026, 11, 25, 10), tick=False):
        case = case_create(created_by=agent, client=client_profile, kind="ticket", subject="SLA", priority="normal")
        case = case_transition(case=case, user=agent, name="open")
    with time_machine.travel(at(2026, 11, 25, 10, 30), tick=False):
        message_create(case=case, author=agent, body="请补充材料")
    with time_machine.travel(at(2026, 11, 26, 15), tick=False):  # 13 of 24 hours run: past 50 %, short of 75 %
        case = case_transition(case=case, user=agent, name="wait_on_client", comment="需要材料")
    assert sla_sweep(now=at(2026, 11, 26, 15, 1)) == 1
    assert sla_sweep(now=at(2026, 11, 27, 15, 1)) == 0
    paused = timer(case, "resolution")
    assert (paused.state, paused.breached, paused.fired_level, paused.next_alert_at) == ("paused", False, 50, None)
    with time_machine.travel(at(2026, 11, 27, 9), tick=False):
        case = case_transition(case=case, user=agent, name="resume")
    resumed = timer(case, "resolution")
    # 50 % was Thu 14:00; 75 % 5 more hours from Fri 09:00; 100 % 11 more: Fri's 8, then Mon 3.
    assert (resumed.warn_50_at, resumed.warn_75_at, resumed.due_at) == (
        at(2026, 11, 26, 14), at(2026, 11, 27, 14), at(2026, 11, 30, 12))
    assert resumed.next_alert_at == at(2026, 11, 27, 14)
    assert sla_sweep(now=at(2026, 11, 27, 14, 1)) == 1
    assert sla_sweep(now=at(2026, 11, 30, 12, 1)) == 1
    assert sorted(SlaEscalation.objects.filter(timer=resumed).values_list("level", flat=True)) == [50, 75, 100]
    assert_replay_reproduces_the_stored_timers(case)


def test_the_demo_timers_past_their_target_are_breached_once_swept():
    """The demo (cases/demo) drives its cases through the services without sweeps on the way:
    its timers paused past their due moment were shown breached, stored as not, and never swept
    (CS-2026-000094 among them, seeded on 27 Nov 2026)."""
    with time_machine.travel(at(2026, 11, 27, 8, 30)):
        call_command("seed_demo", stdout=io.StringIO())
        now = timezone.now()
    sla_sweep(now=now)
    schedules = ScheduleCache()
    active = list(SlaTimer.objects.filter(stopped_at=None))
    late = [one for one in active if sla_timer_data(one, schedules, now)["remaining_business_seconds"] < 0]
    assert any(one.resumed_at is None for one in late), "the demo has timers paused past their due moment"
    assert [one.pk for one in late if not (one.breached and one.fired_level == 100 and one.state == "breached")] == []
    assert set(SlaEscalation.objects.filter(level=100).values_list("timer_id", flat=True)) >= {one.pk for one in late}
    escalated = set(Case.objects.exclude(escalated_at=None).values_list("pk", flat=True))
    assert {one.case_id for one in late} <= escalated
    assert sla_sweep(now=now) == 0
    assert [case.number for case in Case.objects.filter(sla_timers__isnull=False).distinct()
            if sla_rebuild(case=case)] == []


def test_the_breached_filter_finds_what_the_timers_show_before_the_sweep_marks_them(api, supervisor, client_profile,
                                                                                     agent):
    """?breached=true asked only for timers the sweep had marked: a clock past its target showed
    `breached: true` on the case, yet the filter left the case out until the next sweep (and
    ?breached=false listed it). A clock due at a closing has reached its target all night long."""
    with time_machine.travel(at(2026, 11, 25, 10), tick=False):
        late = case_create(created_by=agent, client=client_profile, kind="ticket", subject="late", priority="urgent")
    with time_machine.travel(at(2026, 11, 25, 13), tick=False):
        at_close = case_create(created_by=agent, client=client_profile, kind="ticket", subject="close",
                               priority="urgent")
        message_create(case=at_close, author=agent, body="您好，已收到。")  # resolution due 17:00, the close
    http = api.as_user(supervisor)
    for moment, expected in ((at(2026, 11, 25, 10, 20), set()), (at(2026, 11, 25, 10, 31), {late.number}),
                             (at(2026, 11, 25, 20), {late.number, at_close.number})):
        with time_machine.travel(moment, tick=False):
            rows = http.get("/api/v1/cases/", {"breached": "true"}).json()["results"]
            others = {row["number"] for row in http.get("/api/v1/cases/", {"breached": "false"}).json()["results"]}
            by_state, running = ({row["number"] for row in http.get(
                "/api/v1/cases/", {"sla_state": state}).json()["results"]} for state in ("breached", "running"))
        shown_breached = {row["number"] for row in rows if any(t["breached"] for t in row["sla"])}
        shown_state = {row["number"] for row in rows if any(t["state"] == "breached" for t in row["sla"])}
        assert {row["number"] for row in rows} == shown_breached == shown_state == by_state == expected
        assert others == {late.number, at_close.number} - expected
        # a case still has running clocks besides the late one (its first response, its resolution)
        assert running >= {late.number, at_close.number} - expected
    assert not SlaTimer.objects.filter(breached=True).exists()  # no sweep ran


def test_the_case_page_shows_a_clock_past_its_due_moment_breached_before_the_sweep(client, supervisor, agent,
                                                                                   client_profile):
    """The API's state said breached, the case page's timers still said running (in red)."""
    from django.urls import reverse

    with time_machine.travel(at(2026, 11, 25, 10), tick=False):
        late = case_create(created_by=agent, client=client_profile, kind="ticket", subject="late", priority="urgent")
    client.force_login(supervisor)
    with time_machine.travel(at(2026, 11, 25, 10, 31), tick=False):  # first response was due at 10:30
        body = client.get(reverse("console:case_part", args=[late.number, "timers"]),
                          HTTP_ACCEPT_LANGUAGE="en").content.decode()
    row = re.search(r'<tr class="timer[^"]*" data-metric="first_response".*?</tr>', body, re.DOTALL).group(0)
    assert 'data-state="breached"' in row and "Breached" in row and "sla-100" in row
    assert SlaTimer.objects.get(case=late, metric="first_response").state == "running"  # no sweep ran


def test_a_clock_breached_before_its_pause_and_stopped_paused_says_when_it_was_due(client_profile, agent,
                                                                                supervisor, client):
    """A clock that ran past its due moment, was paused (waiting on the client) and stopped so (the
    case resolved) was listed in the report's and the dashboard's breach lists with no due moment
    ("due_at": null; PostgreSQL sorted it above the latest breaches)."""
    with time_machine.travel(at(2026, 11, 25, 10), tick=False):
        case = case_create(created_by=agent, client=client_profile, kind="ticket", subject="SLA", priority="normal")
        case = case_transition(case=case, user=agent, name="open")
    with time_machine.travel(at(2026, 11, 25, 10, 30), tick=False):
        message_create(case=case, author=agent, body="请补充材料")
    with time_machine.travel(at(2026, 11, 30, 16), tick=False):  # resolution due Mon 30 Nov 10:00
        case = case_transition(case=case, user=agent, name="wait_on_client", comment="需要材料")
    assert sla_sweep(now=at(2026, 11, 30, 16, 1)) == 3
    client.force_login(supervisor)
    with time_machine.travel(at(2026, 12, 1, 10), tick=False):
        case = case_transition(case=case, user=agent, name="resolve", comment="已处理")
    resolved = timer(case, "resolution")
    assert (resolved.state, resolved.due_at) == ("breached", at(2026, 11, 30, 10))
    with time_machine.travel(at(2026, 12, 1, 11), tick=False):
        report = client.get("/api/v1/reports/sla/", {"from": "2026-11-01", "to": "2026-12-01"}).json()
        page = client.get(reverse("supervisor:dashboard"), {"from": "2026-11-01", "to": "2026-11-30"}).content.decode()
    assert [(row["metric"], row["due_at"]) for row in report["breaches"] if row["case"] == case.number] == [
        ("resolution", "2026-11-30T10:00:00+08:00")]
    assert "2026-11-30 10:00" in page
    assert_replay_reproduces_the_stored_timers(case)


def test_a_breach_no_sweep_recorded_yet_is_not_undone_by_a_longer_target(client_profile, agent, supervisor,
                                                                          django_capture_on_commit_callbacks):
    """An urgent ticket's first response (30 min) was due at 10:30 and shown breached from then on,
    but no sweep ran (beat down for a while); lowering the priority at 10:45 (4 h) made it running
    and in time again, and its breach was never escalated nor counted: with beat running, the sweep
    of 10:31 had recorded it and it stayed breached."""
    from notifications.models import Notification

    with time_machine.travel(at(2026, 11, 25, 10), tick=False):
        case = case_create(created_by=agent, client=client_profile, kind="ticket", subject="SLA", priority="urgent")
    with time_machine.travel(at(2026, 11, 25, 10, 45), tick=False):
        case_update(case=case, user=supervisor, priority="normal")
    first = timer(case, "first_response")
    assert (first.target_seconds, first.due_at) == (4 * 3600, at(2026, 11, 25, 14))
    assert (first.state, first.breached, first.fired_level) == ("breached", True, 0)
    data = sla_timer_data(first, ScheduleCache(), at(2026, 11, 25, 10, 46))
    assert (data["state"], data["breached"]) == ("breached", True)
    with django_capture_on_commit_callbacks(execute=True):
        assert sla_sweep(now=at(2026, 11, 25, 10, 46)) == 1  # its breach, at once
        assert sla_sweep(now=at(2026, 11, 25, 14, 1)) == 0  # and never again
    first.refresh_from_db()
    assert (first.state, first.breached, first.fired_level, first.next_alert_at) == ("breached", True, 100, None)
    assert list(first.escalations.values_list("level", flat=True)) == [100]
    case.refresh_from_db()
    assert case.escalated_at == at(2026, 11, 25, 10, 46)
    assert Notification.objects.filter(recipient_user=supervisor, case=case, data__metric="first_response",
                                       data__level=100).count() == 1
    with time_machine.travel(at(2026, 11, 25, 11), tick=False):
        message_create(case=case, author=agent, body="您好，已收到。")
    assert timer(case, "first_response").state == "breached"
    assert timer(case, "resolution").breached is False  # 45 min of its 3 working days: in time
    assert_replay_reproduces_the_stored_timers(case)
