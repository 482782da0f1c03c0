"""A manager trying to add a person to the accountant's role is refused with a message at the role field, on a
phone in Chinese and on a desktop in English; nothing is created. Finance rights are given by a superuser."""

import pytest
from playwright.sync_api import expect

from roles.models import Employee

from .conftest import ARTIFACTS, english_desktop, log_in

pytestmark = pytest.mark.browser


def fill_new_person(page, live_server, username, number):
    page.goto(f"{live_server.url}/employees/new/?role=accountant")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "a-good-long-password")
    page.fill("input[name=employee_number]", number)
    page.fill("input[name=full_name]", "冒名会计")
    page.fill("input[name=hire_date]", "2026-01-05")
    page.fill("input[name=phone]", "13900001111")
    page.fill("input[name=bank_account]", "6222000011112222555")
    page.locator("main button[type=submit]").click()


def test_manager_is_refused_a_finance_person_on_a_phone_in_chinese(phone_page, live_server, demo_data):
    log_in(phone_page, live_server, "manager")
    fill_new_person(phone_page, live_server, "acct2", "E0990")
    error = phone_page.locator("#id_role-error")
    expect(error).to_contain_text("只有超级管理员才能授予财务权限")
    expect(error).to_contain_text("岗位“财务”")
    ARTIFACTS.mkdir(exist_ok=True)
    phone_page.screenshot(path=str(ARTIFACTS / "grant-refused-zh-390.png"), full_page=True)
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 420, f"the page scrolls sideways on a phone ({width}px)"
    assert not Employee.objects.filter(employee_number="E0990").exists()
    # A look-alike of the accountant's login (Cyrillic і) is refused at the login name.
    fill_new_person(phone_page, live_server, "f\u0456nance", "E0991")
    expect(phone_page.locator("#id_username-error")).to_contain_text("登录名只能使用小写字母")


@english_desktop
def test_manager_is_refused_a_finance_person_in_english(page, live_server, demo_data):
    log_in(page, live_server, "manager")
    fill_new_person(page, live_server, "acct2", "E0990")
    expect(page.locator("#id_role-error")).to_contain_text("Only a superuser can give Finance rights")
    assert not Employee.objects.filter(employee_number="E0990").exists()
    page.context.clear_cookies()
    log_in(page, live_server, "admin")
    fill_new_person(page, live_server, "acct2", "E0990")
    expect(page.get_by_role("heading", level=1)).to_contain_text("冒名会计")
    assert Employee.objects.get(employee_number="E0990").user.groups.get().name == "Finance"
