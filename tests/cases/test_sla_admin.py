"""Supervisors confirm calendar years and edit calendar days and SLA policies in the admin; bad
input there is an error on its field and saves nothing."""

import datetime

import pytest

from cases.models import CalendarYear, CaseKind, SlaPolicy, SlaTarget, SlaTimer
from cases.services import case_create
from cases.tasks import sla_reapply_task

pytestmark = pytest.mark.django_db


def test_supervisor_confirms_a_calendar_year(client, supervisor):
    supervisor.is_staff = True
    supervisor.save()
    client.force_login(supervisor)
    year = CalendarYear.objects.get(calendar__code="trading", year=2026)
    response = client.post("/admin/cases/calendaryear/", {"action": "confirm", "_selected_action": [year.pk]},
                           follow=True)
    assert response.status_code == 200
    year.refresh_from_db()
    assert year.status == "confirmed" and year.confirmed_by == supervisor
    assert client.get("/admin/cases/slapolicy/").status_code == 200
    assert client.get("/admin/cases/calendarday/").status_code == 200


def test_a_policy_edit_moves_open_cases_without_losing_time(client_profile, agent):
    case = case_create(created_by=agent, client=client_profile, kind=CaseKind.TICKET, subject="x")
    SlaTarget.objects.filter(policy=SlaPolicy.objects.get(kind="ticket", priority="normal"),
                             metric="resolution").update(target=datetime.timedelta(hours=10))
    assert sla_reapply_task() == 1
    assert SlaTimer.objects.get(case=case, metric="resolution").target_seconds == 10 * 3600
    assert sla_reapply_task() == 0


def test_supervisors_see_unconfirmed_years_on_the_admin_home(client, supervisor, team_lead):
    from django.utils import timezone

    this_year = timezone.localdate().year
    client.force_login(supervisor)
    page = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "calendar-warnings" in page and f"Working days calendar for {this_year}" in page
    for calendar_year in CalendarYear.objects.filter(year__in=[this_year, this_year + 1]):
        calendar_year.status = "confirmed"
        calendar_year.save()
    assert "calendar-warnings" not in client.get("/admin/").content.decode()
    team_lead.is_staff = True
    team_lead.save()
    CalendarYear.objects.filter(year=this_year).update(status="estimated")
    client.force_login(team_lead)
    assert "calendar-warnings" not in client.get("/admin/").content.decode()


# --- bad input in the admin is a form error and saves nothing --------------------------------------

def posted(form, data: dict) -> dict:
    """`data` with what `form` (bound or not) would send as it stands."""
    for bound in form:
        value = bound.value()
        if value is not None and value is not False:
            data[bound.html_name] = "on" if value is True else value
    return data


def policy_change(admin, policy, unpaused=(), paused=(), deleted=(), **changes):
    """Post the policy's change page as it stands, but for `changes` (form field names), the
    targets of the metrics `unpaused` no longer pausable, those of `paused` pausable and those of
    `deleted` deleted."""
    url = f"/admin/cases/slapolicy/{policy.pk}/change/"
    page = admin.get(url)
    data = posted(page.context["adminform"].form, {})
    for inline in page.context["inline_admin_formsets"]:
        posted(inline.formset.management_form, data)
        for form in inline.formset.forms:
            posted(form, data)
            if form.instance.metric in unpaused:
                data.pop(form["pausable"].html_name)
            if form.instance.metric in paused:
                data[form["pausable"].html_name] = "on"
            if form.instance.metric in deleted:
                data[f"{form.prefix}-DELETE"] = "on"
    return admin.post(url, {**data, **changes}, HTTP_ACCEPT_LANGUAGE="en")


def stored_policy(policy):
    return (SlaPolicy.objects.get(pk=policy.pk).premium_tier_factor,
            sorted(SlaTarget.objects.filter(policy=policy).values_list("metric", "target")))


@pytest.fixture
def running_ticket(client_profile, agent):
    """A ticket whose clocks run on the normal ticket policy (an edit then moves them)."""
    return case_create(created_by=agent, client=client_profile, kind=CaseKind.TICKET, subject="x")


