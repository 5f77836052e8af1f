"""A case is opened once however often it is sent: the firm's core system sending again after a
timeout (the API's Idempotency-Key), a client's double click on the portal (the form's own key).
The same key with other content is a conflict through the API, another case on the portal (an
edit after the back button); sent at once on PostgreSQL, still one case."""

import pytest
from django.urls import reverse

from cases.models import Case, CaseSubmission
from tests.concurrency import run_together

pytestmark = pytest.mark.django_db(transaction=False)
TICKET = {"kind": "ticket", "subject": "无法登录", "category": "technical", "description": "密码正确也无法登录"}


def post(api, user, body=TICKET, key="core-0001"):
    headers = {"Idempotency-Key": key} if key is not None else {}
    return api.as_user(user).post("/api/v1/cases/", body, format="json", headers=headers,
                                  HTTP_ACCEPT_LANGUAGE="en")


def test_the_same_key_sent_again_gives_back_the_case_it_opened(api, client_profile):
    first = post(api, client_profile.user)
    again = post(api, client_profile.user)
    assert first.status_code == again.status_code == 201
    assert again.data["number"] == first.data["number"] and again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert Case.objects.count() == 1


def test_without_a_key_each_sending_is_a_case_and_keys_are_each_users_own(api, client_profile, other_client_profile):
    post(api, client_profile.user, key=None)
    post(api, client_profile.user, key=None)
    post(api, client_profile.user)
    post(api, other_client_profile.user)  # the same key from another client: their own case
    assert Case.objects.count() == 4
    assert Case.objects.filter(client=other_client_profile).count() == 1


def test_the_same_key_with_other_content_is_a_conflict_and_opens_nothing(api, client_profile):
    first = post(api, client_profile.user)
    response = post(api, client_profile.user, body={**TICKET, "subject": "另一个问题"})
    assert response.status_code == 409
    assert first.data["number"] in response.data["detail"] and "new key" in response.data["detail"]
    assert Case.objects.count() == 1


@pytest.mark.parametrize("key", ["k" * 101, "bad\x07key"])
def test_a_key_too_long_or_unprintable_is_a_400(api, client_profile, key):
    response = post(api, client_profile.user, key=key)
    assert response.status_code == 400 and "Idempotency-Key" in response.data
    assert not Case.objects.exists()


def test_a_refused_case_leaves_its_key_free(api, client_profile):
    assert post(api, client_profile.user, body={**TICKET, "kind": "nonsense"}).status_code == 400
    assert post(api, client_profile.user).status_code == 201
    assert CaseSubmission.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres(reason="two writers at once: PostgreSQL")
def test_sent_twice_at_once_one_case(api, client_profile):
    from rest_framework.test import APIClient

    def send():
        http = APIClient()
        http.force_authenticate(user=client_profile.user)
        response = http.post("/api/v1/cases/", TICKET, format="json", headers={"Idempotency-Key": "core-at-once"})
        return response.status_code, response.data["number"]

    results = run_together(send, send)
    assert [status for status, _number in results] == [201, 201]
    assert len({number for _status, number in results}) == 1
    assert Case.objects.count() == 1


def test_the_portal_form_sent_twice_opens_one_case(client, client_profile):
    client.force_login(client_profile.user)
    url = reverse("portal:submit", args=["ticket"])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    key = page.split('name="submission" value="')[1].split('"')[0]
    form = {"subject": "无法登录", "category": "technical", "description": "请帮忙", "submission": key}
    first = client.post(url, form, HTTP_ACCEPT_LANGUAGE="en")
    again = client.post(url, form, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert first.status_code == 302 and again.redirect_chain[-1][0] == first.url
    assert "We had already received this as case" in again.content.decode()
    assert Case.objects.count() == 1
    # the same form with its text changed (back, edit, send): another case
    assert client.post(url, {**form, "subject": "还是无法登录"}).status_code == 302
    assert Case.objects.count() == 2
    # a fresh form has a fresh key
    assert key not in client.get(url).content.decode()


def test_the_portal_form_sent_again_with_a_corrected_file_of_the_same_size_opens_another_case(client, client_profile):
    """Files were told apart by name and size: a corrected statement of the same size sent from the
    same form was taken for the first sending, and the correction was lost."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(client_profile.user)
    url = reverse("portal:submit", args=["ticket"])
    key = client.get(url).content.decode().split('name="submission" value="')[1].split('"')[0]
    form = {"subject": "对账单有误", "category": "technical", "description": "见附件", "submission": key}
    for text in (b"%PDF-1.4 balance 100", b"%PDF-1.4 balance 900"):
        sent = client.post(url, {**form, "attachments": SimpleUploadedFile("statement.pdf", text, "application/pdf")})
        assert sent.status_code == 302, sent.content[:300]
    assert Case.objects.count() == 2
