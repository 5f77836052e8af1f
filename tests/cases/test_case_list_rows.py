"""The staff case list builds its rows from values, not through CaseListSerializer (about 9 ms of
a 50-row page): every row must still be exactly what the serializer, which the API schema
documents, would give, for cases in every shape (unassigned, paused, resolved, with an account,
with several metrics)."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from cases import selectors
from cases.serializers import CaseListSerializer

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def opened(api, client_profile, **body) -> str:
    response = api.as_user(client_profile.user).post(
        "/api/v1/cases/", {"kind": "ticket", "subject": "无法登录", "category": "technical", **body}, format="json")
    assert response.status_code == 201, response.data
    return response.data["number"]


def test_each_row_of_the_staff_list_is_what_the_serializer_gives(api, client_profile, credit_account, agent,
                                                                supervisor):
    with time_machine.travel(datetime.datetime(2026, 3, 2, 9, 30, tzinfo=SH), tick=False):
        opened(api, client_profile)  # new, in a queue, nobody assigned
        paused = opened(api, client_profile, priority="high")
        dispute = opened(api, client_profile, kind="dispute", subject="利息计算有误",
                         credit_account=credit_account.account_no)
        resolved = opened(api, client_profile, priority="urgent")
    with time_machine.travel(datetime.datetime(2026, 3, 2, 10, 5, tzinfo=SH), tick=False):
        staff = api.as_user(agent)  # one API client: as_user switches who it is
        for number in (paused, resolved):
            response = staff.post(f"/api/v1/cases/{number}/transitions/open/")
            assert response.status_code == 200, response.data
        staff.patch(f"/api/v1/cases/{paused}/", {"assignee": agent.username}, format="json")
        assert staff.post(f"/api/v1/cases/{paused}/transitions/wait_on_client/",
                          {"comment": "请提供截图"}, format="json").status_code == 200
        assert staff.post(f"/api/v1/cases/{resolved}/transitions/resolve/",
                          {"comment": "已重置密码"}, format="json").status_code == 200
        assert staff.post(f"/api/v1/cases/{dispute}/transitions/acknowledge/").status_code == 200

    with time_machine.travel(datetime.datetime(2026, 3, 3, 14, 0, tzinfo=SH), tick=False):
        rows = api.as_user(supervisor).get("/api/v1/cases/?page_size=200").data["results"]
        expected = CaseListSerializer(list(selectors.case_list(supervisor).order_by("-id")), many=True).data

    assert len(rows) == 4
    assert rows == [dict(row) for row in expected]
    by_number = {row["number"]: row for row in rows}
    assert by_number[paused]["assignee"] == agent.username and by_number[resolved]["resolved_at"]
    assert by_number[dispute]["credit_account"] == credit_account.account_no
    assert {timer["metric"] for timer in by_number[dispute]["sla"]} >= {"first_response", "regulatory_ack"}
    assert any(timer["pause_reason"] for timer in by_number[paused]["sla"])
