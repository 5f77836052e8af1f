"""The firm's core system opening cases through the API with an Idempotency-Key, as an operator
watching it would notice."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cases.models import Case, CaseMessage

pytestmark = pytest.mark.django_db


def _send(api, agent, client_profile, statement: bytes):
    body = {"kind": "dispute", "category": "interest", "subject": "利息对账有误", "client": client_profile.client_no,
            "attachments": [SimpleUploadedFile("statement.csv", statement, content_type="text/csv")]}
    return api.as_user(agent).post("/api/v1/cases/", body, format="multipart", headers={"Idempotency-Key": "core-7"},
                                   HTTP_ACCEPT_LANGUAGE="en")


def test_the_same_key_with_a_file_of_other_bytes_is_a_conflict_not_a_replay(api, agent, client_profile):
    """The core system sent a statement, then a corrected one under the same key and file name: the
    desk answered 201 `Idempotent-Replayed: true` and dropped the corrected file without a word (only
    file names went into the comparison). Other content under a key is a 409, as the README says."""
    first = _send(api, agent, client_profile, "account,amount\r\n0600000001,1000.00\r\n".encode())
    again = _send(api, agent, client_profile, "account,amount\r\n0600000001,1000.00\r\n".encode())
    corrected = _send(api, agent, client_profile, "account,amount\r\n0600000001,100.00\r\n".encode())

    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.data["number"] == first.data["number"]
    assert corrected.status_code == 409, corrected.data
    assert first.data["number"] in corrected.data["detail"]
    assert Case.objects.count() == 1
    note = CaseMessage.objects.get(case__number=first.data["number"])
    assert [attachment.file.read() for attachment in note.attachments.all()] == [
        b"account,amount\r\n0600000001,1000.00\r\n"]
