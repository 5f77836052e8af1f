"""Reviewer's findings on the finished pages (case page, portal, risk pages): strings that never
reached the catalogue, help text frozen in one language, one English word with two meanings, raw
codes instead of names, a negative "days left", name order, colons and brackets after Chinese; and
the QA pass's: money without its currency or thousands, "not yet" meaning "not yet approved",
usernames and queue codes, countdowns with an English "d"."""

import ast
import datetime
import pathlib
import re
from decimal import Decimal as D

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import User
from accounts.names import full_name
from cases.models import Case, Priority
from cases.models.workflows import state_label
from cases.services import case_create, case_transition
from risk.models import AccountAlert, Level
from risk.monitoring import monitor_accounts
from servicedesk import formats
from tests.factories import CreditAccountFactory, PositionFactory, SecurityFactory, queue
from tests.web.margin import open_margin_call

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
APPS = ("accounts", "cases", "risk", "notifications", "knowledge", "servicedesk")
ROOT = pathlib.Path(settings.BASE_DIR)


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html(response)).split())


def _sources():
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts:
                yield path, ast.parse(path.read_text(encoding="utf-8"))


# --- 1. every translatable string is extracted ---------------------------------------------------

def test_gettext_is_imported_under_names_makemessages_extracts():
    """makemessages (xgettext) knows _, gettext, gettext_lazy, ngettext(_lazy), pgettext(_lazy)…
    but not an alias such as _lazy: strings marked with one never reach the catalogue."""
    odd = []
    for path, tree in _sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
                odd += [f"{path}: {alias.name} as {alias.asname}" for alias in node.names
                        if alias.asname not in (None, "_")]
    assert odd == []


def test_case_page_labels_are_translated():
    from cases.web.case_page.account_panels import LINE_LABELS
    from cases.web.case_page.panels import PAUSE_REASONS, PROPOSED_OUTCOMES

    with translation.override("zh-hans"):
        assert str(PAUSE_REASONS["waiting_on_client"]) == "等待客户"
        assert str(PROPOSED_OUTCOMES["liquidate"]) == "强制平仓"
        assert str(PROPOSED_OUTCOMES["approve"]) == "批准"
        assert str(LINE_LABELS["close_out"]) != "close-out line"
    with translation.override("en"):
        assert str(PROPOSED_OUTCOMES["liquidate"]) == "forced liquidation"


# --- 2. nothing translated once at import ---------------------------------------------------------

def test_no_string_is_translated_and_formatted_outside_a_function():
    """`gettext_lazy("…%(n)d…") % values` (or gettext) at module or class level is translated once,
    at import, in whatever language was active: every reader then gets that language."""
    frozen = []

    def visit(node, path, in_function):
        for child in ast.iter_child_nodes(node):
            inside = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if (isinstance(child, ast.BinOp) and isinstance(child.op, ast.Mod) and isinstance(child.left, ast.Call)
                    and "lazy" in getattr(child.left.func, "id", getattr(child.left.func, "attr", ""))):
                frozen.append(f"{path}:{child.lineno}")  # lazy % values is never lazy, even in a function
            visit(child, path, inside)

    for path, tree in _sources():
        visit(tree, path, False)
    assert frozen == []


def test_attachment_help_text_follows_the_reader_s_language(client, client_profile):
    from cases.web.portal.forms import ReplyForm

    with translation.override("zh-hans"):
        chinese = str(ReplyForm().fields["attachments"].help_text)
    with translation.override("en"):
        english = str(ReplyForm().fields["attachments"].help_text)
    assert english.startswith("Up to 10 files") and not re.search(r"[\u4e00-\u9fff]", english)
    assert re.search(r"[\u4e00-\u9fff]", chinese) and "10" in chinese
    client.force_login(client_profile.user)
    url = reverse("portal:submit", args=["ticket"])
    assert "Up to 10 files" in text(client.get(url, **EN))
    assert "Up to 10 files" not in text(client.get(url, **ZH))


# --- 3. one English word, two meanings --------------------------------------------------------------

def test_normal_and_open_mean_different_things_for_risk_and_cases():
    with translation.override("zh-hans"):
        assert Level.NORMAL.label == "正常"
        assert Priority.NORMAL.label == "普通"
        assert AccountAlert.State.OPEN.label == "未解除"
        assert state_label("ticket", "open") not in ("", "open", "未解除")


