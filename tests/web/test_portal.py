"""The client portal: accounts in plain words, my cases, submitting each kind with attachments,
replies, dispute resolutions, ratings, knowledge suggestions; and what a client must never see."""

import datetime
import re
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import Security
from accounts.roles import Role
from cases.models import Attachment, Case, CaseMessage, Channel, RequestDetails, SatisfactionRating
from cases.services import case_assign, case_create, case_transition, message_create
from cases.web.portal import views as portal_views
from servicedesk.formats import moment as when
from knowledge.models import Article, Category
from risk.models import MarginCall
from risk.monitoring import monitor_accounts
from tests.factories import (
    ClientProfileFactory,
    CreditAccountFactory,
    PositionFactory,
    SecurityFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def security():
    return SecurityFactory(price=D("13.50"))


@pytest.fixture
def account(client_profile, security):
    """Debt 100,000 against 10,000 shares: the ratio is price / 10 (13.50 → 135 %)."""
    account = CreditAccountFactory(client=client_profile, account_no="A10000001", financing_debt=D("100000.00"))
    PositionFactory(account=account, security=security, quantity=10000)
    return account


@pytest.fixture
def web(client, client_profile):
    client.force_login(client_profile.user)
    return client


def html(response) -> str:
    return response.content.decode()


def text(response) -> str:
    """The page's words without tags, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html(response)).split())


def png(name="scan.png", content=PNG, content_type="image/png"):
    return SimpleUploadedFile(name, content, content_type)


def pdf(name="statement.pdf"):
    return SimpleUploadedFile(name, PDF, "application/pdf")


def other_case(agent):
    return case_create(created_by=agent, client=ClientProfileFactory(), kind="ticket", subject="别人的事情",
                       description="其他客户的描述")


# --- home: accounts in plain words --------------------------------------------------------------

def test_home_says_where_each_ratio_stands_and_what_to_do(web, client_profile, account):
    healthy = CreditAccountFactory(client=client_profile, account_no="A10000002", financing_debt=D("50000.00"))
    PositionFactory(account=healthy, security=SecurityFactory(price=D("20.00")), quantity=5000)  # 200 %
    CreditAccountFactory(client=client_profile, account_no="A10000003")  # no debt
    response = web.get(reverse("portal:home"), **EN)
    assert response.status_code == 200
    page = text(response)
    assert ("Your ratio is 135%, below the warning line 140%. Deposit ¥5,000.00, or sell securities worth "
            "¥12,500.00 and repay with the proceeds, as soon as possible to bring it back to 140%.") in page
    assert "Your ratio is 200%, above the attention line 150%: your account is in good order." in page
    assert "You have no financing debt and no borrowed shares, so there is no ratio to watch." in page
    assert 'data-account="A10000001" data-level="warning"' in html(response)


def test_an_account_card_names_the_immediate_line_where_the_contract_has_one(web, client_profile, account):
    CreditAccountFactory(client=client_profile, account_no="A10000009", financing_debt=D("1000.00"),
                         immediate_line=D("1.1500"))
    page = text(web.get(reverse("portal:home"), **EN))
    assert "· immediate close-out 115%" in page
    assert "Your ratio is 0%, below the immediate close-out line 115%: your position may be liquidated today." in page
    assert "即时平仓线 115%" in text(web.get(reverse("portal:home")))


def test_a_margin_calls_subject_is_in_the_clients_language(web, account, security):
    """The monitoring stores the subject in the firm's language (Chinese); an English reader of the
    portal saw it in Chinese. Raised below close-out, the subject says so (it said "warning" still)."""
    monitor_accounts(trigger="test")  # 135 %: below the warning line
    call = MarginCall.objects.get(account=account)
    assert call.case.subject == "追保：信用账户 A10000001 低于警戒线"  # stored in the firm's language
    english = "Margin call: credit account A10000001 is below the warning line"
    assert english in text(web.get(reverse("portal:case", args=[call.case.number]), **EN))
    assert english in text(web.get(reverse("portal:cases"), **EN))
    assert "追保：信用账户 A10000001 低于警戒线" in text(web.get(reverse("portal:cases")))  # Chinese for a Chinese reader

    security.price = D("12.50")  # 125 %: the call is raised
    security.save()
    monitor_accounts(trigger="test")
    call.case.refresh_from_db()
    assert call.case.subject == "追保：信用账户 A10000001 低于平仓线"
    raised = "Margin call: credit account A10000001 is below the close-out line"
    assert raised in text(web.get(reverse("portal:case", args=[call.case.number]), **EN))


def test_home_shows_the_margin_call_top_up_and_deadline(web, account, security):
    security.price = D("12.50")  # 125 %: below the close-out line
    security.save()
    monitor_accounts(trigger="test")
    call = MarginCall.objects.get(account=account)
    assert call.stage == "margin_call" and call.deadline is not None
    response = web.get(reverse("portal:home"), **EN)
    page = text(response)
    assert "Your ratio is 125%, below the close-out line 130%." in page
    assert (f"Deposit ¥15,000.00, or sell securities worth ¥37,500.00 and repay with the proceeds, by "
            f"{when(call.deadline)} to bring it back to 140%. Otherwise we may sell securities in your account "
            f"(forced liquidation).") in page
    assert f"{reverse('portal:submit', args=['relief'])}?account=A10000001" in html(response)


def test_a_margin_call_case_asks_for_the_amount_by_the_deadline_then_says_it_passed(web, account, security):
    security.price = D("12.50")
    security.save()
    monitor_accounts(trigger="test")
    call = MarginCall.objects.get(account=account)
    url = reverse("portal:case", args=[call.case.number])
    page = text(web.get(url, **EN))
    assert "Action needed" in page and "Deposit ¥15,000.00, or sell securities worth ¥37,500.00" in page
    assert when(call.deadline) in page
    # below the close-out line with a deadline, not "below the warning line"
    assert "Your ratio fell below the close-out line. Please add collateral or repay before the deadline" in page
    assert "below the warning line" not in page
    monitor_accounts(trigger="test", now=call.deadline + datetime.timedelta(hours=1))
    assert Case.objects.get(pk=call.pk).state == "liquidation_pending"
    for page in (text(web.get(url, **EN)), text(web.get(reverse("portal:home"), **EN))):
        assert "The deadline to top up has passed" in page
    assert "Ask for relief" not in text(web.get(reverse("portal:home"), **EN))


def test_an_outreach_case_asks_for_the_amount_on_the_page_and_promises_no_deadline(web, account, security):
    """Below the warning line only: no deadline exists; the page said to look for one on the home page."""
    monitor_accounts(trigger="test")  # 135 %: outreach
    call = MarginCall.objects.get(account=account)
    assert call.stage == "outreach" and call.deadline is None
    page = text(web.get(reverse("portal:case", args=[call.case.number]), **EN))
    assert "There is no deadline yet: one is set only if the ratio falls below the close-out line." in page
    assert "home page" not in page and "the amount and deadline" not in page
    assert "Deposit ¥" in page  # the amount is on this page


def test_the_plain_words_follow_the_contracts_own_lines(account, security):
    from accounts.selectors import credit_accounts_visible_to
    from cases.web.portal.plain import account_status, percent

    assert [percent(D(v)) for v in ("1.3512", "1.4", "0.9", "12.3456")] == ["135.12%", "140%", "90%", "1234.56%"]
    account.warning_line, account.restore_to_line = D("1.3000"), D("1.3500")
    account.close_out_line = D("1.2000")
    account.save()
    annotated = credit_accounts_visible_to(account.client.user).get(pk=account.pk)
    status = account_status(annotated)
    assert (status.level, status.cash) == ("attention", None)  # 135 % is above this contract's warning line
    security.price = D("12.00")
    security.save()
    with translation.override("en"):
        status = account_status(credit_accounts_visible_to(account.client.user).get(pk=account.pk))
    assert status.level == "warning" and status.cash == D("15000.00")  # 1.35 × 100,000 − 120,000
    assert status.deadline is None and "as soon as possible to bring it back to 135%" in status.advice



def test_the_plain_words_follow_the_lines_a_stress_mode_raised(web, account, security, risk_officer):
    """A stress mode raises every line by its points and the monitoring calls the client against the
    raised ones: the portal says the same (the crawl found "below the attention line 150 %, nothing to
    do yet" beside the margin call the client had been sent at the raised warning line 145 %)."""
    from risk.stress import stress_mode_set

    security.price = D("14.30")  # 143 %: above the contract's warning line 140 %, below 145 %
    security.save()
    stress_mode_set(user=risk_officer, points=D("5"), reason="volatile market")
    monitor_accounts(trigger="test")
    call = MarginCall.objects.get(account=account)
    assert call.restore_to == D("1.45")
    page = text(web.get(reverse("portal:home"), **EN))
    assert "Your ratio is 143%, below the warning line 145%." in page
    assert ("Deposit ¥2,000.00, or sell securities worth ¥4,444.45 and repay with the proceeds, as soon as "
            "possible to bring it back to 145%.") in page
    assert "attention 155% · warning 145% · close-out 135%" in page
    assert "Nothing to do yet" not in page

def test_home_shows_the_maturity_and_offers_an_extension_when_near(web, client_profile, account):
    today = timezone.localdate()
    account.contract_maturity = today + datetime.timedelta(days=10)
    account.save()
    far = CreditAccountFactory(client=client_profile, account_no="A10000009",
                               contract_maturity=today + datetime.timedelta(days=100))
    page = text(web.get(reverse("portal:home"), **EN))
    assert (f"Your contract matures on {account.contract_maturity.isoformat()}, in 10 days. You can request an "
            f"extension now.") in page
    opens = (far.contract_maturity - datetime.timedelta(days=15)).isoformat()
    assert f"Your contract matures on {far.contract_maturity.isoformat()}. You can request an extension from {opens}." in page
    response = web.get(reverse("portal:home"), **EN)
    assert f"{reverse('portal:submit', args=['extension'])}?account=A10000001" in html(response)
    assert "?account=A10000009" not in html(response)


def test_home_lists_my_open_cases_only(web, client_profile, agent):
    mine = case_create(created_by=agent, client=client_profile, kind="ticket", subject="我的问题")
    done = case_create(created_by=agent, client=client_profile, kind="ticket", subject="已取消的问题")
    case_transition(case=done, user=agent, name="cancel", comment="客户撤回")
    theirs = other_case(agent)
    page = html(web.get(reverse("portal:home"), **EN))
    assert mine.number in page and done.number not in page and theirs.number not in page
    listing = html(web.get(reverse("portal:cases"), **EN))
    assert mine.number in listing and done.number in listing and theirs.number not in listing


def test_case_list_pages_by_id(web, client_profile, agent, monkeypatch):
    monkeypatch.setattr(portal_views, "PAGE_SIZE", 2)
    cases = [case_create(created_by=agent, client=client_profile, kind="ticket", subject=f"问题{n}") for n in range(3)]
    first = html(web.get(reverse("portal:cases")))
    assert cases[2].number in first and cases[1].number in first and cases[0].number not in first
    second = html(web.get(reverse("portal:cases"), {"before": cases[1].pk}))
    assert cases[0].number in second and cases[1].number not in second and 'rel="next"' not in second
    for bad in ("x", "9" * 40, "²"):
        assert web.get(reverse("portal:cases"), {"before": bad}).status_code == 404


def test_odd_input_is_refused_without_reaching_the_database(web, client_profile, agent, articles):
    case = case_create(created_by=agent, client=client_profile, kind="ticket", subject="开户")
    for url in (f"/portal/cases/{'x' * 300}/", "/portal/cases/CS%00/", f"/portal/cases/{case.number}/attachments/{'9' * 40}/",
                "/portal/cases/%E4%BD%A0/"):
        assert web.get(url).status_code == 404, url
    assert web.get(reverse("portal:knowledge"), {"q": "liquid\x00ation"}).status_code == 200
    assert web.get(reverse("portal:suggest"), {"subject": "\x00", "category": "\x00"}).status_code == 200
    response = web.post(reverse("portal:submit", args=["ticket"]), {"subject": "a\x00b", "category": "fees"})
    assert response.status_code == 400 and not Case.objects.filter(subject__startswith="a").exists()
    assert web.post(reverse("portal:reply", args=[case.number]), {"body": "a\x00b"}).status_code == 400


def test_pages_run_a_constant_number_of_queries(web, client_profile, agent, security, django_assert_max_num_queries):
    def grow(n):
        for _ in range(n):
            account = CreditAccountFactory(client=client_profile)
            PositionFactory(account=account, security=security, quantity=10000, )
            account.financing_debt = D("100000.00")
            account.save()
            case = case_create(created_by=agent, client=client_profile, kind="ticket", subject="问题")
        return case

    grow(1)
    with django_assert_max_num_queries(12) as small:
        web.get(reverse("portal:home"))
    grow(6)
    with django_assert_max_num_queries(len(small.captured_queries)):
        web.get(reverse("portal:home"))
    with django_assert_max_num_queries(len(small.captured_queries)):
        web.get(reverse("portal:cases"))

    case = case_create(created_by=agent, client=client_profile, kind="dispute", subject="争议")
    message_create(case=case, author=agent, body="first", attachments=[pdf()])
    with django_assert_max_num_queries(20) as one:
        web.get(reverse("portal:case", args=[case.number]))
    for n in range(8):
        message_create(case=case, author=agent, body=f"reply {n}", attachments=[pdf(), png()])
    with django_assert_max_num_queries(len(one.captured_queries)):
        web.get(reverse("portal:case", args=[case.number]))


# --- who may come in -----------------------------------------------------------------------------

def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(reverse("portal:home"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_a_poll_after_the_session_ended_reloads_the_page(client):
    """The conversation's 15-second poll: the whole page reloads (to the login), rather than the
    login form being swapped into the conversation."""
    response = client.get(reverse("portal:case_messages", args=["CS-2026-000001"]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response["HX-Refresh"] == "true"


@pytest.mark.parametrize("roles", [[Role.AGENT], [Role.SUPERVISOR], [Role.AUDITOR], [Role.CLIENT, Role.AGENT],
                                   [Role.CLIENT]])
def test_only_clients_with_a_profile_reach_the_portal(client, roles, agent):
    user = UserFactory(roles=roles)
    if Role.CLIENT in roles and Role.AGENT in roles:
        ClientProfileFactory(user=user)  # a client who is also staff: still refused
    case = other_case(agent)
    client.force_login(user)
    for url in (reverse("portal:home"), reverse("portal:cases"), reverse("portal:submit"),
                reverse("portal:case", args=[case.number]), reverse("portal:suggest")):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("portal:submit", args=["ticket"]), {"subject": "x"}).status_code == 403
    assert not Case.objects.filter(subject="x").exists()


def test_superusers_are_refused_too(client):
    client.force_login(UserFactory(is_superuser=True))
    assert client.get(reverse("portal:home")).status_code == 403


def test_another_clients_case_is_not_found(web, agent):
    theirs = other_case(agent)
    message = message_create(case=theirs, author=agent, body="答复", attachments=[pdf()])
    attachment = message.attachments.get()
    assert web.get(reverse("portal:case", args=[theirs.number])).status_code == 404
    assert web.get(reverse("portal:case_messages", args=[theirs.number])).status_code == 404
    assert web.get(reverse("portal:attachment", args=[theirs.number, attachment.pk])).status_code == 404
    assert web.post(reverse("portal:reply", args=[theirs.number]), {"body": "hi"}).status_code == 404
    assert web.post(reverse("portal:rate", args=[theirs.number]), {"score": 5}).status_code == 404
    assert not CaseMessage.objects.filter(case=theirs, body="hi").exists()


# --- submitting ------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind, extra, category", [
    ("ticket", {"category": "fees"}, "fees"),
    ("dispute", {"category": "liquidation"}, "liquidation"),
    ("extension", {}, "extension"),
    ("relief", {"category": "more_time", "requested_days": "3"}, "more_time"),
])
def test_submitting_each_kind_opens_the_case_with_its_account_and_attachments(web, client_profile, account, kind,
                                                                             extra, category):
    account.contract_maturity = timezone.localdate() + datetime.timedelta(days=10)  # an extension's window
    account.save()
    if kind == "relief":  # more time is asked of a margin call with a deadline: 125 %, below close-out
        Security.objects.filter(positions__account=account).update(price=D("12.50"))
        monitor_accounts(trigger="test")
    response = web.post(reverse("portal:submit", args=[kind]), {
        "subject": f"My {kind}", "description": "Details", "credit_account": "A10000001",
        "attachments": [pdf(), png()], **extra,
    }, **EN)
    assert response.status_code == 302, text(response)
    case = Case.objects.get(subject=f"My {kind}")
    assert response.url == reverse("portal:case", args=[case.number])
    assert (case.kind, case.category, case.channel, case.client, case.credit_account) == (
        kind, category, Channel.PORTAL, client_profile, account)
    assert case.created_by == client_profile.user
    files = Attachment.objects.filter(message__case=case).order_by("original_name")
    assert [(f.original_name, f.content_type) for f in files] == [("scan.png", "image/png"),
                                                                  ("statement.pdf", "application/pdf")]
    assert files[0].message.source == CaseMessage.Source.CLIENT
    if kind == "relief":
        assert RequestDetails.objects.get(case=case).requested_days == 3
    page = text(web.get(response.url, **EN))
    assert "statement.pdf" in page and f"We have received your case {case.number}" in page


def test_files_sent_with_the_case_start_no_next_response_clock(web, client_profile):
    """The portal's message carrying a new case's files started a next-response clock beside the
    first-response one (two clocks, two escalations, for the same unanswered case)."""
    from cases.services.sla import sla_rebuild

    response = web.post(reverse("portal:submit", args=["ticket"]), {
        "subject": "带附件的咨询", "description": "见附件", "category": "fees", "attachments": [pdf()]}, **EN)
    assert response.status_code == 302
    case = Case.objects.get(subject="带附件的咨询")
    assert case.messages.count() == 1
    metrics = set(case.sla_timers.values_list("metric", flat=True))
    assert "first_response" in metrics and "next_response" not in metrics
    assert sla_rebuild(case=case) is False
    message_create(case=case, author=client_profile.user, body="补充一句")  # a later message does start it
    assert case.sla_timers.filter(metric="next_response").exists()


def test_an_extension_before_its_window_is_refused_on_the_form(web, account):
    account.contract_maturity = timezone.localdate() + datetime.timedelta(days=40)
    account.save()
    response = web.post(reverse("portal:submit", args=["extension"]), {
        "subject": "展期", "credit_account": "A10000001"}, **EN)
    assert response.status_code == 400
    assert "only in the 15 calendar days before the contract matures" in text(response)
    assert not Case.objects.filter(kind="extension").exists()


def test_a_relief_request_may_propose_instalments(web, account):
    first, second = (timezone.localdate() + datetime.timedelta(days=days) for days in (30, 61))
    response = web.post(reverse("portal:submit", args=["relief"]), {
        "subject": "分期还款", "category": "staged_repayment", "credit_account": "A10000001",
        "staged_repayment": f"{first} 50000\n{second}, 49,999.50",
    })
    assert response.status_code == 302
    details = RequestDetails.objects.get(case__subject="分期还款")
    assert details.staged_repayment == [{"due": str(first), "amount": "50000.00"},
                                        {"due": str(second), "amount": "49999.50"}]


def _propose_instalments(web, plan: str):
    return web.post(reverse("portal:submit", args=["relief"]), {
        "subject": "分期还款", "category": "staged_repayment", "credit_account": "A10000001",
        "staged_repayment": plan}, **EN)


def _staged_repayment_error(response) -> str:
    """The error shown under the instalments field."""
    field = re.search(r'<div class="field has-error">\s*<label for="id_staged_repayment"'
                      r'.*?(?=<div class="field|<button)', html(response), re.S)
    assert field, "no error on the instalments field"
    return " ".join(re.findall(r'<div class="error" role="alert">(.*?)</div>', field.group()))


@pytest.mark.parametrize("amount", ["1e30", "1e400", "99999999999999999999999"])
def test_a_huge_instalment_is_an_error_on_the_field_not_a_server_error(web, account, amount):
    plan = f"{timezone.localdate() + datetime.timedelta(days=30)} {amount}"
    response = _propose_instalments(web, plan)
    assert response.status_code == 400
    assert "Line 1: Ensure that there are no more than 20 digits in total." in _staged_repayment_error(response)
    assert plan in html(response)  # what was typed is kept
    assert not Case.objects.exists() and not RequestDetails.objects.exists()


@pytest.mark.parametrize("plan, message", [
    pytest.param(lambda today: f"{today} 50000", "Each instalment must fall due after today.", id="today"),
    pytest.param(lambda today: "2020-01-01 50000", "Each instalment must fall due after today.", id="past"),
    pytest.param(lambda today: f"{today + datetime.timedelta(days=60)} 50000\n"
                               f"{today + datetime.timedelta(days=30)} 50000",
                 "List the instalments in the order they fall due, each on a later day than the one before.",
                 id="out-of-order"),
    pytest.param(lambda today: f"{today + datetime.timedelta(days=30)} 50000\n"
                               f"{today + datetime.timedelta(days=30)} 50000",
                 "List the instalments in the order they fall due, each on a later day than the one before.",
                 id="same-day"),
    pytest.param(lambda today: f"{today + datetime.timedelta(days=30)} 60000\n"
                               f"{today + datetime.timedelta(days=60)} 40000.01",
                 "The instalments add up to more than the account owes (financing debt, interest and fees).",
                 id="above-the-debt"),
    pytest.param(lambda today: f"{today + datetime.timedelta(days=30)} 50000.005",
                 "Line 1: Ensure that there are no more than 2 decimal places.", id="fractions-of-a-cent"),
])
def test_an_instalment_plan_due_in_the_past_out_of_order_or_above_the_debt_is_refused(web, account, plan, message):
    plan = plan(timezone.localdate())
    response = _propose_instalments(web, plan)
    assert response.status_code == 400
    assert message in _staged_repayment_error(response)
    assert plan in html(response)
    assert not Case.objects.exists() and not RequestDetails.objects.exists()


def test_instalments_may_add_up_to_the_debt_with_its_interest(web, account):
    account.interest_fees = D("1200.00")
    account.save()
    due = timezone.localdate() + datetime.timedelta(days=1)
    assert _propose_instalments(web, f"{due} 101200").status_code == 302
    assert RequestDetails.objects.get().staged_repayment == [{"due": str(due), "amount": "101200.00"}]


def test_an_extension_asking_for_a_maturity_out_of_range_is_refused_by_the_service(web, account):
    too_late = account.contract_maturity + datetime.timedelta(days=400)
    response = web.post(reverse("portal:submit", args=["extension"]), {
        "subject": "展期", "credit_account": "A10000001", "requested_maturity": too_late.isoformat()}, **EN)
    assert response.status_code == 400
    assert "The new maturity must be after" in text(response)
    assert not Case.objects.exists()


@pytest.mark.parametrize("kind, data, field", [
    ("ticket", {"subject": "", "category": "fees"}, "subject"),
    ("ticket", {"subject": "x", "category": "nonsense"}, "category"),
    ("dispute", {"subject": "x"}, "category"),
    ("extension", {"subject": "x"}, "credit_account"),
    ("relief", {"subject": "x", "category": "more_time", "credit_account": "A10000001", "requested_days": "99"},
     "requested_days"),
    ("relief", {"subject": "x", "category": "staged_repayment", "credit_account": "A10000001",
                "staged_repayment": "tomorrow lots"}, "staged_repayment"),
    ("relief", {"subject": "x", "category": "more_time", "credit_account": "A10000001",
                "staged_repayment": "2026-12-31 100"}, "staged_repayment"),
])
def test_bad_input_shows_the_form_again_and_creates_nothing(web, account, kind, data, field):
    response = web.post(reverse("portal:submit", args=[kind]), {**data, "attachments": [pdf()]}, **EN)
    assert response.status_code == 400
    assert re.search(rf'<div class="field has-error">\s*<label for="id_{field}"', html(response))
    assert not Case.objects.exists() and not Attachment.objects.exists()


def test_another_clients_account_is_refused(web, account):
    theirs = CreditAccountFactory(client=ClientProfileFactory(), account_no="B99999999")
    response = web.post(reverse("portal:submit", args=["dispute"]), {
        "subject": "x", "category": "notice", "credit_account": theirs.account_no}, **EN)
    assert response.status_code == 400
    assert "B99999999" not in html(response)  # not even offered
    assert not Case.objects.exists()


def test_unknown_kinds_and_margin_calls_cannot_be_submitted(web):
    assert web.get(reverse("portal:submit", args=["margin_call"])).status_code == 404
    assert web.post(reverse("portal:submit", args=["nonsense"]), {"subject": "x"}).status_code == 404


@pytest.mark.parametrize("upload, message", [
    (lambda: SimpleUploadedFile("run.exe", b"MZ\x90\x00" + b"\x00" * 60, "application/pdf"), "run.exe"),
    (lambda: SimpleUploadedFile("fake.pdf", b"<html><script>alert(1)</script></html>", "application/pdf"),
     "fake.pdf"),
    (lambda: png(name="page.html", content_type="text/html"), "page.html"),
    (lambda: SimpleUploadedFile("empty.pdf", b"", "application/pdf"), "empty"),
])
def test_attachments_are_checked_by_content(web, account, upload, message):
    response = web.post(reverse("portal:submit", args=["ticket"]), {
        "subject": "附件", "category": "technical", "attachments": [upload()]}, **EN)
    assert response.status_code == 400
    assert message in text(response)
    assert not Case.objects.exists() and not Attachment.objects.exists()


def test_attachments_have_a_size_and_number_limit(web, account, settings):
    settings.ATTACHMENT_MAX_BYTES = 50
    response = web.post(reverse("portal:submit", args=["ticket"]), {
        "subject": "附件", "category": "technical", "attachments": [pdf()]}, **EN)
    assert response.status_code == 400 and "a file may be at most 50" in text(response)
    settings.ATTACHMENT_MAX_BYTES = 10_000
    response = web.post(reverse("portal:submit", args=["ticket"]), {
        "subject": "附件", "category": "technical", "attachments": [png(f"{n}.png") for n in range(11)]}, **EN)
    assert response.status_code == 400 and "Attach at most 10 files." in text(response)
    assert not Case.objects.exists()


def test_text_files_are_accepted_and_the_claimed_type_is_not_trusted(web, account):
    response = web.post(reverse("portal:submit", args=["ticket"]), {
        "subject": "附件", "category": "technical",
        "attachments": [SimpleUploadedFile("流水.csv", "日期,金额\n2026-11-01,100\n".encode("gb18030"), "text/html"),
                        png(content_type="application/x-msdownload")]})
    assert response.status_code == 302
    assert set(Attachment.objects.values_list("original_name", "content_type")) == {
        ("流水.csv", "text/csv"), ("scan.png", "image/png")}


def test_the_submission_form_per_kind(web, account):
    page = html(web.get(reverse("portal:submit", args=["relief"]) + "?account=A10000001", **EN))
    assert 'name="requested_days"' in page and 'name="staged_repayment"' in page
    assert '<option value="A10000001" selected>' in page
    assert 'hx-trigger="keyup changed delay:400ms"' in page and f'hx-get="{reverse("portal:suggest")}"' in page
    page = html(web.get(reverse("portal:submit", args=["extension"]), **EN))
    assert 'name="requested_maturity"' in page and 'name="category"' not in page
    assert 'name="requested_days"' not in page
    page = html(web.get(reverse("portal:submit"), **EN))
    assert 'name="category"' in page and 'enctype="multipart/form-data"' in page


# --- a case: plain words, conversation, replies ---------------------------------------------------

def test_case_page_says_what_the_firm_is_waiting_for(web, client_profile, agent):
    case = case_create(created_by=agent, client=client_profile, kind="ticket", subject="开户")
    case_transition(case=case, user=agent, name="open")
    page = text(web.get(reverse("portal:case", args=[case.number]), **EN))
    assert "In progress" in page and "We are working on it." in page
    case_transition(case=Case.objects.get(pk=case.pk), user=agent, name="wait_on_client", comment="请提供身份证")
    page = text(web.get(reverse("portal:case", args=[case.number]), **EN))
    assert "Waiting for your reply" in page and "We are waiting for your reply." in page
    assert "Your turn" in text(web.get(reverse("portal:cases"), **EN))


def test_the_client_reads_what_the_agent_asked_for_on_the_page_and_in_the_notice(web, client_profile, agent):
    """The agent's "what we need from the client" is the client's to read, in the portal's words:
    before, the page said only that a reply was awaited and the e-mail gave the staff's state name."""
    from notifications.models import Notification

    client_profile.language = "zh-hans"
    client_profile.save()
    case = case_transition(case=case_create(created_by=agent, client=client_profile, kind="ticket", subject="对账"),
                           user=agent, name="open")
    case_transition(case=case, user=agent, name="wait_on_client", comment="请提供 11 月 3 日的交割单截图")
    page = html(web.get(reverse("portal:case", args=[case.number]), **EN))
    assert 'data-step="wait_on_client"' in page and "What we need from you" in page
    assert "请提供 11 月 3 日的交割单截图" in page
    notice = Notification.objects.get(event="case_state_changed", channel="email", case=case)
    assert "请提供 11 月 3 日的交割单截图" in notice.body
    assert "等待您的回复" in notice.body and "等待客户" not in notice.body
    message_create(case=Case.objects.get(pk=case.pk), author=client_profile.user, body="已上传")
    page = html(web.get(reverse("portal:case", args=[case.number]), **EN))
    assert "What we need from you" not in page  # answered: the case moved on


def test_the_client_reads_why_their_request_was_declined(web, client_profile, account, agent, supervisor):
    """The decline notice sends the client to the portal for the reasons, and the portal had none:
    the supervisor's reasons were staff-only."""
    case = case_create(created_by=client_profile.user, client=client_profile, kind="extension", subject="展期",
                       credit_account=account)
    for name, user, comment in (("start_review", agent, ""), ("propose_decline", agent, "负债逾期"),
                                ("decline", supervisor, "合约项下仍有逾期负债，暂不满足展期条件")):
        case = case_transition(case=case, user=user, name=name, comment=comment)
    page = html(web.get(reverse("portal:case", args=[case.number]), **EN))
    assert 'data-step="decline"' in page and "Why we declined your request" in page
    assert "合约项下仍有逾期负债，暂不满足展期条件" in page
    assert "负债逾期" not in page  # the agent's proposal stays internal


def test_a_reply_with_attachments_resumes_a_ticket_waiting_on_the_client(web, client_profile, agent):
    case = case_create(created_by=agent, client=client_profile, kind="ticket", subject="开户")
    case = case_transition(case=case, user=agent, name="open")
    case_transition(case=case, user=agent, name="wait_on_client", comment="请提供身份证")
    response = web.post(reverse("portal:reply", args=[case.number]), {"body": "已上传", "attachments": [png()]})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == "open"
    message = CaseMessage.objects.get(case=case, body="已上传")
    assert message.source == "client" and message.visibility == "public"
    attachment = message.attachments.get()
    download = web.get(reverse("portal:attachment", args=[case.number, attachment.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == PNG
    assert download["Content-Disposition"].startswith("attachment")
    # served as every download is: nothing sniffed, nothing run should a browser open it
    assert download["X-Content-Type-Options"] == "nosniff" and download["Content-Type"] == "image/png"
    assert "sandbox" in download["Content-Security-Policy"] and download["Cache-Control"] == "private, no-store"


def test_a_reply_may_be_files_alone(web, client_profile, agent):
    """The client asked for a document sends the scan: the reply needed text before it was taken."""
    case = case_create(created_by=agent, client=client_profile, kind="ticket", subject="开户")
    case = case_transition(case=case, user=agent, name="open")
    case_transition(case=case, user=agent, name="wait_on_client", comment="请提供身份证")
    response = web.post(reverse("portal:reply", args=[case.number]), {"body": " ", "attachments": [png()]})
    assert response.status_code == 302
    message = CaseMessage.objects.get(case=case)
    assert message.body == "已附上文件。" and [a.original_name for a in message.attachments.all()] == ["scan.png"]
    case.refresh_from_db()
    assert case.state == "open"  # a reply all the same: the ticket is the agent's again


def _drawn_key(response) -> str:
    """The key the reply form was drawn with (its hidden field)."""
    return re.search(r'name="submission" value="([0-9a-f]+)"', html(response)).group(1)


def test_a_reply_sent_twice_is_sent_once(web, client_profile, agent):
    """A double click on Send posted the reply twice: two messages on the case, the agent told twice."""
    from notifications.models import Notification

    case = case_create(created_by=agent, client=client_profile, kind="ticket", subject="开户")
    case = case_transition(case=case, user=agent, name="open")
    case = case_assign(case=case, user=agent, assignee=agent)
    case_transition(case=case, user=agent, name="wait_on_client", comment="请提供身份证")
    url = reverse("portal:reply", args=[case.number])
    form = {"body": "已上传", "submission": _drawn_key(web.get(reverse("portal:case", args=[case.number])))}
    first = web.post(url, {**form, "attachments": [png()]}, **EN)
    case.refresh_from_db()
    after_first = (case.state, case.updated_at, case.events.count(), Notification.objects.filter(case=case).count())
    again = web.post(url, {**form, "attachments": [png()]}, follow=True, **EN)
    assert first.status_code == 302 and again.redirect_chain[0] == (first.url, 302)
    assert "We had already received this reply." in text(again)
    case.refresh_from_db()
    assert (case.state, case.updated_at, case.events.count(),
            Notification.objects.filter(case=case).count()) == after_first == ("open", *after_first[1:])
    assert CaseMessage.objects.filter(case=case).count() == Attachment.objects.filter(message__case=case).count() == 1
    assert Notification.objects.filter(case=case, event="case_client_reply").count() == 1
    # the same form with other content (back, edit, send; the corrected scan under the same name): another reply
    assert web.post(url, {**form, "attachments": [png(content=PNG + b"\0")]}).status_code == 302
    assert web.post(url, {**form, "body": "已上传，请查收"}).status_code == 302
    assert CaseMessage.objects.filter(case=case).count() == 3
    assert form["submission"] not in html(web.get(reverse("portal:case", args=[case.number])))


def test_a_refused_reply_drawn_again_keeps_its_key(web, client_profile, agent):
    """Sent again from the 400 page (after writing the text it lacked), twice: one reply."""
    case = case_create(created_by=agent, client=client_profile, kind="ticket", subject="开户")
    url = reverse("portal:reply", args=[case.number])
    key = _drawn_key(web.get(reverse("portal:case", args=[case.number])))
    refused = web.post(url, {"body": " ", "submission": key})
    assert refused.status_code == 400 and _drawn_key(refused) == key
    assert web.post(url, {"body": "补充说明", "submission": key}).status_code == 302
    assert web.post(url, {"body": "补充说明", "submission": key}).status_code == 302
    assert CaseMessage.objects.filter(case=case).count() == 1


def test_a_blank_reply_is_refused_and_a_closed_case_takes_none(web, client_profile, agent):
    case = case_create(created_by=agent, client=client_profile, kind="ticket", subject="开户")
    response = web.post(reverse("portal:reply", args=[case.number]), {"body": "  "}, **EN)
    assert response.status_code == 400 and "Write a reply or attach a file." in text(response)
    case_transition(case=case, user=agent, name="cancel", comment="重复")
    response = web.post(reverse("portal:reply", args=[case.number]), {"body": "还有问题"}, **EN)
    assert response.status_code == 409 and "This case is closed" in text(response)
    assert not CaseMessage.objects.filter(case=case).exists()


def test_internal_notes_staff_logins_and_sla_never_show(web, client_profile, agent, other_agent):
    agent.first_name, agent.last_name = "Wei", "Zhang"
    agent.save()
    case = case_create(created_by=agent, client=client_profile, kind="dispute", subject="平仓价格")
    case_transition(case=case, user=agent, name="acknowledge")
    message_create(case=case, author=agent, body="我们正在核实成交记录。")
    note = message_create(case=case, author=agent, body="INTERNAL: client is difficult", internal=True,
                          attachments=[pdf("internal.pdf")])
    message_create(case=case, author=other_agent, body="由另一位同事回复")
    for url in (reverse("portal:case", args=[case.number]), reverse("portal:case_messages", args=[case.number]),
                reverse("portal:home"), reverse("portal:cases")):
        page = html(web.get(url, **EN))
        assert "INTERNAL" not in page and "internal.pdf" not in page
        assert "SLA" not in page and "sla-" not in page and "breach" not in page.lower()
        assert "agent1" not in page and "agent2" not in page and "disputes" not in page.lower()
    page = text(web.get(reverse("portal:case", args=[case.number]), **EN))
    assert "我们正在核实成交记录。" in page and "Wei Zhang" in page and "Customer service" in page
    internal_file = note.attachments.get()
    assert web.get(reverse("portal:attachment", args=[case.number, internal_file.pk])).status_code == 404


def test_the_conversation_refreshes_itself(web, client_profile, agent):
    case = case_create(created_by=agent, client=client_profile, kind="ticket", subject="开户")
    page = html(web.get(reverse("portal:case", args=[case.number])))
    assert re.search(rf'hx-get="{reverse("portal:case_messages", args=[case.number])}"\s+hx-trigger="every 15s"',
                     page)
    message_create(case=case, author=agent, body="新的回复")
    partial = html(web.get(reverse("portal:case_messages", args=[case.number]), HTTP_HX_REQUEST="true"))
    assert "新的回复" in partial and "<html" not in partial and "<form" not in partial


def test_pages_are_csp_safe(web, client_profile, account, agent):
    case = case_create(created_by=agent, client=client_profile, kind="ticket", subject="开户")
    for url in (reverse("portal:home"), reverse("portal:cases"), reverse("portal:case", args=[case.number]),
                reverse("portal:submit", args=["relief"]), reverse("portal:knowledge")):
        page = html(web.get(url))
        assert "style=" not in page and " onclick" not in page.lower()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), url


# --- disputes: the client accepts or rejects an approved resolution -----------------------------

@pytest.fixture
def proposed_dispute(client_profile, agent):
    case = case_create(created_by=client_profile.user, client=client_profile, kind="dispute", subject="利息计算有误")
    for name in ("acknowledge", "investigate"):
        case = case_transition(case=case, user=agent, name=name)
    return case_transition(case=case, user=agent, name="propose_resolution", comment="退还多收利息 ¥120.50")


def test_a_resolution_waiting_for_approval_is_not_shown_or_acceptable(web, proposed_dispute):
    page = text(web.get(reverse("portal:case", args=[proposed_dispute.number]), **EN))
    assert "¥120.50" not in page and "Under investigation" in page and "Accept resolution" not in page
    response = web.post(reverse("portal:step", args=[proposed_dispute.number]), {"name": "accept"}, **EN)
    assert response.status_code == 409
    assert "not been approved by a supervisor yet" in text(response)
    proposed_dispute.refresh_from_db()
    assert proposed_dispute.state == "resolution_proposed"


def test_the_client_accepts_an_approved_resolution_and_rates_it(web, proposed_dispute, supervisor):
    case_transition(case=proposed_dispute, user=supervisor, name="approve_resolution")
    url = reverse("portal:case", args=[proposed_dispute.number])
    page = text(web.get(url, **EN))
    assert "退还多收利息 ¥120.50" in page and "Please read it and accept or reject it." in page
    assert "Accept resolution" in page and "Reject resolution" in page
    assert web.post(reverse("portal:step", args=[proposed_dispute.number]), {"name": "accept"}).status_code == 302
    proposed_dispute.refresh_from_db()
    assert proposed_dispute.state == "accepted"
    assert "How did we do?" in text(web.get(url, **EN))
    response = web.post(reverse("portal:rate", args=[proposed_dispute.number]), {"score": "4", "comment": "OK"})
    assert response.status_code == 302
    rating = SatisfactionRating.objects.get(case=proposed_dispute)
    assert (rating.score, rating.comment) == (4, "OK")
    assert "You rated this case 4 out of 5." in text(web.get(url, **EN))


def test_a_resolution_answered_from_a_page_drawn_before_it_was_replaced_is_refused(
        web, proposed_dispute, client_profile, agent, supervisor):
    """The client rejected resolution A in one tab; the firm investigated again and sent B. Accepting
    from an older tab still showing A accepted B, which the client had never read."""
    case_transition(case=proposed_dispute, user=supervisor, name="approve_resolution")
    url = reverse("portal:case", args=[proposed_dispute.number])
    drawn = re.search(r'name="proposal_key" value="([0-9a-f]+)"', html(web.get(url))).group(1)
    case = case_transition(case=proposed_dispute, user=client_profile.user, name="reject", comment="金额不对")
    case = case_transition(case=case, user=agent, name="reinvestigate")
    case = case_transition(case=case, user=agent, name="propose_resolution", comment="退还多收利息 ¥150.00")
    case_transition(case=case, user=supervisor, name="approve_resolution")

    step = reverse("portal:step", args=[case.number])
    refused = web.post(step, {"name": "accept", "proposal_key": drawn}, **EN)
    assert refused.status_code == 409
    assert "changed our proposed resolution" in text(refused) and "¥150.00" in text(refused)
    case.refresh_from_db()
    assert case.state == "resolution_proposed"
    current = re.search(r'name="proposal_key" value="([0-9a-f]+)"', html(refused)).group(1)
    assert web.post(step, {"name": "accept", "proposal_key": current}).status_code == 302
    case.refresh_from_db()
    assert case.state == "accepted"


def test_rejecting_needs_a_reason(web, proposed_dispute, supervisor):
    case_transition(case=proposed_dispute, user=supervisor, name="approve_resolution")
    step = reverse("portal:step", args=[proposed_dispute.number])
    assert web.post(step, {"name": "reject", "comment": ""}).status_code == 400
    assert web.post(step, {"name": "reject", "comment": "金额不对"}).status_code == 302
    proposed_dispute.refresh_from_db()
    assert proposed_dispute.state == "rejected_by_client"


def test_staff_steps_are_not_available_on_the_portal(web, proposed_dispute):
    response = web.post(reverse("portal:step", args=[proposed_dispute.number]), {"name": "approve_resolution"})
    assert response.status_code == 403
    proposed_dispute.refresh_from_db()
    assert proposed_dispute.approved_by is None


# --- ratings ----------------------------------------------------------------------------------------

def test_rating_only_a_resolved_case_once_with_a_valid_score(web, client_profile, agent):
    case = case_create(created_by=agent, client=client_profile, kind="ticket", subject="开户")
    case = case_transition(case=case, user=agent, name="open")
    rate = reverse("portal:rate", args=[case.number])
    assert web.post(rate, {"score": "5"}).status_code == 409  # not resolved yet
    assert "How did we do?" not in text(web.get(reverse("portal:case", args=[case.number]), **EN))
    case_transition(case=case, user=agent, name="resolve", comment="已解答")
    for bad in ("6", "0", "abc", ""):
        assert web.post(rate, {"score": bad}).status_code == 400
    assert not SatisfactionRating.objects.exists()
    assert web.post(rate, {"score": "5", "comment": "很好"}).status_code == 302
    response = web.post(rate, {"score": "1"}, **EN)
    assert response.status_code == 409 and "already been rated" in text(response)
    assert SatisfactionRating.objects.get(case=case).score == 5


# --- knowledge suggestions ------------------------------------------------------------------------

@pytest.fixture
def articles():
    category = Category.objects.create(code="liquidation-help", name="强制平仓", name_en="Forced liquidation",
                                       case_categories="liquidation")
    kept = Article.objects.create(
        slug="forced-liquidation-price", category=category, title_zh="强制平仓的价格如何确定",
        body_zh="平仓按市价进行。", title_en="How the forced liquidation price is set",
        body_en="Securities are sold at market.", keywords="forced liquidation, 平仓", audience="clients")
    hidden = Article.objects.create(
        slug="draft-liquidation", category=category, title_zh="草稿", body_zh="草稿", title_en="Draft liquidation",
        body_en="Draft", keywords="forced liquidation", is_published=False)
    return kept, hidden


def test_suggestions_follow_the_subject_in_the_clients_language(web, articles):
    url = reverse("portal:suggest")
    partial = html(web.get(url, {"subject": "Question about forced liquidation"}, **EN))
    assert "How the forced liquidation price is set" in partial and "强制平仓的价格如何确定" not in partial
    assert reverse("portal:article", args=["forced-liquidation-price"]) in partial
    assert "Draft" not in partial and "<html" not in partial
    partial = html(web.get(url, {"subject": "平仓价格不合理"}, HTTP_ACCEPT_LANGUAGE="zh-hans"))
    assert "强制平仓的价格如何确定" in partial
    assert html(web.get(url, {"subject": "weather"}, **EN)).strip() == ""
    partial = html(web.get(url, {"subject": "", "category": "liquidation"}, **EN))
    assert "How the forced liquidation price is set" in partial



def test_suggestions_follow_the_description_typed_too(web, articles):
    partial = html(web.get(reverse("portal:suggest"), {"subject": "Question", "description": "Why was my forced "
                                                       "liquidation done at that price?"}, **EN))
    assert "How the forced liquidation price is set" in partial
    page = html(web.get(reverse("portal:submit"), **EN))
    description = re.search(r'<textarea name="description"[^>]*>', page).group(0)
    assert f'hx-get="{reverse("portal:suggest")}"' in description and 'hx-trigger="keyup changed' in description

def test_an_article_page_and_the_search(web, articles):
    page = text(web.get(reverse("portal:article", args=["forced-liquidation-price"]), **EN))
    assert "How the forced liquidation price is set" in page and "Securities are sold at market." in page
    assert web.get(reverse("portal:article", args=["draft-liquidation"])).status_code == 404
    assert web.get(reverse("portal:article", args=["nothing-here"])).status_code == 404
    listing = text(web.get(reverse("portal:knowledge"), {"q": "liquidation"}, **EN))
    assert "How the forced liquidation price is set" in listing and "Draft liquidation" not in listing


# --- message settings -----------------------------------------------------------------------------

def checked(page: str, name: str) -> bool:
    return re.search(rf'<input type="checkbox" name="{name}"[^>]*\bchecked\b', page) is not None


def test_a_client_sees_and_changes_their_message_settings(web, client_profile, agent, django_capture_on_commit_callbacks):
    from notifications.models import ClientPreference, Notification

    url = reverse("portal:preferences")
    page = html(web.get(url, **EN))
    assert checked(page, "email_enabled") and checked(page, "sms_enabled") and checked(page, "in_app_enabled")
    assert 'value="22:00"' in page and 'value="08:00"' in page
    assert 'margin calls' in page.lower()  # what is sent whatever the client chooses

    response = web.post(url, {"language": "en", "email_enabled": "on", "in_app_enabled": "on",
                              "quiet_hours_start": "21:00", "quiet_hours_end": "07:30"}, **EN)
    assert response.status_code == 302 and response["Location"] == url
    preference = ClientPreference.objects.get(client=client_profile)
    assert (preference.email_enabled, preference.sms_enabled, preference.in_app_enabled) == (True, False, True)
    assert (preference.quiet_hours_start, preference.quiet_hours_end) == (datetime.time(21), datetime.time(7, 30))
    client_profile.refresh_from_db()
    assert client_profile.language == "en"
    page = html(web.get(url, **EN))
    assert not checked(page, "sms_enabled") and checked(page, "email_enabled") and 'value="21:00"' in page

    # What the client chose is what happens: the next reply is written to them in English.
    case = case_create(created_by=client_profile.user, kind="ticket", client=client_profile, subject="费用问题",
                       description="请解释", channel=Channel.PORTAL)
    with django_capture_on_commit_callbacks(execute=True):
        message_create(case=case, author=agent, body="Here is the fee table.")
    email = Notification.objects.get(case=case, event="case_reply", channel="email")
    assert email.language == "en"


def test_what_the_settings_page_says_is_always_sent_is_what_is_sent_with_every_channel_off(
        web, client_profile, agent, django_capture_on_commit_callbacks):
    """The page promised every notice about a complaint whatever the client chose; a reply on a complaint
    follows the client's channels (notifications.policy: a dispute's state changes are the urgent ones)."""
    from notifications.models import Notification
    from notifications.policy import DISABLED_BY_PREFERENCE

    url = reverse("portal:preferences")
    response = web.post(url, {"language": "en", "quiet_hours_start": "22:00", "quiet_hours_end": "08:00"}, **EN)
    assert response.status_code == 302  # every channel switched off
    dispute = case_create(created_by=client_profile.user, kind="dispute", client=client_profile,
                          subject="利息多收", category="interest_fee", channel=Channel.PORTAL)
    with django_capture_on_commit_callbacks(execute=True):
        case_transition(case=dispute, user=agent, name="acknowledge")
        message_create(case=dispute, author=agent, body="We are checking the interest lines.")
    state_change = Notification.objects.get(case=dispute, event="case_state_changed", channel="email")
    reply = Notification.objects.get(case=dispute, event="case_reply", channel="email")
    assert state_change.status != Notification.Status.GAVE_UP
    assert (reply.status, reply.error) == (Notification.Status.GAVE_UP, DISABLED_BY_PREFERENCE)

    page = text(web.get(url, **EN))
    assert "every change in the state of your complaints reach you on every channel" in page
    assert "Our replies to your complaints follow your choice." in page
    assert "notices about your complaints" not in page


@pytest.mark.parametrize("data, field", [
    ({"quiet_hours_start": "25:00", "quiet_hours_end": "07:00", "language": "en"}, "quiet_hours_start"),
    ({"quiet_hours_start": "21:00", "quiet_hours_end": "", "language": "en"}, "quiet_hours_end"),
    ({"quiet_hours_start": "21:00", "quiet_hours_end": "07:00", "language": "fr"}, "language"),
])
def test_bad_message_settings_are_refused_and_change_nothing(web, client_profile, data, field):
    from notifications.models import ClientPreference

    response = web.post(reverse("portal:preferences"), data, **EN)
    assert response.status_code == 400
    assert re.search(rf'<div class="field has-error">\s*<label for="id_{field}"', html(response))
    assert not ClientPreference.objects.filter(client=client_profile).exists()
    client_profile.refresh_from_db()
    assert client_profile.language == "zh-hans"


def test_only_clients_reach_their_message_settings(client, agent):
    url = reverse("portal:preferences")
    assert client.get(url).status_code == 302  # to the login
    client.force_login(agent)
    assert client.get(url).status_code == 403
    assert client.post(url, {"language": "en", "quiet_hours_start": "21:00", "quiet_hours_end": "07:00"}).status_code == 403