@pytest.mark.parametrize("target, problem", [
    ("999999999 00:00:00", "business hours:minutes:seconds"),  # was a 500 (OverflowError)
    ("999999:00:00", "at most 1,000 business hours"),
    ("1000:00:01", "at most 1,000 business hours"),
    ("-01:00:00", "business hours:minutes:seconds"),  # was saved, or a 500 with a running clock
    ("0", "business hours:minutes:seconds"),
    ("00:00:00", "at least one minute"),
    ("00:00:59", "at least one minute"),
])
def test_a_target_out_of_bounds_is_a_form_error_and_changes_nothing(
        admin, running_ticket, django_capture_on_commit_callbacks, target, problem):
    policy = SlaPolicy.objects.get(kind="ticket", priority="normal")
    before = stored_policy(policy)
    timers = list(SlaTimer.objects.filter(case=running_ticket).values_list("metric", "target_seconds", "due_at"))
    with django_capture_on_commit_callbacks(execute=True):
        response = policy_change(admin, policy, **{"targets-0-target": target})
    assert response.status_code == 200
    [errors] = [form.errors for form in response.context["inline_admin_formsets"][0].formset.forms if form.errors]
    assert problem in " ".join(errors["target"])
    assert stored_policy(policy) == before
    assert list(SlaTimer.objects.filter(case=running_ticket).values_list("metric", "target_seconds",
                                                                        "due_at")) == timers


@pytest.mark.parametrize("factor", ["-1", "0", "0.00", "0.01", "0.09", "1.01", "5"])
def test_a_premium_factor_out_of_bounds_is_a_form_error_and_changes_nothing(
        admin, running_ticket, django_capture_on_commit_callbacks, factor):
    policy = SlaPolicy.objects.get(kind="ticket", priority="normal")
    before = stored_policy(policy)
    with django_capture_on_commit_callbacks(execute=True):
        response = policy_change(admin, policy, premium_tier_factor=factor)
    assert response.status_code == 200
    assert "between 0.1 and 1" in " ".join(response.context["adminform"].form.errors["premium_tier_factor"])
    assert stored_policy(policy) == before


def test_targets_and_factors_within_bounds_are_saved(admin, running_ticket, django_capture_on_commit_callbacks):
    policy = SlaPolicy.objects.get(kind="ticket", priority="normal")
    with django_capture_on_commit_callbacks(execute=True):
        response = policy_change(admin, policy, premium_tier_factor="1", **{"targets-0-target": "1000:00:00"})
    assert response.status_code == 302, response.content[:500]
    factor, targets = stored_policy(policy)
    assert factor == 1 and datetime.timedelta(hours=1000) in dict(targets).values()
    with django_capture_on_commit_callbacks(execute=True):
        response = policy_change(admin, policy, premium_tier_factor="0.1", **{"targets-0-target": "00:01:00"})
    assert response.status_code == 302, response.content[:500]


def test_the_bounds_are_the_models_for_every_writer():
    from django.core.exceptions import ValidationError

    policy = SlaPolicy.objects.get(kind="ticket", priority="normal")
    target = policy.targets.first()
    target.target = datetime.timedelta(days=999999999)
    with pytest.raises(ValidationError) as refused:
        target.full_clean()
    assert set(refused.value.message_dict) == {"target"}
    policy.premium_tier_factor = 0
    with pytest.raises(ValidationError) as refused:
        policy.full_clean()
    assert set(refused.value.message_dict) == {"premium_tier_factor"}


