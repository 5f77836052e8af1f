"""Pages under the strict Content-Security-Policy in a real browser: no refused script, style or
resource (a refusal is a console error), and the API docs really render."""

import pytest

from cases.services import case_create
from tests.browser.conftest import login, screenshot
from tests.factories import ClientProfileFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_api_docs_render_under_the_policy(new_page):
    page = new_page(language="en")
    page.goto("/api/docs/")
    page.wait_for_selector(".swagger-ui .info .title")
    page.wait_for_selector(".opblock-tag")
    assert "Margin-trading service desk API" in page.locator(".swagger-ui .info .title").inner_text()
    screenshot(page, "api-docs")
    assert page.errors == []


def test_admin_pages_render_under_the_policy(new_page):
    root = UserFactory(username="csp-root", is_staff=True, is_superuser=True)
    client = ClientProfileFactory()
    case = case_create(created_by=root, client=client, kind="ticket", subject="CSP")
    page = new_page(language="en")
    missing = []
    page.on("response", lambda response: response.status == 404 and missing.append(response.url))
    login(page, root)
    for url in ("/admin/", f"/admin/cases/case/{case.pk}/change/", "/admin/cases/case/",
                "/admin/notifications/notification/inbox/"):
        page.goto(url, wait_until="load")
        assert page.locator("#content").count() == 1, url
    screenshot(page, "admin-under-csp")
    page.goto(f"/admin/cases/case/{case.pk}/change/", wait_until="load")
    assert page.locator("#case-transitions").evaluate("e => getComputedStyle(e).borderStyle") == "solid"
    assert missing == []
    assert page.errors == []


def test_the_rating_and_login_pages_render_under_the_policy(new_page):
    from cases.services import case_transition
    from cases.services.ratings import rating_token

    agent = UserFactory(username="csp-agent", roles=["agent"])
    case = case_create(created_by=agent, client=ClientProfileFactory(), kind="ticket", subject="评价")
    case = case_transition(case=case_transition(case=case, user=agent, name="open"), user=agent, name="resolve",
                           comment="ok")
    page = new_page()
    page.goto(f"/rate/{rating_token(case)}/")
    page.wait_for_load_state("networkidle")
    assert page.locator("textarea#comment").evaluate("e => getComputedStyle(e).width") != "auto"
    page.goto("/accounts/login/")
    page.wait_for_load_state("networkidle")
    assert page.errors == []


def test_the_health_page_renders_under_the_policy(new_page):
    """The operators' /health/ page: the library's template carries an inline style sheet; ours links app.css."""
    from cases.tasks import sla_sweep_task

    sla_sweep_task()  # a sweep just finished: every check passes, the page answers 200
    page = new_page(language="en")
    response = page.goto("/health/")
    assert response.status == 200
    assert page.locator("tbody .badge.health-ok").count() == page.locator("tbody tr").count() >= 4
    assert page.locator("table.data").evaluate("e => getComputedStyle(e).borderCollapse") == "collapse"
    screenshot(page, "health")
    assert page.errors == []
