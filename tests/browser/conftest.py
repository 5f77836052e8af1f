"""Browser tests: Playwright's Python package driving Debian's chromium (headless) against the live server.

Screenshots of the main pages go to test-results/screenshots/ (the test run's output folder).
Where chromium is missing (make test installs it with apt where it can) the tests are skipped with
the reason printed; CI (.ci/run) sets REQUIRE_BROWSER=1 so there a missing browser is a failure.
"""

import os
import re
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results" / "screenshots"
PASSWORD = "pass-word-123"  # tests.factories.UserFactory

pytestmark = pytest.mark.browser
# Playwright's sync API runs an event loop in this thread; the ORM calls of the tests themselves are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _browser_missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"Debian's chromium is not installed at {CHROMIUM} (make browsers installs it)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright's Python package is not installed (requirements-dev.txt)"
    return None


@pytest.fixture(scope="session")
def browser():
    reason = _browser_missing()
    if reason:
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(reason)
        print(f"\nbrowser tests skipped: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, live_server, settings):
    """`new_page(user=None, language="zh-hans")`: a fresh browser context, logged in as `user` if given."""
    settings.ALLOWED_HOSTS = ["*"]
    contexts = []

    def make(user=None, language="zh-hans", init_script=None, **options):
        """`options` go to the browser context (bypass_csp=True, say); `init_script` runs in every page first."""
        options.setdefault("viewport", {"width": 1400, "height": 1000})
        context = browser.new_context(base_url=live_server.url, locale=language, **options)
        context.set_default_timeout(15000)
        if init_script:
            context.add_init_script(init_script)
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        page.on("console", lambda message: message.type == "error" and page.errors.append(message.text))
        if user is not None:
            login(page, user)
        return page

    yield make
    for context in contexts:
        context.close()


def login(page, user, password=PASSWORD):
    page.goto("/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():  # networkidle alone can be read off the login page before it leaves
        page.click("form button[type=submit]")
    page.wait_for_load_state("networkidle")


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', name)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
