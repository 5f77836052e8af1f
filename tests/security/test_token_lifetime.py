"""An API token lives no longer than the password it was issued under: a new password ends it
(tests/hardening/test_passwords.py), and so does switching password login off. Nor longer than
API_TOKEN_MAX_AGE_DAYS from when it was issued (accounts/tokens.py)."""

import datetime

import pytest
import time_machine
from django.utils import timezone, translation
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


def _token(api, username):
    return api.post("/api/v1/auth/token/", {"username": username, "password": "pass-word-123"},
                    format="json").data["token"]


def test_a_token_expires_after_its_days_and_asking_again_gives_a_new_one(settings):
    """DRF's token lived for ever: copied into a script or a log, it opened the API until the password
    changed."""
    settings.API_TOKEN_MAX_AGE_DAYS = 30
    UserFactory(username="zhang.wei", roles=[Role.AGENT])
    issued = timezone.now()
    api = APIClient()
    with time_machine.travel(issued, tick=False):
        token = _token(api, "zhang.wei")
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    with time_machine.travel(issued + datetime.timedelta(days=29, hours=23), tick=False):
        assert api.get("/api/v1/cases/").status_code == 200
        assert _token(APIClient(), "zhang.wei") == token  # within its life the same token comes back
    with time_machine.travel(issued + datetime.timedelta(days=30), tick=False), translation.override("en"):
        response = api.get("/api/v1/cases/", HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 401
        assert response.json()["detail"].startswith("The token has expired")
        assert response["WWW-Authenticate"] == "Token"
        fresh = _token(APIClient(), "zhang.wei")
    assert fresh != token
    api.credentials(HTTP_AUTHORIZATION=f"Token {fresh}")
    with time_machine.travel(issued + datetime.timedelta(days=30), tick=False):
        assert api.get("/api/v1/cases/").status_code == 200


def test_an_expired_token_does_not_open_an_attachment(settings):
    UserFactory(username="wang.fang", roles=[Role.AGENT])
    issued = timezone.now()
    api = APIClient()
    with time_machine.travel(issued, tick=False):
        token = _token(api, "wang.fang")
    with time_machine.travel(issued + datetime.timedelta(days=settings.API_TOKEN_MAX_AGE_DAYS, seconds=1),
                             tick=False):
        response = APIClient().get("/attachments/999999/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 401
