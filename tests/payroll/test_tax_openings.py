"""Tax opening balances: carried-in year-to-date figures for adopting ShopOps mid-year (page, API, rules)."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from payroll import services
from payroll.choices import WithholdingOption
from payroll.exceptions import PayrollConflict, PayrollError
from payroll.models import Payslip, TaxOpeningBalance
from payroll.selectors import run_input_changes

from .conftest import MONTH, run_month

pytestmark = pytest.mark.django_db
D = Decimal
ZEROES = {"special_deductions": D("0"), "additional_deductions": D("0")}


def test_opening_balance_continues_the_cumulative_tax(sales_employee, finance):
    employee = sales_employee(base="30000.00")
    without = run_month()
    tax_without = Payslip.objects.get(run=without, employee=employee).income_tax
    services.save_tax_opening_balance(
        employee=employee, year=2026, income=D("60000.00"), tax_withheld=D("1000.00"), user=finance.user, **ZEROES
    )
    without.refresh_from_db()
    assert run_input_changes(run=without).kinds == ["prior"]  # its figures are stale: approval is refused
    with_opening = run_month()
    slip = Payslip.objects.get(run=with_opening, employee=employee)
    # More income earlier in the year pushes this month into a higher bracket of the cumulative table.
    assert slip.income_tax > tax_without
    assert slip.ytd_taxable > D("60000.00") - D("1")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"year": datetime.date.today().year + 1}, "year"),
        ({"income": D("-1")}, "income"),
        ({"tax_withheld": D("5000.00")}, "tax_withheld"),  # more tax than income
        ({"income": D("999999999999.00")}, "income"),
    ],
)
def test_bad_opening_balances_are_refused(sales_employee, finance, changes, field):
    employee = sales_employee()
    values = {"year": 2026, "income": D("1000.00"), "tax_withheld": D("0"), **ZEROES, **changes}
    with pytest.raises(PayrollError) as refused:
        services.save_tax_opening_balance(employee=employee, user=finance.user, **values)
    assert refused.value.field == field
    assert not TaxOpeningBalance.objects.exists()


def test_an_approved_month_locks_the_opening_balance_of_its_year(sales_employee, finance):
    employee = sales_employee()
    services.approve_run(run=run_month(), user=finance.user)
    with pytest.raises(PayrollConflict, match=f"{MONTH:%Y-%m} is already approved"):
        services.save_tax_opening_balance(
            employee=employee, year=2026, income=D("1.00"), tax_withheld=D("0"), user=finance.user, **ZEROES
        )
    # An earlier year is still open for it.
    services.save_tax_opening_balance(
        employee=employee, year=2025, income=D("1.00"), tax_withheld=D("0"), user=finance.user, **ZEROES
    )


def test_finance_enters_and_replaces_one_through_the_page(client_as, finance, manager, sales_employee):
    employee = sales_employee()
    client = client_as(finance)
    form = {
        "employee": employee.pk,
        "year": "2026",
        "income": "45000.00",
        "special_deductions": "4500.00",
        "additional_deductions": "6000.00",
        "tax_withheld": "300.00",
        "withholding_option": "standard",
    }
    assert client.post(reverse("payroll:tax-opening-new"), form).status_code == 302
    balance = TaxOpeningBalance.objects.get()
    assert (balance.income, balance.entered_by) == (D("45000.00"), finance.user)
    edit = reverse("payroll:tax-opening-edit", args=[balance.pk])
    refused = client.post(edit, {**form, "tax_withheld": "50000.00"})
    assert "cannot be more than the income" in refused.content.decode(), refused.context["form"].errors
    assert client.post(edit, {**form, "tax_withheld": "350.00", "year": "2020"}).status_code == 302
    balance.refresh_from_db()
    assert (balance.year, balance.tax_withheld) == (2026, D("350.00"))  # the year of an entry stays
    page = client_as(manager).get(reverse("payroll:tax-opening-list"), {"year": "2026"}).content.decode()
    assert "45,000.00" in page and edit not in page  # managers read; Finance enters


def test_api_creates_or_replaces_and_409s_a_locked_year(api_as, finance, manager, sales_employee):
    employee = sales_employee()
    body = {
        "employee": employee.pk,
        "year": 2026,
        "income": "1000.00",
        "special_deductions": "0.00",
        "additional_deductions": "0.00",
        "tax_withheld": "0.00",
    }
    assert api_as(manager).post("/api/payroll/tax-openings/", body, format="json").status_code == 403
    response = api_as(finance).post("/api/payroll/tax-openings/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["entered_by"] == finance.user.username
    again = api_as(finance).post("/api/payroll/tax-openings/", {**body, "income": "2000.00"}, format="json")
    assert again.status_code == 201 and TaxOpeningBalance.objects.get().income == D("2000.00")
    services.approve_run(run=run_month(), user=finance.user)
    locked = api_as(finance).post("/api/payroll/tax-openings/", body, format="json")
    assert locked.status_code == 409
    assert TaxOpeningBalance.objects.get().income == D("2000.00")


# --- The year's withholding option (2020 No. 13 and No. 19) --------------------------------------------------------

ZERO_YEAR = {"income": D("0"), "tax_withheld": D("0"), **ZEROES}
LOW = WithholdingOption.LOW_INCOME


def _tax_line(run, employee):
    return Payslip.objects.get(run=run, employee=employee).lines.get(code="income_tax")


def test_a_first_wage_income_counts_the_basic_deduction_from_january(sales_employee, finance, client_as):
    graduate = sales_employee(base="30000.00", hire_date=MONTH)  # hired in March, her first job
    standard = _tax_line(run_month(), graduate)
    assert standard.inputs["ytd_basic_deduction"] == "5000.00"
    services.save_tax_opening_balance(
        employee=graduate, year=2026, user=finance.user, withholding_option=WithholdingOption.FIRST_INCOME, **ZERO_YEAR
    )
    line = _tax_line(run_month(), graduate)
    assert line.inputs["ytd_basic_deduction"] == "15000.00"  # 3 x 5,000
    assert line.inputs["withholding_option"] == "first_income"
    assert line.amount < standard.amount
    slip = Payslip.objects.get(run__month=MONTH, employee=graduate)
    with translation.override("zh-hans"):
        page = client_as(finance).get(slip.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "15,000.00" in page and "首次取得工资" in page


def test_the_option_is_refused_where_the_shops_records_contradict_it(sales_employee, finance):
    employee = sales_employee(hire_date=datetime.date(2025, 6, 1))
    with pytest.raises(PayrollError, match="no wage income earlier this year") as refused:
        services.save_tax_opening_balance(
            employee=employee,
            year=2026,
            user=finance.user,
            withholding_option=WithholdingOption.FIRST_INCOME,
            **{**ZERO_YEAR, "income": D("8000.00")},
        )
    assert refused.value.field == "withholding_option"
    with pytest.raises(PayrollError, match="employed here every month of last year"):
        services.save_tax_opening_balance(
            employee=employee,
            year=2026,
            user=finance.user,
            withholding_option=WithholdingOption.LOW_INCOME,
            **ZERO_YEAR,
        )
    with pytest.raises(PayrollError, match="Choose one of"):
        services.save_tax_opening_balance(
            employee=employee, year=2026, user=finance.user, withholding_option="generous", **ZERO_YEAR
        )
    assert not TaxOpeningBalance.objects.exists()


@pytest.mark.parametrize("hired", [datetime.date(2024, 1, 1), datetime.date(2025, 1, 6)])
def test_last_years_low_earner_deducts_60000_from_january(sales_employee, finance, hired):
    """Hired on 6 January last year is employed (and paid) here every month of it (a tester was refused)."""
    employee = sales_employee(base="30000.00", hire_date=hired)
    services.save_tax_opening_balance(
        employee=employee, year=2026, user=finance.user, withholding_option=WithholdingOption.LOW_INCOME, **ZERO_YEAR
    )
    line = _tax_line(run_month(), employee)
    assert line.inputs["ytd_basic_deduction"] == "60000.00"
    assert line.amount == D("0.00")  # 30,000 less insurance stays under 60,000


def test_last_years_wages_above_60000_refuse_the_low_earner_option(sales_employee, finance):
    employee = sales_employee(base="30000.00", hire_date=datetime.date(2024, 1, 1))
    # Last year's figures as the shop knows them: what it carried in plus its approved payslips (none here).
    last_year = {**ZERO_YEAR, "income": D("60000.01")}
    services.save_tax_opening_balance(employee=employee, year=2025, user=finance.user, **last_year)
    with pytest.raises(PayrollError, match="at most 60,000") as refused:
        services.save_tax_opening_balance(
            employee=employee,
            year=2026,
            user=finance.user,
            withholding_option=WithholdingOption.LOW_INCOME,
            **ZERO_YEAR,
        )
    assert "2025" in refused.value.message


def test_the_option_is_set_through_the_api_and_the_page_and_kept_in_the_history(
    api_as, client_as, finance, sales_employee
):
    employee = sales_employee(hire_date=MONTH)
    body = {"employee": employee.pk, "year": 2026, "income": "0", "special_deductions": "0"}
    body |= {"additional_deductions": "0", "tax_withheld": "0", "withholding_option": "generous"}
    refused = api_as(finance).post("/api/payroll/tax-openings/", body, format="json")
    assert refused.status_code == 400 and "withholding_option" in refused.json()["errors"]
    body["withholding_option"] = "first_income"
    created = api_as(finance).post("/api/payroll/tax-openings/", body, format="json")
    assert created.status_code == 201 and created.json()["withholding_option"] == "first_income"
    balance = TaxOpeningBalance.objects.get()
    form = client_as(finance).get(reverse("payroll:tax-opening-edit", args=[balance.pk])).content.decode()
    assert 'name="withholding_option"' in form and "2020 No. 19" in form
    page = client_as(finance).get(reverse("payroll:tax-opening-list"), {"year": "2026"}).content.decode()
    assert "First wage income this year" in page
    assert balance.history.first().withholding_option == "first_income"  # the audit keeps who chose what


def test_changing_the_option_after_the_computation_makes_the_run_stale(sales_employee, finance):
    employee = sales_employee(hire_date=MONTH)
    run = run_month()
    services.save_tax_opening_balance(
        employee=employee, year=2026, user=finance.user, withholding_option=WithholdingOption.FIRST_INCOME, **ZERO_YEAR
    )
    assert "withholding_option" in run_input_changes(run=run).kinds


@pytest.mark.parametrize("change", ["hire_date", "last_year"])
def test_a_low_earner_option_the_records_later_contradict_stops_the_run(sales_employee, finance, change):
    """Found by a tester: the option, once set, was applied after the hire date moved into this year or last year's
    income was entered above 60,000 (150.00 a month too little withheld); the run now stops and says why."""
    from roles.permissions import OPERATOR
    from roles.services import org as org_services

    employee = sales_employee(base="30000.00", hire_date=datetime.date(2024, 1, 1))
    services.save_tax_opening_balance(
        employee=employee, year=2026, user=finance.user, withholding_option=LOW, **ZERO_YEAR
    )
    if change == "hire_date":
        org_services.update_employee(employee=employee, by=OPERATOR, hire_date=datetime.date(2025, 2, 1))
        why = "hired on 2025-02-01"
    else:
        last_year = {**ZERO_YEAR, "income": D("70000.00")}
        services.save_tax_opening_balance(employee=employee, year=2025, user=finance.user, **last_year)
        why = "70,000.00, above 60,000"
    run = run_month()
    assert run.status == "failed"
    assert "no longer applies" in run.error_message and why in run.error_message, run.error_message
    assert not Payslip.objects.filter(run=run).exists()
