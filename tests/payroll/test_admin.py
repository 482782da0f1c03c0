"""The admin cannot change what the payroll services lock: an opening balance once its year has an approved month,
and approved runs and their payslips."""

from decimal import Decimal

import pytest
from django.urls import reverse

from payroll import services
from payroll.models import Payslip, TaxOpeningBalance

from .conftest import run_month

pytestmark = pytest.mark.django_db
D = Decimal


def test_admin_cannot_change_an_opening_balance_after_its_year_has_an_approved_month(
    client_as, superuser, sales_employee, finance
):
    employee = sales_employee()
    services.save_tax_opening_balance(
        employee=employee,
        year=2026,
        income=D("60000.00"),
        tax_withheld=D("1000.00"),
        special_deductions=D("0"),
        additional_deductions=D("0"),
        user=finance.user,
    )
    run = run_month()
    services.approve_run(run=run, user=finance.user)
    balance = TaxOpeningBalance.objects.get()
    client = client_as(superuser)
    form = {
        "employee": employee.pk,
        "year": "2026",
        "income": "1.00",
        "special_deductions": "0",
        "additional_deductions": "0",
        "tax_withheld": "0",
    }
    url = reverse("admin:payroll_taxopeningbalance_change", args=[balance.pk])
    assert client.get(url).status_code == 200  # finance's figures can still be looked at
    assert client.post(url, form).status_code == 403
    assert client.post(reverse("admin:payroll_taxopeningbalance_add"), {**form, "year": "2025"}).status_code == 403
    delete = reverse("admin:payroll_taxopeningbalance_delete", args=[balance.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    balance.refresh_from_db()
    assert (balance.income, balance.tax_withheld) == (D("60000.00"), D("1000.00"))
    assert TaxOpeningBalance.objects.count() == 1

    slip = Payslip.objects.get(run=run, employee=employee)
    slip_url = reverse("admin:payroll_payslip_change", args=[slip.pk])
    assert client.post(slip_url, {"net_pay": "99999.00"}).status_code == 403
    assert Payslip.objects.get(pk=slip.pk).net_pay == slip.net_pay


def test_admin_cannot_change_pay_settings_behind_the_services(client_as, superuser, sales_employee):
    employee = sales_employee(base="8000.00")
    profile = employee.pay_profile
    url = reverse("admin:payroll_payprofile_change", args=[profile.pk])
    response = client_as(superuser).post(url, {"employee": employee.pk, "base_salary": "80000.00"})
    assert response.status_code == 403
    profile.refresh_from_db()
    assert profile.base_salary == D("8000.00")
