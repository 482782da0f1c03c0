"""The workbook finance hands on: reopened and its totals checked; and the import with row-level errors."""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from payroll import imports, services
from payroll.exceptions import PayrollError
from payroll.exports import export_run
from payroll.imports import ADJUSTMENTS, ATTENDANCE, SALES, ImportRejected, import_inputs
from payroll.models import Adjustment, Attendance, Payslip, SalesFigure
from shop_ops.excel import excel_text as safe_text

from .conftest import MONTH, run_month

pytestmark = pytest.mark.django_db


def _sum_column(ws, column: int, first: int, last: int) -> Decimal:
    return sum(Decimal(str(ws.cell(row, column).value or 0)) for row in range(first, last + 1))


def test_exported_workbook_reopens_with_matching_totals(sales_employee, payroll_world, finance, tmp_path):
    evil = sales_employee(base="8000.00", full_name='=HYPERLINK("http://x")')
    sales_employee(base="12000.00")
    services.save_sales_figure(
        month=MONTH,
        department=payroll_world["department"],
        sales=Decimal("500000"),
        gross_profit=Decimal("100000"),
        user=None,
    )
    run = run_month()
    path = export_run(run=run, path=str(tmp_path / "run.xlsx"))
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == [
        "汇总 Summary",
        "工资表 Payslips",
        "银行转账 Bank transfer",
        "单位成本 Employer cost",
        "工资条 Payslip strips",
    ]
    slips = Payslip.objects.filter(run=run)
    net_total = sum(s.net_pay for s in slips)

    sheet = workbook["工资表 Payslips"]
    headers = [c.value for c in sheet[1]]
    net_column = headers.index("实发 Net pay") + 1
    last = sheet.max_row
    assert sheet.cell(last, 1).value == "合计 Total"
    letter = openpyxl.utils.get_column_letter(net_column)
    assert sheet.cell(last, net_column).value == f"=SUM({letter}2:{letter}{last - 1})"
    assert _sum_column(sheet, net_column, 2, last - 1) == net_total
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(len(headers))}{last - 1}"
    assert sheet.cell(2, net_column).number_format == "#,##0.00;-#,##0.00"
    assert "底薪 Base pay" not in headers and "Base pay" in headers  # one column per component

    # User text never becomes a formula.
    names = [sheet.cell(row, 2).value for row in range(2, last)]
    assert '\'=HYPERLINK("http://x")' in names
    assert all(sheet.cell(row, 2).data_type == "s" for row in range(2, last))

    bank = workbook["银行转账 Bank transfer"]
    assert _sum_column(bank, 5, 2, bank.max_row - 1) == net_total
    accounts = {bank.cell(row, 3).value for row in range(2, bank.max_row)}
    assert evil.bank_account in accounts  # the full number, as text

    summary = workbook["汇总 Summary"]
    assert _sum_column(summary, 8, 2, summary.max_row - 1) == net_total
    people = next(i for i, cell in enumerate(summary[1], start=1) if "People" in cell.value or "人数" in cell.value)
    assert summary.cell(2, people).number_format == "0"  # 1, not 1.0
    assert summary.cell(summary.max_row, people).number_format == "0"
    assert summary.cell(summary.max_row, 2).value.startswith("=SUM(B2:")

    cost = workbook["单位成本 Employer cost"]
    assert _sum_column(cost, 10, 2, cost.max_row - 1) == sum(s.employer_cost for s in slips)

    strips = workbook["工资条 Payslip strips"]
    assert strips.cell(1, 1).value == "工号 No."
    assert strips.cell(4, 1).value == "工号 No."  # header, row, blank, header...
    assert strips.max_row == 3 * slips.count() - 1


def test_safe_text():
    for dangerous in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert safe_text(dangerous).startswith("'")
    assert safe_text("陈志远") == "陈志远"


def test_export_download_is_finance_only(client_as, finance, manager, sales_employee):
    sales_employee()
    run_month()
    url = reverse("payroll:run-export", args=["2026-03"])
    response = client_as(finance).post(url)  # a small run: written at once and downloaded
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="payroll-2026-03.xlsx"'
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert "银行转账 Bank transfer" in workbook.sheetnames
    refused = client_as(manager).post(url)
    assert refused.status_code == 302 and refused.url == reverse("home")
    assert client_as(finance).get(url).status_code == 405  # asking for a file writes a job row: POST only


def _upload(sheets: dict[str, list[list]], name="inputs.xlsx") -> SimpleUploadedFile:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def test_template_has_the_three_sheets():
    workbook = openpyxl.load_workbook(io.BytesIO(imports.template()))
    assert workbook.sheetnames == [ADJUSTMENTS, ATTENDANCE, SALES]
    assert [c.value for c in workbook[ADJUSTMENTS][1]] == ["employee_number", "kind", "amount", "reason"]


