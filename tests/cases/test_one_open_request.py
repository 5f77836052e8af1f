"""One undecided extension request per account, and one undecided relief request per account and
kind of relief: a second one (sent from another tab, or by an agent for a client who also wrote) was
accepted, reviewed beside the first and could be decided twice. It is a 409 naming the open one; once
that is decided a new one is accepted."""

import datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from accounts.models import Security
from cases.models import Case
from cases.services import case_transition
from cases.services.requests import request_create
from risk.monitoring import monitor_accounts
from servicedesk.errors import Conflict
from tests.concurrency import run_together
from tests.factories import CreditAccountFactory, PositionFactory, SecurityFactory

SH = ZoneInfo("Asia/Shanghai")
THU = datetime.datetime(2026, 2, 12, 10, tzinfo=SH)
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def frozen_time():
    with time_machine.travel(THU, tick=False):
        yield


@pytest.fixture
def account(client_profile):
    """Matures in 10 days (an extension's window); debt 100,000 against 10,000 shares at 20.00."""
    account = CreditAccountFactory(client=client_profile, account_no="A20000001", financing_debt=D("100000.00"),
                                   contract_maturity=THU.date() + datetime.timedelta(days=10))
    PositionFactory(account=account, security=SecurityFactory(price=D("20.00")), quantity=10000)
    return account


def _ask(api, user, account, kind="extension", **extra):
    return api.as_user(user).post("/api/v1/cases/", {
        "kind": kind, "subject": "申请", "credit_account": account.account_no, **extra}, format="json", **EN)


@pytest.mark.django_db
def test_a_second_extension_request_while_the_first_is_undecided_is_a_conflict(api, client_profile, account, agent,
                                                                                 frozen_time):
    first = _ask(api, client_profile.user, account)
    assert first.status_code == 201
    number = first.data["number"]

    again = _ask(api, client_profile.user, account)
    assert again.status_code == 409
    assert again.data["code"] == "open_request" and again.data["case"] == number
    assert number in again.data["detail"] and "still being reviewed" in again.data["detail"]
    # The agent who takes the client's call is told the same, and opens nothing either.
    assert _ask(api, agent, account, client=client_profile.client_no).status_code == 409
    assert Case.objects.filter(kind="extension").count() == 1

    case_transition(case=Case.objects.get(number=number), user=agent, name="start_review")
    assert _ask(api, client_profile.user, account).status_code == 409  # under review: still undecided


@pytest.mark.django_db
def test_once_the_request_is_decided_a_new_one_is_accepted(api, client_profile, account, agent, supervisor,
                                                           frozen_time):
    case = Case.objects.get(number=_ask(api, client_profile.user, account).data["number"])
    for user, name in ((agent, "start_review"), (agent, "propose_decline"), (supervisor, "decline")):
        case = case_transition(case=case, user=user, name=name, comment="资料不全")
    assert case.state == "declined"

    response = _ask(api, client_profile.user, account)
    assert response.status_code == 201 and response.data["number"] != case.number


@pytest.mark.django_db
def test_another_account_of_the_client_is_not_held_back(api, client_profile, account, frozen_time):
    other = CreditAccountFactory(client=client_profile, account_no="A20000002", financing_debt=D("1000.00"),
                                 contract_maturity=account.contract_maturity)
    assert _ask(api, client_profile.user, account).status_code == 201
    assert _ask(api, client_profile.user, other).status_code == 201


@pytest.mark.django_db
def test_relief_one_undecided_request_per_kind_of_relief(api, client_profile, account, frozen_time):
    Security.objects.filter(positions__account=account).update(price=D("12.00"))  # 120 %: a margin call
    monitor_accounts(trigger="test")
    more_time = {"category": "more_time", "requested_days": 2}
    instalments = {"category": "staged_repayment", "staged_repayment": [
        {"due": str(THU.date() + datetime.timedelta(days=30)), "amount": "50000.00"}]}

    assert _ask(api, client_profile.user, account, "relief", **more_time).status_code == 201
    assert _ask(api, client_profile.user, account, "relief", **instalments).status_code == 201  # another ask
    again = _ask(api, client_profile.user, account, "relief", **more_time)
    assert again.status_code == 409 and again.data["code"] == "open_request"
    assert _ask(api, client_profile.user, account, "relief", **instalments).status_code == 409
    assert Case.objects.filter(kind="relief").count() == 2


@pytest.mark.django_db
def test_the_portal_form_says_which_request_is_open_and_opens_nothing(client, client_profile, account, frozen_time):
    client.force_login(client_profile.user)
    url = reverse("portal:submit", args=["extension"])
    first = client.post(url, {"subject": "展期申请", "credit_account": account.account_no}, **EN)
    assert first.status_code == 302
    number = Case.objects.get(kind="extension").number

    second = client.post(url, {"subject": "再次申请展期", "credit_account": account.account_no}, **EN)
    assert second.status_code == 409
    page = second.content.decode()
    assert f"Request {number} for account {account.account_no} is still being reviewed" in page
    assert not Case.objects.filter(subject="再次申请展期").exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres(reason="two requests sent at the same moment: PostgreSQL")
def test_two_requests_sent_at_the_same_moment_open_one(client_profile, account, agent):
    def send(user, subject):
        def run():
            with time_machine.travel(THU, tick=False):
                return request_create(created_by=user, client=client_profile, kind="extension", subject=subject,
                                      credit_account=account)
        return run

    results = run_together(send(client_profile.user, "网上申请"), send(agent, "电话申请"))
    opened = [result for result in results if isinstance(result, Case)]
    refused = [result for result in results if isinstance(result, Conflict)]
    assert len(opened) == 1 and len(refused) == 1, results
    assert refused[0].extra["case"] == opened[0].number
    assert Case.objects.filter(kind="extension").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("first, second", [({}, {"category": "more_time"}), ({"category": "more_time"}, {})])
def test_relief_more_time_asked_with_and_without_its_category_is_one_request(api, client_profile, account,
                                                                             frozen_time, first, second):
    """A relief without a category asks for more time as "more_time" does (margin_call_to_relieve): the
    second of the two was accepted beside the first, and both could be approved, moving the deadline twice."""
    Security.objects.filter(positions__account=account).update(price=D("12.00"))  # 120 %: a margin call
    monitor_accounts(trigger="test")
    assert _ask(api, client_profile.user, account, "relief", **first).status_code == 201
    again = _ask(api, client_profile.user, account, "relief", **second)
    assert again.status_code == 409 and again.data["code"] == "open_request"
    assert Case.objects.filter(kind="relief").count() == 1
