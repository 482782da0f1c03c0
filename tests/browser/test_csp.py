"""The main pages under the real Content-Security-Policy in Chromium: not one violation (no inline script, style or
handler is left), in Chinese on a phone and in English on a desktop, and htmx's tick still works under it."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from inventory.models import StockCount
from payroll.models import PayrollRun
from roles import services
from roles.models import ChecklistItem, Employee

from .conftest import ARTIFACTS, english_desktop, log_in, open_menu
from .test_checklists import make_today_a_working_day

pytestmark = pytest.mark.browser

# Every violation reaches the page as a `securitypolicyviolation` event; the script that records them is added by
# Playwright outside the page (the policy does not apply to it). Chromium also logs each one to the console.
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber} ${e.sample}`);
});
"""


def _pages():
    run = PayrollRun.objects.order_by("-month").first()
    count = StockCount.objects.first()
    person = Employee.objects.get(user__username="cs")
    pages = [
        reverse("home"),
        reverse("roles:org-chart"),
        reverse("roles:employee-list"),
        reverse("roles:employee-detail", args=[person.pk]),
        reverse("roles:checklist-dashboard"),
        reverse("roles:person-history", args=[person.pk]),
        reverse("roles:holidays"),
        reverse("roles:audit"),
        reverse("payroll:run-list"),
        reverse("payroll:payslip-list"),
        reverse("inventory:stock-list"),
        reverse("inventory:catalogue-skus"),
        reverse("inventory:movement-list"),
        reverse("inventory:summary"),
        reverse("inventory:count-list"),
        reverse("inventory:picking-list"),
        reverse("inventory:queue"),
        reverse("payroll:waiting"),
        reverse("api-docs"),
        reverse("admin:index"),
        reverse("admin:roles_employee_changelist"),
        reverse("admin:roles_employee_change", args=[person.pk]),
    ]
    if run is not None:
        pages.append(run.get_absolute_url())
    if count is not None:
        pages.append(count.get_absolute_url())
    return pages


def _watch(page):
    console = []
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
    page.add_init_script(RECORD_VIOLATIONS)
    return console


def _violations(page, console) -> list[str]:
    return [*page.evaluate("window.__csp || []"), *console]


def _walk(page, live_server, pages) -> list[str]:
    console = _watch(page)
    found = []
    for path in pages:
        response = page.goto(f"{live_server.url}{path}")
        assert response.ok, f"{path}: {response.status}"
        assert "default-src 'self'" in response.headers["content-security-policy"]
        if path == reverse("api-docs"):
            page.wait_for_selector(".swagger-ui .information-container", timeout=20_000)  # the UI really started
        page.wait_for_load_state("networkidle")
        found += [f"{path}: {v}" for v in _violations(page, console)]
        console.clear()
    return found


@english_desktop
def test_no_csp_violation_on_the_main_pages_english_desktop(page, live_server, demo_data):
    log_in(page, live_server, "admin")
    found = _walk(page, live_server, [reverse("login"), *_pages()])
    assert not found, "\n".join(found)


def test_no_csp_violation_chinese_phone_and_htmx_tick_works(browser, live_server, demo_data):
    make_today_a_working_day()
    services.generate_checklists(day=timezone.localdate())
    item = ChecklistItem.objects.filter(employee__user__username="packer", due_date=timezone.localdate()).first()
    assert item is not None
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    context.set_default_timeout(15_000)
    phone = context.new_page()
    console = _watch(phone)
    log_in(phone, live_server, "packer")
    phone.goto(f"{live_server.url}{reverse('roles:my-checklist')}")
    phone.get_by_test_id(f"tick-{item.pk}").click()
    expect(phone.get_by_test_id(f"item-{item.pk}")).to_have_class(re.compile("done"))
    item.refresh_from_db()
    assert item.status == "done"
    # htmx swapped the row in place: no page load happened, so the recorder installed for this page still runs.
    assert phone.evaluate("Array.isArray(window.__csp)")
    found = [f"my-checklist: {v}" for v in _violations(phone, console)]
    # The language switch is a <select> that submits itself (static/js/app.js, no onchange=).
    open_menu(phone)  # on a phone the select sits behind the Menu button
    phone.select_option("[data-testid=language]", "en")
    phone.wait_for_load_state("networkidle")
    expect(phone.locator("html")).to_have_attribute("lang", "en")
    open_menu(phone)
    phone.select_option("[data-testid=language]", "zh-hans")
    phone.wait_for_load_state("networkidle")
    console.clear()
    found += _walk(
        phone,
        live_server,
        [reverse("home"), reverse("roles:my-checklist"), reverse("inventory:queue"), reverse("inventory:stock-list")],
    )
    ARTIFACTS.mkdir(exist_ok=True)
    phone.goto(f"{live_server.url}{reverse('inventory:stock-list')}")
    phone.screenshot(path=str(ARTIFACTS / "csp-stock-zh-phone.png"), full_page=True)
    context.close()
    assert not found, "\n".join(found)
