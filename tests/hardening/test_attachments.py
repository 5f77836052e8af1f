"""Attachments: one check (size, type by content, sanitised name) whichever way they arrive, kept
outside static serving, downloaded only by who may see them, never rendered in place."""

import io
import zipfile
from email.message import EmailMessage

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import Resolver404, resolve, reverse
from django.utils import translation

from cases.attachments import AttachmentRefused, attachment_check, sanitize_filename
from cases.models import Attachment, CaseMessage
from cases.services import case_create, message_create
from notifications.inbound import email_ingest
from tests.factories import ClientProfileFactory

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 100
ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 100


def office(main_type: str, part: str = "word/document.xml") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml",
                         '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                         f'content-types"><Override PartName="/{part}" ContentType="{main_type}"/></Types>')
        archive.writestr("_rels/.rels", "<Relationships/>")
        archive.writestr(part, "<document/>")
    return buffer.getvalue()


DOCX = office("application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml")
XLSX = office("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml", "xl/workbook.xml")
DOCM = office("application/vnd.ms-word.document.macroEnabled.main+xml")
XLSM = office("application/vnd.ms-excel.sheet.macroEnabled.main+xml", "xl/workbook.xml")
PLAIN_ZIP = (lambda: (lambda b: (zipfile.ZipFile(b, "w").close(), b.getvalue())[1])(io.BytesIO()))()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with translation.override(translation.get_language()):  # whatever a test activates ends with it
        yield


def upload(name, content, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type)


