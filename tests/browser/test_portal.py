"""The client portal in a real browser: the home page's ratio text, submitting a dispute with an
attachment while knowledge suggestions appear, the case in "my cases", a staff reply arriving by
itself on the case page and in the bell."""

import struct
import zlib
from decimal import Decimal as D

import pytest

from accounts.roles import Role
from cases.models import Attachment, Case
from cases.services import message_create
from knowledge.models import Article, Category
from tests.browser.conftest import screenshot
from tests.factories import ClientProfileFactory, CreditAccountFactory, PositionFactory, SecurityFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def png_bytes(width: int = 8, height: int = 8) -> bytes:
    """A real (tiny, red) PNG image."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


@pytest.fixture
def client_user():
    user = UserFactory(username="portal_client", roles=[Role.CLIENT])
    profile = ClientProfileFactory(user=user, name="Li Na")
    account = CreditAccountFactory(client=profile, account_no="A20000001", financing_debt=D("100000.00"))
    PositionFactory(account=account, security=SecurityFactory(price=D("13.50")), quantity=10000)  # 135 %
    category = Category.objects.create(code="liquidation-help", name="强制平仓", name_en="Forced liquidation",
                                       case_categories="liquidation")
    Article.objects.create(slug="forced-liquidation-price", category=category, title_zh="强制平仓的价格如何确定",
                           body_zh="平仓按市价进行。", title_en="How the forced liquidation price is set",
                           body_en="Securities are sold at market prices.", keywords="forced liquidation, 平仓")
    return user


def test_a_client_submits_a_dispute_with_an_attachment(new_page, client_user, agent):
    page = new_page(user=client_user, language="en")
    assert page.url.endswith("/portal/")
    account = page.locator('[data-account="A20000001"]')
    assert "Your ratio is 135%, below the warning line 140%." in account.inner_text()
    assert "Deposit ¥5,000.00" in account.inner_text()
    screenshot(page, "portal-home")

    page.goto("/portal/submit/dispute/")
    page.locator("#id_subject").press_sequentially("The forced liquidation price was wrong", delay=20)
    page.wait_for_selector('#suggestions [data-article="forced-liquidation-price"]')
    assert "How the forced liquidation price is set" in page.locator("#suggestions").inner_text()
    page.select_option("#id_category", "liquidation")
    page.select_option("#id_credit_account", "A20000001")
    page.fill("#id_description", "My shares were sold below the market price on Monday.")
    page.set_input_files("input[name=attachments]", files=[
        {"name": "trade-confirmation.png", "mimeType": "image/png", "buffer": png_bytes()}])
    screenshot(page, "portal-submit")
    with page.expect_navigation():
        page.click("form.portal-submit button[type=submit]")
    page.wait_for_load_state("networkidle")

    case = Case.objects.get(subject="The forced liquidation price was wrong")
    assert (case.kind, case.channel, case.credit_account.account_no) == ("dispute", "portal", "A20000001")
    assert Attachment.objects.get(message__case=case).content_type == "image/png"
    assert page.url.endswith(f"/portal/cases/{case.number}/")
    assert "trade-confirmation.png" in page.locator("#conversation").inner_text()
    assert "We have received your complaint" in page.locator(".portal-status").inner_text()

    message_create(case=case, author=agent, body="We are checking the trade records.")
    page.wait_for_selector("#conversation >> text=We are checking the trade records.", timeout=25000)
    screenshot(page, "portal-case")

    with page.expect_navigation():
        page.click("nav.portal-tabs >> text=My cases")
    page.wait_for_load_state("networkidle")
    assert case.number in page.locator("table.portal-cases").inner_text()

    # The bell in the top bar, loaded after the page: the reply unread; opening it reads it.
    page.wait_for_selector("#notification-bell .notification-count")
    assert page.locator("#notification-bell .notification-count").inner_text() == "1"
    page.click("#notification-bell summary")
    with page.expect_navigation():
        page.click("#notification-bell .bell-open")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"/portal/cases/{case.number}/")
    page.wait_for_selector("#notification-bell summary")
    assert page.locator("#notification-bell .notification-count").count() == 0

    # The bell refreshes by itself (every minute; "refresh" here), but never under an open list.
    page.click("#notification-bell summary")
    message_create(case=case, author=agent, body="The records are on their way.")
    page.dispatch_event(".bell-slot", "refresh")
    page.wait_for_timeout(1000)
    assert page.locator("#notification-bell[open]").count() == 1
    assert page.locator("#notification-bell .notification-count").count() == 0
    page.click("#notification-bell summary")  # closed: the next refresh shows the new reply
    page.dispatch_event(".bell-slot", "refresh")
    page.wait_for_selector("#notification-bell .notification-count")
    assert page.locator("#notification-bell .notification-count").inner_text() == "1"
    assert page.errors == []