@pytest.fixture
def margin_call(client_profile, agent):
    """A margin call on an account whose contract matured 25 days ago."""
    return open_margin_call(client_profile, agent,
                            contract_maturity=timezone.localdate() - datetime.timedelta(days=25))


def _part(client, case, part, **headers):
    return client.get(reverse("console:case_part", kwargs={"number": case.number, "part": part}), **headers)


def test_case_page_alert_table_says_open_alert_in_chinese(client, margin_call, risk_officer):
    client.force_login(risk_officer)
    body = html(_part(client, margin_call, "account", **ZH))
    assert 'data-state="open"' in body
    assert "未解除" in body
    assert "平仓线（130.00%）" in body  # the bracket is the translator's, full width
    assert "close-out line (130.00%)" in html(_part(client, margin_call, "account", **EN))


def test_risk_level_list_says_normal_as_a_level(client, risk_officer, client_profile):
    security = SecurityFactory(price=D("30.00"))
    account = CreditAccountFactory(client=client_profile, financing_debt=D("100000.00"))
    PositionFactory(account=account, security=security, quantity=10000)  # 300 %
    monitor_accounts(trigger="test")
    client.force_login(risk_officer)
    body = html(client.get(f"{reverse('risk_pages:accounts')}?level=normal", **ZH))
    assert '<span class="badge level-normal">正常</span>' in body
    assert 'level-normal">普通<' not in body


# --- 4. names, not codes ------------------------------------------------------------------------------

@pytest.fixture
def dispute(client_profile, credit_account):
    return case_create(created_by=client_profile.user, client=client_profile, kind="dispute",
                       subject="折算率调整", description="为何调低", category="haircut",
                       credit_account=credit_account)


def test_case_header_shows_the_category_name(client, dispute, agent):
    client.force_login(agent)
    zh = html(_part(client, dispute, "header", **ZH))
    assert 'data-category="haircut"' in zh
    assert "· haircut" not in zh and ">haircut<" not in zh
    assert "Haircut or eligibility change" in html(_part(client, dispute, "header", **EN))


def test_timeline_names_the_notice_not_its_code(client, dispute, agent):
    from notifications.delivery import record_case_event
    from notifications.models import Notification

    record_case_event(Notification.objects.get(case=dispute, event="case_created"))  # as when it is sent
    assert dispute.events.filter(kind="notification", name="case_created").exists()
    client.force_login(agent)
    for headers, label in ((EN, "case acknowledgement"), (ZH, "受理确认")):
        body = text(_part(client, dispute, "timeline", **headers))
        assert label in body
        assert "case_created" not in body


def test_timeline_names_a_changed_field_and_a_rating(client, client_profile, agent):
    from cases.services import case_update
    from cases.services.portal import client_rating_submit

    case = case_create(created_by=agent, client=client_profile, kind="ticket", subject="开户", category="account")
    case_update(case=case, user=agent, category="fees")
    case = case_transition(case=case_transition(case=case, user=agent, name="open"), user=agent, name="resolve",
                           comment="已解答")
    client_rating_submit(case=case, user=client_profile.user, score=4, comment="")
    client.force_login(agent)
    body = text(_part(client, case, "timeline", **EN))
    assert "Category: Account management → Fee questions" in body
    assert "The client rated the case 4 out of 5" in body
    assert "rated:" not in body and "account → fees" not in body


# --- 5. a matured contract --------------------------------------------------------------------------------

def test_a_matured_contract_says_how_long_ago(client, margin_call, risk_officer):
    client.force_login(risk_officer)
    english = text(_part(client, margin_call, "account", **EN))
    chinese = text(_part(client, margin_call, "account", **ZH))
    assert "(matured 25 days ago)" in english and "-25" not in english
    assert "（已到期 25 天）" in chinese and "-25" not in chinese


def test_a_contract_still_running_says_days_left(client, ticket_with_account, agent):
    client.force_login(agent)
    english = text(_part(client, ticket_with_account, "account", **EN))
    assert re.search(r"\(\d+ days? left\)", english)


@pytest.fixture
def ticket_with_account(client_profile):
    account = CreditAccountFactory(client=client_profile,
                                   contract_maturity=timezone.localdate() + datetime.timedelta(days=40))
    return case_create(created_by=client_profile.user, client=client_profile, kind="ticket", subject="查询",
                       category="account", credit_account=account)


# --- 6. name order ------------------------------------------------------------------------------------------

