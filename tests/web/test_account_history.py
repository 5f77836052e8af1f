"""A credit account's history, in the portal for its client and in the console for staff: the
interest day by day (the same lines and total as the interest API, hand-checked), the ratio history
and the lines crossed; only the client's own accounts, and staff within their scope."""

import datetime
import re
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from accounts.interest import interest_accrue
from cases.services import case_create
from risk.monitoring import monitor_accounts
from tests.factories import ClientProfileFactory, CreditAccountFactory, PositionFactory, SecurityFactory

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
MARCH = [datetime.date(2026, 3, day) for day in range(1, 32)]


@pytest.fixture(autouse=True)
def _summer_2026():
    with time_machine.travel(datetime.datetime(2026, 7, 1, 10, tzinfo=SH), tick=True):
        yield


def debtor(client, account_no: str, debt: str, rate: str):
    """A credit account of `client` borrowing `debt` at `rate` a year since 1 January 2026."""
    return CreditAccountFactory(client=client, account_no=account_no, financing_debt=D(debt), annual_rate=D(rate),
                                contract_start=datetime.date(2026, 1, 1), contract_maturity=datetime.date(2026, 12, 31))


@pytest.fixture
def account(client_profile):
    """1,000,000.00 borrowed at 8.35 % against 100,000 shares at 15.00 (150 %)."""
    account = debtor(client_profile, "A30000001", "1000000.00", "0.08350")
    PositionFactory(account=account, security=SecurityFactory(symbol="600100", price=D("15.00")), quantity=100_000)
    return account


def page_of(client, account_no, **query):
    return client.get(reverse("portal:account", args=[account_no]), query, **EN)


def test_the_interest_lines_add_up_to_the_hand_computed_total(client, client_profile, account):
    for day in MARCH[:10]:
        interest_accrue(day)
    client.force_login(client_profile.user)
    response = page_of(client, "A30000001", **{"from": "2026-03-01", "to": "2026-03-10"})
    assert response.status_code == 200
    page = response.content.decode()
    # 1,000,000.00 × 0.0835 × 1 / 360 = 231.9444 a day; ten days 2,319.444 → ¥2,319.44
    assert re.findall(r'data-day="([\d-]+)"', page) == [day.isoformat() for day in MARCH[:10]]
    assert page.count('data-amount="231.9444"') == 10 and page.count(">¥231.9444<") == 10  # as kept, in yuan
    assert 'data-total="2319.44"' in page and "¥2,319.44" in page and "8.35%" in page
    api = client.get("/api/v1/accounts/A30000001/interest/?from=2026-03-01&to=2026-03-10").json()
    assert api["total"] == "2319.44"  # the page shows what the API gives an agent
    assert "not accrued" not in page


def test_the_days_not_accrued_yet_are_named_not_read_as_days_without_interest(client, client_profile, account):
    """The page's total left out days no accrual had covered yet, as if nothing were owed for them."""
    for day in MARCH[:10]:
        if day.day not in (4, 9):
            interest_accrue(day)
    client.force_login(client_profile.user)
    page = page_of(client, "A30000001", **{"from": "2026-03-01", "to": "2026-03-10"}).content.decode()
    assert ("2 days of this period, between 2026-03-04 and 2026-03-09, are not accrued yet: the total does not "
            "include them.") in page
    interest_accrue(MARCH[8])
    page = page_of(client, "A30000001", **{"from": "2026-03-01", "to": "2026-03-10"}).content.decode()
    assert "1 day of this period, 2026-03-04, is not accrued yet: the total does not include it." in page
    zh = client.get(reverse("portal:account", args=["A30000001"]), {"from": "2026-03-01", "to": "2026-03-10"})
    assert "本期有 1 天（2026-03-04）尚未计息：合计不含该日。" in zh.content.decode()


