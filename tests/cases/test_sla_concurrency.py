"""Two SLA sweeps at once fire each level exactly once (PostgreSQL: SKIP LOCKED + unique rows)."""

import datetime
import threading
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connections

from cases.models import CaseEvent, CaseKind, SlaEscalation
from cases.services import case_create
from cases.sla_sweep import sla_sweep
from notifications.models import Notification

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres(reason="concurrent sweeps need PostgreSQL row locks (set DATABASE_URL)"),
]
SH = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize("rounds", [1, 3])
def test_two_concurrent_sweeps_fire_each_level_once(client_profile, agent, supervisor, rounds):
    with time_machine.travel(datetime.datetime(2026, 11, 25, 10, tzinfo=SH), tick=False):
        cases = [case_create(created_by=agent, client=client_profile, kind=CaseKind.TICKET, subject=f"c{i}",
                             priority="urgent") for i in range(40)]
    # By Thu 09:00 every level of every timer (first response 30 min, resolution 4 h) has passed.
    now = datetime.datetime(2026, 11, 26, 9, tzinfo=SH)
    totals = []
    for _ in range(rounds):
        barrier = threading.Barrier(2)
        results = []

        def sweep():
            try:
                barrier.wait()
                results.append(sla_sweep(now=now))
            finally:
                connections.close_all()

        threads = [threading.Thread(target=sweep) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        totals.append(sum(results))
    expected = len(cases) * 2 * 3  # two timers per case, three levels each
    assert totals[0] == expected and sum(totals) == expected
    assert SlaEscalation.objects.count() == expected
    assert CaseEvent.objects.filter(kind="escalation").count() == expected
    breaches = Notification.objects.filter(event="sla_warning", recipient_user=supervisor, data__level=100)
    assert breaches.count() == len(cases) * 2