def test_a_good_import_saves_everything(sales_employee, manager, payroll_world):
    first, second = sales_employee(), sales_employee()
    manager.user.groups.add(*finance_groups())
    upload = _upload(
        {
            ADJUSTMENTS: [
                ["employee_number", "kind", "amount", "reason"],
                [first.employee_number, "bonus", 800, "best conversion"],
                [second.employee_number, "penalty", "50.5", "late"],
            ],
            ATTENDANCE: [["employee_number", "days_worked", "unpaid_leave_days"], [first.employee_number, 20, 2]],
            SALES: [["department_code", "sales", "gross_profit"], ["marketing", 900000, 300000]],
        }
    )
    counts = import_inputs(upload=upload, month=MONTH, user=manager.user)
    assert counts == {ADJUSTMENTS: 2, ATTENDANCE: 1, SALES: 1}
    assert Adjustment.objects.get(employee=second).amount == Decimal("50.50")
    assert Attendance.objects.get(employee=first).days_worked == 20
    assert SalesFigure.objects.get().gross_profit == Decimal("300000.00")


def finance_groups():
    from django.contrib.auth.models import Group

    return list(Group.objects.filter(name="Finance"))


def test_a_bad_import_reports_rows_and_saves_nothing(sales_employee, manager):
    employee = sales_employee()
    upload = _upload(
        {
            ADJUSTMENTS: [
                ["employee_number", "kind", "amount", "reason"],
                [employee.employee_number, "bonus", 800, "fine row"],
                ["NOPE", "bonus", "abc", ""],
                [employee.employee_number, "gift", -5, "x"],
            ],
            ATTENDANCE: [
                ["employee_number", "days_worked", "unpaid_leave_days"],
                [employee.employee_number, 20, 0],
                [employee.employee_number, 21, 0],
            ],
        }
    )
    with pytest.raises(ImportRejected) as error:
        import_inputs(upload=upload, month=MONTH, user=manager.user)
    problems = {(e.sheet, e.row, e.column) for e in error.value.errors}
    assert (ADJUSTMENTS, 3, "employee_number") in problems
    assert (ADJUSTMENTS, 3, "amount") in problems
    assert (ADJUSTMENTS, 3, "reason") in problems
    assert (ADJUSTMENTS, 4, "kind") in problems
    assert (ATTENDANCE, 3, "employee_number") in problems  # duplicate employee
    assert not Adjustment.objects.exists() and not Attendance.objects.exists()


def test_a_service_refusal_on_a_late_row_rolls_back_the_earlier_rows(sales_employee, manager):
    employee = sales_employee()
    upload = _upload(
        {
            ADJUSTMENTS: [
                ["employee_number", "kind", "amount", "reason"],
                [employee.employee_number, "bonus", 800, "fine"],
                [employee.employee_number, "bonus", -800, "negative"],
            ]
        }
    )
    with pytest.raises(ImportRejected) as error:
        import_inputs(upload=upload, month=MONTH, user=manager.user)
    assert error.value.errors[0].row == 3
    assert not Adjustment.objects.exists()


def test_wrong_columns_wrong_type_and_oversize_files_are_refused(manager, sales_employee):
    with pytest.raises(ImportRejected, match="columns must be"):
        import_inputs(upload=_upload({ADJUSTMENTS: [["who", "what"], ["a", "b"]]}), month=MONTH, user=manager.user)
    with pytest.raises(PayrollError, match="not an Excel workbook"):
        import_inputs(upload=SimpleUploadedFile("x.xlsx", b"name,amount\n"), month=MONTH, user=manager.user)
    big = SimpleUploadedFile("big.xlsx", b"0" * (imports.MAX_FILE_BYTES + 1))
    with pytest.raises(PayrollError, match="too large"):
        import_inputs(upload=big, month=MONTH, user=manager.user)
    with pytest.raises(PayrollError, match="none of the template"):
        import_inputs(upload=_upload({"Sheet": [["a"]]}), month=MONTH, user=manager.user)


def test_import_through_the_page_lists_the_problems(client_as, manager, sales_employee):
    sales_employee()
    upload = _upload({ADJUSTMENTS: [["employee_number", "kind", "amount", "reason"], ["NOPE", "bonus", 1, "x"]]})
    response = client_as(manager).post(reverse("payroll:inputs", args=["2026-03"]), {"form": "import", "file": upload})
    page = response.content.decode()
    assert "Nothing was imported" in page
    assert "row 2, column employee_number: no current employee with number &#x27;NOPE&#x27;" in page
