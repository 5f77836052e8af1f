"""The database unreachable: every page answers 503 "temporarily unavailable" with Retry-After,
never a 500 error page, whether a view or a middleware hit the error (servicedesk/unavailable.py).
The real thing, a PostgreSQL stopped under a running gunicorn, is tests/faults/test_postgres_restart.py."""

import pytest
from django.db import InterfaceError, OperationalError
from django.test import Client
from django.urls import include, path

from servicedesk.urls import urlpatterns as project_urls

pytestmark = pytest.mark.urls("tests.test_unavailable")


def _database_down(request):
    raise OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused')


def _connection_closed(request):
    raise InterfaceError("connection already closed")


def _other_error(request):
    raise ValueError("a bug")


urlpatterns = [
    path("down/", _database_down),
    path("closed/", _connection_closed),
    path("api/v1/down/", _database_down),
    path("", include(project_urls)),
]
# No handler500 here: these views' errors are the middleware's (the project's handler500 is tested
# with the project's URLs below).


@pytest.fixture
def browser():
    return Client(raise_request_exception=False)


def _assert_unavailable_page(response):
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    body = response.content.decode()
    assert "Service temporarily unavailable" in body and 'lang="zh-hans"' in body and 'lang="en"' in body
    assert "Traceback" not in body and "OperationalError" not in body and "5432" not in body


@pytest.mark.parametrize("url", ["/down/", "/closed/"])
def test_a_view_that_cannot_reach_the_database_answers_503(browser, url, caplog):
    _assert_unavailable_page(browser.get(url))
    assert "Internal Server Error" not in caplog.text  # a warning, not an error with its traceback


def test_the_api_answers_503_json(browser):
    response = browser.get("/api/v1/down/")
    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert response.json()["code"] == "unavailable"


@pytest.mark.urls("servicedesk.urls")
def test_a_middleware_that_cannot_reach_the_database_answers_503(browser, monkeypatch):
    from django.contrib.sessions.middleware import SessionMiddleware

    monkeypatch.setattr(SessionMiddleware, "process_request", lambda self, request: _database_down(request))
    _assert_unavailable_page(browser.get("/accounts/login/"))


@pytest.mark.urls("servicedesk.urls")
def test_other_errors_stay_a_plain_500(browser, monkeypatch):
    from django.contrib.sessions.middleware import SessionMiddleware

    monkeypatch.setattr(SessionMiddleware, "process_request", lambda self, request: _other_error(request))
    response = browser.get("/accounts/login/")
    assert response.status_code == 500 and "Traceback" not in response.content.decode()
    assert "Retry-After" not in response


@pytest.mark.urls("servicedesk.urls")
@pytest.mark.django_db
def test_a_real_page_whose_database_is_gone(browser, agent, monkeypatch):
    """A logged-in agent's home page, the session store failing as a stopped PostgreSQL does."""
    from django.contrib.sessions.backends.db import SessionStore

    browser.force_login(agent)
    monkeypatch.setattr(SessionStore, "load", lambda self: _database_down(None))
    _assert_unavailable_page(browser.get("/", follow=True))


@pytest.mark.urls("servicedesk.urls")
@pytest.mark.django_db
def test_the_real_api_answers_503_json(api, agent, monkeypatch):
    from cases import apis

    monkeypatch.setattr(apis.CaseViewSet, "get_queryset", lambda self: _database_down(None))
    response = api.as_user(agent).get("/api/v1/cases/")
    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert response.json() == {"detail": response.json()["detail"], "code": "unavailable"}