def test_chinese_names_put_the_family_name_first():
    assert full_name("伟", "张") == "张伟"
    assert full_name("Wei", "张") == "张Wei"
    assert full_name("Wei", "Zhang") == "Wei Zhang"
    assert full_name("", "") == ""
    assert User(username="u1", first_name="伟", last_name="张").display_name == "张伟"
    assert User(username="u1", first_name="Ann", last_name="Lee").display_name == "Ann Lee"
    assert User(username="u1").display_name == "u1"


def test_pages_show_staff_names_family_name_first(client, ticket_with_account, agent):
    agent.first_name, agent.last_name = "伟", "张"
    agent.save()
    ticket = case_transition(case=ticket_with_account, user=agent, name="open")
    Case.objects.filter(pk=ticket.pk).update(assignee=agent)
    client.force_login(agent)
    page = html(client.get(reverse("console:case", kwargs={"number": ticket.number}), **ZH))
    assert '<span class="whoami">张伟</span>' in page
    assert "张伟" in html(_part(client, ticket, "header", **ZH))
    assert "伟 张" not in page


# --- 7. punctuation -----------------------------------------------------------------------------------------

def test_portal_status_colon_is_the_translator_s(client, client_profile, agent):
    case = case_create(created_by=client_profile.user, client=client_profile, kind="ticket", subject="开户",
                       category="account")
    client.force_login(client_profile.user)
    url = reverse("portal:case", args=[case.number])
    assert re.search(r"<h2>状态：\s*<span", html(client.get(url, **ZH)))
    assert re.search(r"<h2>Status:\s*<span", html(client.get(url, **EN)))


def test_form_labels_carry_no_ascii_colon(client, client_profile, agent):
    case = case_create(created_by=client_profile.user, client=client_profile, kind="ticket", subject="开户",
                       category="account")
    case = case_transition(case=case_transition(case=case, user=agent, name="open"), user=agent, name="resolve",
                           comment="已解答")
    client.force_login(client_profile.user)
    portal = html(client.get(reverse("portal:case", args=[case.number]), **ZH))
    labels = re.findall(r"<label[^>]*>(.*?)</label>", portal, re.S)
    assert labels, "the reply and rating forms have labels"
    assert not [label for label in labels if re.search(r"[:：]\s*$", label)]
    assert "：:" not in portal
    client.force_login(agent)
    console = html(client.get(reverse("console:case", kwargs={"number": case.number}), **ZH))
    labels = re.findall(r"<label[^>]*>(.*?)</label>", console, re.S)
    assert labels and not [label for label in labels if re.search(r"[:：]\s*$", label)]


def test_stress_test_tabs_put_the_count_in_the_translator_s_brackets():
    from django.template import Context, Template

    template = Template("{% load i18n %}{% blocktranslate with line=label number=count %}"
                        "{{ line }} ({{ number }}){% endblocktranslate %}")
    with translation.override("zh-hans"):
        assert template.render(Context({"label": "平仓线", "count": 3})) == "平仓线（3）"
    with translation.override("en"):
        assert template.render(Context({"label": "close-out", "count": 3})) == "close-out (3)"


# --- 8. money: "¥1,234.56" in both languages, one formatter ------------------------------------------------

def test_one_money_format_in_both_languages():
    from cases.templatetags import portal_format
    from cases.web.portal import plain
    from risk.templatetags import risk_pages

    for language in ("zh-hans", "en"):  # Django's zh-hans format has no thousands separator: not used
        with translation.override(language):
            assert formats.money(D("1577722.39")) == "¥1,577,722.39"
            assert formats.money(D("45806.7")) == "¥45,806.70"
            assert formats.money(D("-5")) == "-¥5.00"
            assert portal_format.money(D("314287.02")) == risk_pages.money("314287.02") == "¥314,287.02"
    assert formats.money(None) == "" and risk_pages.money(None) == "—"
    assert plain.money is formats.money  # the portal's sentences write it the same way


def test_case_page_money_has_the_currency_and_thousands_in_chinese(client, margin_call, risk_officer):
    client.force_login(risk_officer)
    account = html(_part(client, margin_call, "account", **ZH))
    assert 'class="num total-assets">¥125,000.00<' in account  # 10,000 shares at 12.50
    assert 'class="num total-liabilities">¥100,000.00<' in account
    assert re.search(r'<tr data-symbol="[^"]+">.*<td class="num">¥125,000\.00</td></tr>', account)
    details = margin_call.margin_call
    call = html(_part(client, margin_call, "margin_call", **ZH))
    assert f'data-amount="{details.top_up_cash}">{formats.money(details.top_up_cash)}<' in call
    assert formats.money(details.top_up_cash).startswith("¥") and "," in formats.money(details.top_up_cash)
    assert f">{details.top_up_cash}<" not in call


