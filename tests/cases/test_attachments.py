"""Attachments are checked the same way everywhere (cases.attachments): by content, size and number."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cases.attachments import validate_attachments
from cases.models import Attachment
from cases.services import case_create, message_create

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.mark.parametrize("name, content, accepted", [
    ("scan.png", PNG, "image/png"),
    ("SCAN.PNG", PNG, "image/png"),
    ("statement.pdf", PDF, "application/pdf"),
    ("notes.txt", "第一步".encode("utf-8"), "text/plain"),
    ("流水.csv", "日期,金额".encode("gb18030"), "text/csv"),
    ("scan.jpg", PNG, None),  # the name does not fit the content
    ("scan.html", PNG, None),
    ("statement.pdf", b"<html></html>", None),
    ("notes.txt", b"\x00\x01\x02binary", None),
    ("tool.exe", b"MZ\x90\x00" + b"\x00" * 60, None),
    ("noextension", PDF, None),
])
def test_the_type_comes_from_the_content_and_must_fit_the_name(name, content, accepted):
    upload = SimpleUploadedFile(name, content, "application/octet-stream")
    if accepted is None:
        with pytest.raises(ValidationError):
            validate_attachments([upload])
    else:
        assert validate_attachments([upload]) == [upload]
        assert upload.content_type == accepted


@pytest.fixture
def english():
    with translation.override("en"):  # the messages are matched in English (the catalogue translates them)
        yield


def test_size_and_number_limits(settings, english):
    settings.ATTACHMENT_MAX_BYTES = len(PDF)
    assert validate_attachments([SimpleUploadedFile("a.pdf", PDF)])
    with pytest.raises(ValidationError, match="at most"):
        validate_attachments([SimpleUploadedFile("a.pdf", PDF + b" ")])
    with pytest.raises(ValidationError, match="empty"):
        validate_attachments([SimpleUploadedFile("a.pdf", b"")])
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        validate_attachments([SimpleUploadedFile("tool.exe", b"MZ\x90\x00")])
    assert "accepted: PDF, PNG, JPEG, GIF, WebP, Word .docx, Excel .xlsx, text and CSV" in str(refused.value)
    with pytest.raises(ValidationError, match="at most 10 files"):
        validate_attachments([SimpleUploadedFile(f"{n}.pdf", PDF) for n in range(11)])


def test_the_api_checks_attachments_the_same_way(api, client_profile):
    case = case_create(created_by=client_profile.user, client=client_profile, kind="ticket", subject="附件")
    url = f"/api/v1/cases/{case.number}/messages/"
    response = api.as_user(client_profile.user).post(url, {
        "body": "see file", "attachments": [SimpleUploadedFile("fake.pdf", b"<script>x</script>", "application/pdf")],
    }, format="multipart")
    assert response.status_code == 400 and "attachments" in response.json()
    assert not Attachment.objects.exists()
    response = api.as_user(client_profile.user).post(url, {
        "body": "see file", "attachments": [SimpleUploadedFile("scan.png", PNG, "text/html")]}, format="multipart")
    assert response.status_code == 201
    assert response.json()["attachments"][0]["content_type"] == "image/png"


def test_an_api_client_downloads_with_its_token_the_attachments_it_may_see(client_profile, agent):
    """The API lists each attachment's URL, but the URL took only a browser session: the firm's
    systems, logged in by token, were sent to the login page."""
    case = case_create(created_by=client_profile.user, client=client_profile, kind="ticket", subject="附件")
    public = message_create(case=case, author=agent, body="回单",
                            attachments=[SimpleUploadedFile("receipt.pdf", PDF, "application/pdf")])
    note = message_create(case=case, author=agent, body="内部", internal=True,
                          attachments=[SimpleUploadedFile("note.png", PNG, "image/png")])
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=client_profile.user).key}")

    response = http.get(f"/attachments/{public.attachments.get().pk}/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert http.get(f"/attachments/{note.attachments.get().pk}/").status_code == 404  # clients: public only
    http.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    refused = http.get(f"/attachments/{public.attachments.get().pk}/")  # as the API answers it, not a login page
    assert refused.status_code == 401 and refused["WWW-Authenticate"] == "Token"
    assert refused.json()["code"] == "authentication_failed"
    http.credentials()
    assert http.get(f"/attachments/{public.attachments.get().pk}/").status_code == 302  # no token: to the login page


def test_a_message_may_be_files_alone_through_the_api_and_says_so_in_its_readers_words(api, client_profile, agent):
    """The portal took a reply of files alone; the API refused the same reply ("body" required), and
    an agent could not send the client the statement they asked for without typing something."""
    case = case_create(created_by=client_profile.user, client=client_profile, kind="ticket", subject="对账单")
    url = f"/api/v1/cases/{case.number}/messages/"
    response = api.as_user(client_profile.user).post(url, {"attachments": [SimpleUploadedFile("scan.png", PNG)]},
                                                     format="multipart")
    assert response.status_code == 201, response.content
    assert response.json()["body"] == "已附上文件。"  # the client's language (zh-hans)
    client_profile.language = "en"
    client_profile.save()
    response = api.as_user(agent).post(url, {"body": " ", "attachments": [SimpleUploadedFile("statement.pdf", PDF)]},
                                       format="multipart", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 201 and response.json()["body"] == "Files attached."  # read by the client
    response = api.as_user(agent).post(url, {"body": "", "visibility": "internal"}, format="multipart",
                                       HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and response.json()["body"] == ["Write a reply or attach a file."]
    assert case.messages.count() == 2 and Attachment.objects.count() == 2
