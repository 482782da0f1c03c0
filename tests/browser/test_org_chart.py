import re

import pytest
from playwright.sync_api import expect

from roles.models import Department

from .conftest import english_desktop, log_in, nav_link, words

pytestmark = pytest.mark.browser


@english_desktop
def test_manager_walks_the_org_chart_and_adds_a_department(page, live_server, demo_data):
    log_in(page, live_server, "manager")
    page.get_by_role("link", name="Org chart").first.click()
    expect(page.get_by_role("heading", name="Org chart")).to_be_visible()

    marketing = page.get_by_test_id("department-marketing")
    cs_row = marketing.get_by_test_id("role-cs_staff")
    expect(cs_row).to_contain_text("1 / 3")
    expect(cs_row).to_have_class(re.compile("vacancy"))
    expect(cs_row.locator(".vacancy-badge")).to_have_text("2 vacancies")

    cs_row.get_by_role("link", name="Customer Service Agent").click()
    # The page's language only (issue 13): the English title on an English page, no Chinese beside it.
    expect(page.get_by_role("heading", level=1)).to_have_text("Customer Service Agent")
    page.get_by_role("link", name="Marketing", exact=False).first.click()
    expect(page).to_have_url(re.compile("/org/departments/marketing/"))

    page.goto(f"{live_server.url}/org/departments/new/")
    page.fill("input[name=code]", "bad code!")
    page.fill("input[name=name_zh]", "客服部")
    page.fill("input[name=name_en]", "Customer care")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".field-error")).to_contain_text("Use only Latin letters, digits, - or _")
    page.fill("input[name=code]", "customer-care")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Customer care")
    assert Department.objects.filter(code="customer-care").exists()


def test_staff_member_cannot_open_the_employee_list(page, live_server, demo_data):
    log_in(page, live_server, "cs")
    nav_link(page, words(page, en="My profile", zh="我的资料"))  # the menu is open
    expect(
        page.locator("details.site-menu").get_by_role("link", name=words(page, en="Employees", zh="员工"), exact=True)
    ).to_have_count(0)
    page.goto(f"{live_server.url}/employees/")
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator(".message")).to_contain_text(words(page, en="permission", zh="您无权"))
    nav_link(page, words(page, en="My profile", zh="我的资料")).click()
    expect(page.get_by_test_id("bank-account")).to_contain_text("****")


@english_desktop
def test_language_switcher_turns_the_pages_chinese(page, live_server, demo_data):
    log_in(page, live_server, "finance")
    page.goto(f"{live_server.url}/org/")
    page.get_by_test_id("language").select_option("zh-hans")
    expect(page.get_by_role("heading", name="组织架构")).to_be_visible()
    expect(page.get_by_test_id("department-warehouse")).to_contain_text("仓储部")


def test_org_chart_on_a_phone(phone_page, live_server, demo_data):
    log_in(phone_page, live_server, "packer")
    phone_page.goto(f"{live_server.url}/org/")
    expect(phone_page.get_by_test_id("department-warehouse")).to_be_visible()
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 420, f"the page scrolls sideways on a phone ({width}px)"


def test_finance_finds_a_person_by_the_whole_id_number_on_a_phone(phone_page, live_server, demo_data):
    """The ID number is stored encrypted and found through its keyed hash: the whole number finds the person, a
    part of it finds nobody."""
    log_in(phone_page, live_server, "finance")
    phone_page.goto(f"{live_server.url}/employees/")
    # The whole number goes in its own box, sent in the body (POST), never in the address.
    search = phone_page.get_by_placeholder("完整身份证号")
    search.fill("330102 19870808 0220")
    search.press("Enter")
    assert "330102" not in phone_page.url
    expect(phone_page.locator("main")).to_contain_text("杨静")
    expect(phone_page.locator("main")).not_to_contain_text("330102198708080220")
    phone_page.screenshot(path="/tmp/atrest_employee_search_phone.png", full_page=True)
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 420, f"the page scrolls sideways on a phone ({width}px)"
    search = phone_page.get_by_placeholder("完整身份证号")
    search.fill("19870808")
    search.press("Enter")
    expect(phone_page.locator("main")).not_to_contain_text("杨静")


def test_refusals_on_a_phone(phone_page, live_server, demo_data):
    """A blocked delete shows what blocks it on the confirmation page; a hostile query value gets a plain page."""
    import datetime
    from decimal import Decimal

    from payroll.models import SalesFigure

    department = Department.objects.create(code="popup", name_zh="快闪店", name_en="Pop-up shop")
    SalesFigure.objects.create(
        month=datetime.date(2026, 1, 1), department=department, sales=Decimal("1.00"), gross_profit=Decimal("1.00")
    )
    log_in(phone_page, live_server, "manager")
    phone_page.goto(f"{live_server.url}/org/departments/popup/delete/")
    phone_page.get_by_test_id("confirm-delete").click()
    expect(phone_page.get_by_test_id("delete-error")).to_contain_text("无法删除")
    expect(phone_page.get_by_test_id("delete-error")).to_contain_text("快闪店")
    phone_page.screenshot(path="/tmp/guards-delete-phone.png", full_page=True)
    assert Department.objects.filter(code="popup").exists()

    phone_page.goto(f"{live_server.url}/employees/?q=%00")
    expect(phone_page.get_by_test_id("request-refused")).to_contain_text("控制字符")
    phone_page.screenshot(path="/tmp/guards-refused-phone.png", full_page=True)
