"""The demo (local settings, DEBUG on) answers a URL under /api/ that no route matches with the API's
JSON 404, as production does: Django's debug page there was an undocumented text/html answer to
schemathesis (`/api/v1/risk/stress-tests/-1/`, `/api/v1/cases/%C2%84/`)."""

import importlib

import pytest
from django.conf import settings
from django.test import override_settings

pytestmark = pytest.mark.django_db

MIDDLEWARE = "servicedesk.handlers.ApiNotFoundMiddleware"


def test_the_local_settings_have_the_middleware():
    assert MIDDLEWARE in importlib.import_module("servicedesk.settings.local").MIDDLEWARE


@pytest.mark.parametrize("path", ["/api/v1/risk/stress-tests/-1/", "/api/v1/cases/%C2%84/", "/api/v1/nothing/"])
def test_with_debug_an_unmatched_api_url_is_a_json_404(client, supervisor, path):
    client.force_login(supervisor)
    with override_settings(DEBUG=True, MIDDLEWARE=[*settings.MIDDLEWARE, MIDDLEWARE]):
        response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_found"


def test_pages_keep_djangos_debug_404_and_the_api_its_own_404s(client, supervisor):
    client.force_login(supervisor)
    with override_settings(DEBUG=True, MIDDLEWARE=[*settings.MIDDLEWARE, MIDDLEWARE]):
        page = client.get("/console/nothing/")
        case = client.get("/api/v1/cases/CS-2099-000001/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")
    assert case.status_code == 404 and case.json() == {"detail": "未找到。"}
