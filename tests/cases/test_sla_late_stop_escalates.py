"""A clock stopped after its due moment before any sweep saw it (a dispute acknowledged late, a
final response approved late, a reply sent late while beat was down or between two runs of
`manage.py sla_sweep`) is breached, and that breach is escalated and told like any other: once,
by the next sweep, to the supervisors and, for a dispute's regulatory metric, to compliance (its
50 % and 75 % warnings, about a clock nobody can act on any more, are not sent)."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from cases.models import CaseKind, SlaEscalation, SlaTimer
from cases.services import case_create, case_transition
from cases.services.sla import sla_replay
from cases.sla_engine import Timer
from cases.sla_sweep import sla_sweep
from notifications.models import Notification

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def at(*args):
    return datetime.datetime(*args, tzinfo=SH)


def test_a_late_acknowledgement_the_sweep_never_saw_still_tells_compliance_once(
        client_profile, credit_account, agent, supervisor, auditor, django_capture_on_commit_callbacks):
    with time_machine.travel(at(2026, 11, 25, 10), tick=False):  # Wed: acknowledge due Thu 10:00
        dispute = case_create(created_by=agent, client=client_profile, kind=CaseKind.DISPUTE, subject="利息多收",
                              priority="normal", channel="phone", credit_account=credit_account)
    with time_machine.travel(at(2026, 11, 26, 10, 30), tick=False):  # no sweep ran in between
        dispute = case_transition(case=dispute, user=agent, name="acknowledge")
    ack = SlaTimer.objects.get(case=dispute, metric="regulatory_ack")
    assert (ack.state, ack.breached, ack.due_at) == ("breached", True, at(2026, 11, 26, 10))

    with django_capture_on_commit_callbacks(execute=True):
        sla_sweep(now=at(2026, 11, 26, 10, 31))
    with django_capture_on_commit_callbacks(execute=True):
        assert sla_sweep(now=at(2026, 11, 26, 10, 32)) == 0  # once
    told = Notification.objects.filter(recipient_user=auditor, case=dispute, data__metric="regulatory_ack")
    assert list(told.values_list("data__level", flat=True)) == [100]
    assert Notification.objects.filter(recipient_user=supervisor, case=dispute, data__metric="regulatory_ack",
                                       data__level=100).count() == 1
    dispute.refresh_from_db()
    assert dispute.escalated_at == at(2026, 11, 26, 10, 31)
    assert dispute.events.filter(kind="escalation", from_value="regulatory_ack", to_value="100").count() == 1
    ack.refresh_from_db()
    assert (ack.state, ack.fired_level, ack.next_alert_at, ack.stopped_at) == (
        "breached", 100, None, at(2026, 11, 26, 10, 30))
    # Its breach alone: no "time is running out" warning to the agent who has just acknowledged.
    assert list(SlaEscalation.objects.filter(timer=ack).values_list("level", flat=True)) == [100]
    assert not Notification.objects.filter(case=dispute, data__metric="regulatory_ack", data__level__lt=100).exists()
    stored = {(t.metric, t.cycle): Timer.from_model(t).as_dict() for t in SlaTimer.objects.filter(case=dispute)}
    assert {(t.metric, t.cycle): t.as_dict() for t in sla_replay(dispute)} == stored


def test_a_clock_stopped_in_time_leaves_the_sweep_nothing(client_profile, credit_account, agent, auditor):
    with time_machine.travel(at(2026, 11, 25, 10), tick=False):
        dispute = case_create(created_by=agent, client=client_profile, kind=CaseKind.DISPUTE, subject="利息多收",
                              priority="normal", channel="phone", credit_account=credit_account)
    with time_machine.travel(at(2026, 11, 26, 10), tick=False):  # at its due moment itself: in time
        dispute = case_transition(case=dispute, user=agent, name="acknowledge")
    ack = SlaTimer.objects.get(case=dispute, metric="regulatory_ack")
    assert (ack.state, ack.next_alert_at) == ("met", None)
    sla_sweep(now=at(2026, 11, 26, 10, 1))
    assert not SlaEscalation.objects.filter(timer=ack).exists()

