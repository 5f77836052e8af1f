"""The client portal as a client walks it: what they read when a file is refused,
the way from a margin call to asking for more time, and the reasons they gave with their own steps."""

import datetime
import re
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.interest import interest_accrue
from cases.models import Case
from cases.services import case_create, case_transition
from risk.models import MarginCall
from risk.monitoring import monitor_accounts
from tests.factories import CreditAccountFactory, PositionFactory, SecurityFactory

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def web(client, client_profile):
    client.force_login(client_profile.user)
    return client


def text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def test_a_file_just_over_the_limit_is_not_said_to_be_as_large_as_the_limit(web, settings):
    """10 MB and a few bytes used to read "it is 10.0 MB; a file may be at most 10.0 MB"."""
    settings.ATTACHMENT_MAX_BYTES = 10240  # "10.0 KB"
    upload = SimpleUploadedFile("statement.pdf", b"%PDF-1.4\n" + b"0" * 10241, "application/pdf")
    response = web.post(reverse("portal:submit", args=["ticket"]),
                        {"subject": "附件", "category": "technical", "attachments": [upload]}, **EN)
    assert response.status_code == 400
    page = text(response)
    assert "The attachment “statement.pdf” was refused: a file may be at most 10.0 KB." in page
    assert "it is 10.0" not in page
    assert not Case.objects.exists()


@pytest.fixture
def margin_call(client_profile):
    """Debt 100,000 against 10,000 shares at 12.50: 125 %, below the close-out line, a deadline."""
    security = SecurityFactory(price=D("12.50"))
    account = CreditAccountFactory(client=client_profile, account_no="A10000001", financing_debt=D("100000.00"))
    PositionFactory(account=account, security=security, quantity=10000)
    monitor_accounts(trigger="test")
    call = MarginCall.objects.get(account=account)
    assert call.stage == "margin_call" and call.deadline is not None
    return call


def _relief_link(response) -> str:
    links = re.findall(r'href="([^"]*/portal/submit/relief/[^"]*)"', response.content.decode())
    assert links, "no link to ask for relief"
    return links[0].replace("&amp;", "&")


def test_asking_for_more_time_from_a_margin_call_opens_the_form_on_more_time(web, margin_call):
    """The card's and the case page's "Need more time?" lead to the relief form with the account and
    "More time to top up" chosen, not an empty category the client must guess."""
    for page in (reverse("portal:home"), reverse("portal:case", args=[margin_call.case.number])):
        response = web.get(page, **EN)
        assert "Need more time? Ask for relief." in text(response)
        form = web.get(_relief_link(response), **EN).content.decode()
        assert re.search(r'<option value="more_time"\s+selected>', form)
        assert re.search(r'<option value="A10000001"\s+selected>', form)


def test_no_relief_link_on_a_margin_call_past_its_deadline(web, margin_call):
    monitor_accounts(trigger="test", now=margin_call.deadline + datetime.timedelta(hours=1))
    assert Case.objects.get(pk=margin_call.pk).state == "liquidation_pending"
    assert "Ask for relief" not in text(web.get(reverse("portal:case", args=[margin_call.case.number]), **EN))


@pytest.fixture
def approved_resolution(client_profile, agent, supervisor):
    case = case_create(created_by=client_profile.user, client=client_profile, kind="dispute", subject="利息计算有误")
    for name in ("acknowledge", "investigate"):
        case = case_transition(case=case, user=agent, name=name)
    case = case_transition(case=case, user=agent, name="propose_resolution", comment="退还多收利息 ¥120.50")
    return case_transition(case=case, user=supervisor, name="approve_resolution")


def test_the_client_reads_back_why_they_rejected_the_resolution(web, approved_resolution):
    number = approved_resolution.number
    response = web.post(reverse("portal:step", args=[number]), {"name": "reject", "comment": "少退了 ¥30"})
    assert response.status_code == 302
    page = text(web.get(reverse("portal:case", args=[number]), **EN))
    assert "You rejected our resolution." in page
    assert "Your reason 少退了 ¥30" in page


def test_the_client_reads_back_why_they_reopened_a_ticket(web, client_profile, agent):
    case = case_create(created_by=client_profile.user, client=client_profile, kind="ticket", subject="无法登录")
    for name in ("open", "resolve"):
        case = case_transition(case=case, user=agent, name=name, comment="已重置密码")
    response = web.post(reverse("portal:step", args=[case.number]), {"name": "reopen", "comment": "还是登录不了"})
    assert response.status_code == 302
    page = text(web.get(reverse("portal:case", args=[case.number]), **EN))
    assert "Your reason 还是登录不了" in page


def test_a_reason_staff_gave_for_the_same_step_stays_staff(web, client_profile, agent):
    case = case_create(created_by=client_profile.user, client=client_profile, kind="ticket", subject="重复提交")
    case_transition(case=case, user=agent, name="cancel", comment="客户重复提交，内部备注")
    page = text(web.get(reverse("portal:case", args=[case.number]), **EN))
    assert "Cancelled" in page
    assert "内部备注" not in page and "Your reason" not in page


@pytest.mark.parametrize("language, heading", [("zh-hans", "天数"), ("en", "Days")])
def test_the_interest_tables_day_count_column_is_named_in_each_language(web, client_profile, language, heading):
    """The column of each line's number of days read "查看日期" ("see the dates", the supervisor's
    calendar link) in Chinese."""
    account = CreditAccountFactory(client=client_profile, account_no="A30000001", financing_debt=D("1000000.00"),
                                   annual_rate=D("0.08350"), contract_start=datetime.date(2026, 1, 1),
                                   contract_maturity=datetime.date(2026, 12, 31))
    interest_accrue(datetime.date(2026, 3, 1))
    page = web.get(reverse("portal:account", args=[account.account_no]), {"from": "2026-03-01", "to": "2026-03-01"},
                   HTTP_ACCEPT_LANGUAGE=language).content.decode()
    table = page[page.index('id="interest-lines"'):]
    headings = re.findall(r"<th[^>]*>([^<]*)</th>", table[:table.index("</thead>")])
    assert headings[4] == heading and "查看日期" not in headings
