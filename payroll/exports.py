"""The run's workbook for finance, written with openpyxl in write-only mode (memory stays flat for big runs).

Sheets: 汇总 summary by department, 工资表 one row per employee and one column per component, 银行转账 bank
transfer (full account numbers: only finance may download), 单位成本 employer cost, 工资条 a header row above each
employee's row for printing and cutting. Totals are live SUM formulas; headers are frozen; money uses '#,##0.00'.
Text that comes from users is always written as a string and, when it starts with = + - @ or a tab/CR, with a
leading apostrophe, so Excel never runs it as a formula.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

from django.db.models import Min
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from .choices import SystemLine
from .models import PayrollRun, Payslip, PayslipLine
from .selectors import run_totals

MONEY_FORMAT = "#,##0.00"
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
TOTAL_FONT = Font(bold=True)


def safe_text(value) -> str:
    """User text for a cell: never a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


class _Sheet:
    """A write-only sheet: text is neutralised (never a formula), money gets its number format.

    Styles are built once on template cells and shared by copying their style array: setting fonts and formats
    cell by cell costs more than writing the cell.
    """

    def __init__(
        self,
        workbook: Workbook,
        title: str,
        headers: list[str],
        money_from: int,
        widths: list[int],
        *,
        counts: frozenset[int] = frozenset(),
        frozen_header: bool = True,
    ):
        self.ws = workbook.create_sheet(title)
        self.headers = headers
        self.money_from = money_from  # 0-based index of the first numeric column
        self.counts = counts  # numeric columns that are counts (days, people), not money
        self.styles = {
            "money": self._style(number_format=MONEY_FORMAT),
            "count": self._style(number_format="0.0"),
            "header": self._style(font=HEADER_FONT, fill=HEADER_FILL),
            "total_text": self._style(font=TOTAL_FONT),
            "total_money": self._style(font=TOTAL_FONT, number_format=MONEY_FORMAT),
            "total_count": self._style(font=TOTAL_FONT, number_format="0.0"),
        }
        for index, width in enumerate(widths, start=1):
            self.ws.column_dimensions[get_column_letter(index)].width = width
        self.rows = 0
        if frozen_header:
            self.ws.freeze_panes = "A2"
            self.header()

    def _style(self, font=None, fill=None, number_format=None):
        template = WriteOnlyCell(self.ws)
        if font:
            template.font = font
        if fill:
            template.fill = fill
        if number_format:
            template.number_format = number_format
        return template._style

    def _cell(self, value, style: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(self.ws, value=value)
        cell._style = self.styles[style]
        return cell

    def header(self) -> None:
        self.ws.append([self._cell(safe_text(h), "header") for h in self.headers])
        self.rows += 1

    def append(self, values: list) -> None:
        start, counts = self.money_from, self.counts
        self.ws.append(
            [
                safe_text(value)
                if index < start or value is None
                else self._cell(value, "count" if index in counts else "money")
                for index, value in enumerate(values)
            ]
        )
        self.rows += 1

    def totals(self, label: str, first_row: int = 2) -> None:
        """A last row of live SUM formulas over every numeric column, and the filter over the data."""
        last = self.rows
        cells = [self._cell(safe_text(label), "total_text")] + [None] * (self.money_from - 1)
        for index in range(self.money_from, len(self.headers)):
            letter = get_column_letter(index + 1)
            style = "total_count" if index in self.counts else "total_money"
            cells.append(self._cell(f"=SUM({letter}{first_row}:{letter}{last})", style))
        self.ws.auto_filter.ref = f"A1:{get_column_letter(len(self.headers))}{max(last, 1)}"
        self.ws.append(cells)
        self.rows += 1


def _component_columns(run: PayrollRun) -> list[tuple[str, str]]:
    """(code, name) of every component line in the run, in payslip order."""
    system = [code for code in SystemLine.values if code != SystemLine.CORRECTION]
    rows = (
        PayslipLine.objects.filter(payslip__run=run)
        .exclude(code__in=system, is_system=True)
        .values("code", "name")
        .annotate(first=Min("order"))
        .order_by("first", "code")
    )
    seen, columns = set(), []
    for row in rows:
        if row["code"] not in seen:
            seen.add(row["code"])
            columns.append((row["code"], row["name"]))
    return columns


def _payslips_with_amounts(run: PayrollRun, chunk: int = 2000) -> Iterator[tuple[Payslip, dict[str, object]]]:
    """Payslips in order with {code: amount} of their lines; two streamed queries, memory bounded by `chunk`."""
    slips = (
        Payslip.objects.filter(run=run)
        .select_related("employee", "department", "role")
        .order_by("pk")
        .iterator(chunk_size=chunk)
    )
    lines = (
        PayslipLine.objects.filter(payslip__run=run)
        .order_by("payslip_id", "order")
        .values_list("payslip_id", "code", "amount")
        .iterator(chunk_size=chunk * 10)
    )
    pending = next(lines, None)
    for slip in slips:
        amounts = {}
        while pending is not None and pending[0] <= slip.pk:
            if pending[0] == slip.pk:
                amounts[pending[1]] = pending[2]
            pending = next(lines, None)
        yield slip, amounts


TOTAL_COLUMNS = [
    ("gross_pay", "应发合计 Gross"),
    ("deductions", "扣款 Deductions"),
    ("social_insurance", "社保个人 Social ins."),
    ("housing_fund", "公积金个人 Housing fund"),
    ("income_tax", "个税 Income tax"),
    ("net_pay", "实发 Net pay"),
]
COST_COLUMNS = [
    ("gross_pay", "应发 Gross"),
    ("deductions", "扣款 Deductions"),
    ("employer_social_insurance", "社保单位 Social ins."),
    ("employer_housing_fund", "公积金单位 Housing fund"),
    ("employer_other", "其他单位成本 Other"),
    ("benefits", "福利 Benefits"),
    ("employer_cost", "单位总成本 Total cost"),
]


def export_run(*, run: PayrollRun, path: str | None = None) -> str:
    """Write the run's workbook to `path` (a new temporary file by default) and return the path."""
    if path is None:
        handle, path = tempfile.mkstemp(prefix=f"payroll-{run.label}-", suffix=".xlsx")
        os.close(handle)
    workbook = Workbook(write_only=True)

    departments, _grand = run_totals(run=run)
    summary_columns = [(name, label) for name, label in TOTAL_COLUMNS] + [("employer_cost", "单位总成本 Employer cost")]
    summary = _Sheet(
        workbook,
        "汇总 Summary",
        ["部门 Department", "人数 People", *[label for _, label in summary_columns]],
        money_from=1,
        widths=[28, 10] + [16] * len(summary_columns),
        counts=frozenset({1}),
    )
    for department in departments:
        summary.append(
            [department.department, department.people, *[department.totals[name] for name, _ in summary_columns]]
        )
    summary.totals(f"合计 Total {run.label}")

    components = _component_columns(run)
    fixed = ["工号 No.", "姓名 Name", "部门 Department", "岗位 Role", "出勤 Days"]
    payslip_headers = fixed + [name for _, name in components] + [label for _, label in TOTAL_COLUMNS]
    payslips = _Sheet(
        workbook,
        "工资表 Payslips",
        payslip_headers,
        money_from=len(fixed) - 1,
        widths=[10, 12, 16, 18, 8] + [14] * (len(components) + len(TOTAL_COLUMNS)),
        counts=frozenset({len(fixed) - 1}),
    )
    bank = _Sheet(
        workbook,
        "银行转账 Bank transfer",
        ["工号 No.", "户名 Account name", "银行账号 Bank account", "备注 Remark", "金额 Amount"],
        money_from=4,
        widths=[10, 14, 24, 24, 16],
    )
    cost = _Sheet(
        workbook,
        "单位成本 Employer cost",
        ["工号 No.", "姓名 Name", "部门 Department", *[label for _, label in COST_COLUMNS]],
        money_from=3,
        widths=[10, 12, 16] + [16] * len(COST_COLUMNS),
    )
    # 工资条: the header repeats above every employee's row, with a blank row between, for printing and cutting.
    strips = _Sheet(
        workbook,
        "工资条 Payslip strips",
        payslip_headers,
        money_from=len(fixed) - 1,
        widths=[10, 12, 16, 18, 8] + [14] * (len(components) + len(TOTAL_COLUMNS)),
        counts=frozenset({len(fixed) - 1}),
        frozen_header=False,
    )

    for slip, amounts in _payslips_with_amounts(run):
        employee = slip.employee
        values = [
            employee.employee_number,
            employee.full_name,
            slip.department.name_zh,
            slip.role.title_zh,
            slip.days_worked,
            *[amounts.get(code) for code, _ in components],
            *[getattr(slip, name) for name, _ in TOTAL_COLUMNS],
        ]
        payslips.append(values)
        strips.header()
        strips.append(values)
        strips.ws.append([])
        bank.append(
            [employee.employee_number, employee.full_name, employee.bank_account, f"工资 {run.label}", slip.net_pay]
        )
        cost.append(
            [
                employee.employee_number,
                employee.full_name,
                slip.department.name_zh,
                *[getattr(slip, name) for name, _ in COST_COLUMNS],
            ]
        )
    payslips.totals("合计 Total")
    bank.totals("合计 Total")
    cost.totals("合计 Total")
    workbook.save(path)
    return path
