"""When pay is final: a month is approved only once it has ended (today in the shop's time zone), though it may be
computed before as a preview; once approved, the checklist items due in it are read-only, so the completion rate
it paid stays as it was. Service, API and page."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from payroll import services
from payroll.choices import RunStatus
from payroll.exceptions import PayrollConflict
from payroll.models import PayrollRun, Payslip
from roles import services as checklist_services
from roles.choices import ItemKind, ItemStatus
from roles.exceptions import ItemPayApproved
from roles.models import ChecklistItem
from roles.selectors import checklist_completion_rates

from .conftest import MONTH, run_month

pytestmark = pytest.mark.django_db

NOT_ENDED = "has not ended yet"


def at(monkeypatch, moment: datetime.datetime) -> None:
    """The clock reads `moment` (UTC): timezone.localdate() is that moment's day in the shop's time zone."""
    monkeypatch.setattr(timezone, "now", lambda: moment)


def test_this_month_is_computed_as_a_preview_but_not_approved(
    api_as, client_as, finance, sales_employee, django_capture_on_commit_callbacks
):
    employee = sales_employee()
    this_month = services.current_month()
    client = api_as(finance)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/payroll/runs/start/", {"month": this_month.strftime("%Y-%m")}, format="json")
    assert response.status_code == 202, response.content
    run = PayrollRun.objects.get(month=this_month)
    assert run.status == RunStatus.READY and run.payslips.filter(employee=employee).exists()  # the preview
    response = client.post(f"/api/payroll/runs/{run.pk}/approve/")
    assert response.status_code == 409, response.content
    assert NOT_ENDED in response.json()["detail"]
    browser = client_as(finance)
    page = browser.get(run.get_absolute_url()).content.decode()
    assert 'data-testid="not-ended"' in page and 'data-testid="approve"' not in page
    response = browser.post(reverse("payroll:run-approve", args=[run.label]), follow=True)
    assert NOT_ENDED in response.content.decode()
    run.refresh_from_db()
    assert run.status == RunStatus.READY and run.approved_at is None


def test_the_month_ends_at_midnight_in_the_shops_time_zone(monkeypatch, finance, sales_employee):
    sales_employee()
    at(monkeypatch, datetime.datetime(2026, 3, 20, 2, 0, tzinfo=datetime.UTC))
    run = run_month(MONTH)
    # 23:59 on 31 March in Shanghai (UTC+8): March has not ended.
    at(monkeypatch, datetime.datetime(2026, 3, 31, 15, 59, tzinfo=datetime.UTC))
    with pytest.raises(PayrollConflict, match=NOT_ENDED) as refused:
        services.approve_run(run=run, user=finance.user)
    assert "2026-04-01" in refused.value.message  # says from when
    # 00:00 on 1 April in Shanghai, still 31 March in UTC: March has ended.
    at(monkeypatch, datetime.datetime(2026, 3, 31, 16, 0, tzinfo=datetime.UTC))
    assert services.approve_run(run=run, user=finance.user).status == RunStatus.APPROVED


def test_checklist_items_of_an_approved_month_keep_the_rate_it_paid(api_as, finance, manager, sales_employee):
    """The security tester's steps: approve March, then tick a March item that was not done (a KPI bonus at 95%)."""
    employee = sales_employee()
    due = datetime.date(2026, 3, 10)
    item = ChecklistItem.objects.create(
        employee=employee, kind=ItemKind.AD_HOC, period_start=due, due_date=due, title_zh="盘点"
    )
    checklist_services.refresh_day_summaries(due_date=due, employee_id=employee.pk)
    run = run_month(MONTH)
    services.approve_run(run=run, user=finance.user)
    paid = checklist_completion_rates(start=MONTH, end=datetime.date(2026, 3, 31))
    assert paid == {employee.pk: Decimal("0.0000")}
    with pytest.raises(ItemPayApproved):
        checklist_services.tick_item(item_id=item.pk, user=manager.user)
    response = api_as(employee).post(f"/api/checklist-items/{item.pk}/tick/")
    assert response.status_code == 409, response.content
    item.refresh_from_db()
    assert item.status == ItemStatus.OPEN
    assert checklist_completion_rates(start=MONTH, end=datetime.date(2026, 3, 31)) == paid
    kpi = Payslip.objects.get(run=run, employee=employee).lines.get(code="kpi")
    assert kpi.inputs["completion_rate"] == "0.0000" and kpi.amount == 0
