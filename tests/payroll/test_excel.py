"""The workbook finance hands on: reopened and its totals checked; and the import with row-level errors."""

import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

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
        "Summary",
        "Payslips",
        "Bank transfer",
        "Not transferred",
        "Employer cost",
        "Payslip strips",
        "Change from last month",
    ]
    slips = Payslip.objects.filter(run=run)
    net_total = sum(s.net_pay for s in slips)

    sheet = workbook["Payslips"]
    headers = [c.value for c in sheet[1]]
    net_column = headers.index("Net pay") + 1
    last = sheet.max_row
    assert sheet.cell(last, 1).value == "Total"
    letter = openpyxl.utils.get_column_letter(net_column)
    assert sheet.cell(last, net_column).value == f"=SUM({letter}2:{letter}{last - 1})"
    assert _sum_column(sheet, net_column, 2, last - 1) == net_total
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(len(headers))}{last - 1}"
    assert sheet.cell(2, net_column).number_format == "#,##0.00;-#,##0.00"
    assert "底薪 Base pay" not in headers and "Base pay" in headers  # one column per component

    # User text never becomes a formula: exactly the name, a string cell marked text with the quote prefix.
    names = [sheet.cell(row, 2).value for row in range(2, last)]
    assert '=HYPERLINK("http://x")' in names
    assert all(sheet.cell(row, 2).data_type == "s" and sheet.cell(row, 2).quotePrefix for row in range(2, last))

    bank = workbook["Bank transfer"]
    # No 合计 row: a bank's batch import reads every row as a payment (found by a tester).
    assert _sum_column(bank, 5, 2, bank.max_row) == net_total
    assert all(bank.cell(row, 5).data_type == "n" for row in range(2, bank.max_row + 1))
    assert bank.auto_filter.ref == f"A1:E{bank.max_row}"
    accounts = {bank.cell(row, 3).value for row in range(2, bank.max_row)}
    assert evil.bank_account in accounts  # the full number, as text

    summary = workbook["Summary"]
    assert _sum_column(summary, 8, 2, summary.max_row - 1) == net_total
    people = next(i for i, cell in enumerate(summary[1], start=1) if "People" in cell.value or "人数" in cell.value)
    assert summary.cell(2, people).number_format == "0"  # 1, not 1.0
    assert summary.cell(summary.max_row, people).number_format == "0"
    assert summary.cell(summary.max_row, 2).value.startswith("=SUM(B2:")

    cost = workbook["Employer cost"]
    assert _sum_column(cost, 10, 2, cost.max_row - 1) == sum(s.employer_cost for s in slips)

    strips = workbook["Payslip strips"]
    assert strips.cell(1, 1).value == "No."
    assert strips.cell(4, 1).value == "No."  # header, row, blank, header...
    assert strips.max_row == 3 * slips.count() - 1


ENGLISH_SHEETS = [
    "Summary",
    "Payslips",
    "Bank transfer",
    "Not transferred",
    "Employer cost",
    "Payslip strips",
    "Change from last month",
]
CHINESE_SHEETS = ["汇总", "工资表", "银行转账", "未转账", "单位成本", "工资条", "环比"]


def _headers(workbook) -> dict[str, list]:
    return {name: [cell.value for cell in workbook[name][1]] for name in workbook.sheetnames}


