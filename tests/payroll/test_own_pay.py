"""Nobody enters or changes an input of their own pay (roles.permissions.is_own_pay, checked in the payroll and
roles services), by service, API, page and Excel import; an approver who is paid in a run with an input of their
own cannot approve it; the run page flags base salaries outside their role's pay grade."""

import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from payroll import imports, services
from payroll.choices import ComponentKind
from payroll.engine import ComponentSpec
from payroll.exceptions import PayrollConflict
from payroll.models import Adjustment, Attendance, PayProfile, SalaryStructure, TaxOpeningBalance
from roles import services as org
from roles.exceptions import OwnPayRefused
from roles.models import Role

from ..factories import EmployeeFactory, UserFactory
from .conftest import MONTH, run_month

pytestmark = pytest.mark.django_db

OWN_PAY = "You cannot enter or change your own pay; another manager or finance must."


def test_a_manager_cannot_give_themself_a_bonus_attendance_profile_or_tax_opening(payroll_world, manager):
    with pytest.raises(OwnPayRefused, match="own pay"):
        services.add_adjustment(
            month=MONTH, employee=manager, kind="bonus", amount=Decimal("9999999"), reason="self", user=manager.user
        )
    with pytest.raises(OwnPayRefused):
        services.save_attendance(month=MONTH, employee=manager, days_worked=Decimal(20), user=manager.user)
    with pytest.raises(OwnPayRefused):
        services.save_pay_profile(employee=manager, user=manager.user, base_salary=Decimal("5000"))
    with pytest.raises(OwnPayRefused):
        services.save_tax_opening_balance(
            employee=manager,
            year=2026,
            income=Decimal(1),
            special_deductions=Decimal(0),
            additional_deductions=Decimal(0),
            tax_withheld=Decimal(0),
            user=manager.user,
        )
    assert not Adjustment.objects.exists() and not Attendance.objects.exists()
    assert not TaxOpeningBalance.objects.exists()
    assert not PayProfile.objects.filter(employee=manager).exists()


def test_someone_else_still_enters_the_managers_pay(payroll_world, manager, finance):
    adjustment = services.add_adjustment(
        month=MONTH, employee=manager, kind="bonus", amount=Decimal("100"), reason="good month", user=finance.user
    )
    services.save_attendance(month=MONTH, employee=finance, days_worked=Decimal(20), user=manager.user)
    services.save_pay_profile(employee=finance, user=manager.user, base_salary=Decimal("3000"))
    with pytest.raises(OwnPayRefused):
        services.delete_adjustment(adjustment=adjustment, user=manager.user)
    services.delete_adjustment(adjustment=adjustment, user=finance.user)


def test_a_superuser_without_an_employee_record_is_not_refused(payroll_world, manager, superuser):
    services.save_pay_profile(employee=manager, user=superuser, base_salary=Decimal("5000"))
    paid_superuser = EmployeeFactory(role=manager.role, user=UserFactory(is_superuser=True))
    with pytest.raises(OwnPayRefused):
        services.save_pay_profile(employee=paid_superuser, user=paid_superuser.user, base_salary=Decimal("5000"))


def test_nobody_changes_the_pay_grade_or_structure_of_their_own_role(payroll_world, manager, superuser):
    with pytest.raises(OwnPayRefused):
        org.save_role(role=manager.role, by=manager.user, pay_grade_max=Decimal("9999999.00"))
    manager.role.refresh_from_db()
    assert manager.role.pay_grade_max == Decimal("5000.00")
    org.save_role(role=manager.role, by=manager.user, title_en="Shop manager")  # the rest of the role stays theirs
    org.save_role(role=payroll_world["role"], by=manager.user, pay_grade_max=Decimal("60000.00"))
    with pytest.raises(OwnPayRefused):
        services.save_structure_version(
            structure=SalaryStructure.objects.get(role=manager.role),
            effective_from=datetime.date(2026, 2, 1),
            components=[ComponentSpec("base_pay", "Base pay", ComponentKind.EARNING, "base * 100")],
            user=manager.user,
        )
    with pytest.raises(OwnPayRefused):
        services.create_structure(code="me", name="Mine", employee=manager, user=manager.user)


