"""Finance's start page: the month due, runs to approve or compute again, workbooks ready, loss reports waiting."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from inventory.models import LossReport, StockCount, Warehouse
from payroll import selectors, services
from payroll.models import PayrollRun

from .conftest import MONTH, run_month

pytestmark = pytest.mark.django_db
APRIL = datetime.date(2026, 4, 1)


def keys(user, today):
    return {row.key: row for row in selectors.finance_waiting(user=user, today=today)}


def test_a_new_shop_is_due_the_month_that_ended_last(finance):
    due = keys(finance.user, APRIL)["month-due"]
    assert "2026-03" in due.label and due.url == reverse("payroll:run-list") and due.since == APRIL


def test_ready_run_then_stale_then_approved_then_next_month_due(finance, sales_employee):
    employee = sales_employee()
    run = run_month()
    rows = keys(finance.user, APRIL)
    assert set(rows) == {"runs-ready"} and rows["runs-ready"].url == run.get_absolute_url()
    services.request_export(run=run, user=finance.user)
    assert set(keys(finance.user, APRIL)) == {"runs-ready", "exports-ready"}
    services.save_pay_profile(employee=employee, user=None, base_salary=Decimal("9000.00"))
    rows = keys(finance.user, APRIL)
    # Inputs changed after the computation: compute again; its workbook is no longer offered.
    assert set(rows) == {"runs-stale"} and rows["runs-stale"].detail == run.label
    run = run_month()
    services.approve_run(run=run, user=finance.user)
    assert set(keys(finance.user, APRIL)) == set()  # no workbook of the new computation yet
    assert keys(finance.user, datetime.date(2026, 5, 1))["month-due"].label.count("2026-04") == 1


def test_a_failed_or_draft_run_of_the_due_month_is_waiting(finance):
    PayrollRun.objects.create(month=MONTH, status="failed", error_message="boom")
    row = keys(finance.user, datetime.date(2026, 3, 10))["month-due"]
    assert row.url == reverse("payroll:run-detail", kwargs={"month": "2026-03"})


def test_the_page_in_chinese_with_loss_reports_and_empty_state(client_as, finance):
    client = client_as(finance)
    body = client.get(reverse("payroll:waiting"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "财务待办" in body and 'data-testid="waiting-month-due"' in body  # a new shop: last month
    last_month = (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    PayrollRun.objects.create(month=last_month, status="approved", approved_at=timezone.now(), approved_by=finance.user)
    body = client.get(reverse("payroll:waiting"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'data-testid="waiting-empty"' in body and "暂无待办" in body
    warehouse = Warehouse.objects.create(code="w1", name="主仓")
    count = StockCount.objects.create(
        warehouse=warehouse, period=datetime.date(2026, 10, 1), snapshot_at=timezone.now(), status="closed"
    )
    LossReport.objects.create(count=count)
    body = client.get(reverse("payroll:waiting"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'data-testid="waiting-loss-reports"' in body and "待审批的报损单" in body


def test_only_finance_opens_it(client_as, manager, warehouse, staff):
    for person in (manager, warehouse, staff):
        response = client_as(person).get(reverse("payroll:waiting"))
        assert response.status_code == 302 and response.url == reverse("home")


def test_a_downloaded_workbook_no_longer_waits(client_as, finance, sales_employee, settings, tmp_path):
    """Found by a tester: "1 workbook ready to download" stayed on the finance start page after the download."""
    settings.MEDIA_ROOT = tmp_path
    sales_employee()
    run = run_month()
    job = services.request_export(run=run, user=finance.user)
    job.refresh_from_db()
    assert job.status == "done" and "exports-ready" in keys(finance.user, APRIL)
    response = client_as(finance).get(reverse("payroll:export-download", args=[job.pk]))
    assert response.status_code == 200
    b"".join(response.streaming_content)
    job.refresh_from_db()
    first = job.downloaded_at
    assert first is not None and "exports-ready" not in keys(finance.user, APRIL)
    client_as(finance).get(reverse("payroll:export-download", args=[job.pk]))
    job.refresh_from_db()
    assert job.downloaded_at == first  # the first download is kept


def test_a_preview_of_the_month_still_running_waits_for_nobody(finance, sales_employee):
    """A month may be computed before it ends (a preview) but approved only after: until then it is not listed as
    ready to approve."""
    sales_employee()
    run = run_month()
    assert run.month == MONTH
    during = keys(finance.user, MONTH + datetime.timedelta(days=10))
    assert "runs-ready" not in during and "runs-stale" not in during
    assert "runs-ready" in keys(finance.user, APRIL)
