"""Browser: finance starts the month that is due, an input changes before approval, the approval is refused with
what changed, and after running it again it is approved (English desktop and Chinese phone)."""

import datetime
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from payroll import services
from payroll.demo import demo_months
from payroll.models import PayrollRun, Payslip
from roles.choices import DayKind
from roles.models import Holiday
from roles.services import checklists as checklist_services

from .conftest import ARTIFACTS, english_desktop, log_in

pytestmark = pytest.mark.browser


def _start_due_month(page, live_server, month: str) -> None:
    page.goto(f"{live_server.url}/payroll/")
    expect(page.locator("select[name=month]")).to_have_value(month)  # the form offers the month that is due
    page.get_by_test_id("start-run").click()
    expect(page).to_have_url(re.compile(f"/payroll/runs/{month}/"))


@english_desktop
def test_a_changed_input_refuses_the_approval_until_run_again(page, live_server, demo_data):
    _first, second = demo_months()
    month = second.strftime("%Y-%m")
    log_in(page, live_server, "finance")
    _start_due_month(page, live_server, month)
    expect(page.get_by_test_id("run-status")).to_have_text("Ready for approval", timeout=30_000)
    page.get_by_test_id("approve").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Approve the payroll?")

    # While the confirmation page is open, the manager enters a bonus for someone in this month.
    slip = Payslip.objects.filter(run__month=second).select_related("employee").first()
    services.add_adjustment(
        month=second, employee=slip.employee, kind="bonus", amount=Decimal("300"), reason="late", user=None
    )
    page.get_by_test_id("confirm").click()
    expect(page.locator(".messages")).to_contain_text("changed after it was computed")
    stale = page.get_by_test_id("stale")
    expect(stale).to_contain_text("bonuses")
    expect(stale).to_contain_text(slip.employee.full_name)
    expect(page.get_by_test_id("approve")).to_have_count(0)
    assert PayrollRun.objects.get(month=second).status == "ready"

    page.get_by_test_id("rerun").click()
    expect(page.get_by_test_id("run-status")).to_have_text("Ready for approval", timeout=30_000)
    expect(page.get_by_test_id("stale")).to_have_count(0)
    page.get_by_test_id("approve").click()
    page.get_by_test_id("confirm-flagged").check()  # the demo's bonuses are changes beyond the threshold
    page.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("run-status")).to_have_text("Approved")
    run = PayrollRun.objects.get(month=second)
    assert run.status == "approved" and run.approved_by.username == "finance"


def test_phone_chinese_shows_the_stale_run_and_what_changed(phone_page, live_server, demo_data):
    page = phone_page
    _first, second = demo_months()
    month = second.strftime("%Y-%m")
    log_in(page, live_server, "finance")
    _start_due_month(page, live_server, month)
    expect(page.get_by_test_id("run-status")).to_have_text("待审批", timeout=30_000)

    # A public holiday is added to the calendar after the computation: every working day count changes.
    holiday = next(
        day
        for day in (second + datetime.timedelta(days=n) for n in range(7, 28))
        if day.weekday() < 5 and not Holiday.objects.filter(date=day).exists()
    )
    checklist_services.save_holiday(date=holiday, kind=DayKind.HOLIDAY, name_zh="临时假日")
    page.reload()
    stale = page.get_by_test_id("stale")
    expect(stale).to_contain_text("本月工资计算后，其数据发生了变化")
    expect(stale).to_contain_text("应出勤天数")
    expect(page.get_by_test_id("approve")).to_have_count(0)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "payroll-stale-zh-390.png"), full_page=False)
    # The approval page, opened by its address, refuses too and names the change.
    page.goto(f"{live_server.url}/payroll/runs/{month}/approve/")
    expect(page.get_by_test_id("stale")).to_contain_text("应出勤天数")
    expect(page.get_by_test_id("confirm")).to_have_count(0)

    page.goto(f"{live_server.url}/payroll/runs/{month}/")
    page.get_by_test_id("rerun").click()
    expect(page.get_by_test_id("run-status")).to_have_text("待审批", timeout=30_000)
    page.get_by_test_id("approve").click()
    page.get_by_test_id("confirm-flagged").check()  # the demo's bonuses are changes beyond the threshold
    page.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("run-status")).to_have_text("已审批")
    assert PayrollRun.objects.get(month=second).status == "approved"