def test_api_and_pages_refuse_the_attackers_steps(api_as, client_as, payroll_world, manager):
    client = api_as(manager)
    response = client.post(
        "/api/payroll/adjustments/",
        {"month": "2026-03", "employee": manager.pk, "kind": "bonus", "amount": "9999999.00", "reason": "me"},
        format="json",
    )
    assert response.status_code == 403, response.content
    assert OWN_PAY in response.json()["detail"]
    response = client.patch(f"/api/roles/{manager.role_id}/", {"pay_grade_max": "9999999.00"}, format="json")
    assert response.status_code == 403, response.content
    browser = client_as(manager)
    response = browser.post(
        reverse("payroll:inputs", kwargs={"month": "2026-03"}),
        {"form": "adjustment", "employee": manager.pk, "kind": "bonus", "amount": "9999999", "reason": "self bonus"},
    )
    assert response.status_code == 200
    assert OWN_PAY in response.content.decode()
    assert "self bonus" in response.content.decode()  # what was typed stays in the form
    response = browser.post(
        reverse("payroll:profile-edit", kwargs={"pk": manager.pk}),
        {
            "base_salary": "9999999.00",
            "contribution_base": "",
            "special_additional_deduction": "0",
            "insurance_policy": "",
        },
    )
    assert response.status_code == 200
    assert OWN_PAY in response.content.decode()
    assert not Adjustment.objects.exists()
    assert not PayProfile.objects.filter(employee=manager, base_salary=Decimal("9999999.00")).exists()


def test_the_excel_import_refuses_a_row_about_oneself(payroll_world, finance):
    book = load_workbook(io.BytesIO(imports.template()))
    for sheet in book.worksheets:
        sheet.delete_rows(2)  # the template's example rows
    book[imports.sheet_title(imports.ATTENDANCE)].append([finance.employee_number, 20, 0])
    upload = io.BytesIO()
    book.save(upload)
    upload.seek(0)
    upload.name = "inputs.xlsx"
    with pytest.raises(imports.ImportRejected) as refused:
        imports.import_inputs(upload=upload, month=MONTH, user=finance.user)
    assert OWN_PAY in str(refused.value)
    assert not Attendance.objects.exists()


def test_finance_cannot_approve_a_run_with_an_input_of_their_own_from_before_the_rule(payroll_world, finance, manager):
    services.save_pay_profile(employee=finance, user=manager.user, base_salary=Decimal("3000"))
    Attendance.objects.create(  # entered before the rule existed
        month=MONTH, employee=finance, working_days=22, days_worked=20, unpaid_leave_days=0, entered_by=finance.user
    )
    other = EmployeeFactory(role=finance.role, user=UserFactory(groups=["Finance"]))
    run = run_month()
    with pytest.raises(PayrollConflict, match="another manager or finance must approve"):
        services.approve_run(run=run, user=finance.user)
    assert services.approve_run(run=run, user=other.user).status == "approved"


def test_the_run_page_flags_base_salaries_outside_the_pay_grade(
    client_as, payroll_world, finance, manager, sales_employee
):
    """The pay grade is a range of monthly base salary (月基本工资): the base salary is checked against it, not the
    gross pay, which a profit share or a bonus may rightly lift above the grade."""
    services.save_pay_profile(employee=manager, user=finance.user, base_salary=Decimal("5000"))
    sales_employee(base="10000.00")  # gross pay 10,000 plus a profit share, within a 1,000 – 50,000 grade
    services.save_sales_figure(
        month=MONTH,
        department=payroll_world["department"],
        sales=Decimal("9000000"),
        gross_profit=Decimal("9000000"),
        user=finance.user,
    )
    run = run_month()
    role = payroll_world["role"]
    assert run.payslips.filter(role=role, gross_pay__gt=role.pay_grade_max).exists()  # high gross, base in grade
    browser = client_as(finance)
    page = browser.get(run.get_absolute_url()).content.decode()
    assert 'data-testid="outside-pay-grade"' not in page
    confirm = browser.get(reverse("payroll:run-approve", args=[run.label])).content.decode()
    assert 'data-testid="outside-pay-grade-count"' not in confirm
    Role.objects.filter(pk=manager.role_id).update(pay_grade_max=Decimal("4000.00"))  # the grade lowered since
    page = browser.get(run.get_absolute_url()).content.decode()
    assert page.count('data-testid="outside-pay-grade"') == 1
    assert "Base salary outside the pay grade: ¥5,000.00 (¥2,000.00 – ¥4,000.00)" in page
    confirm = browser.get(reverse("payroll:run-approve", args=[run.label])).content.decode()
    assert 'data-testid="outside-pay-grade-count"' in confirm, confirm
    assert "1 payslip has a base salary outside its role" in confirm
    Role.objects.filter(pk=manager.role_id).update(pay_grade_min=Decimal("6000.00"), pay_grade_max=Decimal("9000.00"))
    assert browser.get(run.get_absolute_url()).content.decode().count('data-testid="outside-pay-grade"') == 1  # below
