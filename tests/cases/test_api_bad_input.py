"""Bad input found by hand and by longer fuzzing: a clear 4xx, never a 500, and nothing changed."""

import json

import pytest

from cases.models import Case, CaseMessage

pytestmark = pytest.mark.django_db


def test_a_queue_filter_with_a_nul_byte_is_a_400_for_an_agent(api, agent):
    """The queue narrows an agent's scope before the filter checks it: a NUL byte reached PostgreSQL (a 500)."""
    response = api.as_user(agent).get("/api/v1/cases/", {"queue": "general\x00"})
    assert response.status_code == 400
    assert "queue" in response.data


@pytest.mark.parametrize("name", ["q", "search"])
@pytest.mark.parametrize("text", ["²", "①"])
def test_a_search_of_digits_int_cannot_read_finds_nothing(api, agent, client_profile, name, text):
    """"²" and "①" are digits to str.isdigit but not numbers to int(): the serial search was a 500."""
    api.as_user(client_profile.user).post("/api/v1/cases/", {"kind": "ticket", "subject": "问题"}, format="json")
    response = api.as_user(agent).get("/api/v1/cases/", {name: text})
    assert response.status_code == 200
    assert response.data["results"] == []


def test_a_head_request_on_the_messages_writes_nothing(api, agent, client_profile):
    """HEAD is answered as GET is; the messages action took every method but GET for a POST: a HEAD
    carrying a body posted it to the client (and one without a body was a 400)."""
    created = api.as_user(client_profile.user).post("/api/v1/cases/", {"kind": "ticket", "subject": "问题"},
                                                    format="json")
    case = Case.objects.get(number=created.data["number"])
    http = api.as_user(agent)
    url = f"/api/v1/cases/{case.number}/messages/"

    response = http.generic("HEAD", url, json.dumps({"body": "不该发出"}), content_type="application/json")

    assert response.status_code == 200 and response.content == b""
    assert not CaseMessage.objects.filter(case=case).exists()
    assert http.generic("HEAD", url).status_code == 200


def test_files_sent_with_a_new_case_go_on_it_and_bad_ones_open_nothing(api, client_profile, agent):
    """Files sent with a new case were dropped unseen: a client's go on their first message (as on the
    portal), staff's on an internal note; a file the portal would refuse refuses the case (400)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    def pdf(name="statement.pdf"):
        return SimpleUploadedFile(name, b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "application/pdf")

    response = api.as_user(client_profile.user).post(
        "/api/v1/cases/", {"kind": "ticket", "subject": "对账单", "attachments": [pdf()]}, format="multipart")
    assert response.status_code == 201, response.data
    [message] = CaseMessage.objects.filter(case__number=response.data["number"])
    assert message.author == client_profile.user and message.visibility == "public"
    assert [a.original_name for a in message.attachments.all()] == ["statement.pdf"]

    response = api.as_user(agent).post(
        "/api/v1/cases/", {"kind": "ticket", "subject": "来电", "client": client_profile.client_no,
                           "attachments": [pdf("call-notes.pdf")]}, format="multipart")
    assert response.status_code == 201, response.data
    [note] = CaseMessage.objects.filter(case__number=response.data["number"])
    assert note.visibility == "internal"

    before = Case.objects.count()
    bad = SimpleUploadedFile("virus.exe", b"MZ\x90\x00" + b"\x00" * 64, "application/octet-stream")
    response = api.as_user(client_profile.user).post(
        "/api/v1/cases/", {"kind": "ticket", "subject": "坏文件", "attachments": [bad]}, format="multipart")
    assert response.status_code == 400 and "attachments" in response.data
    assert Case.objects.count() == before


def test_an_extension_opened_through_the_api_is_filed_under_extension_as_on_the_portal(api, client_profile):
    import datetime

    from django.utils import timezone

    from tests.factories import CreditAccountFactory

    account = CreditAccountFactory(client=client_profile,
                                   contract_maturity=timezone.localdate() + datetime.timedelta(days=10))
    response = api.as_user(client_profile.user).post("/api/v1/cases/", {
        "kind": "extension", "subject": "展期", "credit_account": account.account_no}, format="json")
    assert response.status_code == 201, response.data
    assert response.data["category"] == "extension"
    assert Case.objects.get(number=response.data["number"]).category == "extension"


def _cursor(text: str) -> str:
    import base64

    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize("url, position", [
    ("/api/v1/cases/", "abc"), ("/api/v1/cases/", ""), ("/api/v1/cases/", "1\x00"),
    ("/api/v1/accounts/", "A1\x00"),
])
def test_a_cursor_whose_position_no_key_can_hold_is_an_invalid_cursor_not_a_server_error(api, supervisor, url,
                                                                                        position):
    """The next-page cursor is the client's to send back; one edited by hand (a position that is no case
    id, a NUL byte in an account number) reached the query: a 500. It is refused as any unreadable cursor is."""
    from tests.factories import CreditAccountFactory

    CreditAccountFactory()
    response = api.as_user(supervisor).get(url, {"cursor": _cursor(f"p={position}"), "page_size": 1})
    assert response.status_code == 404 and response.data["detail"].code == "not_found"
    assert api.as_user(supervisor).get(url, {"cursor": _cursor("p=A0")} if "accounts" in url
                                       else {"cursor": _cursor("p=5")}).status_code == 200