# --- 9. "not yet": approved, or back above a line -----------------------------------------------------------

def test_not_yet_back_above_a_line_is_not_not_yet_approved(client, margin_call, risk_officer):
    """The lines crossed on the account pages say the ratio is not back above the line yet; only the
    case header's "Approved by" says the proposal is not approved yet."""
    client.force_login(risk_officer)
    account_no = margin_call.credit_account.account_no
    url = f"{reverse('console:account', args=[account_no])}?case={margin_call.number}"
    for headers, language in ((ZH, "zh-hans"), (EN, "en")):
        page = html(client.get(url, **headers))
        lines_crossed = re.search(r'<section class="card" id="alerts".*?</section>', page, re.S).group(0)
        with translation.override(language):
            expected = translation.pgettext("back above a line", "not yet")
            approval = translation.pgettext("approval", "not yet")
        assert f"<td>{expected}</td>" in lines_crossed
        assert "尚未批准" not in lines_crossed
        if language == "en":
            assert expected == approval == "not yet"
    Case.objects.filter(pk=margin_call.pk).update(proposed_by=risk_officer, proposal="平仓")
    header = html(_part(client, margin_call, "header", **ZH))
    with translation.override("zh-hans"):
        assert f"<dd>{translation.pgettext('approval', 'not yet')}</dd>" in header


# --- 10. names, not codes or usernames; one countdown --------------------------------------------------------

def _named(user, first="伟", last="张"):
    user.first_name, user.last_name = first, last
    user.save()
    return user


def test_timeline_names_the_assignee_and_the_queues(client, ticket_with_account, agent, other_agent):
    from cases.services import case_update

    _named(other_agent, "静怡", "李")
    case = case_update(case=ticket_with_account, user=agent, assignee=other_agent)
    case_update(case=case, user=agent, queue=queue("disputes"))
    client.force_login(agent)
    chinese = text(_part(client, ticket_with_account, "timeline", **ZH))
    english = text(_part(client, ticket_with_account, "timeline", **EN))
    assert "李静怡" in chinese and "agent2" not in chinese
    assert "Assigned to 李静怡" in english
    assert "争议投诉" in chinese and "→ disputes" not in chinese
    assert "→ Disputes" in english


def test_case_list_names_the_assignee(client, ticket_with_account, agent, supervisor):
    Case.objects.filter(pk=ticket_with_account.pk).update(assignee=_named(agent))
    client.force_login(supervisor)
    row = re.search(rf'<tr data-case="{ticket_with_account.number}".*?</tr>',
                    html(client.get(reverse("console:cases"), **ZH)), re.S).group(0)
    assert "<td>张伟</td>" in row and "agent1" not in row


def test_countdowns_are_one_translated_format_on_the_list_and_the_case_page(client, ticket_with_account, agent,
                                                                            supervisor):
    """The console's list and the case page write a timer's time left alike: the business time left
    on the policy's calendar in hours and minutes in the reader's language, "overdue by" when late (never the
    wall-clock time to the due moment, which runs through nights and holidays), and no script ticks
    it on (data-live): static/js/app.js ticks only wall-clock countdowns (a margin call's deadline)."""
    import time_machine

    from cases.models import SlaTimer

    assert formats.countdown(93_900, "%(days)s d %(clock)s") == "1 d 02:05"
    with translation.override("zh-hans"):
        assert formats.countdown(-5_400) == "超时 01:30"
    with translation.override("en"):
        assert formats.countdown(-5_400) == "overdue by 01:30" and formats.countdown(60) == "00:01"
        assert formats.business_time(316_800) == "88h 00m"
        assert formats.business_time(-5_400) == "overdue by 1h\u00a030m"  # the figure on one line
    case = case_transition(case=ticket_with_account, user=agent, name="open")
    timer = SlaTimer.objects.filter(case=case, stopped_at__isnull=True, due_at__isnull=False).order_by("due_at").first()
    now = timezone.now()
    SlaTimer.objects.filter(case=case, stopped_at__isnull=True).exclude(pk=timer.pk).delete()
    SlaTimer.objects.filter(pk=timer.pk).update(  # 47 days late on the wall clock, 5 business hours on the calendar
        due_at=now - datetime.timedelta(days=47, minutes=2, seconds=30), target_seconds=3600, elapsed_seconds=6 * 3600,
        resumed_at=now)
    client.force_login(supervisor)
    for headers, language in ((ZH, "zh-hans"), (EN, "en")):
        with translation.override(language):
            expected = formats.business_time(-5 * 3600)
            overdue = formats.overdue(formats.business_time(5 * 3600))
        with time_machine.travel(now, tick=False):
            listed = html(client.get(reverse("console:cases"), **headers))
            timers = html(_part(client, case, "timers", **headers))
        texts = [re.search(r'<span class="sla [^>]*>([^<]+)</span>', page).group(1) for page in (listed.split(
            f'data-case="{case.number}"')[1], timers)]
        assert texts[0] == texts[1] == expected, texts
        assert expected == overdue and "\u2212" not in expected and ("小时" in expected) == (language == "zh-hans")
        assert "data-live" not in listed and "data-live" not in timers
        assert "47" not in texts[0]
    script = (ROOT / "static" / "js" / "app.js").read_text(encoding="utf-8")
    assert "daysFormat" in script and '"d "' not in script


