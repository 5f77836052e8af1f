"""Login throttling (django-axes): N failures for one username from one address lock that pair
out for the cool-off; the web login shows the lockout page, the token API answers 429 JSON."""

import io

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.roles import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pass-word-123"


def web_login(client, username, password, ip="10.0.0.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip,
                       HTTP_ACCEPT_LANGUAGE="en")


def fail_web_logins(client, username, times, ip="10.0.0.1"):
    for _ in range(times):
        response = web_login(client, username, "wrong-password", ip)
    return response


def test_five_failed_web_logins_lock_the_login_even_with_the_right_password(client, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    UserFactory(username="locky", roles=[Role.AGENT])
    for _ in range(4):
        assert web_login(client, "locky", "wrong-password").status_code == 200  # the form again, with its error
    response = web_login(client, "locky", "wrong-password")
    assert response.status_code == 429
    assert 'id="locked-out"' in response.content.decode()
    assert "15 minutes" in response.content.decode()
    assert response["Retry-After"] == "900"
    response = web_login(client, "locky", PASSWORD)  # right password, still locked
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_lockout_page_is_bilingual(client):
    UserFactory(username="locky-zh", roles=[Role.AGENT])
    fail_web_logins(client, "locky-zh", 5)
    response = client.post(reverse("login"), {"username": "locky-zh", "password": "x"}, REMOTE_ADDR="10.0.0.1",
                           HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 429
    assert '<html lang="zh-hans">' in response.content.decode()
    assert 'id="locked-out"' in response.content.decode()


def test_lockout_is_per_username_and_address(client):
    UserFactory(username="pair-a", roles=[Role.AGENT])
    UserFactory(username="pair-b", roles=[Role.AGENT])
    fail_web_logins(client, "pair-a", 5, ip="10.0.0.7")
    assert web_login(client, "pair-a", PASSWORD, ip="10.0.0.7").status_code == 429
    # The same login from another address, and another login from the same address, still work.
    assert web_login(client, "pair-a", PASSWORD, ip="10.0.0.8").status_code == 302
    client.logout()
    assert web_login(client, "pair-b", PASSWORD, ip="10.0.0.7").status_code == 302


def test_a_successful_login_clears_the_failures(client):
    UserFactory(username="forgetful", roles=[Role.AGENT])
    fail_web_logins(client, "forgetful", 4)
    assert web_login(client, "forgetful", PASSWORD).status_code == 302
    client.logout()
    fail_web_logins(client, "forgetful", 4)
    assert web_login(client, "forgetful", PASSWORD).status_code == 302


def test_the_lock_ends_after_the_cool_off(client, time_machine):
    UserFactory(username="patient", roles=[Role.AGENT])
    time_machine.move_to(timezone.now(), tick=False)
    fail_web_logins(client, "patient", 5)
    time_machine.shift(14 * 60)
    assert web_login(client, "patient", PASSWORD).status_code == 429  # and the wait starts again
    time_machine.shift(16 * 60)
    assert web_login(client, "patient", PASSWORD).status_code == 302


def test_axes_reset_unlocks_at_once(client):
    UserFactory(username="unlock-me", roles=[Role.AGENT])
    fail_web_logins(client, "unlock-me", 5)
    call_command("axes_reset_username", "unlock-me", stdout=io.StringIO())
    assert web_login(client, "unlock-me", PASSWORD).status_code == 302


@override_settings(AXES_FAILURE_LIMIT=3)
def test_the_limit_is_configurable(client):
    UserFactory(username="three", roles=[Role.AGENT])
    fail_web_logins(client, "three", 2)
    assert web_login(client, "three", "wrong").status_code == 429


def token_request(api, username, password, ip="10.0.0.2"):
    return api.post(reverse("api-token"), {"username": username, "password": password}, REMOTE_ADDR=ip,
                    HTTP_ACCEPT_LANGUAGE="en")


def test_token_api_locks_out_with_a_json_429():
    api = APIClient()
    UserFactory(username="robot", roles=[Role.AGENT])
    assert token_request(api, "robot", PASSWORD).status_code == 200
    for _ in range(4):
        assert token_request(api, "robot", "wrong").status_code == 400
    response = token_request(api, "robot", "wrong")
    assert response.status_code == 429
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "locked_out"
    assert "locked" in response.json()["detail"]
    assert response["Retry-After"] == "900"
    response = token_request(api, "robot", PASSWORD)
    assert response.status_code == 429
    assert "token" not in response.json()


def test_web_and_api_failures_count_together(client):
    UserFactory(username="both", roles=[Role.AGENT])
    fail_web_logins(client, "both", 3, ip="10.0.0.3")
    api = APIClient()
    token_request(api, "both", "wrong", ip="10.0.0.3")
    assert token_request(api, "both", "wrong", ip="10.0.0.3").status_code == 429
    assert web_login(client, "both", PASSWORD, ip="10.0.0.3").status_code == 429


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_a_proxy_the_forwarded_address_counts_not_a_forged_one(client):
    UserFactory(username="proxied", roles=[Role.AGENT])
    for forged in range(5):  # the client forges a new left-most address every time: no escape
        client.post(reverse("login"), {"username": "proxied", "password": "wrong"}, REMOTE_ADDR="10.9.9.9",
                    HTTP_X_FORWARDED_FOR=f"1.2.3.{forged}, 203.0.113.5")
    response = client.post(reverse("login"), {"username": "proxied", "password": PASSWORD}, REMOTE_ADDR="10.9.9.9",
                           HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert response.status_code == 429
    response = client.post(reverse("login"), {"username": "proxied", "password": PASSWORD}, REMOTE_ADDR="10.9.9.9",
                           HTTP_X_FORWARDED_FOR="203.0.113.6")
    assert response.status_code == 302


def test_an_overlong_username_is_a_failed_login_not_a_server_error(client):
    """Longer than the username axes records (PostgreSQL refused to store it: a 500 at both logins):
    recorded cut to that length, and still counted towards the lockout of that (cut) name."""
    from axes.models import AccessAttempt

    username = "x" * 300
    api = APIClient()
    assert web_login(client, username, "wrong").status_code == 200
    assert token_request(api, username, "wrong", ip="10.0.0.1").status_code == 400
    recorded = AccessAttempt.objects.get()
    assert recorded.username == username[:AccessAttempt._meta.get_field("username").max_length]
    assert recorded.failures_since_start == 2
    fail_web_logins(client, username, 2)
    assert web_login(client, username + "y", "wrong").status_code == 429
