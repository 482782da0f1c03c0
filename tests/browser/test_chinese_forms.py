"""Found by a tester with Chromium in Chinese on a phone: empty date boxes (2025/03/17 refused by the browser),
dashes in month boxes, and a formula editor that failed on its blank extra row and 500ed on a division by zero."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from payroll.models import SalaryStructure, StructureVersion
from roles.models import Employee

from .conftest import ARTIFACTS, log_in

pytestmark = pytest.mark.browser


def test_chinese_dates_are_filled_in_and_an_unchanged_employee_saves(phone_page, live_server, demo_data):
    page = phone_page
    employee = Employee.objects.exclude(hire_date=None).order_by("pk").first()
    log_in(page, live_server, "manager")
    page.goto(f"{live_server.url}{reverse('roles:employee-edit', args=[employee.pk])}")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("input[name=hire_date]")).to_have_value(f"{employee.hire_date:%Y-%m-%d}")
    page.locator("main button[type=submit]").click()
    expect(page.locator(".field-error, .errorlist")).to_have_count(0)
    employee.refresh_from_db()
    assert employee.hire_date is not None


def test_chinese_month_boxes_show_a_month_on_a_phone(phone_page, live_server, demo_data):
    page = phone_page
    log_in(page, live_server, "finance")
    page.goto(f"{live_server.url}{reverse('payroll:run-list')}")
    month = page.locator("select[name=month]")
    expect(month).to_be_visible()
    label = month.evaluate("m => m.options[m.selectedIndex].text")
    assert "年" in label and "月" in label and "-" not in label
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "month-select-zh-390.png"), full_page=True)


def test_chinese_formula_editor_previews_with_the_blank_row_and_refuses_division_by_zero(
    phone_page, live_server, demo_data
):
    page = phone_page
    # Not the manager's own role's structure: nobody changes their own pay (that refusal has its own tests).
    own = Employee.objects.get(user__username="manager")
    structure = SalaryStructure.objects.exclude(role=own.role).exclude(employee=own).order_by("pk").first()
    versions = StructureVersion.objects.filter(structure=structure).count()
    log_in(page, live_server, "manager")
    page.goto(f"{live_server.url}{reverse('payroll:structure-edit', args=[structure.pk])}")
    page.get_by_test_id("preview").click()
    expect(page.get_by_test_id("preview-table")).to_be_visible()
    expect(page.locator(".field-error")).to_have_count(0)

    formula = page.locator("textarea[name=form-0-formula]")
    formula.fill("bonus / 0")
    page.get_by_test_id("save").click()
    expect(page.locator(".field-error").first).to_contain_text("除数为零")
    # The whole formula box fits on the phone: nothing is cut off sideways.
    box = page.locator("textarea[name=form-0-formula]").bounding_box()
    assert box["width"] >= 200
    assert StructureVersion.objects.filter(structure=structure).count() == versions
