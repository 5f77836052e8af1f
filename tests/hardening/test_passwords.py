"""Each configured password validator refuses its kind of weak password through the web password
change (add_user's refusals are in tests/accounts/test_add_user.py)."""

import pytest
from django.urls import reverse

from accounts.roles import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("weak, reason", [
    ("Ab1-x", "too short"),  # MinimumLengthValidator (8)
    ("password123", "too common"),  # CommonPasswordValidator
    ("20261126093015", "entirely numeric"),  # NumericPasswordValidator
    ("wang.xiaoming", "too similar"),  # UserAttributeSimilarityValidator (the username)
])
def test_weak_passwords_are_refused_with_the_reason(client, weak, reason):
    user = UserFactory(username="wang.xiaoming", roles=[Role.AGENT])
    client.force_login(user)
    response = client.post(reverse("password_change"), {
        "old_password": "pass-word-123", "new_password1": weak, "new_password2": weak,
    }, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert reason in response.content.decode()
    user.refresh_from_db()
    assert user.check_password("pass-word-123")


def test_a_password_too_short_is_refused_in_the_readers_language(client):
    """Django 5.2's zh_Hans catalogue lacks its new msgid for this refusal: it came in English."""
    user = UserFactory(username="wang.xiaoming", roles=[Role.AGENT])
    client.force_login(user)
    response = client.post(reverse("password_change"), {
        "old_password": "pass-word-123", "new_password1": "Ab1-x", "new_password2": "Ab1-x",
    }, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    assert "密码长度太短。密码必须包含至少 8 个字符。" in response.content.decode()


def test_a_new_password_ends_the_api_token_issued_under_the_old_one(client):
    """Whoever held the old password may hold its token: it kept working after the change."""
    from rest_framework.test import APIClient

    user = UserFactory(username="wang.xiaoming", roles=[Role.AGENT])
    api = APIClient()
    token = api.post("/api/v1/auth/token/", {"username": user.username, "password": "pass-word-123"},
                     format="json").data["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/cases/").status_code == 200
    client.force_login(user)
    response = client.post(reverse("password_change"), {
        "old_password": "pass-word-123", "new_password1": "Qz7!marble-kite", "new_password2": "Qz7!marble-kite"})
    assert response.status_code == 302
    assert api.get("/api/v1/cases/").status_code == 401
    api.credentials()
    fresh = api.post("/api/v1/auth/token/", {"username": user.username, "password": "Qz7!marble-kite"}, format="json")
    assert fresh.status_code == 200 and fresh.data["token"] != token
