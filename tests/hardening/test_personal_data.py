"""Id numbers and mobile numbers: masked in every log record, and in the API for roles that do
not need them."""

import io
import logging
import os
import subprocess
import sys

import pytest
from django.conf import settings

from accounts.roles import Role
from notifications.models import Notification
from servicedesk.security import PersonalDataFilter, mask_personal_data
from tests.factories import UserFactory


@pytest.mark.parametrize("text, masked", [
    ("id 110101198001011234 ok", "id 1101**********1234 ok"),
    ("身份证号：11010119800101123X。", "身份证号：1101**********123X。"),
    ("old id 110101800101123", "old id 1101*******1123"),
    ("phone 13812345678", "phone 138****5678"),
    ("电话+86 138-1234-5678，", "电话138****5678，"),
    ("sms to 8613912345678 failed", "sms to 139****5678 failed"),
    ("mobile=15900001111&x", "mobile=159****1111&x"),
])
def test_mask_personal_data(text, masked):
    assert mask_personal_data(text) == masked


@pytest.mark.parametrize("text", [
    "case CS-2026-000123", "account A00000123", "amount 12345678901.50", "order 123456789012345678901",
    "ratio 1.35", "phone 12812345678", "at 2026-11-26T10:00:00+08:00", "",
    # A Celery task id holding "173-1234-4256": the worker's log must still name the task it received.
    "Task interest.accrue[3066a173-1234-4256-8a1c-2510925966d3] received",
    "digest 0a13812345678ff", "ref X13812345678",
])
def test_other_numbers_are_left_alone(text):
    assert mask_personal_data(text) == text


def configured_handler():
    """The root handler settings.LOGGING configured ("console"), writing into a buffer. Found by its
    name: a handler Celery set up in this process (its worker logging, which servicedesk.celery gives
    the filter too) may be on the root logger as well, its stream one a finished test closed."""
    handler = next(h for h in logging.getLogger().handlers
                   if h.get_name() == "console" and any(isinstance(f, PersonalDataFilter) for f in h.filters))
    # Swapped without setStream's flush of the stream it had: an earlier test may have closed that one.
    stream, previous = io.StringIO(), handler.stream
    handler.stream = stream
    return handler, stream, previous


def test_the_configured_log_handler_masks_messages_arguments_and_tracebacks():
    handler, stream, previous = configured_handler()
    logger = logging.getLogger("servicedesk.test.personal")
    try:
        logger.warning("SMS to %s for client id %s failed", "13812345678", "110101198001011234")
        try:
            raise ValueError("gateway refused 13912345678")
        except ValueError:
            logger.exception("send failed")
    finally:
        handler.stream = previous
    output = stream.getvalue()
    assert "138****5678" in output and "1101**********1234" in output and "139****5678" in output
    assert "13812345678" not in output and "110101198001011234" not in output and "13912345678" not in output
    assert "Traceback" in output


@pytest.mark.django_db
def test_sms_addresses_in_the_api_are_masked_for_roles_without_need(api, client_profile, agent, supervisor):
    from cases.services import case_create

    case = case_create(created_by=agent, client=client_profile, kind="ticket", subject="电话")
    Notification.objects.create(recipient_client=client_profile, case=case, address=client_profile.phone,
                                channel="sms", event="case_created", body="x")
    url = f"/api/v1/cases/{case.number}/notifications/"
    masked = client_profile.phone[:3] + "****" + client_profile.phone[-4:]
    agent_view = [n["address"] for n in api.as_user(agent).get(url).json() if n["channel"] == "sms"]
    assert agent_view == [masked]
    auditor = UserFactory(username="auditor-pd", roles=[Role.AUDITOR])
    for user in (supervisor, auditor):  # roles that need it (accounts.roles.SEE_PERSONAL_DATA)
        addresses = [n["address"] for n in api.as_user(user).get(url).json() if n["channel"] == "sms"]
        assert addresses == [client_profile.phone], user
    assert [n["address"] for n in api.as_user(client_profile.user).get(url).json() if n["channel"] == "sms"] == [
        client_profile.phone]  # their own number


@pytest.mark.django_db
def test_the_admin_masks_id_number_and_phone_for_agents(client, client_profile):
    from django.urls import reverse

    agent = UserFactory(username="agent-pd", roles=[Role.AGENT], is_staff=True)
    client.force_login(agent)
    response = client.get(reverse("admin:accounts_clientprofile_changelist"))
    if response.status_code != 200:
        pytest.skip("agents do not see the client list in the admin")
    content = response.content.decode()
    assert client_profile.id_number not in content and client_profile.phone not in content


WORKER_LOGGING = """
import logging
import django
django.setup()
from celery.utils.log import get_task_logger
from servicedesk.celery import app
app.log.setup_logging_subsystem(loglevel=logging.INFO)  # what `celery worker` and `celery beat` do
logging.getLogger("notifications.delivery").warning("SMS to %s failed", "13812345678")
get_task_logger("notifications.tasks").warning("client id 110101198001011234")
"""


def test_the_celery_worker_and_beat_logs_mask_personal_data(tmp_path):
    """Celery replaces the root logger's handlers (settings.LOGGING's, with the masking filter) with
    its own, and gives task loggers theirs: the worker's log showed whole phone and id numbers."""
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE,
                   "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}"}
    result = subprocess.run([sys.executable, "-c", WORKER_LOGGING], capture_output=True, text=True, timeout=120,
                            cwd=settings.BASE_DIR, env=environment, check=True)
    output = result.stdout + result.stderr
    assert "SMS to 138****5678 failed" in output and "client id 1101**********1234" in output
    assert "13812345678" not in output and "110101198001011234" not in output
