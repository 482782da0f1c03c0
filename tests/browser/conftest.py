"""Browser tests: Playwright driving Debian's Chromium against the live test server.

Without a Chromium they are skipped with the reason shown in the summary; in CI (CI=true) a missing browser fails.
"""

import os
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from ..conftest import in_ci

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
DEMO_PASSWORD = "browser-demo-pass"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

# Playwright's sync API keeps an event loop on this thread; Django's ORM calls in the test body are still
# synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if in_ci():
            pytest.fail(f"CI needs Chromium at {CHROMIUM} for the browser tests (apt-get install chromium).")
        pytest.skip(f"No Chromium at {CHROMIUM}: install Debian's chromium package to run the browser tests.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def demo_data(transactional_db):
    # The access groups come from a data migration, and the flush after each transactional test deletes them: put
    # them back, or the demo logins of a later test get no permissions.
    from django.contrib.auth.models import Group

    from roles.choices import AccessGroup

    for name in AccessGroup.values:
        Group.objects.get_or_create(name=name)
    call_command("load_demo", password=DEMO_PASSWORD, stdout=StringIO())


# The two ways staff meet the pages: an English desktop, and a Chinese phone (the default language, where they work).
PROFILES = {
    "en-desktop": {"locale": "en-US", "viewport": {"width": 1366, "height": 900}},
    "zh-phone": {"locale": "zh-CN", "viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}


def _page(browser, request, profile: str):
    context = browser.new_context(**PROFILES[profile])
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.fixture(params=list(PROFILES))
def page(browser, request):
    """A test runs twice (unless marked `english_desktop`): English at desktop size, Chinese at phone size. It
    finds things by role, test id or `words(page, en=..., zh=...)`, and reaches the top bar's links by `nav_link`."""
    yield from _page(browser, request, request.param)


# For a test that reads English text: `page` in English at desktop size only.
english_desktop = pytest.mark.parametrize("page", ["en-desktop"], indirect=True)


def is_chinese(page) -> bool:
    return page.evaluate("navigator.language").startswith("zh")


def words(page, *, en: str, zh: str) -> str:
    """The text a test looks for, in the page's language."""
    return zh if is_chinese(page) else en


def open_menu(page):
    """The top bar's links, sign-out and language select: on a phone they sit behind the Menu button."""
    menu = page.locator("details.site-menu")
    if not menu.evaluate("menu => menu.open"):
        menu.locator("summary").click()
    return menu


def nav_link(page, name: str):
    """A link of the top bar (opening the menu on a phone)."""
    return open_menu(page).get_by_role("link", name=name, exact=True)


@pytest.fixture
def phone_page(browser):
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def log_in(page, live_server, username: str, password: str = DEMO_PASSWORD):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.locator("main button[type=submit]").click()
    # Signing in leads to the person's start page (roles.permissions.start_page), whichever it is.
    page.wait_for_url(lambda url: url.startswith(live_server.url) and "/accounts/" not in url)
