"""Login, logout, password change and each role's home page."""

import pytest
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
