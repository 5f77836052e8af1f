"""The portal's "last change" of a case is when its client last had something to see: an internal
note or an assignment moved it (updated_at), and the client found a case marked changed with
nothing new on it."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from cases.services import case_assign, case_create, message_create

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
MORNING = datetime.datetime(2026, 3, 10, 9, 15, tzinfo=SH)


def _last_change_in_list(page: str, number: str) -> str:
    row = re.search(rf'<tr data-case="{number}">(.*?)</tr>', page, re.S).group(1)
    return re.findall(r'<td class="nowrap">([^<]*)</td>', row)[-1].strip()


def _last_change_on_page(page: str) -> str:
    return re.search(r"<dt>Last change</dt><dd>([^<]*)</dd>", page).group(1).strip()


def test_staff_work_the_client_cannot_see_does_not_move_the_last_change(client, client_profile, agent):
    with time_machine.travel(MORNING, tick=False):
        case = case_create(created_by=client_profile.user, client=client_profile, kind="ticket",
                           subject="对账单疑问", category="fees")
    with time_machine.travel(MORNING + datetime.timedelta(hours=2), tick=False):
        case = case_assign(case=case, user=agent, assignee=agent)  # opens the ticket: a step the client sees
    with time_machine.travel(MORNING + datetime.timedelta(hours=5), tick=False):
        message_create(case=case, author=agent, body="内部：核对手续费", internal=True)
    client.force_login(client_profile.user)
    en = {"HTTP_ACCEPT_LANGUAGE": "en"}

    listing = client.get(reverse("portal:cases"), **en).content.decode()
    page = client.get(reverse("portal:case", args=[case.number]), **en).content.decode()
    assert _last_change_in_list(listing, case.number) == "2026-03-10 11:15"  # the opening, not the note
    assert _last_change_on_page(page) == "2026-03-10 11:15"

    with time_machine.travel(MORNING + datetime.timedelta(hours=6), tick=False):
        message_create(case=case, author=agent, body="您好，手续费明细见附表。")
    listing = client.get(reverse("portal:cases"), **en).content.decode()
    page = client.get(reverse("portal:case", args=[case.number]), **en).content.decode()
    assert _last_change_in_list(listing, case.number) == "2026-03-10 15:15"
    assert _last_change_on_page(page) == "2026-03-10 15:15"
