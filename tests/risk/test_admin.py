"""The monitoring's records in the admin read as what they are, in the reader's language: a line by
its name, a margin call by its case's number, a valuation or a run by when it was taken (they read
"MarginCall object (213)" and "line: warning")."""

import datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from risk.models import AccountAlert, MarginCall, MarginCallContact, MonitoringRun
from risk.monitoring import monitor_accounts
from tests.factories import CreditAccountFactory, PositionFactory, SecurityFactory, UserFactory

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
WED = datetime.datetime(2026, 11, 25, 10, tzinfo=SH)


@pytest.fixture
def call(client_profile):
    security = SecurityFactory(price=D("12.00"))
    account = CreditAccountFactory(client=client_profile, financing_debt=D("100000.00"))
    PositionFactory(account=account, security=security, quantity=10000)
    with time_machine.travel(WED, tick=False):
        monitor_accounts(trigger="test")
    return MarginCall.objects.get(account=account)


def page(client, user, name, pk, language="en") -> str:
    client.force_login(user)
    response = client.get(reverse(f"admin:risk_{name}_change", args=[pk]), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


def test_records_read_as_what_they_are(client, risk_officer, call, agent):
    alert = AccountAlert.objects.get(account=call.account, line="warning")
    shown = page(client, risk_officer, "accountalert", alert.pk)
    assert "Warning line, 2026-11-25 10:00" in shown and "object (" not in shown
    assert f"Valuation {alert.opened_snapshot_id}, 2026-11-25 10:00" in shown
    assert "警戒线" in page(client, risk_officer, "accountalert", alert.pk, language="zh-hans")
    assert call.case.number in page(client, risk_officer, "margincall", call.pk)
    run = MonitoringRun.objects.get()
    assert f"Monitoring run {run.pk}, 2026-11-25 10:00" in page(client, risk_officer, "monitoringrun", run.pk)
    contact = MarginCallContact.objects.create(case=call.case, called_at=WED, outcome="promised",
                                               recorded_by=UserFactory())
    with translation.override("en"):
        assert str(contact) == "Client promised to top up, 2026-11-25 10:00"
    with translation.override("zh-hans"):
        assert str(contact) == "客户承诺补仓, 2026-11-25 10:00"
