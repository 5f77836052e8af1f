"""Login, logout, password change and each role's home page."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.navigation import home_url_for
from accounts.roles import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_login_page_renders_in_both_languages(client):
    assert "登录" in client.get(reverse("login")).content.decode()
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en")
    assert "Log in" in response.content.decode()


def test_login_lands_on_the_role_home(client):
    user = UserFactory(username="anyone", roles=[Role.AGENT])
    response = client.post(reverse("login"), {"username": "anyone", "password": "pass-word-123"})
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert client.get(reverse("home")).url == home_url_for(user)


def test_user_without_role_gets_an_explanation(client):
    UserFactory(username="norole")
    client.login(username="norole", password="pass-word-123")
    response = client.get(reverse("home"))
    assert response.status_code == 403
    assert "role" in response.content.decode(errors="ignore").lower() or "角色" in response.content.decode()


def test_logout_needs_post_and_ends_the_session(client):
    UserFactory(username="agent9", roles=[Role.AGENT])
    client.login(username="agent9", password="pass-word-123")
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_password_change(client):
    user = UserFactory(username="changer", roles=[Role.CLIENT])
    client.login(username="changer", password="pass-word-123")
    response = client.post(reverse("password_change"), {
        "old_password": "pass-word-123", "new_password1": "Another-Secret-2026", "new_password2": "Another-Secret-2026",
    })
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Another-Secret-2026")


def test_password_change_refuses_a_weak_password(client):
    user = UserFactory(username="weak", roles=[Role.CLIENT])
    client.login(username="weak", password="pass-word-123")
    response = client.post(reverse("password_change"), {
        "old_password": "pass-word-123", "new_password1": "123", "new_password2": "123",
    })
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.check_password("pass-word-123")


@pytest.mark.parametrize("url", ["/console/cases/CS-2026-999999/", "/no-such-page/"])
def test_a_missing_page_is_a_404_page_of_the_site_in_the_reader_s_language(client, url):
    UserFactory(username="lost", roles=[Role.AGENT])
    client.login(username="lost", password="pass-word-123")
    for language, log_out in (("en", "Log out"), ("zh-hans", "退出登录")):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 404
        page = response.content.decode()
        assert f'<html lang="{language}">' in page and log_out in page  # the site's own page, not Django's bare one
        assert 'class="language-switch"' in page and f'href="{reverse("home")}"' in page
        assert "The requested resource was not found on this server" not in page and url not in page
    assert "Page not found" in client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()


@pytest.mark.parametrize("body, content_type", [
    (b"garbage", "multipart/form-data"),  # no boundary: the form cannot be parsed
    (b"x=" + b"y" * 3_000_000, "application/x-www-form-urlencoded"),  # over DATA_UPLOAD_MAX_MEMORY_SIZE
])
def test_a_post_with_an_unreadable_body_to_a_missing_page_is_a_404_not_a_500(body, content_type):
    """A logged-in browser holds a CSRF cookie: the 404 page's token check read the body and failed (500)."""
    UserFactory(username="poster", roles=[Role.AGENT])
    browser = Client(enforce_csrf_checks=True, raise_request_exception=False)
    browser.login(username="poster", password="pass-word-123")
    browser.get(reverse("home"), follow=True)  # the CSRF cookie, as a browser has it
    assert "csrftoken" in browser.cookies
    response = browser.generic("POST", "/no-such-page/", body, content_type=content_type)
    assert response.status_code == 404
    assert 'class="language-switch"' in response.content.decode()


def test_login_and_password_change_labels_have_no_colon(client):
    """As every other form of the pages (servicedesk.forms.LabelForm): no ":" after a Chinese label."""
    login_page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert '<label for="id_username">用户名</label>' in login_page and '<label for="id_password">密码</label>' in login_page
    UserFactory(username="colon", roles=[Role.AGENT])
    client.login(username="colon", password="pass-word-123")
    page = client.get(reverse("password_change"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert '<label for="id_old_password">旧密码</label>' in page and "码:</label>" not in page
