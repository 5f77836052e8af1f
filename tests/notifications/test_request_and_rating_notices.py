"""The decision on an extension or relief request and the request to rate a resolved case: texts
from the templates supervisors edit (built-in: the wording the code used to write), on the
client's channels like the other case notices (the portal's bell and inbox included, leading to
the case), under the client's preferences and quiet hours."""

import datetime
from decimal import Decimal as D
from importlib import import_module
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.urls import reverse

from cases.services import case_create, case_transition
from notifications.defaults import DEFAULT_TEMPLATES
from notifications.models import ClientPreference, Notification, NotificationTemplate
from notifications.policy import DISABLED_BY_PREFERENCE
from notifications.rendering import render
from risk.monitoring import monitor_accounts
from tests.factories import CreditAccountFactory, PositionFactory, SecurityFactory

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
THU = datetime.datetime(2026, 2, 12, 10, tzinfo=SH)  # a working day, 10:00: no quiet hours
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
EVENTS = ("request_approved", "request_declined", "rating_request")


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(THU, tick=False):
        yield


@pytest.fixture
def security():
    return SecurityFactory(price=D("20.00"))


@pytest.fixture
def account(client_profile, security):
    """Eligible for an extension: matures in 10 days (on 22 February), interest paid, a ratio of 200 %."""
    account = CreditAccountFactory(client=client_profile, financing_debt=D("100000.00"),
                                   contract_maturity=THU.date() + datetime.timedelta(days=10))
    PositionFactory(account=account, security=security, quantity=10000)
    return account


def speak(client_profile, language):
    client_profile.language = language
    client_profile.save()


def decide(api, client_profile, account, agent, supervisor, decision, kind="extension", reasons="说明",
           **details) -> str:
    """The client asks, an agent proposes, a supervisor approves or declines; the case's number."""
    created = api.as_user(client_profile.user).post("/api/v1/cases/", {
        "kind": kind, "subject": "申请", "credit_account": account.account_no, **details}, format="json")
    assert created.status_code == 201, created.data
    number = created.data["number"]
    proposal = "propose_approval" if decision == "approve" else "propose_decline"
    for user, name, comment in ((agent, "start_review", ""), (agent, proposal, "说明"), (supervisor, decision, reasons)):
        response = api.as_user(user).post(f"/api/v1/cases/{number}/transitions/{name}/", {"comment": comment},
                                          format="json")
        assert response.status_code == 200, (name, response.data)
    return number


def told(number, event) -> dict[str, Notification]:
    return {notice.channel: notice for notice in Notification.objects.filter(case__number=number, event=event)}


# --- texts from the templates ----------------------------------------------------------------------

def test_an_approved_extension_is_told_from_the_template_a_supervisor_edited_in_the_clients_language(
        api, client_profile, account, agent, supervisor):
    speak(client_profile, "en")
    NotificationTemplate.objects.filter(event="request_approved", language="en", channel="").update(
        subject="Extension {{ case_number }} granted",
        body="Dear {{ client_name }}, credit account {{ account_no }} now matures on {{ maturity }}.")
    NotificationTemplate.objects.filter(event="request_approved", language="zh-hans", channel="").update(
        subject="展期 {{ case_number }} 已批准", body="到期日：{{ maturity }}")

    number = decide(api, client_profile, account, agent, supervisor, "approve")

    notices = told(number, "request_approved")
    assert set(notices) == {"email", "sms", "in_app"}
    text = f"Dear {client_profile.name}, credit account {account.account_no} now matures on Aug. 22, 2026."
    assert {(notice.language, notice.body) for notice in notices.values()} == {("en", text)}
    assert notices["email"].subject == f"[{number}] Extension {number} granted"
    assert notices["in_app"].subject == f"Extension {number} granted"


def test_a_declined_relief_carries_the_supervisors_reasons_on_every_channel(api, client_profile, account, security,
                                                                           agent, supervisor):
    security.price = D("12.00")  # a ratio of 120 %: a margin call to relieve
    security.save()
    monitor_accounts(trigger="test")

    number = decide(api, client_profile, account, agent, supervisor, "decline", kind="relief",
                    reasons="担保品不足，请先追加担保物")

    notices = told(number, "request_declined")
    assert set(notices) == {"email", "sms", "in_app"}
    for notice in notices.values():
        assert notice.body == (f"很抱歉，您为信用账户 {account.account_no} 提交的纾困申请 {number} 未获批准。"
                               "请及时追加担保物或还款，以免被强制平仓。原因请在客户门户中查看该事项，或致电我们。\n\n"
                               "我们的理由：担保品不足，请先追加担保物")
    assert notices["in_app"].subject == f"您的纾困申请 {number} 未获批准"


