"""The SLA sweep at the moment a person changes the case whose timer it fires (PostgreSQL, real
concurrent transactions). A person's change locks the case, then its timers (the event moves them:
cases.services.sla.sla_on_event); the sweep locks the due timers, then needs the case: a breach
marks it escalated. Each waited for the other and PostgreSQL aborted one of them as a deadlock: the
agent's reply (a server error) or the sweep."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from cases.models import Case, CaseKind, SlaEscalation
from cases.services import case_create
from cases.services.messages import message_create
from cases.sla_sweep import sla_sweep
from tests.concurrency import holding_then

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]
SH = ZoneInfo("Asia/Shanghai")
OPENED = datetime.datetime(2026, 11, 25, 10, tzinfo=SH)  # urgent: first response due in 30 minutes
BREACHED = datetime.datetime(2026, 11, 25, 10, 31, tzinfo=SH)


@pytest.fixture
def ticket(client_profile, agent):
    with time_machine.travel(OPENED, tick=False):
        return case_create(created_by=agent, client=client_profile, kind=CaseKind.TICKET, subject="无法登录",
                           priority="urgent")


def _warnings(case, level):
    return SlaEscalation.objects.filter(case_id=case.pk, level=level).count()


def test_an_agent_writes_a_note_while_the_sweep_fires_a_breach(ticket, agent):
    """The agent's note holds the case: the sweep passes its timers by (the next sweep fires them),
    and the note is written; nothing fires twice, nothing is lost."""
    def note():
        with time_machine.travel(BREACHED, tick=False):
            return message_create(case=ticket, author=agent, body="客户来电，稍后回复", internal=True)

    def reply_moves_the_case():  # message_create's first write: the case's last update
        Case.objects.filter(pk=ticket.pk).update(updated_at=BREACHED)

    written, fired = holding_then(reply_moves_the_case, note, lambda: sla_sweep(now=BREACHED))
    assert not isinstance(written, Exception) and not isinstance(fired, Exception), (written, fired)
    later = sla_sweep(now=BREACHED + datetime.timedelta(minutes=1))
    assert fired + later == 3, (fired, later)  # first response: 50, 75, 100 %
    assert [_warnings(ticket, level) for level in (50, 75, 100)] == [1, 1, 1]
    assert Case.objects.get(pk=ticket.pk).escalated_at is not None
