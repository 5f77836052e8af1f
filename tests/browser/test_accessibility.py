"""Accessibility of every role's main pages, audited with axe-core (the npm devDependency in
package.json; `make install` runs `npm ci`, which puts it in node_modules/, never in static/).

Each role logs in once and its pages are audited in Chinese, a subset again at a phone's width and a
subset again in English (the language cookie, in the same browser context). The audit runs
axe for WCAG 2.0 and 2.1, levels A and AA, and its best-practice rules. A page fails on a violation
of impact serious or critical, on any violation of the structure rules below (one main landmark, a
first-level heading, headings in order, nothing outside a landmark, named table headers), on an id
used twice, or on an `<html lang>` other than the language shown. Each failure names the page, the
rule, its impact and the elements' selectors; moderate and minor findings are printed.

axe is added to the page by Playwright in a context with bypass_csp: the site's
Content-Security-Policy (script-src 'self') would refuse it, and stays as strict as it is
(test_csp_pages.py checks the pages under it)."""

import json
from dataclasses import dataclass
from decimal import Decimal as D
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from accounts.roles import Role
from cases.models import Case, CaseKind
from cases.services import case_create, case_transition, case_update, message_create
from risk.monitoring import monitor_accounts
from risk.stress import stress_test_run
from tests.browser.conftest import login
from tests.factories import (
    ClientProfileFactory, CreditAccountFactory, PositionFactory, SecurityFactory, UserFactory, queue,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FAILING_IMPACTS = {"serious", "critical"}
#: Best-practice rules (impact moderate or minor) that fail all the same: the page's structure.
STRUCTURE_RULES = {"landmark-one-main", "landmark-no-duplicate-main", "page-has-heading-one", "heading-order",
                   "region", "empty-table-header"}
#: Counts the htmx requests in flight (the bell and other parts a page loads after itself), so that
#: the audit waits for them rather than for half a second of network silence after each page.
HTMX_PENDING = """window.htmxPending = 0;
document.addEventListener("htmx:beforeRequest", () => { window.htmxPending += 1; });
document.addEventListener("htmx:afterRequest", () => { window.htmxPending -= 1; });"""
SETTLED = """() => document.readyState === "complete" && window.htmxPending === 0
  && !document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling")"""
DESKTOP = {"width": 1400, "height": 1000}
PHONE = {"width": 390, "height": 844}

AUDIT = """() => axe.run(document, {
  runOnly: {type: "tag", values: %s},
  resultTypes: ["violations"],
}).then((results) => ({
  violations: results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, tags: v.tags,
    targets: v.nodes.map((node) => node.target.join(" ")),
  })),
  duplicateIds: [...document.querySelectorAll("[id]")].map((e) => e.id)
    .filter((id, index, ids) => id && ids.indexOf(id) !== index),
  lang: document.documentElement.getAttribute("lang"),
}))""" % json.dumps(WCAG_TAGS + ["best-practice"])


@dataclass(frozen=True)
class Page:
    """A page to audit: its address, the status it answers, and whether it is audited again in English
    and at a phone's width as well."""

    url: str
    status: int = 200
    english: bool = False
    phone: bool = False


@dataclass
class Finding:
    where: str
    rule: str
    impact: str
    help: str
    targets: list[str]

    def __str__(self) -> str:
        shown = self.targets[:8] + ([f"… {len(self.targets) - 8} more"] if len(self.targets) > 8 else [])
        return f"{self.where}: {self.rule} [{self.impact}] {self.help}\n" + "".join(
            f"      {target}\n" for target in shown)


@pytest.fixture
def desk(agent, team_lead, supervisor, risk_officer, auditor):
    """A small desk with something on every page: a client whose account is below the warning line,
    a ticket waiting on the client, a dispute whose resolution awaits a supervisor, a margin call
    the monitoring opened (in the risk queue, which the agent works), and a stress test."""
    client_user = UserFactory(username="a11y_client", roles=[Role.CLIENT])
    client = ClientProfileFactory(user=client_user, name="李娜")
    account = CreditAccountFactory(client=client, account_no="A11Y00001", financing_debt=D("100000.00"))
    PositionFactory(account=account, security=SecurityFactory(symbol="600911", price=D("13.50")),
                    quantity=10000)  # 135 %: below the warning line
    called = CreditAccountFactory(account_no="A11Y00002", cash=D("120000.00"), financing_debt=D("100000.00"))
    monitor_accounts(trigger="test")  # 120 %: below the close-out line, a margin call
    margin_call = Case.objects.get(credit_account=called, kind=CaseKind.MARGIN_CALL)
    queue("risk").members.add(agent)

    ticket = case_create(created_by=agent, client=client, kind=CaseKind.TICKET, subject="对账单利息疑问",
                         description="十月对账单的利息比上月多。", credit_account=account)
    ticket = case_update(case=ticket, user=agent, queue=queue("general"))
    ticket = case_transition(case=ticket, user=agent, name="open")
    message_create(case=ticket, author=agent, body="您好，我们正在核对。")
    ticket = case_transition(case=ticket, user=agent, name="wait_on_client", comment="请上传十月对账单。")

    dispute = case_create(created_by=agent, client=client, kind=CaseKind.DISPUTE, subject="平仓价格争议",
                          credit_account=account)
    for name in ("acknowledge", "investigate"):
        dispute = case_transition(case=dispute, user=agent, name=name)
    dispute = case_transition(case=dispute, user=agent, name="propose_resolution", comment="退还差价 1,280 元。")

    stress_test = stress_test_run(user=risk_officer, market_shock=D("-0.10"))
    return SimpleNamespace(client=client_user, agent=agent, team_lead=team_lead, supervisor=supervisor,
                           risk_officer=risk_officer, auditor=auditor, account=account.account_no,
                           ticket=ticket.number, dispute=dispute.number, margin_call=margin_call.number,
                           stress_test=stress_test.pk)


def pages_of(role: str, desk) -> list[Page]:
    year = timezone.localdate().year
    return {
        "anonymous": [Page("/accounts/login/", english=True, phone=True)],
        "client": [
            Page("/portal/", english=True, phone=True), Page("/portal/cases/"),
            Page(f"/portal/cases/{desk.ticket}/", english=True, phone=True), Page(f"/portal/cases/{desk.dispute}/"),
            Page("/portal/submit/"), Page("/portal/submit/dispute/", english=True, phone=True),
            Page("/portal/submit/extension/"), Page("/portal/submit/relief/"),
            Page(f"/portal/accounts/{desk.account}/", phone=True), Page("/portal/knowledge/"),
            Page("/portal/settings/", english=True), Page("/notifications/", phone=True),
            Page("/accounts/password/"), Page("/console/", status=403, english=True),
            Page("/portal/no-such-page/", status=404, english=True),
        ],
        "agent": [
            Page("/console/", english=True), Page(f"/console/cases/{desk.margin_call}/", english=True, phone=True),
            Page(f"/console/cases/{desk.ticket}/"), Page("/console/visits/"), Page("/notifications/"),
        ],
        "team_lead": [Page("/console/"), Page("/supervisor/", english=True)],
        "supervisor": [
            Page("/supervisor/", english=True, phone=True), Page("/supervisor/approvals/", english=True),
            Page("/supervisor/calendars/"), Page(f"/supervisor/calendars/working/{year}/"),
            Page(f"/console/cases/{desk.dispute}/"), Page(f"/console/accounts/{desk.account}/"),
        ],
        "risk_officer": [
            Page("/risk/", english=True), Page("/risk/accounts/?level=close_out"), Page("/risk/stress-tests/"),
            Page(f"/risk/stress-tests/{desk.stress_test}/", english=True), Page("/risk/stress-mode/"),
            Page("/risk/forecast/", phone=True), Page(f"/console/cases/{desk.margin_call}/"),
        ],
        "auditor": [Page("/console/"), Page("/supervisor/", english=True), Page(f"/console/cases/{desk.dispute}/")],
    }[role]


@pytest.fixture
def audit_context(new_page):
    """`audit_context(user)`: a page in a browser context (bypass_csp) logged in as `user` (None: anonymous)."""
    return lambda user: new_page(user, viewport=DESKTOP, bypass_csp=True, init_script=HTMX_PENDING)


def audit(page, target: Page, language: str, viewport: str, findings: list, notes: list) -> None:
    where = f"{target.url} ({language}, {viewport})"
    response = page.goto(target.url)
    page.wait_for_function(SETTLED)  # the bell and the other parts htmx loads in place
    assert response.status == target.status, f"{where}: HTTP {response.status}, expected {target.status}"
    page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate(AUDIT)
    for violation in result["violations"]:
        finding = Finding(where, violation["id"], violation["impact"], violation["help"], violation["targets"])
        fails = violation["impact"] in FAILING_IMPACTS or violation["id"] in STRUCTURE_RULES
        (findings if fails else notes).append(finding)
    if result["duplicateIds"]:
        findings.append(Finding(where, "duplicate-id", "serious", "Ids must be unique",
                                sorted({f"#{id_}" for id_ in result["duplicateIds"]})))
    if result["lang"] != language:
        findings.append(Finding(where, "html-lang", "serious", f"<html lang> must be {language!r}",
                                [f"html[lang={result['lang']!r}]"]))


@pytest.mark.parametrize("role", ["anonymous", "client", "agent", "team_lead", "supervisor", "risk_officer",
                                  "auditor"])
def test_pages_have_no_serious_accessibility_violations(audit_context, desk, live_server, role):
    page = audit_context(getattr(desk, role, None))
    pages = pages_of(role, desk)
    findings, notes = [], []
    for target in pages:
        audit(page, target, "zh-hans", "desktop", findings, notes)
    page.set_viewport_size(PHONE)
    for target in (target for target in pages if target.phone):
        audit(page, target, "zh-hans", "phone", findings, notes)
    page.set_viewport_size(DESKTOP)
    page.context.add_cookies([{"name": django_settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}])
    for target in (target for target in pages if target.english):
        audit(page, target, "en", "desktop", findings, notes)
    for note in notes:
        print(f"accessibility (not failing): {note}", end="")
    if findings:
        pytest.fail(f"{len(findings)} accessibility violation(s) as {role}:\n" + "".join(map(str, findings)))


def test_the_keyboard_focus_is_visible(audit_context, desk):
    """Tabbing through the client's home page and the agent's margin call: every stop shows a focus ring
    (an outline, as static/css/app.css draws it; none removed by a component's own style)."""
    unringed = []
    for user, url in ((desk.client, "/portal/"), (desk.agent, f"/console/cases/{desk.margin_call}/")):
        page = audit_context(user)
        page.goto(url)
        page.wait_for_function(SETTLED)
        for _ in range(60):
            page.keyboard.press("Tab")
            focused = page.evaluate("""() => {
              const e = document.activeElement;
              if (!e || e === document.body) return null;
              const style = getComputedStyle(e);
              return {what: e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.name ? `[name=${e.name}]` : ""),
                      text: (e.innerText || e.value || "").trim().slice(0, 30),
                      ring: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0};
            }""")
            if focused and not focused["ring"]:
                unringed.append(f"{url}: {focused['what']} {focused['text']!r}")
    assert not unringed, "focused without a visible ring:\n" + "\n".join(sorted(set(unringed)))
