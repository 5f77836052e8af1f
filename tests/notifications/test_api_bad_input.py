"""The bell's API facing bad input: a clear 400, never a silently unfiltered answer."""

import pytest

from cases.services import message_create
from notifications.models import Notification

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("daytime")]


def test_an_unread_filter_that_is_no_boolean_is_a_400_not_every_notice(api, ticket, agent, client_profile):
    """?unread=maybe (or TRUE) answered every notice, read ones too, as if no filter had been asked for."""
    message_create(case=ticket, author=agent, body="第一条")
    message_create(case=ticket, author=agent, body="第二条")
    Notification.objects.filter(channel="in_app", body__contains="第一条").update(read_at="2026-01-05T02:00:00Z")
    http = api.as_user(client_profile.user)

    response = http.get("/api/v1/notifications/", {"unread": "maybe"})
    assert response.status_code == 400 and "unread" in response.data

    for unread in ("1", "true", "TRUE", "yes"):
        assert len(http.get("/api/v1/notifications/", {"unread": unread}).data["results"]) == 1, unread
    for unread in ("", "0", "false"):
        assert len(http.get("/api/v1/notifications/", {"unread": unread}).data["results"]) == 2, unread


def test_a_preference_the_api_does_not_have_is_a_400_and_changes_nothing(api, client_profile):
    """`{"sms": false}` (for sms_enabled) answered 200 and changed nothing: the client believed SMS turned off."""
    http = api.as_user(client_profile.user)
    before = http.get("/api/v1/notifications/preferences/").data

    response = http.patch("/api/v1/notifications/preferences/", {"sms": False, "email_enabled": False}, format="json")

    assert response.status_code == 400
    assert set(response.data) == {"sms"}
    assert http.get("/api/v1/notifications/preferences/").data == before
    response = http.patch("/api/v1/notifications/preferences/", {"sms_enabled": False}, format="json")
    assert response.status_code == 200 and response.data["sms_enabled"] is False


@pytest.mark.parametrize("given", ["23:00Z", "23:00:00+00:00", "07:00-05:00"])
def test_quiet_hours_with_a_utc_offset_are_a_400_not_read_as_shanghai_time(api, client_profile, given):
    """Quiet hours are Shanghai times: 23:00Z (07:00 in Shanghai) was kept as 23:00, the offset dropped."""
    http = api.as_user(client_profile.user)
    before = http.get("/api/v1/notifications/preferences/").data

    response = http.patch("/api/v1/notifications/preferences/", {"quiet_hours_start": given}, format="json")

    assert response.status_code == 400 and "quiet_hours_start" in response.data
    assert http.get("/api/v1/notifications/preferences/").data == before
    response = http.patch("/api/v1/notifications/preferences/", {"quiet_hours_start": "23:30"}, format="json")
    assert response.status_code == 200 and response.data["quiet_hours_start"] == "23:30:00"
