import pytest

from accounts.roles import Role
from tests.browser.conftest import screenshot
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_page_and_language_switch(new_page):
    page = new_page()
    page.goto("/accounts/login/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.locator("h1").inner_text() == "登录"
    screenshot(page, "login-zh-hans")

    with page.expect_navigation():  # the language form submits itself: wait for the page it loads (CI read the old)
        page.select_option("#language-select", "en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Log in"
    assert page.errors == []


def test_wrong_password_is_refused_with_a_message(new_page):
    user = UserFactory(username="someone", roles=[Role.AGENT])
    page = new_page(language="en")
    page.goto("/accounts/login/")
    with page.expect_navigation():  # the language form submits itself: wait for the page it loads (CI read the old)
        page.select_option("#language-select", "en")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", "wrong")
    with page.expect_navigation():  # the refusal is a new page: wait for it before reading it
        page.click("form button[type=submit]")
    page.wait_for_selector("[role=alert]")
    assert page.locator("[role=alert]").count() >= 1
    assert "/accounts/login/" in page.url
