"""The sweep's data set is built once per test module (inside a transaction rolled back when the
module ends; each test runs in a savepoint of it), with the clock frozen on a trading day."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction
from django.test import override_settings

from tests.security.dataset import build_world

#: A Thursday in trading hours: deadlines, SLA timers and the monitoring behave like on a working day.
SWEEP_TIME = datetime.datetime(2026, 11, 26, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("sweep-media")
    with (django_db_blocker.unblock(), time_machine.travel(SWEEP_TIME, tick=True),
          override_settings(MEDIA_ROOT=media)):
        with transaction.atomic():
            yield build_world()
            transaction.set_rollback(True)
