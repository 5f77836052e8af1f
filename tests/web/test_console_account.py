"""A credit account's history in the console: the interest day by day an agent shows in an
interest dispute (the same lines and total as the API), reached from the case page; staff only."""

import datetime
import re
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from accounts.interest import interest_accrue
from cases.services import case_create
from tests.factories import CreditAccountFactory

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def _summer_2026():
    with time_machine.travel(datetime.datetime(2026, 7, 1, 10, tzinfo=SH), tick=True):
        yield


@pytest.fixture
def dispute(client_profile):
    account = CreditAccountFactory(client=client_profile, account_no="A40000001", financing_debt=D("123456.78"),
                                   annual_rate=D("0.06500"), contract_start=datetime.date(2026, 1, 1),
                                   contract_maturity=datetime.date(2026, 12, 31))
    return case_create(created_by=client_profile.user, kind="dispute", client=client_profile,
                       credit_account=account, category="interest", subject="利息算错了", description="请核对",
                       channel="portal")


def test_an_agent_goes_from_an_interest_dispute_to_the_interest_lines_and_back(client, agent, dispute):
    for day in range(1, 31):
        interest_accrue(datetime.date(2026, 3, day))
    client.force_login(agent)
    case_page = client.get(reverse("console:case", args=[dispute.number]), **EN).content.decode()
    link = f'{reverse("console:account", args=["A40000001"])}?case={dispute.number}'
    assert link in case_page

    page = client.get(link + "&from=2026-03-01&to=2026-03-30", **EN)
    assert page.status_code == 200
    html = page.content.decode()
    # 123,456.78 × 0.065 / 360 = 22.2908 a day (kept to 4 places); 30 days 668.724 → ¥668.72
    assert len(re.findall(r'data-day="2026-03-\d\d"', html)) == 30
    assert html.count('data-amount="22.2908"') == 30 and 'data-total="668.72"' in html
    api = client.get("/api/v1/accounts/A40000001/interest/?from=2026-03-01&to=2026-03-30").json()
    assert api["total"] == "668.72"
    assert reverse("console:case", args=[dispute.number]) in html  # back to the case
    assert f'name="case" value="{dispute.number}"' in html  # kept when the period changes
    assert "Something looks wrong" not in html  # the client's invitation to complain is the portal's


def test_a_bad_period_or_case_is_handled(client, agent, dispute):
    client.force_login(agent)
    url = reverse("console:account", args=["A40000001"])
    response = client.get(url, {"from": "2026-03-10", "to": "2026-03-01"}, **EN)
    assert response.status_code == 400 and "has-error" in response.content.decode()
    response = client.get(url, {"case": "../../etc"}, **EN)  # not a case number: no link back, no error
    assert response.status_code == 200 and "Back to case" not in response.content.decode()


def test_only_staff_in_scope_see_the_account(client, agent, advisor, client_profile, dispute):
    url = reverse("console:account", args=["A40000001"])
    client.force_login(client_profile.user)
    assert client.get(url).status_code == 403  # clients use the portal
    client.force_login(advisor)  # advisors see their own clients' accounts only
    assert client.get(url).status_code == 404
    client.force_login(agent)
    assert client.get(reverse("console:account", args=["NO-SUCH"])).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302