def test_the_workbook_is_in_the_language_it_is_written_in(sales_employee, tmp_path):
    sales_employee(base="8000.00")
    run = run_month()
    with translation.override("zh-hans"):
        chinese = openpyxl.load_workbook(export_run(run=run, path=str(tmp_path / "zh.xlsx")))
    with translation.override("en"):
        english = openpyxl.load_workbook(export_run(run=run, path=str(tmp_path / "en.xlsx")))
    assert chinese.sheetnames == CHINESE_SHEETS and english.sheetnames == ENGLISH_SHEETS
    zh, en = _headers(chinese), _headers(english)
    assert zh["汇总"] == ["部门", "人数", "应发合计", "扣款", "社保个人", "公积金个人", "个税", "实发", "单位总成本"]
    assert en["Summary"] == [
        "Department",
        "People",
        "Gross pay",
        "Deductions",
        "Social insurance",
        "Housing fund",
        "Income tax",
        "Net pay",
        "Total employer cost",
    ]
    assert zh["工资表"][:5] == ["工号", "姓名", "部门", "岗位", "出勤"] and zh["工资表"][-1] == "实发"
    assert en["Payslips"][:5] == ["No.", "Name", "Department", "Role", "Days"] and en["Payslips"][-1] == "Net pay"
    assert zh["银行转账"] == ["工号", "户名", "银行账号", "备注", "金额"]
    assert en["Bank transfer"] == ["No.", "Account name", "Bank account", "Remark", "Amount"]
    assert zh["单位成本"] == [
        "工号",
        "姓名",
        "部门",
        "应发",
        "扣款",
        "社保单位",
        "公积金单位",
        "其他单位成本",
        "福利",
        "单位总成本",
    ]
    assert en["Employer cost"][3:] == [
        "Gross",
        "Deductions",
        "Employer social insurance",
        "Employer housing fund",
        "Other employer cost",
        "Benefits",
        "Total cost",
    ]
    assert zh["工资条"] == zh["工资表"] and en["Payslip strips"] == en["Payslips"]
    assert (chinese["银行转账"].cell(2, 4).value, english["Bank transfer"].cell(2, 4).value) == (
        "工资 2026-03",
        "Pay 2026-03",
    )
    payslips = english["Payslips"]
    assert payslips.cell(payslips.max_row, 1).value == "Total"
    assert english["Summary"].cell(english["Summary"].max_row, 1).value == "Total 2026-03"
    # No header of ours is left with both languages in it (the workbook used to say "工号 No."); the component
    # columns are named as the structure names them (this test's structure: in English).
    components = len(zh["工资表"]) - 11
    for headers, letters in ((zh, "[A-Za-z]{2}"), (en, "[\u4e00-\u9fff]")):
        for sheet, row in headers.items():
            ours = (
                row[:5] + row[5 + components :] if sheet in ("工资表", "工资条", "Payslips", "Payslip strips") else row
            )
            assert not any(re.search(letters, str(value)) for value in ours), (sheet, ours)


@pytest.mark.parametrize(("language", "sheets"), [("en", ENGLISH_SHEETS), ("zh-hans", CHINESE_SHEETS)])
def test_the_worker_writes_the_workbook_in_the_language_of_who_asked(
    language, sheets, sales_employee, finance, settings, django_capture_on_commit_callbacks
):
    settings.PAYROLL_EXPORT_INLINE_MAX = 0  # the worker's job, which runs with no request and no language of its own
    sales_employee(base="8000.00")
    run = run_month()
    with django_capture_on_commit_callbacks(execute=False) as callbacks, translation.override(language):
        job = services.request_export(run=run, user=finance.user)
    assert job.status == "queued" and len(callbacks) == 1
    with translation.override("zh-hans" if language == "en" else "en"):  # the worker's own language differs
        callbacks[0]()
    job.refresh_from_db()
    with job.file.open("rb") as handle:
        assert openpyxl.load_workbook(handle).sheetnames == sheets


def test_safe_text_is_exactly_the_text_the_file_can_carry():
    for dangerous in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert safe_text(dangerous) == dangerous  # the cell's quote prefix, not an apostrophe, keeps it text
    assert safe_text("陈志远") == "陈志远"


def test_export_download_is_finance_only(client_as, finance, manager, sales_employee):
    sales_employee()
    run_month()
    url = reverse("payroll:run-export", args=["2026-03"])
    response = client_as(finance).post(url)  # a small run: written at once and downloaded
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="payroll-2026-03.xlsx"'
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert "Bank transfer" in workbook.sheetnames
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