@pytest.mark.parametrize("name, content, expected", [
    ("a.pdf", PDF, "application/pdf"),
    ("a.png", PNG, "image/png"),
    ("a.jpg", JPEG, "image/jpeg"),
    ("a.jpeg", JPEG, "image/jpeg"),
    ("a.gif", GIF, "image/gif"),
    ("合同.docx", DOCX, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("持仓.xlsx", XLSX, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("说明.txt", "情况说明\r\n第二行\t完".encode("utf-8"), "text/plain"),
    ("流水.csv", "日期,金额\n2026-11-26,100".encode("gb18030"), "text/csv"),
    ("bom.csv", "\ufeffa,b".encode("utf-8"), "text/csv"),
])
def test_accepted_types_are_recognised_by_content(name, content, expected):
    checked = attachment_check(upload(name, content, "text/html"))  # the uploader's header is ignored
    assert checked.content_type == expected
    assert checked.size == len(content)


@pytest.mark.parametrize("name, content", [
    ("tool.exe", EXE),
    ("tool.pdf", EXE),  # an executable called .pdf
    ("run.txt", ELF),
    ("page.html", b"<html><script>alert(1)</script></html>"),  # text, but not a text name
    ("image.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
    ("macro.docm", DOCM),
    ("macro.docx", DOCM),  # a macro document renamed .docx
    ("macro.xlsx", XLSM),
    ("archive.zip", PLAIN_ZIP),
    ("archive.docx", PLAIN_ZIP),  # a zip without the Office content types
    ("binary.txt", b"abc\x00def"),
    ("escape.txt", b"\x1b[31mred"),  # terminal escapes are not text
    ("latin1.txt", "caf\xe9 cr\xe8me \xff".encode("latin-1") + b"\x81\x30"),  # neither UTF-8 nor GB18030
    ("photo.png", JPEG),  # the name does not fit the content
    ("statement", PDF),  # no extension
])
def test_refused_types(name, content):
    with pytest.raises(AttachmentRefused):
        attachment_check(upload(name, content))


def test_size_limit_is_configurable_and_defaults_to_10_mb(settings):
    translation.activate("en")  # (the test's language is restored by the fixture below)
    del settings.ATTACHMENT_MAX_BYTES
    big = PDF + b"0" * (10 * 1024 * 1024 - len(PDF))
    assert attachment_check(upload("big.pdf", big)).size == 10 * 1024 * 1024
    with pytest.raises(AttachmentRefused, match="at most 10.0"):
        attachment_check(upload("bigger.pdf", big + b"0"))
    settings.ATTACHMENT_MAX_BYTES = 1000
    with pytest.raises(AttachmentRefused):
        attachment_check(upload("a.pdf", PDF + b"0" * 1000))
    with pytest.raises(AttachmentRefused, match="empty"):
        attachment_check(upload("empty.txt", b""))


@pytest.mark.parametrize("raw, clean", [
    ("../../etc/passwd.txt", "passwd.txt"),
    ("C:\\Users\\me\\Desktop\\scan.PNG", "scan.png"),
    ("对账单 2026年11月.pdf", "对账单 2026年11月.pdf"),
    ("invoice\u202egnp.pdf", "invoicegnp.pdf"),  # right-to-left override dropped
    ("line\r\nbreak\x00.txt", "linebreak.txt"),
    ('a<b>:c"d|e?f*.txt', "a_b__c_d_e_f_.txt"),
    ("   ..hidden.txt ", "hidden.txt"),
    ("", "attachment"),
    ("...", "attachment"),
    ("CON.txt", "_CON.txt"),
    ("x" * 300 + ".pdf", "x" * 146 + ".pdf"),
    ("字" * 300 + ".docx", "字" * 145 + ".docx"),
])
def test_file_names_are_sanitised(raw, clean):
    assert sanitize_filename(raw) == clean


@pytest.fixture
def ticket(client_profile, agent):
    return case_create(created_by=agent, client=client_profile, kind="ticket", subject="附件")


def test_the_service_refuses_a_bad_attachment_and_writes_nothing(ticket, agent, api):
    messages_before = CaseMessage.objects.count()
    with pytest.raises(AttachmentRefused):
        message_create(case=ticket, author=agent, body="see", attachments=[upload("ok.pdf", PDF), upload("x.exe", EXE)])
    assert CaseMessage.objects.count() == messages_before and not Attachment.objects.exists()
    response = api.as_user(agent).post(f"/api/v1/cases/{ticket.number}/messages/", {
        "body": "see", "attachments": [upload("evil.pdf", b"<script>alert(1)</script>", "application/pdf")],
    }, format="multipart", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "evil.pdf" in str(response.json()["attachments"])


def test_stored_name_type_and_path_come_from_the_check(ticket, agent):
    message = message_create(case=ticket, author=agent, body="see",
                             attachments=[upload("..\\..\\对账单\u202e.PDF", PDF, "text/html")])
    attachment = message.attachments.get()
    assert attachment.original_name == "对账单.pdf"
    assert attachment.content_type == "application/pdf"
    assert attachment.file.name.startswith(f"attachments/{ticket.number}/") and attachment.file.name.endswith(".pdf")
    assert ".." not in attachment.file.name


def test_inbound_email_attachments_pass_the_same_check(ticket, client_profile):
    msg = EmailMessage()
    msg["From"] = client_profile.email
    msg["To"] = "service@margin-desk.example"
    msg["Subject"] = f"Re: [{ticket.number}] 附件"
    msg["Message-ID"] = "<inbound-attachments@example.com>"
    msg.set_content("见附件")
    msg.add_attachment(PDF, maintype="application", subtype="pdf", filename="对账单.pdf")
    msg.add_attachment(EXE, maintype="application", subtype="pdf", filename="发票.pdf")
    msg.add_attachment(b"<script>alert(1)</script>", maintype="text", subtype="html", filename="page.html")
    result = email_ingest(msg.as_bytes(), source="test")
    assert [a.original_name for a in result.message.attachments.all()] == ["对账单.pdf"]
    assert "发票.pdf" in result.message.body and "page.html" in result.message.body


# --- downloads ------------------------------------------------------------------------------------

@pytest.fixture
def files(ticket, agent, client_profile):
    public = message_create(case=ticket, author=agent, body="公开", attachments=[upload("对账单 11月.pdf", PDF)])
    internal = message_create(case=ticket, author=agent, body="内部", internal=True,
                              attachments=[upload("internal.png", PNG)])
    return public.attachments.get(), internal.attachments.get()


def download(client, attachment):
    return client.get(reverse("attachment-download", args=[attachment.pk]))


def test_staff_in_scope_download_with_safe_headers(client, agent, files):
    public, internal = files
    client.force_login(agent)
    response = download(client, public)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        "attachment; filename=\"___ 11_.pdf\"; filename*=UTF-8''%E5%AF%B9%E8%B4%A6%E5%8D%95%2011%E6%9C%88.pdf")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert download(client, internal).status_code == 200


def test_clients_get_their_public_attachments_only(client, client_profile, files):
    public, internal = files
    client.force_login(client_profile.user)
    assert download(client, public).status_code == 200
    assert download(client, internal).status_code == 404


def test_outside_the_scope_is_404_and_anonymous_is_sent_to_login(client, files, outsider_agent):
    public, _internal = files
    client.force_login(ClientProfileFactory().user)
    assert download(client, public).status_code == 404
    client.force_login(outsider_agent)
    assert download(client, public).status_code == 404
    client.logout()
    response = download(client, public)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert client.get(reverse("attachment-download", args=[999999])).status_code == 302


def test_a_row_with_an_unsafe_stored_type_is_served_as_a_plain_download(client, agent, files):
    public, _internal = files
    Attachment.objects.filter(pk=public.pk).update(content_type="text/html")  # as rows from before the check
    client.force_login(agent)
    assert download(client, public)["Content-Type"] == "application/octet-stream"


def test_the_api_links_to_the_download(api, agent, ticket, files):
    messages = api.as_user(agent).get(f"/api/v1/cases/{ticket.number}/messages/").json()
    urls = [attachment["url"] for message in messages for attachment in message["attachments"]]
    assert reverse("attachment-download", args=[files[0].pk]) in urls


def test_media_files_are_not_served_by_url(files):
    with pytest.raises(Resolver404):
        resolve("/media/" + files[0].file.name)
