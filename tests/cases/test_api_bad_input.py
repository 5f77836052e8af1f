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