@pytest.fixture
def as_supervisor(client, supervisor):
    client.force_login(supervisor)
    return client


def test_a_supervisor_puts_the_reasons_into_the_decline_template_in_the_admin(as_supervisor, api, client_profile,
                                                                             account, agent, supervisor):
    template = NotificationTemplate.objects.get(event="request_declined", language="en", channel="")
    url = reverse("admin:notifications_notificationtemplate_change", args=[template.pk])
    page = as_supervisor.get(url, **EN).content.decode()
    for placeholder in ("reasons", "maturity", "trading_days", "request_kind", "link"):
        assert f"<code>{{{{ {placeholder} }}}}</code>" in page
    assert "Our reasons: The interest of the last three months is not paid yet." in page  # the sample preview
    form = {"event": "request_declined", "language": "en", "channel": "", "is_active": "on",
            "subject": "{{ case_number }} declined", "body": "Declined because: {{ reasons }}. Until {{ maturity }}."}
    assert as_supervisor.post(url, {**form, "body": "{% if reasons %}"}).status_code == 200  # invalid: refused
    assert as_supervisor.post(url, form).status_code == 302
    speak(client_profile, "en")

    number = decide(api, client_profile, account, agent, supervisor, "decline", reasons="Two extensions already")

    sms = told(number, "request_declined")["sms"]
    assert sms.body == "Declined because: Two extensions already. Until Feb. 22, 2026."


def test_the_preview_with_a_real_case_shows_what_its_decision_said(as_supervisor, api, client_profile, account,
                                                                    agent, supervisor):
    number = decide(api, client_profile, account, agent, supervisor, "decline", reasons="已多次展期")
    template = NotificationTemplate.objects.get(event="request_declined", language="zh-hans", channel="")
    url = reverse("admin:notifications_notificationtemplate_preview", args=[template.pk])

    page = as_supervisor.get(url, {"case": number}).content.decode()

    assert f"您的展期申请 {number} 未获批准" in page
    assert "合约仍于 2026年2月22日 到期" in page and "我们的理由：已多次展期" in page


def test_a_rating_text_written_for_sms_is_the_sms_and_the_e_mail_keeps_the_built_in_one(client_profile, agent):
    NotificationTemplate.objects.create(event="rating_request", language="zh-hans", channel="sms",
                                        body="【两融】请为 {{ case_number }} 打分：{{ link }}")
    case = case_create(created_by=agent, client=client_profile, kind="ticket", subject="开户咨询")
    case = case_transition(case=case, user=agent, name="open")
    case = case_transition(case=case, user=agent, name="resolve", comment="已解答")

    notices = told(case.number, "rating_request")
    link = notices["sms"].data["link"]
    assert notices["sms"].body == f"【两融】请为 {case.number} 打分：{link}"
    assert notices["email"].body == (f"您的事项 {case.number}（开户咨询）已办结。请在 30 天内为我们的服务打分（1 至 5 分）："
                                     f"{link}")


# --- the built-in texts: the wording the code used to write ----------------------------------------

def request_case(kind, client_profile, account, agent):
    return case_create(created_by=agent, client=client_profile, kind=kind, subject="申请", credit_account=account)


@pytest.mark.parametrize("language, data, expected", [
    ("en", {"request_kind": "relief", "trading_days": 1},
     "Your relief request {number} for credit account {account} is approved: the deadline to top up moves 1 trading "
     "day later. The new deadline is shown on the case in the client portal."),
    ("en", {"request_kind": "relief", "trading_days": 5},
     "Your relief request {number} for credit account {account} is approved: the deadline to top up moves 5 trading "
     "days later. The new deadline is shown on the case in the client portal."),
    ("zh-hans", {"request_kind": "relief", "trading_days": 5},
     "您为信用账户 {account} 提交的纾困申请 {number} 已获批准：追保截止时间顺延 5 个交易日。新的截止时间可在客户门户的该事项中查看。"),
    ("en", {"request_kind": "relief", "trading_days": 3, "deadline": "2026-02-27T15:00:00+08:00"},
     "Your relief request {number} for credit account {account} is approved: the deadline to top up moves 3 trading "
     "days later, to Feb. 27, 2026, 3 p.m.; please add collateral or repay by then."),
    ("zh-hans", {"request_kind": "relief", "trading_days": 3, "deadline": "2026-02-27T07:00:00+00:00"},
     "您为信用账户 {account} 提交的纾困申请 {number} 已获批准：追保截止时间顺延 3 个交易日，新的截止时间为 2026年2月27日 15:00，"
     "请在此之前追加担保物或还款。"),
    ("en", {"request_kind": "staged_repayment"},
     "Your request {number} to repay the debt of credit account {account} in stages is approved. We will contact "
     "you about the instalments."),
    ("zh-hans", {"request_kind": "extension", "maturity": "2026-08-22"},
     "您为信用账户 {account} 提交的合约展期申请 {number} 已获批准：合约到期日现为 2026年8月22日。"),
])
def test_the_built_in_approval_texts(client_profile, account, agent, language, data, expected):
    case = request_case("extension" if data["request_kind"] == "extension" else "relief", client_profile, account,
                        agent)
    _subject, body = render(event="request_approved", language=language, channel="sms", case=case, data=data)
    assert body == expected.format(number=case.number, account=account.account_no)


