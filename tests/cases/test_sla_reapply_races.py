"""The open cases take the targets now in force (a client's tier changed by an import of clients.csv,
an SLA policy edited: a task) while an agent changes the priority of one of them (PostgreSQL, real
concurrent transactions). The task worked out the targets from the case as it had read it, before
the agent's change committed, and applied them after: the case was left on its old priority's
targets, the agent's change of SLA lost. It locks each case and reads it again now, as the agent's
change does."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.models import ClientProfile, Tier
from cases.models import Case, CaseKind, SlaPolicy, SlaTimer
from cases.services import case_create, case_update
from cases.services.sla import policy_for, sla_clients_tier_changed, targets_for
from cases.tasks import sla_reapply_task
from tests.risk.test_margin_call_races import first_then_second

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]
SH = ZoneInfo("Asia/Shanghai")
OPENED = datetime.datetime(2026, 11, 25, 10, tzinfo=SH)
LATER = datetime.datetime(2026, 11, 25, 10, 5, tzinfo=SH)


def test_a_priority_changed_while_the_tier_change_reapplies_the_targets_is_kept(client_profile, agent):
    with time_machine.travel(OPENED, tick=False):
        case = case_create(created_by=agent, client=client_profile, kind=CaseKind.TICKET, subject="无法登录")
    ClientProfile.objects.filter(pk=client_profile.pk).update(tier=Tier.VIP)  # as import_accounts writes it

    def raise_priority():
        with time_machine.travel(LATER, tick=False):
            return case_update(case=case, user=agent, priority="urgent")

    def tier_changed():
        with time_machine.travel(LATER, tick=False):
            return sla_clients_tier_changed(client_ids=[client_profile.pk])

    updated, changed = first_then_second(raise_priority, tier_changed)
    assert updated.priority == "urgent" and not isinstance(changed, Exception), (updated, changed)
    _assert_on_the_targets_in_force(case)


def test_a_priority_changed_while_a_policy_edit_is_reapplied_is_kept(client_profile, agent):
    with time_machine.travel(OPENED, tick=False):
        case = case_create(created_by=agent, client=client_profile, kind=CaseKind.TICKET, subject="无法登录")
    target = SlaPolicy.objects.get(kind="ticket", priority="normal").targets.get(metric="resolution")
    target.target = datetime.timedelta(hours=6)  # the edit the task applies
    target.save()

    def raise_priority():
        with time_machine.travel(LATER, tick=False):
            return case_update(case=case, user=agent, priority="urgent")

    def reapply():
        with time_machine.travel(LATER, tick=False):
            return sla_reapply_task()

    updated, changed = first_then_second(raise_priority, reapply)
    assert updated.priority == "urgent" and not isinstance(changed, Exception), (updated, changed)
    _assert_on_the_targets_in_force(case)


def _assert_on_the_targets_in_force(case):
    case = Case.objects.select_related("client").get(pk=case.pk)
    expected = {metric: seconds for metric, (seconds, _calendar, _pausable)
                in targets_for(case, policy_for(case)).items()}
    timers = dict(SlaTimer.objects.filter(case=case, stopped_at__isnull=True).values_list("metric", "target_seconds"))
    assert timers and {metric: int(seconds) for metric, seconds in timers.items()} == {
        metric: expected[metric] for metric in timers}
