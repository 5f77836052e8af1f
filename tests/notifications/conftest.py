import datetime

import pytest
import time_machine
from django.test import override_settings

from cases.services import case_create
from tests.notifications import backends


@pytest.fixture
def recorded_sms():
    """SMS go to a list instead of the console."""
    backends.SENT.clear()
    with override_settings(SMS_BACKEND="tests.notifications.backends.RecordingSmsBackend"):
        yield backends.SENT
    backends.SENT.clear()


@pytest.fixture
def failing_sms():
    with override_settings(SMS_BACKEND="tests.notifications.backends.FailingSmsBackend"):
        yield


@pytest.fixture
def ticket(client_profile, agent):
    return case_create(created_by=agent, client=client_profile, kind="ticket", subject="融资利率咨询",
                       description="请问利率多少", category="fees")


#: 10:00 in Shanghai: not a quiet hour, nothing waits for the morning.
DAYTIME = datetime.datetime(2026, 3, 10, 2, 0, tzinfo=datetime.timezone.utc)


@pytest.fixture
def daytime():
    with time_machine.travel(DAYTIME, tick=True):
        yield
