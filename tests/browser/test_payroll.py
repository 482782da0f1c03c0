"""Browser: finance runs, approves and downloads a month's payroll; a staff member sees only their own payslip."""

import re
from decimal import Decimal

import openpyxl
import pytest
from playwright.sync_api import expect

from payroll.demo import demo_months
from payroll.models import PayrollRun, Payslip
from shop_ops.numbers import format_money

from .conftest import english_desktop, log_in, nav_link, words

pytestmark = pytest.mark.browser


@english_desktop
def test_finance_runs_approves_and_downloads_the_payroll(page, live_server, demo_data, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"  # the export jobs' files
    _first, second = demo_months()
    month = second.strftime("%Y-%m")
    log_in(page, live_server, "finance")
    page.get_by_role("link", name="Payroll", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Payroll runs")

    page.select_option("select[name=month]", month)
    page.get_by_test_id("start-run").click()
    expect(page).to_have_url(re.compile(f"/payroll/runs/{month}/"))
    # The progress box polls until the worker is done, then the page shows the totals.
    expect(page.get_by_test_id("run-status")).to_have_text("Ready for approval", timeout=30_000)
    expect(page.get_by_test_id("department-totals")).to_be_visible()
    run = PayrollRun.objects.get(month=second)
    total = sum(slip.net_pay for slip in Payslip.objects.filter(run=run))
    expect(page.get_by_test_id("total-net")).to_have_text(format_money(total))  # ¥128,971.37

    page.get_by_test_id("approve").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Approve the payroll?")
    # The demo's second month has bonuses the first did not: changes beyond the threshold, to be confirmed.
    page.get_by_test_id("confirm-flagged").check()
    page.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("run-status")).to_have_text("Approved")
    run.refresh_from_db()
    assert run.status == "approved" and run.approved_by.username == "finance"

    with page.expect_download() as download_info:
        page.get_by_test_id("export").click()
    path = tmp_path / "payroll.xlsx"
    download_info.value.save_as(path)
    workbook = openpyxl.load_workbook(path)
    bank = workbook["Bank transfer"]  # sheets are named in the language of the page that asked
    paid = sum(Decimal(str(bank.cell(row, 5).value)) for row in range(2, bank.max_row + 1))
    # No 合计 row (a bank's import pays every row); who is left off (no account, nothing to pay) is listed apart.
    assert all(isinstance(bank.cell(row, 5).value, int | float) for row in range(2, bank.max_row + 1))
    left_off = workbook["Not transferred"]
    unpaid = sum(Decimal(str(left_off.cell(row, 5).value)) for row in range(2, left_off.max_row))
    assert paid + unpaid == total

    # A large run is written by the worker: the page shows the job's progress until it is done, then the link.
    settings.PAYROLL_EXPORT_INLINE_MAX = 0
    page.get_by_test_id("export").click()
    expect(page.locator(".messages")).to_contain_text("The workbook is being written")
    progress = page.get_by_test_id("export-progress").first
    expect(progress.get_by_test_id("export-status")).to_have_text("Done", timeout=30_000)
    with page.expect_download() as download_info:
        progress.get_by_test_id("export-download").click()
    assert download_info.value.suggested_filename == f"payroll-{month}.xlsx"
    path = tmp_path / "payroll-job.xlsx"
    download_info.value.save_as(path)
    strips = openpyxl.load_workbook(path)["Payslip strips"]
    assert strips.cell(1, 1).value == "No." and strips.max_row == 3 * run.payslips.count() - 1


def test_a_staff_member_sees_only_their_own_payslip(page, live_server, demo_data):
    log_in(page, live_server, "cs")
    nav_link(page, words(page, en="My payslips", zh="我的工资条")).click()
    rows = page.get_by_test_id("payslips").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("孙佳怡")
    rows.first.get_by_role("link").click()
    expect(page.get_by_test_id("lines")).to_contain_text("利润分成")
    expect(page.get_by_test_id("lines")).to_contain_text("\u00d7")

    someone_else = Payslip.objects.exclude(employee__user__username="cs").first()
    page.goto(f"{live_server.url}/payroll/payslips/{someone_else.pk}/")
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator(".messages")).to_contain_text(words(page, en="You do not have permission", zh="您无权"))
    page.goto(f"{live_server.url}/payroll/")
    expect(page).to_have_url(re.compile("/payroll/payslips/"))


@english_desktop
def test_manager_changes_a_base_salary_in_the_pay_settings(page, live_server, demo_data):
    from payroll.models import PayProfile
    from roles.models import Employee

    person = Employee.objects.select_related("role").get(user__username="cs")
    log_in(page, live_server, "manager")
    page.get_by_role("link", name="Payroll", exact=True).click()
    page.get_by_role("link", name="Pay profiles").first.click()
    page.get_by_role("searchbox").fill(person.full_name)
    page.get_by_role("button", name="Search").click()
    page.get_by_test_id(f"edit-profile-{person.employee_number}").click()
    page.get_by_label("monthly base salary").fill(str(person.role.pay_grade_max + 1))
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert").first).to_contain_text("pay grade")  # refused, with the grade named
    page.get_by_label("monthly base salary").fill(str(person.role.pay_grade_max))
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id(f"profile-{person.employee_number}")).to_contain_text(
        f"{person.role.pay_grade_max:,.2f}"
    )
    assert PayProfile.objects.get(employee=person).base_salary == person.role.pay_grade_max
