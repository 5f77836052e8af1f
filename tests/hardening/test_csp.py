"""The Content-Security-Policy header on web pages, the admin and the API docs; the docs page
loads only our own files (Swagger UI from drf-spectacular-sidecar, the init script as a file)."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

POLICY = {"default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
          "connect-src 'self'", "font-src 'self'", "frame-ancestors 'none'", "form-action 'self'",
          "base-uri 'self'", "object-src 'none'"}


def directives(response) -> set[str]:
    return {part.strip() for part in response["Content-Security-Policy"].split(";")}


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_web_pages_carry_the_strict_policy_and_the_other_headers(client):
    response = client.get(reverse("login"))
    assert directives(response) == POLICY
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_the_admin_carries_the_policy(admin_client, client_profile, agent):
    from cases.services import case_create

    case = case_create(created_by=agent, client=client_profile, kind="ticket", subject="CSP")
    for url in (reverse("admin:index"), reverse("admin:cases_case_changelist"),
                reverse("admin:cases_case_change", args=[case.pk])):
        response = admin_client.get(url)
        assert response.status_code == 200
        assert directives(response) == POLICY


def test_api_docs_load_only_local_files(client):
    response = client.get(reverse("swagger-ui"))
    assert response.status_code == 200
    assert directives(response) == POLICY
    html = response.content.decode()
    assert "<style" not in html and "cdn" not in html.lower()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(source.startswith("/") and not source.startswith("//") for source in sources), sources
    for source in sources:
        if source.startswith("/static/"):
            assert finders.find(source.removeprefix("/static/")), source
    script = next(source for source in sources if "script" in source and not source.startswith("/static/"))
    init = client.get(script)
    assert init.status_code == 200 and init["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in init.content.decode()


def test_templates_have_no_inline_script_style_or_handlers():
    """The templates this part of the project owns (the new pages are swept by their own tests)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    paths = [*root.joinpath("templates").rglob("*.html")]
    offenders = []
    for path in paths:
        if path.name == "email.html":  # an e-mail, not a page: mail clients need its inline styles
            continue
        text = path.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or "<style" in text or re.search(r"\sstyle=", text) \
                or re.search(r"\son[a-z]+=", text):
            offenders.append(str(path.relative_to(root)))
    assert offenders == []
