"""Quiet hours (22:00–08:00 Asia/Shanghai) and channel preferences; urgent notices ignore both."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from notifications.delivery import notifications_resend
from notifications.models import ClientPreference, Notification
from notifications.policy import DISABLED_BY_PREFERENCE, is_urgent, quiet_hours_end
from notifications.services import notification_queue
from notifications.tasks import send_notification
from tests.factories import ClientProfileFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(hour, minute=0, day=10):
    return datetime.datetime(2026, 3, day, hour, minute, tzinfo=SHANGHAI)


def test_quiet_hours_cross_midnight():
    start, end = datetime.time(22), datetime.time(8)
    assert quiet_hours_end(at(23, 30), start, end) == at(8, day=11)
    assert quiet_hours_end(at(2), start, end) == at(8)
    assert quiet_hours_end(at(7, 59), start, end) == at(8)
    assert quiet_hours_end(at(8), start, end) is None
    assert quiet_hours_end(at(21, 59), start, end) is None
    assert quiet_hours_end(at(13), datetime.time(12), datetime.time(14)) == at(14)
    assert quiet_hours_end(at(13), datetime.time(8), datetime.time(8)) is None


def test_urgent_events_are_kept_in_one_place():
    assert is_urgent("margin_call")
    assert is_urgent("margin_alert", {"level": "close_out"}) and is_urgent("margin_alert", {"level": "immediate"})
    assert not is_urgent("margin_alert", {"level": "warning"})
    assert is_urgent("case_state_changed", {"case_kind": "dispute"})
    assert not is_urgent("case_state_changed", {"case_kind": "ticket"})
    assert not is_urgent("contract_maturity_reminder")


def test_a_normal_notice_in_quiet_hours_waits_for_the_morning(client_profile, recorded_sms,
                                                              django_capture_on_commit_callbacks):
    with time_machine.travel(at(23, 15), tick=False):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            notice = notification_queue(event="contract_maturity_reminder", channel="sms",
                                        recipient_client=client_profile, body="合约即将到期")
        assert callbacks == []  # nothing published for the night
        assert notice.status == "pending" and notice.next_attempt_at == at(8, day=11)
        assert notifications_resend() == 0
        assert send_notification.apply(args=[notice.pk]).get() == "skipped"  # a stray task does not send it
    with time_machine.travel(at(8, 0, day=11), tick=False):
        assert notifications_resend() == 1
    notice.refresh_from_db()
    assert notice.status == "sent" and len(recorded_sms) == 1


def test_a_margin_call_ignores_quiet_hours(client_profile, recorded_sms, django_capture_on_commit_callbacks):
    with time_machine.travel(at(23, 15), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            notice = notification_queue(event="margin_call", channel="sms", recipient_client=client_profile,
                                        body="追保通知")
    notice.refresh_from_db()
    assert notice.status == "sent" and recorded_sms == [(client_profile.phone, "追保通知")]


def test_a_row_written_set_based_at_night_is_held_at_send_time(client_profile, recorded_sms):
    with time_machine.travel(at(23, 15), tick=False):
        alert = Notification.objects.create(recipient_client=client_profile, address=client_profile.phone,
                                            channel="sms", event="margin_alert", body="预警", data={"level": "warning"})
        close_out = Notification.objects.create(recipient_client=client_profile, address=client_profile.phone,
                                                channel="sms", event="margin_alert", body="平仓线",
                                                data={"level": "close_out"})
        assert notifications_resend() == 2
    alert.refresh_from_db()
    close_out.refresh_from_db()
    assert alert.status == "pending" and alert.next_attempt_at == at(8, day=11) and alert.attempts == 0
    assert close_out.status == "sent"
    assert [text for _to, text in recorded_sms] == ["平仓线"]


def test_the_clients_own_quiet_hours_apply(client_profile, recorded_sms):
    ClientPreference.objects.create(client=client_profile, quiet_hours_start=datetime.time(12),
                                    quiet_hours_end=datetime.time(14))
    with time_machine.travel(at(12, 30), tick=False):
        notice = notification_queue(event="case_reply", channel="email", recipient_client=client_profile,
                                    subject="s", body="b")
    assert notice.next_attempt_at == at(14)
    with time_machine.travel(at(23, 30), tick=False):
        late = notification_queue(event="case_reply", channel="email", recipient_client=client_profile,
                                  subject="s", body="b")
    assert late.next_attempt_at == at(23, 30)  # 23:30 is not quiet for this client


def test_in_app_and_staff_notices_never_wait(client_profile, agent):
    with time_machine.travel(at(23, 15), tick=False):
        in_app = notification_queue(event="case_reply", channel="in_app", recipient_client=client_profile,
                                    subject="s", body="b")
        staff = notification_queue(event="case_client_reply", channel="email", recipient_user=agent,
                                   subject="s", body="b")
    assert in_app.status == "sent"
    assert staff.next_attempt_at == at(23, 15)


def test_a_channel_the_client_switched_off_is_kept_as_gave_up_with_the_reason(client_profile, recorded_sms,
                                                                            django_capture_on_commit_callbacks):
    ClientPreference.objects.create(client=client_profile, sms_enabled=False)
    with time_machine.travel(at(10), tick=False), django_capture_on_commit_callbacks(execute=True):
        notice = notification_queue(event="contract_maturity_reminder", channel="sms",
                                    recipient_client=client_profile, body="合约即将到期")
        email = notification_queue(event="contract_maturity_reminder", channel="email",
                                   recipient_client=client_profile, subject="s", body="b")
    notice.refresh_from_db()
    email.refresh_from_db()
    assert notice.status == "gave_up" and notice.error == DISABLED_BY_PREFERENCE and notice.attempts == 0
    assert email.status == "sent"
    assert recorded_sms == []


def test_a_preference_set_after_writing_still_holds_at_send_time(client_profile, recorded_sms):
    notice = Notification.objects.create(recipient_client=client_profile, address=client_profile.phone,
                                         channel="sms", event="interest_settlement_reminder", body="结息")
    ClientPreference.objects.create(client=client_profile, sms_enabled=False)
    with time_machine.travel(at(10), tick=False):
        assert send_notification.apply(args=[notice.pk]).get() == "gave_up"
    notice.refresh_from_db()
    assert notice.error == DISABLED_BY_PREFERENCE and recorded_sms == []


def test_urgent_notices_go_out_whatever_the_client_switched_off(recorded_sms, django_capture_on_commit_callbacks):
    client = ClientProfileFactory()
    ClientPreference.objects.create(client=client, sms_enabled=False, email_enabled=False)
    with time_machine.travel(at(10), tick=False), django_capture_on_commit_callbacks(execute=True):
        notice = notification_queue(event="margin_call", channel="sms", recipient_client=client, body="追保通知")
    notice.refresh_from_db()
    assert notice.status == "sent" and len(recorded_sms) == 1


def test_a_client_sets_their_own_preferences(api, client_profile, agent):
    http = api.as_user(client_profile.user)
    assert http.get("/api/v1/notifications/preferences/").data == {
        "email_enabled": True, "sms_enabled": True, "in_app_enabled": True,
        "quiet_hours_start": "22:00:00", "quiet_hours_end": "08:00:00", "language": "zh-hans"}
    response = http.patch("/api/v1/notifications/preferences/", {"sms_enabled": False,
                                                                  "quiet_hours_start": "21:30"}, format="json")
    assert response.status_code == 200, response.data
    preference = ClientPreference.objects.get(client=client_profile)
    assert preference.sms_enabled is False and preference.quiet_hours_start == datetime.time(21, 30)
    assert http.patch("/api/v1/notifications/preferences/", {"quiet_hours_end": "soon"},
                      format="json").status_code == 400
    response = http.patch("/api/v1/notifications/preferences/", {"language": "en"}, format="json")
    assert response.status_code == 200 and response.data["language"] == "en"
    client_profile.refresh_from_db()
    assert client_profile.language == "en"
    response = http.patch("/api/v1/notifications/preferences/", {"language": "fr"}, format="json")
    assert response.status_code == 400 and "language" in response.data
    client_profile.refresh_from_db()
    assert client_profile.language == "en"
    assert api.as_user(agent).get("/api/v1/notifications/preferences/").status_code == 404