@pytest.mark.parametrize("language, expected", [
    ("zh-hans", "追保截止时间顺延 3 个交易日，新的截止时间为 2026年2月27日 15:00，请在此之前追加担保物或还款。"),
    ("en", "the deadline to top up moves 3 trading days later, to Feb. 27, 2026, 3 p.m.; please add collateral or "
           "repay by then."),
])
def test_an_approved_relief_names_the_new_deadline_in_shanghai_time(api, client_profile, account, security, agent,
                                                                    supervisor, language, expected):
    """The notice said only how many trading days the deadline moved: a client reading the SMS had to
    open the portal to learn by when to top up. It is written once the approval has moved the deadline."""
    speak(client_profile, language)
    security.price = D("12.00")  # a ratio of 120 %: a margin call, due on 24 February at 15:00 (Spring Festival)
    security.save()
    monitor_accounts(trigger="test")

    number = decide(api, client_profile, account, agent, supervisor, "approve", kind="relief")

    call = account.margin_calls.get()
    assert call.deadline == datetime.datetime(2026, 2, 27, 15, tzinfo=SH)  # three trading days later
    notices = told(number, "request_approved")
    assert set(notices) == {"email", "sms", "in_app"}
    for notice in notices.values():
        assert notice.language == language and expected in notice.body
        assert "client portal" not in notice.body and "客户门户" not in notice.body
    inbox = api.as_user(client_profile.user).get("/api/v1/notifications/")
    assert expected in {item["event"]: item for item in inbox.data["results"]}["request_approved"]["body"]


def test_the_built_in_decline_text_without_reasons_ends_with_where_to_find_them(client_profile, account, agent):
    case = request_case("extension", client_profile, account, agent)
    data = {"request_kind": "extension", "maturity": "2026-02-22", "reasons": ""}
    subject, body = render(event="request_declined", language="en", channel="email", case=case, data=data)
    assert subject == f"Your extension request {case.number} is declined"
    assert body == (f"We are sorry: your request {case.number} to extend the margin contract of credit account "
                    f"{account.account_no} is declined. The contract still matures on Feb. 22, 2026; please repay "
                    "the financing debt by then. For the reasons, see the case in the client portal or call us.")


@pytest.mark.parametrize("language, expected", [
    ("zh-hans", "合约已于 2026年2月14日 到期，请尽快偿还融资负债：逾期负债将计收罚息。"),
    ("en", "The contract matured on Feb. 14, 2026; please repay the financing debt now: penalty interest is "
           "charged on overdue debt."),
])
def test_an_extension_declined_after_the_contract_matured_says_it_matured_not_that_it_still_matures(
        api, client_profile, account, agent, supervisor, language, expected):
    """Asked for two days before maturity, declined three days later: the notice told the client the
    contract 'still matures' on a day gone by and to repay 'by then'."""
    speak(client_profile, language)
    account.contract_maturity = THU.date() + datetime.timedelta(days=2)  # Saturday 14 February
    account.save()
    created = api.as_user(client_profile.user).post("/api/v1/cases/", {
        "kind": "extension", "subject": "申请", "credit_account": account.account_no}, format="json")
    assert created.status_code == 201, created.data
    number = created.data["number"]
    with time_machine.travel(THU + datetime.timedelta(days=5), tick=False):  # 17 February: matured
        for user, name in ((agent, "start_review"), (agent, "propose_decline"), (supervisor, "decline")):
            response = api.as_user(user).post(f"/api/v1/cases/{number}/transitions/{name}/", {"comment": "说明"},
                                              format="json")
            assert response.status_code == 200, (name, response.data)

    bodies = {notice.body for notice in told(number, "request_declined").values()}
    assert len(bodies) == 1
    body = bodies.pop()
    assert expected in body
    assert "仍于" not in body and "still matures" not in body