def test_margin_call_time_left_is_written_as_the_sla_countdowns(client, margin_call, risk_officer):
    client.force_login(risk_officer)
    call = html(_part(client, margin_call, "margin_call", **EN))
    assert re.search(r'data-live data-days-format="%\(days\)s d %\(clock\)s" '
                     r'data-overdue-format="overdue by %\(time\)s">(overdue by )?(\d+ d )?\d\d:\d\d</span>', call)

# --- 11. layout: nothing wider than a phone, checkboxes beside their labels ------------------------------
# (measured in Chromium at 390 and 1280 px wide: document.documentElement.scrollWidth is the viewport's)

def test_wide_tables_scroll_in_their_own_box(client, ticket_with_account, client_profile, supervisor):
    client.force_login(client_profile.user)
    assert '<div class="table-wrap">\n<table class="data portal-cases">' in html(client.get(reverse("portal:cases")))
    client.force_login(supervisor)
    console = html(client.get(reverse("console:cases")))
    assert re.search(r'<div class="table-wrap">\s*<table class="data cases">', console)
    assert re.search(r'<div class="table-wrap">\s*<table class="data sla-timers"',
                     html(_part(client, ticket_with_account, "timers")))
    css = (ROOT / "static" / "css" / "app.css").read_text(encoding="utf-8")
    assert re.search(r"\.table-wrap \{[^}]*overflow-x: auto", css)
    assert re.search(r"\.columns > \*[^{]*\{[^}]*min-width: 0", css)  # a cell may be narrower than its table


def test_a_checkbox_sits_beside_its_label(client, client_profile):
    client.force_login(client_profile.user)
    page = html(client.get(reverse("portal:preferences"), **ZH))
    assert re.search(r'<div class="field checkbox">\s*<label for="id_email_enabled"><input type="checkbox" '
                     r'name="email_enabled"[^>]*> 电子邮件</label>', page)
    css = (ROOT / "static" / "css" / "app.css").read_text(encoding="utf-8")
    assert re.search(r"\.form \.field\.checkbox label \{[^}]*display: flex", css)


# --- 12. the crawl of every page as every role, in both languages -----------------------------------

def test_notification_inbox_headers_are_written_as_every_other_table_s(client, ticket_with_account, agent):
    """The inbox's columns read "Notification · Case · When" in English, not "case" and "created at"
    (the model fields' lower-case names), and say number and time in Chinese as the case lists do."""
    from notifications.models import Notification

    Notification.objects.create(recipient_user=agent, channel="in_app", event="sla_warning", case=ticket_with_account,
                                language="en", status="sent", data={"metric": "first_response", "level": 50})
    client.force_login(agent)
    headers = re.findall(r"<th[^>]*>([^<]*)</th>", html(client.get(reverse("notifications_web:inbox"), **EN)))
    assert headers[:3] == ["Notification", "Case", "When"]
    headers = re.findall(r"<th[^>]*>([^<]*)</th>", html(client.get(reverse("notifications_web:inbox"), **ZH)))
    assert headers[:3] == ["通知", "编号", "时间"]