def test_a_calendar_day_in_a_year_without_data_is_refused(admin):
    from cases.models import BusinessCalendar, CalendarDay

    CalendarYear.objects.filter(year__gte=2028).delete()
    working = BusinessCalendar.objects.get(code="working")
    response = admin.post("/admin/cases/calendarday/add/", {
        "calendar": working.pk, "date": "2028-03-01", "is_business_day": "", "name": "临时休市"},
        HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "calendar has no year 2028" in " ".join(response.context["adminform"].form.errors["date"])
    assert not CalendarDay.objects.filter(date__year=2028).exists()


@pytest.mark.parametrize("code, date, problem", [
    ("trading", "2026-11-28", "never counts a weekend day"),  # a Saturday: the exchange never trades
    ("working", "2026-11-25", "is a weekday, a working day already"),
])
def test_a_make_up_working_day_the_supervisor_page_refuses_is_refused_in_the_admin_too(admin, code, date, problem):
    from cases.models import BusinessCalendar, CalendarDay

    calendar = BusinessCalendar.objects.get(code=code)
    response = admin.post("/admin/cases/calendarday/add/", {
        "calendar": calendar.pk, "date": date, "is_business_day": "on", "name": "调休"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert problem in " ".join(response.context["adminform"].form.errors["date"])
    assert not CalendarDay.objects.filter(calendar=calendar, date=date).exists()


def test_a_make_up_saturday_on_the_working_calendar_is_added_in_the_admin(admin, django_capture_on_commit_callbacks):
    from cases.models import BusinessCalendar, CalendarDay

    working = BusinessCalendar.objects.get(code="working")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post("/admin/cases/calendarday/add/", {
            "calendar": working.pk, "date": "2026-11-28", "is_business_day": "on", "name": "调休上班日",
            "name_en": "Make-up working day"})
    assert response.status_code == 302, response.content[:500]
    assert CalendarDay.objects.get(calendar=working, date=datetime.date(2026, 11, 28)).is_business_day


@pytest.mark.parametrize("how", ["delete_page", "delete_action"])
def test_deleting_a_policy_moves_its_open_cases_to_the_next_match_without_losing_time(
        admin, supervisor, client_profile, agent, django_capture_on_commit_callbacks, how):
    """A policy deleted in the admin (by a superuser: supervisors deactivate) left its open cases
    on its targets for good: only a save moved them (a policy change keeps the time already run
    and recomputes the due moments)."""
    import time_machine

    from cases.sla import add_business_time

    supervisor.is_superuser = True
    supervisor.save()
    special = SlaPolicy.objects.create(position=1, name="特", name_en="Special", kind="ticket", priority="normal")
    SlaTarget.objects.create(policy=special, metric="resolution", target=datetime.timedelta(hours=10),
                             calendar_id=SlaTarget.objects.values_list("calendar", flat=True).first())
    start = datetime.datetime(2026, 11, 25, 10, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
    with time_machine.travel(start, tick=False):
        case = case_create(created_by=agent, client=client_profile, kind=CaseKind.TICKET, subject="x")
    assert SlaTimer.objects.get(case=case, metric="resolution").target_seconds == 10 * 3600
    with time_machine.travel(start + datetime.timedelta(hours=2), tick=False), \
            django_capture_on_commit_callbacks(execute=True):
        if how == "delete_page":
            response = admin.post(f"/admin/cases/slapolicy/{special.pk}/delete/", {"post": "yes"})
        else:
            response = admin.post("/admin/cases/slapolicy/", {"action": "delete_selected", "post": "yes",
                                                              "_selected_action": [special.pk]})
    assert response.status_code == 302 and not SlaPolicy.objects.filter(pk=special.pk).exists()
    resolution = SlaTimer.objects.get(case=case, metric="resolution")
    assert (resolution.target_seconds, resolution.elapsed_seconds) == (24 * 3600, 2 * 3600)  # "Ticket, normal"
    assert resolution.due_at == add_business_time(start, datetime.timedelta(hours=24))


@pytest.mark.parametrize("opens_at, closes_at", [("17:00", "09:00"), ("09:00", "09:00")])
def test_service_hours_that_close_before_they_open_are_a_form_error(admin, opens_at, closes_at):
    """A calendar saved closing at or before its opening had no business time: every case opened
    afterwards was refused as if the calendar had no data for a year (the deadline never came)."""
    from cases.models import BusinessCalendar

    calendar = BusinessCalendar.objects.get(code="working")
    response = admin.post(f"/admin/cases/businesscalendar/{calendar.pk}/change/", {
        "code": "working", "name": calendar.name, "name_en": calendar.name_en, "opens_at": opens_at,
        "closes_at": closes_at, "weekend_days_can_be_business": "on"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "after the opening time" in " ".join(response.context["adminform"].form.errors["closes_at"])
    calendar.refresh_from_db()
    assert (calendar.opens_at, calendar.closes_at) == (datetime.time(9), datetime.time(17))


def test_new_service_hours_move_the_running_clocks_and_the_rebuild_keeps_them(
        admin, client_profile, agent, django_capture_on_commit_callbacks):
    """The service hours of a calendar changed in the admin left every running clock on the old
    ones: an urgent ticket due at 14:00 stayed due then after the day was made to open at 10:00."""
    import time_machine

    from cases.models import BusinessCalendar, CaseEvent
    from cases.services.sla import sla_rebuild

    start = datetime.datetime(2026, 11, 25, 9, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
    with time_machine.travel(start, tick=False):
        case = case_create(created_by=agent, client=client_profile, kind=CaseKind.TICKET, subject="x",
                           priority="urgent")
    assert SlaTimer.objects.get(case=case, metric="resolution").due_at == start + datetime.timedelta(hours=4)
    calendar = BusinessCalendar.objects.get(code="working")
    with time_machine.travel(start - datetime.timedelta(hours=12), tick=False), \
            django_capture_on_commit_callbacks(execute=True):
        # the evening before, so that no business time has run under the old hours
        response = admin.post(f"/admin/cases/businesscalendar/{calendar.pk}/change/", {
            "code": "working", "name": calendar.name, "name_en": calendar.name_en, "opens_at": "10:00",
            "closes_at": "17:00", "weekend_days_can_be_business": "on"})
    assert response.status_code == 302
    resolution = SlaTimer.objects.get(case=case, metric="resolution")
    assert resolution.due_at == start + datetime.timedelta(hours=4, minutes=30)  # from 10:00, not 09:30
    moved = CaseEvent.objects.get(case=case, name="calendar_changed")
    assert moved.comment == "10:00–17:00"
    assert sla_rebuild(case=case) is False  # the event log reproduces the stored clocks


def test_confirming_a_year_confirmed_already_keeps_who_confirmed_it(client, supervisor, other_supervisor):
    """The admin's action confirmed the selected years again: a year another supervisor had confirmed
    (checked against the exchange's notice) was stamped with the second supervisor and the new time,
    and the message counted it as confirmed. The calendar page refuses that; the admin now leaves it."""
    from cases.calendars import calendar_year_confirm

    done = calendar_year_confirm(calendar_year=CalendarYear.objects.get(calendar__code="trading", year=2026),
                                 user=supervisor)
    estimated = CalendarYear.objects.get(calendar__code="working", year=2026)
    other_supervisor.is_staff = True
    other_supervisor.save()
    client.force_login(other_supervisor)
    response = client.post("/admin/cases/calendaryear/", {"action": "confirm", "_selected_action": [done.pk,
                                                                                                  estimated.pk]},
                           follow=True, HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert "1 year(s) confirmed." in page and "1 year(s) were confirmed already" in page
    kept = CalendarYear.objects.get(pk=done.pk)
    assert (kept.confirmed_by, kept.confirmed_at) == (supervisor, done.confirmed_at)
    estimated.refresh_from_db()
    assert (estimated.status, estimated.confirmed_by) == ("confirmed", other_supervisor)


def test_a_regulatory_deadline_on_another_calendar_than_working_days_is_a_form_error(
        admin, django_capture_on_commit_callbacks):
    """The regulatory deadlines are counted in working days (issue "SLA engine"): the admin saved a
    regulatory acknowledgement on the trading calendar, a deadline counted in 6-hour trading days."""
    from cases.models import BusinessCalendar

    policy = SlaPolicy.objects.get(kind="dispute")
    before = sorted(SlaTarget.objects.filter(policy=policy).values_list("metric", "calendar__code"))
    page = admin.get(f"/admin/cases/slapolicy/{policy.pk}/change/")
    forms = page.context["inline_admin_formsets"][0].formset.forms
    index = next(position for position, form in enumerate(forms) if form.instance.metric == "regulatory_ack")
    trading = BusinessCalendar.objects.get(code="trading")
    with django_capture_on_commit_callbacks(execute=True):
        response = policy_change(admin, policy, **{f"targets-{index}-calendar": trading.pk})
    assert response.status_code == 200
    [errors] = [form.errors for form in response.context["inline_admin_formsets"][0].formset.forms if form.errors]
    assert "counted in working days" in " ".join(errors["calendar"])
    assert sorted(SlaTarget.objects.filter(policy=policy).values_list("metric", "calendar__code")) == before
    resolution = next(position for position, form in enumerate(forms) if form.instance.metric == "resolution")
    with django_capture_on_commit_callbacks(execute=True):
        response = policy_change(admin, policy, **{f"targets-{resolution}-calendar": trading.pk})
    assert response.status_code == 302  # any other metric may run on the trading calendar


def test_a_policy_for_margin_calls_is_a_form_error_as_they_get_no_sla_timers(
        admin, client_profile, credit_account, django_capture_on_commit_callbacks):
    """Margin calls run on their own deadline: a policy saved for them was taken and timed nothing."""
    from django.core.exceptions import ValidationError

    policy = SlaPolicy.objects.get(kind="ticket", priority="normal")
    with django_capture_on_commit_callbacks(execute=True):
        response = policy_change(admin, policy, kind="margin_call", priority="")
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["kind"] == [
        "Margin calls get no SLA timers (they run on their own deadline): a policy for them would do nothing. "
        "Choose another kind."]
    assert SlaPolicy.objects.get(pk=policy.pk).kind == "ticket"

    stray = SlaPolicy(name="追保", name_en="Margin call", kind=CaseKind.MARGIN_CALL)
    with pytest.raises(ValidationError) as refused:
        stray.full_clean()
    assert set(refused.value.message_dict) == {"kind"}
    for seeded in SlaPolicy.objects.all():  # the shipped policies, one for every kind that is timed
        seeded.full_clean()
    SlaPolicy(name="任意", name_en="Any kind", kind="").full_clean()


def at(*args):
    return datetime.datetime(*args, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))


def waiting_ticket(client_profile, agent):
    """A normal ticket (3 working days) opened Wednesday 25 Nov 2026 10:00, answered and waiting on
    the client since 11:00."""
    import time_machine

    from cases.services import case_transition, message_create

    with time_machine.travel(at(2026, 11, 25, 10), tick=False):
        case = case_transition(case=case_create(created_by=agent, client=client_profile, kind=CaseKind.TICKET,
                                                subject="x"), user=agent, name="open")
    with time_machine.travel(at(2026, 11, 25, 11), tick=False):
        message_create(case=case, author=agent, body="请补充材料")
        return case_transition(case=case, user=agent, name="wait_on_client", comment="请补充材料")


def test_a_target_no_longer_paused_in_the_admin_runs_the_clock_of_a_case_waiting_on_the_client(
        admin, client_profile, agent, django_capture_on_commit_callbacks):
    """A supervisor unticked "pausable" on a resolution target while tickets waited on their
    clients: their resolution clocks stayed paused for good (no deadline, never escalated, counted
    running in the reports) though the policy no longer pauses them."""
    import time_machine

    from cases.services.sla import sla_replay
    from cases.sla_engine import Timer
    from cases.sla_sweep import sla_sweep

    def at(*args):
        return datetime.datetime(*args, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))

    case = waiting_ticket(client_profile, agent)
    assert SlaTimer.objects.get(case=case, metric="resolution").state == "paused"

    policy = SlaPolicy.objects.get(kind="ticket", priority="normal")
    with time_machine.travel(at(2026, 11, 26, 10), tick=False), django_capture_on_commit_callbacks(execute=True):
        response = policy_change(admin, policy, unpaused=("resolution",))
    assert response.status_code == 302, response.content[:500]
    assert not SlaTarget.objects.get(policy=policy, metric="resolution").pausable

    resolution = SlaTimer.objects.get(case=case, metric="resolution")
    assert (resolution.state, resolution.elapsed_seconds, resolution.pausable) == ("running", 3600, False)
    # 23 business hours left from Thursday 10:00: 7 h that day, 8 h on Friday, 8 h on Monday.
    assert resolution.due_at == at(2026, 11, 30, 17)
    assert sla_sweep(now=at(2026, 11, 27, 13, 1)) == 1  # its 50 % (12 h run) on Friday at 13:00
    resolution.refresh_from_db()
    assert resolution.fired_level == 50
    stored = {(t.metric, t.cycle): Timer.from_model(t).as_dict() for t in SlaTimer.objects.filter(case=case)}
    assert {(t.metric, t.cycle): t.as_dict() for t in sla_replay(case)} == stored


def stored_timers_are_the_replay(case) -> bool:
    from cases.services.sla import sla_replay
    from cases.sla_engine import Timer

    stored = {(t.metric, t.cycle): Timer.from_model(t).as_dict() for t in SlaTimer.objects.filter(case=case)}
    return {(t.metric, t.cycle): t.as_dict() for t in sla_replay(case)} == stored


def test_a_target_made_pausable_in_the_admin_pauses_the_clock_of_a_case_waiting_on_the_client(
        admin, client_profile, agent, django_capture_on_commit_callbacks):
    """The other way round: a supervisor ticked "pausable" on a resolution target while tickets
    waited on their clients; their resolution clocks ran on (and escalated) though the policy now
    pauses them, and a replay of the log paused them: the rebuild disagreed with the stored clocks."""
    import time_machine

    from cases.services import message_create

    policy = SlaPolicy.objects.get(kind="ticket", priority="normal")
    SlaTarget.objects.filter(policy=policy, metric="resolution").update(pausable=False)
    case = waiting_ticket(client_profile, agent)
    assert SlaTimer.objects.get(case=case, metric="resolution").state == "running"

    with time_machine.travel(at(2026, 11, 25, 13), tick=False), django_capture_on_commit_callbacks(execute=True):
        response = policy_change(admin, policy, paused=("resolution",))
    assert response.status_code == 302, response.content[:500]
    resolution = SlaTimer.objects.get(case=case, metric="resolution")
    assert (resolution.state, resolution.pause_reason, resolution.elapsed_seconds) == (
        "paused", "waiting_on_client", 3 * 3600)
    assert resolution.due_at is None and resolution.next_alert_at is None
    assert stored_timers_are_the_replay(case)

    with time_machine.travel(at(2026, 11, 26, 9), tick=False):  # the client replies: it runs again
        message_create(case=case, author=client_profile.user, body="材料已补充")
    resolution.refresh_from_db()
    assert resolution.state == "running"
    # 21 business hours left from Thursday 09:00: 8 h that day, 8 h on Friday, 5 h on Monday.
    assert resolution.due_at == at(2026, 11, 30, 14)
    assert stored_timers_are_the_replay(case)


def test_a_metric_removed_from_a_policy_stops_timing_its_open_cases_and_set_again_keeps_their_time(
        admin, client_profile, agent, django_capture_on_commit_callbacks):
    """A supervisor deleted the resolution target of a policy: the open tickets' resolution clocks
    ran on, on the old target, were escalated to the team lead and the supervisor and counted in the
    reports for a target no policy sets any more. Now they stand still (paused, no target) with the
    time they ran; set again, they run on from that time (no time lost, no warning fired twice); a
    case finished meanwhile has its clock cancelled, neither met nor breached. First response, still
    set, runs on throughout."""
    import time_machine

    from cases.services import case_transition
    from cases.sla_sweep import sla_sweep

    policy = SlaPolicy.objects.get(kind="ticket", priority="normal")
    with time_machine.travel(at(2026, 11, 25, 10), tick=False):  # Wednesday: resolution 3 working days
        case = case_create(created_by=agent, client=client_profile, kind=CaseKind.TICKET, subject="x")
        finished = case_create(created_by=agent, client=client_profile, kind=CaseKind.TICKET, subject="y")
    with time_machine.travel(at(2026, 11, 25, 11), tick=False), django_capture_on_commit_callbacks(execute=True):
        response = policy_change(admin, policy, deleted=("resolution",))
    assert response.status_code == 302, response.content[:500]
    assert not SlaTarget.objects.filter(policy=policy, metric="resolution").exists()
    resolution = SlaTimer.objects.get(case=case, metric="resolution")
    assert (resolution.state, resolution.pause_reason, resolution.elapsed_seconds) == ("paused", "no_target", 3600)
    assert resolution.due_at is None and resolution.next_alert_at is None
    assert SlaTimer.objects.get(case=case, metric="first_response").state == "running"
    assert stored_timers_are_the_replay(case)
    # Two days later: the first responses' levels alone are fired (50, 75, 100 of each), none of resolution's.
    assert sla_sweep(now=at(2026, 11, 27, 10)) == 6
    assert not resolution.escalations.exists()
    with time_machine.travel(at(2026, 11, 27, 11), tick=False):
        for name in ("open", "resolve"):
            finished = case_transition(case=finished, user=agent, name=name, comment="已处理")
    assert SlaTimer.objects.get(case=finished, metric="resolution").state == "cancelled"

    SlaTarget.objects.create(policy=policy, metric="resolution", target=datetime.timedelta(hours=24),
                             calendar=SlaTarget.objects.filter(policy=policy).first().calendar)
    with time_machine.travel(at(2026, 11, 30, 10), tick=False):  # Monday
        assert sla_reapply_task() == 1
    resolution.refresh_from_db()
    assert (resolution.cycle, resolution.state, resolution.elapsed_seconds) == (1, "running", 3600)
    assert resolution.due_at == at(2026, 12, 2, 17)  # 23 h left from Monday 10:00: 7 h, 8 h, 8 h
    assert [reason for _paused, _resumed, reason in resolution.pauses] == ["no_target"]
    assert not SlaTimer.objects.filter(case=finished, stopped_at=None).exists()
    assert stored_timers_are_the_replay(case) and stored_timers_are_the_replay(finished)


def test_a_dispute_metric_set_anew_starts_only_where_the_dispute_still_owes_it(client_profile, credit_account, agent):
    """Regulatory targets removed and set again (a supervisor's correction): the acknowledgement, made
    while its clock stood still, cancels it (neither met nor breached); the final response, still owed,
    runs on from then with the time it had run before the removal (none here)."""
    import time_machine

    from cases.services import case_transition

    policy = SlaPolicy.objects.get(kind="dispute")
    removed = list(SlaTarget.objects.filter(policy=policy, metric__in=["regulatory_ack", "regulatory_final"]))
    with time_machine.travel(at(2026, 11, 25, 10), tick=False):
        dispute = case_create(created_by=agent, client=client_profile, kind=CaseKind.DISPUTE, subject="利息多收",
                              priority="normal", channel="phone", credit_account=credit_account)
        SlaTarget.objects.filter(pk__in=[target.pk for target in removed]).delete()
        assert sla_reapply_task() == 1
    assert set(SlaTimer.objects.filter(case=dispute, metric__startswith="regulatory").values_list(
        "state", "pause_reason")) == {("paused", "no_target")}
    with time_machine.travel(at(2026, 11, 25, 11), tick=False):
        dispute = case_transition(case=dispute, user=agent, name="acknowledge")
    with time_machine.travel(at(2026, 11, 25, 14), tick=False):
        for target in removed:
            target.pk = None
            target.save()
        assert sla_reapply_task() == 1
    running = SlaTimer.objects.filter(case=dispute, stopped_at=None)
    assert not running.filter(metric="regulatory_ack").exists()  # cancelled by the acknowledgement
    assert SlaTimer.objects.get(case=dispute, metric="regulatory_ack").state == "cancelled"
    final = running.get(metric="regulatory_final")
    assert (final.cycle, final.state, final.elapsed_seconds) == (1, "running", 0)
    assert [reason for _paused, _resumed, reason in final.pauses] == ["no_target"]
    assert stored_timers_are_the_replay(dispute)
