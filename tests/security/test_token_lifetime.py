"""An API token lives no longer than the password it was issued under: a new password ends it
(tests/hardening/test_passwords.py), and so does switching password login off."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.roles import Role
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.security]


def test_switching_password_login_off_in_the_admin_ends_the_api_token(client):
    """Someone leaving: the admin's "disable password-based authentication" ended their browser
    sessions (the password hash changed) but their API token kept working."""
    leaving = UserFactory(username="li.lei", roles=[Role.AGENT])
    api = APIClient()
    token = api.post("/api/v1/auth/token/", {"username": "li.lei", "password": "pass-word-123"},
                     format="json").data["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/cases/").status_code == 200

    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    response = client.post(reverse("admin:auth_user_password_change", args=[leaving.pk]),
                           {"usable_password": "false", "unset-password": "1"})
    assert response.status_code == 302
    leaving.refresh_from_db()
    assert not leaving.has_usable_password()
    assert api.get("/api/v1/cases/").status_code == 401


def test_saving_a_user_without_touching_the_password_keeps_the_token():
    user = UserFactory(username="han.meimei", roles=[Role.AGENT])
    api = APIClient()
    token = api.post("/api/v1/auth/token/", {"username": "han.meimei", "password": "pass-word-123"},
                     format="json").data["token"]
    user.first_name = "梅梅"
    user.save()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/cases/").status_code == 200
