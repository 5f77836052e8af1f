"""The standards sweep over the admin and the case page (zh-hans and en): states, lines, triggers and
audit events by their names, never by the codes stored; times in Asia/Shanghai, also in the names
the admin gives records (an inline's row title, a breadcrumb); money written one way in both
languages."""

import datetime
import re
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import Security
from cases.models import WORKFLOWS, CaseMessage, SlaTimer
from cases.models.visits import ReturnVisit
from cases.models.workflows import state_label
from cases.services import case_create, case_transition, message_create
from risk.models import StressTest
from risk.monitoring import monitor_accounts
from servicedesk import formats
from tests.factories import CreditAccountFactory, PositionFactory, SecurityFactory
from tests.web.margin import open_margin_call

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
STATE_CODES = {state for workflow in WORKFLOWS.values() for state in workflow.State.values}
CODE = re.compile(r"(?<![\w-])(" + "|".join(sorted(STATE_CODES, key=len, reverse=True)) + r")(?![\w-])")


def visible_text(response) -> str:
    assert response.status_code == 200, response.status_code
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())


def codes_shown(text: str) -> set[str]:
    """State codes written as words on a Chinese page (attributes and scripts are not read)."""
    return set(CODE.findall(text))


@pytest.fixture
def ticket(client_profile, agent, supervisor):
    case = case_create(created_by=agent, client=client_profile, kind="ticket", subject="融资利率咨询",
                       description="请问利率多少", category="fees")
    message_create(case=case, author=agent, body="已转交风控", internal=True)
    return case_transition(case=case, user=supervisor, name="open")


def test_admin_case_list_and_page_name_the_state(client, supervisor, ticket):
    client.force_login(supervisor)
    with translation.override("zh-hans"):
        label = str(state_label("ticket", "open"))
    listing = visible_text(client.get(reverse("admin:cases_case_changelist"), **ZH))
    assert label in listing
    assert codes_shown(listing) == set()
    page = visible_text(client.get(reverse("admin:cases_case_change", args=[ticket.pk]), **ZH))
    assert label in page
    assert codes_shown(page) == set()  # the state field, the audit trail's rows and their titles
    with translation.override("zh-hans"):
        assert f"{state_label('ticket', 'new')} → {label}" in page
        assert str(CaseMessage.Visibility.INTERNAL.label) in page  # the note's event: not "internal"


def test_admin_audit_trail_in_english_says_what_happened(client, supervisor, ticket):
    client.force_login(supervisor)
    page = visible_text(client.get(reverse("admin:cases_case_change", args=[ticket.pk]), **EN))
    with translation.override("en"):
        assert f"State: {state_label('ticket', 'new')} → {state_label('ticket', 'open')}" in page
        assert str(CaseMessage.Visibility.INTERNAL.label) in page
    listing = visible_text(client.get(reverse("admin:cases_caseevent_changelist"), **ZH))
    assert "状态：" in listing and codes_shown(listing) == set()


def test_admin_message_title_is_in_shanghai_time(client, supervisor, ticket):
    """An inline row's title is the record's name: the message's time in Asia/Shanghai, not UTC."""
    message = ticket.messages.get()
    moment = datetime.datetime(2026, 11, 27, 1, 30, tzinfo=datetime.UTC)  # 09:30 in Shanghai
    CaseMessage.objects.filter(pk=message.pk).update(created_at=moment)
    message.refresh_from_db()
    assert str(message).endswith("2026-11-27 09:30")
    client.force_login(supervisor)
    page = visible_text(client.get(reverse("admin:cases_case_change", args=[ticket.pk]), **ZH))
    assert "2026-11-27 09:30" in page and "2026-11-27 01:30" not in page


def test_stress_test_name_is_in_shanghai_time(risk_officer):
    test = StressTest(run_by=risk_officer, run_at=datetime.datetime(2026, 3, 2, 16, 5, tzinfo=datetime.UTC),
                      market_shock=D("-0.2000"))
    assert str(test) == "2026-03-03 00:05 -20.00%"


def test_records_are_named_by_labels_not_codes(credit_account, ticket, client_profile):
    position = PositionFactory(account=credit_account, security=SecurityFactory(), quantity=100)
    visit = ReturnVisit(client=client_profile, reason=ReturnVisit.Reason.choices[0][0], due_date=timezone.localdate())
    timer = SlaTimer(case=ticket, metric="first_response", cycle=1, state="running")
    with translation.override("zh-hans"):
        named = [str(position), str(visit), str(timer), str(ticket.events.first())]
        assert position.get_kind_display() in named[0]
        assert visit.get_reason_display() in named[1]
        assert timer.get_metric_display() in named[2] and timer.get_state_display() in named[2]
    for name in named:
        assert not re.search(r"\b(long|short|first_response|running|created|transition)\b", name), name
        assert visit.reason not in name


def test_admin_alerts_and_runs_name_the_line_and_the_trigger(admin_client, client_profile, agent):
    open_margin_call(client_profile, agent)
    monitor_accounts(trigger="command")
    alerts = visible_text(admin_client.get(reverse("admin:risk_accountalert_changelist"), **ZH))
    assert "平仓线" in alerts and "警戒线" in alerts
    assert not re.search(r"\b(close_out|warning|attention)\b", alerts)
    only_close_out = admin_client.get(reverse("admin:risk_accountalert_changelist"), {"line": "close_out"}, **ZH)
    assert [alert.line for alert in only_close_out.context["cl"].result_list] == ["close_out"]
    runs = visible_text(admin_client.get(reverse("admin:risk_monitoringrun_changelist"), **ZH))
    assert "手动运行（run_monitoring）" in runs
    assert not re.search(r"\bcommand\b", runs)
    runs_en = visible_text(admin_client.get(reverse("admin:risk_monitoringrun_changelist"), **EN))
    assert "run by hand (run_monitoring)" in runs_en


def test_admin_credit_accounts_write_every_amount_with_thousands(admin_client, client_profile):
    CreditAccountFactory(client=client_profile, financing_debt=D("1137501.33"), cash=D("2345678.90"))
    listing = visible_text(admin_client.get(reverse("admin:accounts_creditaccount_changelist"), **ZH))
    assert "1,137,501.33" in listing and "2,345,678.90" in listing
    assert "1137501.33" not in listing


def test_case_page_writes_a_price_the_same_way_in_both_languages(client, client_profile, agent):
    """The positions' price column: "¥1,452.8000" in Chinese too (floatformat groups in English only)."""
    case = open_margin_call(client_profile, agent)
    Security.objects.filter(positions__account=case.credit_account).update(price=D("1452.80"))
    client.force_login(agent)
    url = reverse("console:case_part", kwargs={"number": case.number, "part": "account"})
    for headers in (ZH, EN):
        text = visible_text(client.get(url, **headers))
        assert "¥1,452.8000" in text, headers
        assert "1452.8000" not in text, headers
