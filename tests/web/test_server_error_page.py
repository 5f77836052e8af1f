"""An error on our side shows a page in the site's style and in both languages (as the 404 and the
"temporarily unavailable" pages do), never Django's bare "Server Error (500)" line."""

import pytest
from django.urls import path

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def broken(request):
    raise RuntimeError("a bug")


urlpatterns = [path("broken/", broken)]
handler500 = "servicedesk.unavailable.server_error"


@pytest.fixture
def broken_site(settings):
    settings.ROOT_URLCONF = __name__
    settings.DEBUG = False


def test_a_server_error_is_a_styled_page_in_both_languages(client, broken_site):
    client.raise_request_exception = False
    client.force_login(UserFactory())
    response = client.get("/broken/")
    page = response.content.decode()
    assert response.status_code == 500
    assert '<link rel="stylesheet" href="/static/css/app.css">' in page
    assert "Server Error (500)" not in page and "a bug" not in page and "Traceback" not in page
    assert '<section lang="zh-hans">' in page and '<section lang="en">' in page
    assert "Something went wrong" in page  # the English half: the Chinese one is in the catalogue's words
    assert page.count("<h1>") == 2 and 'href="/"' in page
