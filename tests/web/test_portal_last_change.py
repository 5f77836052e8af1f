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


def test_a_margin_call_whose_deadline_a_relief_moved_reads_as_changed_then(client, api, client_profile, agent,
                                                                          supervisor):
    """The client's deadline moved later (their relief approved): the call's page showed the new deadline
    under a last change from before, and the client's events did not say the deadline had moved."""
    from tests.web.margin import open_margin_call

    with time_machine.travel(MORNING, tick=False):
        call = open_margin_call(client_profile, agent)
    with time_machine.travel(MORNING + datetime.timedelta(hours=3), tick=False):
        relief = api.as_user(client_profile.user).post("/api/v1/cases/", {
            "kind": "relief", "category": "more_time", "subject": "资金周五到账",
            "credit_account": call.credit_account.account_no, "requested_days": 2}, format="json")
        assert relief.status_code == 201, relief.data
        for user, name in ((agent, "start_review"), (agent, "propose_approval"), (supervisor, "approve")):
            response = api.as_user(user).post(f"/api/v1/cases/{relief.data['number']}/transitions/{name}/",
                                              {"comment": "说明"}, format="json")
            assert response.status_code == 200, (name, response.data)
    client.force_login(client_profile.user)
    en = {"HTTP_ACCEPT_LANGUAGE": "en"}

    listing = client.get(reverse("portal:cases"), **en).content.decode()
    page = client.get(reverse("portal:case", args=[call.number]), **en).content.decode()
    assert "by 2026-03-16 15:00" in page  # two trading days after the 12th's close
    assert _last_change_in_list(listing, call.number) == "2026-03-10 12:15"
    assert _last_change_on_page(page) == "2026-03-10 12:15"
    events = api.as_user(client_profile.user).get(f"/api/v1/cases/{call.number}/events/").data
    moved = [event for event in events if event["name"] == "deadline_moved"]
    assert [(event["from_value"], event["to_value"]) for event in moved] == [
        ("2026-03-12T15:00:00+08:00", "2026-03-16T15:00:00+08:00")]
