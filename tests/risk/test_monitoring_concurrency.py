"""Two monitoring runs at once never open two margin calls for one account (PostgreSQL)."""

import threading
from decimal import Decimal as D

import pytest
from django.db import connections

from cases.models import Case, CaseEvent
from notifications.models import Notification
from risk.models import MonitoringRun
from risk.monitoring import monitor_accounts
from tests.factories import CreditAccountFactory, PositionFactory, SecurityFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres(reason="concurrent monitoring runs need PostgreSQL (set DATABASE_URL)"),
]


def test_two_runs_at_once_open_one_case_per_account():
    security = SecurityFactory(price=D("12.00"))
    accounts = [CreditAccountFactory(financing_debt=D("100000")) for _ in range(30)]
    for account in accounts:
        PositionFactory(account=account, security=security, quantity=10000)
    barrier = threading.Barrier(2)
    results = []

    def run():
        try:
            barrier.wait()
            results.append(monitor_accounts(trigger="test"))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == 2
    assert sorted(outcome.cases_opened for outcome in results) == [0, 30]
    assert Case.objects.filter(kind="margin_call").count() == 30
    assert MonitoringRun.objects.count() == 1  # the second run found nothing changed
    assert CaseEvent.objects.filter(kind="created", case__kind="margin_call").count() == 30
    sms = Notification.objects.filter(event="margin_call", channel="sms")
    assert sms.count() == 30 and sms.values("recipient_client").distinct().count() == 30