def test_template_has_the_three_sheets_named_in_the_language_of_the_page():
    workbook = openpyxl.load_workbook(io.BytesIO(imports.template()))
    assert workbook.sheetnames == ["Bonuses", "Attendance", "Sales"]
    assert [c.value for c in workbook["Bonuses"][1]] == ["employee_number", "kind", "amount", "reason"]
    with translation.override("zh-hans"):
        chinese = openpyxl.load_workbook(io.BytesIO(imports.template()))
    assert chinese.sheetnames == ["奖惩", "考勤", "销售"]
    assert [c.value for c in chinese["考勤"][1]] == ["employee_number", "days_worked", "unpaid_leave_days"]


@pytest.mark.parametrize("names", [("奖惩", "考勤"), ("Bonuses", "Attendance"), (ADJUSTMENTS, ATTENDANCE)])
def test_a_file_is_read_whatever_language_its_sheets_are_named_in(names, sales_employee, manager, payroll_world):
    """A template downloaded from a Chinese page and uploaded from an English one (or an older, two-language file)."""
    employee = sales_employee()
    manager.user.groups.add(*finance_groups())
    upload = _upload(
        {
            names[0]: [["employee_number", "kind", "amount", "reason"], [employee.employee_number, "bonus", 300, "好"]],
            names[1]: [["employee_number", "days_worked", "unpaid_leave_days"], [employee.employee_number, 20, 1]],
        }
    )
    with translation.override("zh-hans"):
        counts = import_inputs(upload=upload, month=MONTH, user=manager.user)
    assert counts == {ADJUSTMENTS: 1, ATTENDANCE: 1, SALES: 0}
    assert Adjustment.objects.get().amount == Decimal("300.00") and Attendance.objects.get().days_worked == 20


def test_a_file_with_one_sheet_under_two_names_is_refused(sales_employee, manager, payroll_world):
    employee = sales_employee()
    header = ["employee_number", "days_worked", "unpaid_leave_days"]
    upload = _upload({"考勤": [header, [employee.employee_number, 20, 0]], "Attendance": [header]})
    with pytest.raises(PayrollError, match="sheet Attendance twice"):
        import_inputs(upload=upload, month=MONTH, user=manager.user)
    assert not Attendance.objects.exists()


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


def _full_width(text: str) -> str:
    """As a Chinese keyboard types it: Ｅ０００１ for E0001."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def test_full_width_employee_numbers_and_department_codes_are_read_as_typed_plainly(
    sales_employee, manager, payroll_world
):
    employee = sales_employee()
    manager.user.groups.add(*finance_groups())
    upload = _upload(
        {
            ADJUSTMENTS: [
                ["employee_number", "kind", "amount", "reason"],
                [_full_width(employee.employee_number), "bonus", 300, "好"],
            ],
            ATTENDANCE: [
                ["employee_number", "days_worked", "unpaid_leave_days"],
                [f" {_full_width(employee.employee_number)} ", 20, 0],
            ],
            SALES: [["department_code", "sales", "gross_profit"], [_full_width("marketing"), 900000, 300000]],
        }
    )
    counts = import_inputs(upload=upload, month=MONTH, user=manager.user)
    assert counts == {ADJUSTMENTS: 1, ATTENDANCE: 1, SALES: 1}
    assert Adjustment.objects.get().employee == employee and Attendance.objects.get().employee == employee


def test_an_amount_over_the_limit_names_the_limit_that_applies(sales_employee, manager):
    employee = sales_employee()
    manager.user.groups.add(*finance_groups())
    upload = _upload(
        {
            ADJUSTMENTS: [
                ["employee_number", "kind", "amount", "reason"],
                [employee.employee_number, "bonus", "10000000.01", "too much"],
            ],
            SALES: [["department_code", "sales", "gross_profit"], ["marketing", "1000000000.01", 1]],
        }
    )
    with pytest.raises(ImportRejected) as error:
        import_inputs(upload=upload, month=MONTH, user=manager.user)
    messages = {e.column: e.message for e in error.value.errors}
    assert messages["amount"] == "'10000000.01' is out of range (at most 10,000,000.00)"
    assert messages["sales"] == "'1000000000.01' is out of range (at most 1,000,000,000.00)"
