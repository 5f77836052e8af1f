"""A resolved ticket may be reopened for 7 days; after that the system closes it (hourly job)."""

import datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from cases.models import Case, CaseEvent, CaseKind
from cases.services import case_create, case_transition
from cases.services.transitions import tickets_close_resolved

pytestmark = pytest.mark.django_db
RESOLVED_AT = datetime.datetime(2026, 11, 16, 10, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))


def resolved_ticket(client_profile, agent, at=RESOLVED_AT, subject="x"):
    with time_machine.travel(at, tick=False):
        case = case_create(created_by=client_profile.user, client=client_profile, kind=CaseKind.TICKET,
                           subject=subject)
        for step in ("open", "resolve"):
            case = case_transition(case=case, user=agent, name=step, comment="已处理")
    return case


def test_a_ticket_resolved_more_than_7_days_ago_is_closed_by_the_system(client_profile, agent):
    old = resolved_ticket(client_profile, agent)
    recent = resolved_ticket(client_profile, agent, at=RESOLVED_AT + datetime.timedelta(days=2))
    with time_machine.travel(RESOLVED_AT + datetime.timedelta(days=7, minutes=1), tick=False):
        assert tickets_close_resolved() == 1
        assert tickets_close_resolved() == 0  # nothing twice
    assert Case.objects.get(pk=old.pk).state == "closed"
    assert Case.objects.get(pk=recent.pk).state == "resolved"  # its client may still reopen it
    event = CaseEvent.objects.get(case=old, name="close")
    assert (event.actor, event.from_value, event.to_value) == (None, "resolved", "closed")


def test_a_ticket_reopened_in_time_is_left_to_the_agents(client_profile, agent):
    case = resolved_ticket(client_profile, agent)
    with time_machine.travel(RESOLVED_AT + datetime.timedelta(days=6), tick=False):
        case_transition(case=case, user=client_profile.user, name="reopen", comment="问题没有解决")
    with time_machine.travel(RESOLVED_AT + datetime.timedelta(days=30), tick=False):
        assert tickets_close_resolved() == 0
    assert Case.objects.get(pk=case.pk).state == "open"


def test_the_job_runs_hourly_under_beat_and_in_run_periodic(settings, client_profile, agent):
    from celery.schedules import crontab

    case = resolved_ticket(client_profile, agent)
    job = settings.CELERY_BEAT_SCHEDULE["tickets-close-resolved"]
    assert job["task"] == "cases.close_resolved_tickets" and isinstance(job["schedule"], crontab)
    assert len(job["schedule"].hour) == 24
    settings.CELERY_BEAT_SCHEDULE = {"tickets-close-resolved": job}  # only this job, once
    out = StringIO()
    with time_machine.travel(RESOLVED_AT + datetime.timedelta(days=8), tick=False):
        call_command("run_periodic", "--once", stdout=out)
    assert "tickets-close-resolved: ok" in out.getvalue()
    assert Case.objects.get(pk=case.pk).state == "closed"