@pytest.mark.parametrize("name, event, language, edited, new_part", [
    ("0013_declined_extension_after_maturity", "request_declined", "zh-hans", "Declined: {{ reasons }}",
     "{% if matured %}"),
    ("0014_relief_approval_names_the_deadline", "request_approved", "en", "已批准：{{ trading_days }} 个交易日",
     "{{ deadline }}"),
])
def test_a_text_migration_gives_the_new_built_in_text_to_rows_not_edited(name, event, language, edited, new_part):
    migration = import_module(f"notifications.migrations.{name}")
    [step] = migration.Migration.operations
    rows = NotificationTemplate.objects.filter(event=event, channel="")
    rows.filter(language=language).update(body=migration.FORMER[language])
    rows.exclude(language=language).update(body=edited)  # a supervisor's own text

    step.code(apps, None)

    assert rows.get(language=language).body == DEFAULT_TEMPLATES[event][language][1]
    assert new_part in rows.get(language=language).body
    assert rows.exclude(language=language).get().body == edited
    step.reverse_code(apps, None)
    assert rows.get(language=language).body == migration.FORMER[language]


def test_the_migration_seeds_the_built_in_texts_and_keeps_a_row_already_there():
    migration = import_module("notifications.migrations.0008_request_decision_and_rating_texts")
    NotificationTemplate.objects.filter(event__in=EVENTS).exclude(event="rating_request", language="en").delete()
    NotificationTemplate.objects.filter(event="rating_request", language="en").update(body="Rate us: {{ link }}")

    migration.forwards(apps, None)

    rows = {(row.event, row.language): (row.subject, row.body)
            for row in NotificationTemplate.objects.filter(event__in=EVENTS, channel="")}
    assert set(rows) == {(event, language) for event in EVENTS for language in ("zh-hans", "en")}
    assert rows[("request_declined", "zh-hans")] == DEFAULT_TEMPLATES["request_declined"]["zh-hans"]
    assert rows[("rating_request", "en")][1] == "Rate us: {{ link }}"


# --- where the client finds them ------------------------------------------------------------------

def test_the_decision_and_the_rating_request_are_in_the_clients_bell_and_lead_to_the_case(
        client, api, client_profile, account, agent, supervisor):
    number = decide(api, client_profile, account, agent, supervisor, "approve")
    user = client_profile.user

    inbox = api.as_user(user).get("/api/v1/notifications/")
    assert inbox.status_code == 200
    items = {item["event"]: item for item in inbox.data["results"]}
    assert {"request_approved", "rating_request"} <= set(items)
    assert items["request_approved"]["case"] == items["rating_request"]["case"] == number
    assert items["request_approved"]["subject"] == f"您的展期申请 {number} 已获批准"
    assert items["rating_request"]["body"].endswith(told(number, "rating_request")["email"].data["link"])

    client.force_login(user)
    bell = client.get(reverse("notifications_web:bell")).content.decode()
    assert f"您的展期申请 {number} 已获批准" in bell and f"请为事项 {number} 的服务评分" in bell
    for event in ("request_approved", "rating_request"):
        response = client.post(reverse("notifications_web:open", args=[items[event]["id"]]))
        assert response.status_code == 302 and response["Location"] == reverse("portal:case", args=[number])
    assert client.get(reverse("portal:case", args=[number])).status_code == 200


def test_the_rating_request_of_a_resolved_ticket_is_in_the_portal_inbox(client, client_profile, agent):
    speak(client_profile, "en")
    case = case_create(created_by=agent, client=client_profile, kind="ticket", subject="Opening an account")
    case = case_transition(case=case, user=agent, name="open")
    case = case_transition(case=case, user=agent, name="resolve", comment="Answered")
    client.force_login(client_profile.user)

    page = client.get(reverse("notifications_web:inbox"), **EN).content.decode()
    assert f"How did we do? Rate case {case.number}" in page
    assert told(case.number, "rating_request")["in_app"].data["link"] in page


# --- preferences and quiet hours, as for the other client notices ----------------------------------

def test_at_night_the_e_mail_waits_a_channel_switched_off_is_not_used_and_the_bell_has_it_at_once(
        api, client_profile, account, agent, supervisor):
    ClientPreference.objects.create(client=client_profile, sms_enabled=False)
    with time_machine.travel(THU.replace(hour=23), tick=False):
        number = decide(api, client_profile, account, agent, supervisor, "decline", reasons="资料不全")

    for event in ("request_declined", "rating_request"):
        notices = told(number, event)
        assert (notices["email"].status, notices["email"].next_attempt_at) == (
            "pending", datetime.datetime(2026, 2, 13, 8, tzinfo=SH))
        assert (notices["sms"].status, notices["sms"].error) == ("gave_up", DISABLED_BY_PREFERENCE)
        assert notices["in_app"].status == "sent" and notices["in_app"].read_at is None
