"""A change of a client's tier (the admin, the core system's import) moves their open cases to the
tier's targets without losing the time already run (vip and hnw: half of each target)."""

import datetime
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from cases.models import SlaTimer
from cases.services import case_create
from tests.factories import ClientProfileFactory

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
OPENED = datetime.datetime(2026, 11, 24, 10, tzinfo=SH)  # a Tuesday
LATER = datetime.datetime(2026, 11, 24, 11, tzinfo=SH)
CLIENTS = """\
client_no,name,id_number,phone,email,tier,risk_rating,advisor,language
C200,Li Si,110101198001010022,13800000002,,{tier},,,en
"""


def resolution(case) -> SlaTimer:
    return SlaTimer.objects.get(case=case, metric="resolution", stopped_at=None)


@pytest.fixture
def ticket(agent):
    client = ClientProfileFactory(client_no="C200", name="Li Si", id_number="110101198001010022",
                                  phone="13800000002", email="", tier="standard", language="en")
    with time_machine.travel(OPENED, tick=False):
        case = case_create(created_by=agent, client=client, kind="ticket", subject="对账单", priority="normal")
    assert resolution(case).target_seconds == 3 * 8 * 3600  # 3 working days
    return case


def assert_half_target_and_the_hour_kept(case):
    timer = resolution(case)
    assert timer.target_seconds == 3 * 4 * 3600
    assert timer.elapsed_seconds == 3600  # 10:00–11:00 kept
    # 11 business hours left from 11:00 Tuesday (6 h to 17:00, 5 h from 09:00 Wednesday)
    assert timer.due_at == datetime.datetime(2026, 11, 25, 14, tzinfo=SH)


def test_the_core_systems_import_of_a_new_tier_moves_the_open_cases(ticket, tmp_path,
                                                                    django_capture_on_commit_callbacks):
    (tmp_path / "clients.csv").write_text(CLIENTS.format(tier="vip"), encoding="utf-8")
    with time_machine.travel(LATER, tick=False), django_capture_on_commit_callbacks(execute=True):
        call_command("import_accounts", str(tmp_path), stdout=io.StringIO())
    assert_half_target_and_the_hour_kept(ticket)
    event = ticket.events.filter(name="policy_applied").latest("id")
    assert event.comment == "tier changed"


def test_a_supervisor_changing_the_tier_in_the_admin_moves_the_open_cases(ticket, client, supervisor,
                                                                          django_capture_on_commit_callbacks):
    profile = ticket.client
    client.force_login(supervisor)
    url = reverse("admin:accounts_clientprofile_change", args=[profile.pk])
    data = {"client_no": profile.client_no, "name": profile.name, "tier": "hnw", "risk_rating": "",
            "advisor": "", "language": profile.language, "user": "", "id_number": profile.id_number,
            "phone": profile.phone, "email": ""}
    with time_machine.travel(LATER, tick=False), django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert_half_target_and_the_hour_kept(ticket)


def test_an_import_that_leaves_the_tier_alone_changes_no_targets(ticket, tmp_path,
                                                                django_capture_on_commit_callbacks):
    (tmp_path / "clients.csv").write_text(CLIENTS.format(tier="standard").replace("13800000002", "13900000002"),
                                          encoding="utf-8")
    with time_machine.travel(LATER, tick=False), django_capture_on_commit_callbacks(execute=True):
        call_command("import_accounts", str(tmp_path), stdout=io.StringIO())
    assert ticket.events.filter(name="policy_applied").count() == 1
    assert resolution(ticket).target_seconds == 3 * 8 * 3600