def test_the_ratio_history_and_the_lines_crossed(client, client_profile, account):
    monitor_accounts()
    security = account.positions.get().security
    security.price = D("13.80")  # 138 %: below attention (150) and warning (140)
    security.save()
    monitor_accounts()
    client.force_login(client_profile.user)
    page = page_of(client, "A30000001").content.decode()
    history = page[page.index('id="ratio-history"'):page.index('id="alerts"')]
    assert history.index("138%") < history.index("150%")  # newest first
    alerts = page[page.index('id="alerts"'):]
    assert set(re.findall(r'data-line="(\w+)"', alerts)) == {"attention", "warning"}
    assert "Warning line 140%" in alerts and "(138%)" in alerts and "not yet" in alerts
    home = client.get(reverse("portal:home"), **EN).content.decode()
    assert reverse("portal:account", args=["A30000001"]) in home


@pytest.mark.parametrize("query, field", [
    ({"from": "2026-03-10", "to": "2026-03-01"}, "to"),
    ({"from": "2024-01-01", "to": "2026-03-01"}, "to"),
    ({"from": "soon"}, "from"),
    ({"to": "0001-01-01"}, "to"),  # a 500: no settlement period opens before year 1
])
def test_a_bad_period_is_refused_with_the_reason(client, client_profile, account, query, field):
    client.force_login(client_profile.user)
    response = page_of(client, "A30000001", **query)
    assert response.status_code == 400
    page = response.content.decode()
    assert re.search(rf'<div class="field has-error">\s*<label for="interest-{field}"', page)
    assert 'id="interest-lines"' not in page


def test_something_wrong_under_the_interest_opens_an_interest_dispute_on_the_account(client, client_profile,
                                                                                     account):
    """The link under the interest lines leads to a dispute about interest on this account: the form
    had the account but no category, and the client had to find 'interest or fee calculation' again."""
    client.force_login(client_profile.user)
    page = page_of(client, "A30000001").content.decode()
    link = re.search(r'<a href="([^"]+)">Something looks wrong\? Tell us\.</a>', page).group(1).replace("&amp;", "&")
    form = client.get(link, **EN).content.decode()
    assert re.search(r'<option value="interest_fee" selected>', form)
    assert re.search(r'<option value="A30000001" selected>', form)


def test_someone_elses_account_is_not_found(client, client_profile, account, agent):
    other = CreditAccountFactory(client=ClientProfileFactory(), account_no="B30000001")
    client.force_login(client_profile.user)
    assert page_of(client, other.account_no).status_code == 404
    assert page_of(client, "NO-SUCH").status_code == 404
    client.force_login(agent)
    assert page_of(client, "A30000001").status_code == 403  # staff use the console
    client.logout()
    assert page_of(client, "A30000001").status_code == 302


# --- the console: the same history for staff, reached from the case -------------------------------

@pytest.fixture
def dispute(client_profile):
    account = debtor(client_profile, "A40000001", "123456.78", "0.06500")
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


@pytest.mark.parametrize("query, english", [
    ({"from": "2026-11-26", "to": "2026-11-20"}, "“To” must not be before “From”."),
    ({"to": "0001-01-01"}, "The settlement period of this day begins before year 1: give “From” too."),
])
def test_a_bad_period_names_the_fields_as_the_form_labels_them(client, client_profile, agent, account, dispute,
                                                                query, english):
    """The pages' errors name the fields by their labels (the API's keep its parameter names)."""
    pages = ((client_profile.user, reverse("portal:account", args=["A30000001"])),
             (agent, reverse("console:account", args=["A40000001"])))
    for user, url in pages:
        client.force_login(user)
        response = client.get(url, query, **EN)
        assert response.status_code == 400
        assert english in response.content.decode()
        chinese = client.get(url, query, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        assert "“to”" not in chinese and "“from”" not in chinese
    api = client.get("/api/v1/accounts/A40000001/interest/", query, **EN)
    assert api.status_code == 400
    assert english.replace("“To”", "“to”").replace("“From”", "“from”") in str(api.json())
