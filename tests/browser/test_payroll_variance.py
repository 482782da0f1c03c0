"""Browser, Chinese phone (390x844): finance sees what changed since last month on the run's page, the flagged
change first, and approves the month only by ticking that the flagged changes were checked."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from payroll import selectors, services
from payroll.demo import demo_months
from payroll.models import PayrollRun
from roles.models import Employee

from .conftest import log_in

pytestmark = pytest.mark.browser


def test_finance_approves_a_month_with_a_flagged_change_by_ticking_it(phone_page, live_server, demo_data):
    page = phone_page
    first, second = demo_months()
    month = second.strftime("%Y-%m")
    # A bonus of 5,000.00 this month for someone paid last month: a line from 0, beyond the threshold.
    person = Employee.objects.filter(payslips__run__month=first).order_by("employee_number").first()
    services.add_adjustment(
        month=second, employee=person, kind="bonus", amount=Decimal("5000.00"), reason="大促", user=None
    )
    log_in(page, live_server, "finance")
    page.goto(f"{live_server.url}/payroll/")
    page.select_option("select[name=month]", month)
    page.get_by_test_id("start-run").click()
    expect(page).to_have_url(re.compile(f"/payroll/runs/{month}/"))
    expect(page.get_by_test_id("run-status")).to_have_text("待审批", timeout=30_000)

    variance = selectors.run_variance(run=PayrollRun.objects.get(month=second))
    flagged = variance.flagged
    assert flagged and any(c.employee_id == person.pk for c in flagged)
    section = page.get_by_test_id("variance")
    expect(section.get_by_role("heading", level=2)).to_have_text("与上月相比")
    expect(section.get_by_test_id("flagged-count")).to_contain_text(f"{len(flagged)} 项变动超出阈值")
    first_row = section.get_by_test_id("changes").locator("tbody tr").first
    expect(first_row.get_by_test_id("flagged")).to_have_text("超出阈值")
    expect(first_row).to_contain_text(flagged[0].name)
    # On the phone the table reads as cards: each cell shows its column's heading, nothing runs off the side.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    label = first_row.locator("td[data-label='变动']")
    assert label.evaluate("cell => getComputedStyle(cell, '::before').content") == '"变动"'

    page.get_by_test_id("approve").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("审批该月工资？")
    expect(page.get_by_test_id("flagged-change")).to_have_count(len(flagged))
    page.get_by_test_id("confirm").click()  # without the tick: refused at the tick box, nothing approved
    expect(page.get_by_test_id("confirm-flagged-error")).to_contain_text("请确认您已核对")
    assert PayrollRun.objects.get(month=second).status == "ready"

    page.get_by_test_id("confirm-flagged").check()
    page.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("run-status")).to_have_text("已审批")
    run = PayrollRun.objects.get(month=second)
    assert run.status == "approved" and run.approved_by.username == "finance"
