"""The run's workbook for finance.

Sheets: 汇总 summary by department, 工资表 one row per employee and one column per component,
银行转账 bank transfer (full account numbers: only finance may download; only people with something
to pay and an account), 未转账 the people left off the transfer and why (no bank account, nothing
to pay), 单位成本 employer cost, 工资条 a header row above each employee's row for printing and
cutting, 环比 the change from last month (flagged changes first, then the other changes, who joined and who
left). Totals are live SUM formulas; headers are frozen; money uses '#,##0.00'; the tables have
filters. Sheet names, headers and names kept in two languages are in the active language (the export
job activates the language of the person who asked for it).

How it is written: openpyxl's per-cell objects cost ~20 µs a cell and 100 000 payslips make ~8 million cells, so
openpyxl builds only the package (styles, sheets, column widths, frozen header, filters) and every row is rendered
here as SpreadsheetML text with the style ids openpyxl assigned. The rows stream from the database (two cursors) into
one temporary file per sheet, which is then spliced into openpyxl's saved package and compressed, member by member:
memory stays bounded whatever the size of the run. Text is an inline string, XML-escaped, without the characters XML
cannot carry, otherwise exactly as entered, in a cell whose style has the quote prefix (shop_ops.excel), so a name
starting with = + - @ is never run as a formula, even after an edit; amounts are the exact text of their Decimal.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from decimal import Decimal
from io import BytesIO, TextIOWrapper
from xml.sax.saxutils import escape

from django.db.models import Min
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from shop_ops.excel import excel_text
from shop_ops.i18n import in_language_text, pick_language
from shop_ops.numbers import EXCEL_MONEY_FORMAT

from .choices import SystemLine
from .models import PayrollRun, Payslip, PayslipLine
from .selectors import run_totals, run_variance

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY_FORMAT = EXCEL_MONEY_FORMAT  # the pages' money format (shop_ops.numbers), in Excel
COUNT_FORMAT = "0.0"  # days (half days happen)
WHOLE_FORMAT = "0"  # people
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
TOTAL_FONT = Font(bold=True)
PROGRESS_EVERY = 1000  # payslips between two progress reports
ROW = "\x00"  # stands for the row number in a prepared row; never in a cell's text (excel_text removes it)


def _text_cell(reference: str, style: int | None, value) -> str:
    style_attr = f' s="{style}"' if style else ""
    text = escape(excel_text(value))
    return f'<c r="{reference}"{style_attr} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def xml_number(value) -> str:
    """A number cell's content: the exact text of a Decimal (never an exponent), empty for no value."""
    kind = type(value)
    if kind is Decimal:
        text = str(value)
        if "E" in text or "N" in text or "n" in text:  # an exponent, NaN or Infinity
            if not value.is_finite():
                raise ValueError(f"not a finite amount: {value!r}")
            text = format(value, "f")
    elif kind is int:
        text = str(value)
    elif value is None:
        return ""
    else:
        raise TypeError(f"not a number for a number cell: {value!r}")
    return f"<v>{text}</v>"


def xml_text(value) -> str:
    """A text cell's content, escaped (its cell's style carries the quote prefix)."""
    return escape(excel_text(value))


@dataclass(frozen=True)
class Column:
    header: str  # a lazy translation is put into words when the header row is written
    width: int
    kind: str = "text"  # text, money, count (days, one decimal) or whole (people)


class _StyleIds:
    """The cellXfs ids openpyxl gives the workbook's few styles; rows refer to them by number."""

    def __init__(self, sheet):
        def style(font=None, fill=None, number_format=None, quote_prefix=False) -> int:
            cell = Cell(sheet)  # never placed on the sheet: only its style is registered with the workbook
            if font:
                cell.font = font
            if fill:
                cell.fill = fill
            if number_format:
                cell.number_format = number_format
            if quote_prefix:  # text stays text (names and components may start with = + - @)
                cell.quotePrefix = True
            return cell.style_id

        self.header = style(font=HEADER_FONT, fill=HEADER_FILL, quote_prefix=True)
        self.cell = {
            "text": style(quote_prefix=True),
            "money": style(number_format=MONEY_FORMAT),
            "count": style(number_format=COUNT_FORMAT),
            "whole": style(number_format=WHOLE_FORMAT),
        }
        self.total = {
            "text": style(font=TOTAL_FONT, quote_prefix=True),
            "money": style(font=TOTAL_FONT, number_format=MONEY_FORMAT),
            "count": style(font=TOTAL_FONT, number_format=COUNT_FORMAT),
            "whole": style(font=TOTAL_FONT, number_format=WHOLE_FORMAT),
        }


class _StreamedSheet:
    """One sheet: openpyxl keeps its widths, frozen header and filter; its rows are written as XML text to a
    temporary file, from a template per sheet in which only the row number and the values change."""

    def __init__(self, workbook: Workbook, styles: _StyleIds, files: ExitStack, title: str, columns: list[Column]):
        self.ws = workbook.create_sheet(title)
        self.columns = columns
        self.styles = styles
        self.letters = [get_column_letter(index) for index in range(1, len(columns) + 1)]
        for letter, column in zip(self.letters, columns, strict=True):
            self.ws.column_dimensions[letter].width = column.width
        self.kinds = [column.kind for column in columns]
        cells = []
        for position, (letter, kind) in enumerate(zip(self.letters, self.kinds, strict=True), start=1):
            if kind == "text":
                text = f'<is><t xml:space="preserve">{{{position}}}</t></is>'
                cells.append(f'<c r="{letter}{{0}}" s="{styles.cell["text"]}" t="inlineStr">{text}</c>')
            else:
                cells.append(f'<c r="{letter}{{0}}" s="{styles.cell[kind]}">{{{position}}}</c>')
        self.template = '<row r="{0}">' + "".join(cells) + "</row>"
        self.header_xml = self._row_xml(ROW, [str(column.header) for column in columns], styles.header)
        self.rows = 0
        self.autofilter = ""
        # Removed when the export's ExitStack closes, written or not; the text layer only encodes into it.
        self.raw = files.enter_context(tempfile.TemporaryFile())  # noqa: SIM115
        self.file = TextIOWrapper(self.raw, encoding="utf-8", newline="")

    def _row_xml(self, row: str, texts: list, style: int) -> str:
        cells = "".join(
            _text_cell(f"{letter}{row}", style, text) for letter, text in zip(self.letters, texts, strict=True)
        )
        return f'<row r="{row}">{cells}</row>'

    def render(self, values: list) -> list[str]:
        """The values as cell contents, by column kind (escaped text or exact numbers)."""
        return [xml_text(v) if kind == "text" else xml_number(v) for v, kind in zip(values, self.kinds, strict=True)]

    def header(self) -> None:
        self.rows += 1
        self.file.write(self.header_xml.replace(ROW, str(self.rows)))

    def write(self, rendered: list[str]) -> None:
        self.rows += 1
        self.file.write(self.template.format(self.rows, *rendered))

    def skip(self) -> None:
        """A blank row (the cutting gap of 工资条)."""
        self.rows += 1

    def totals(self, label: str, first_row: int = 2) -> None:
        """A last row of live SUM formulas over every number column, and the filter over the data."""
        last, row = self.rows, self.rows + 1
        cells = [_text_cell(f"A{row}", self.styles.total["text"], label)]
        for letter, kind in zip(self.letters, self.kinds, strict=True):
            if kind != "text":
                style = self.styles.total[kind]
                cells.append(f'<c r="{letter}{row}" s="{style}"><f>SUM({letter}{first_row}:{letter}{last})</f></c>')
        self.file.write(f'<row r="{row}">{"".join(cells)}</row>')
        self.rows = row
        self.autofilter = f"A1:{self.letters[-1]}{max(last, 1)}"

    def note(self, text: str) -> None:
        """A row of one text cell (a sheet with nothing to list says why)."""
        self.rows += 1
        self.file.write(f'<row r="{self.rows}">{_text_cell(f"A{self.rows}", self.styles.cell["text"], text)}</row>')

    def filter_rows(self) -> None:
        """The filter over the header and the rows (a sheet without a totals row)."""
        self.autofilter = f"A1:{self.letters[-1]}{max(self.rows, 1)}"

    def filter_only(self) -> None:
        """The filter over the data, and no totals row: for a sheet a bank's import reads, where every row is a
        payment (a 合计 row would be one too)."""
        self.autofilter = f"A1:{self.letters[-1]}{max(self.rows, 1)}"

    def finish(self) -> None:
        self.file.flush()
        if self.autofilter:
            self.ws.auto_filter.ref = self.autofilter

    def splice_into(self, sheet_xml: str) -> tuple[str, str]:
        """openpyxl's XML of the (row-less) sheet → the text before and after the rows, with the true dimension."""
        dimension = f"A1:{self.letters[-1]}{max(self.rows, 1)}"
        sheet_xml, found = re.subn(
            r'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{dimension}"/>', sheet_xml, count=1
        )
        parts = re.split(r"<sheetData\s*/>|<sheetData>\s*</sheetData>", sheet_xml, maxsplit=1)
        if found != 1 or len(parts) != 2:
            raise RuntimeError(f"unexpected worksheet XML from openpyxl for {self.ws.title!r}")
        return parts[0] + "<sheetData>", "</sheetData>" + parts[1]


def _component_columns(run: PayrollRun) -> list[tuple[str, str]]:
    """(code, name) of every component line in the run, in payslip order."""
    rows = _component_lines(run).values("code", "name").annotate(first=Min("order")).order_by("first", "code")
    seen, columns = set(), []
    for row in rows:
        if row["code"] not in seen:
            seen.add(row["code"])
            columns.append((row["code"], row["name"]))
    return columns


def _component_lines(run: PayrollRun):
    """The run's lines that have a column of their own: components and corrections (not tax and insurance, which
    are payslip totals)."""
    system = [code for code in SystemLine.values if code != SystemLine.CORRECTION]
    return PayslipLine.objects.filter(payslip__run=run).exclude(code__in=system, is_system=True)


# The workbook's words carry the context "payroll workbook": a header such as "Name" (姓名) or "Summary" (汇总)
# means something else on a page.
WORKBOOK = "payroll workbook"
TOTAL_COLUMNS = [
    ("gross_pay", pgettext_lazy(WORKBOOK, "Gross pay")),
    ("deductions", pgettext_lazy(WORKBOOK, "Deductions")),
    ("social_insurance", pgettext_lazy(WORKBOOK, "Social insurance")),
    ("housing_fund", pgettext_lazy(WORKBOOK, "Housing fund")),
    ("income_tax", pgettext_lazy(WORKBOOK, "Income tax")),
    ("net_pay", pgettext_lazy(WORKBOOK, "Net pay")),
]
COST_COLUMNS = [
    ("gross_pay", pgettext_lazy(WORKBOOK, "Gross")),
    ("deductions", pgettext_lazy(WORKBOOK, "Deductions")),
    ("employer_social_insurance", pgettext_lazy(WORKBOOK, "Employer social insurance")),
    ("employer_housing_fund", pgettext_lazy(WORKBOOK, "Employer housing fund")),
    ("employer_other", pgettext_lazy(WORKBOOK, "Other employer cost")),
    ("benefits", pgettext_lazy(WORKBOOK, "Benefits")),
    ("employer_cost", pgettext_lazy(WORKBOOK, "Total cost")),
]
NUMBER = pgettext_lazy(WORKBOOK, "No.")
NAME = pgettext_lazy(WORKBOOK, "Name")
DEPARTMENT = pgettext_lazy(WORKBOOK, "Department")
TOTAL = pgettext_lazy(WORKBOOK, "Total")
SLIP_FIELDS = (
    "pk",
    "employee__employee_number",
    "employee__full_name",
    "employee__bank_account",
    "bank_account",
    "account_name",
    "department__name_zh",
    "department__name_en",
    "role__title_zh",
    "role__title_en",
    "days_worked",
    *dict.fromkeys(name for name, _label in TOTAL_COLUMNS + COST_COLUMNS),
)


def _payslips_with_amounts(run: PayrollRun, chunk: int = 2000) -> Iterator[tuple[dict, dict[str, Decimal]]]:
    """Payslips in order (as dicts of SLIP_FIELDS) with {code: amount} of their component lines; two streamed
    queries, memory bounded by `chunk`."""
    slips = Payslip.objects.filter(run=run).order_by("pk").values_list(*SLIP_FIELDS).iterator(chunk_size=chunk)
    lines = (
        _component_lines(run)
        .order_by("payslip_id", "order")
        .values_list("payslip_id", "code", "amount")
        .iterator(chunk_size=chunk * 10)
    )
    pending = next(lines, None)
    for values in slips:
        slip = dict(zip(SLIP_FIELDS, values, strict=True))
        pk, amounts = slip["pk"], {}
        while pending is not None and pending[0] <= pk:
            if pending[0] == pk:
                amounts[pending[1]] = pending[2]
            pending = next(lines, None)
        yield slip, amounts


def export_run(*, run: PayrollRun, path: str | None = None, progress: Callable[[int, int], None] | None = None) -> str:
    """Write the run's workbook to `path` (a new temporary file by default) and return the path;
    `progress(done, total)` is called every PROGRESS_EVERY payslips (the export job's bar)."""
    if path is None:
        handle, path = tempfile.mkstemp(prefix=f"payroll-{run.label}-", suffix=".xlsx")
        os.close(handle)
    # Each sheet's rows go to a temporary file of their own (the zip needs each sheet in one piece); all of them are
    # removed when the export ends, written or not.
    with ExitStack() as files:
        workbook = Workbook()
        styles = _StyleIds(workbook.active)
        workbook.remove(workbook.active)
        sheets = _write_sheets(run, workbook, styles, files, progress)
        for sheet in sheets:
            sheet.finish()
        skeleton = BytesIO()  # the package without rows: a few kilobytes
        workbook.save(skeleton)
        _splice(skeleton, path, sheets)
    return path


def _write_sheets(run, workbook, styles, files, progress) -> list[_StreamedSheet]:
    def sheet(title, columns: list[Column]) -> _StreamedSheet:
        return _StreamedSheet(workbook, styles, files, str(title), columns)

    departments, _grand = run_totals(run=run)
    summary_fields = [name for name, _label in TOTAL_COLUMNS] + ["employer_cost"]
    summary = sheet(
        pgettext_lazy(WORKBOOK, "Summary"),
        [
            Column(DEPARTMENT, 28),
            Column(pgettext_lazy(WORKBOOK, "People"), 10, "whole"),
            *[Column(label, 16, "money") for _name, label in TOTAL_COLUMNS],
            Column(pgettext_lazy(WORKBOOK, "Total employer cost"), 16, "money"),
        ],
    )
    summary.header()
    for department in departments:
        values = [department.department, department.people, *[department.totals[name] for name in summary_fields]]
        summary.write(summary.render(values))
    summary.totals(f"{TOTAL} {run.label}")

    components = _component_columns(run)
    payslip_columns = [
        Column(NUMBER, 10),
        Column(NAME, 12),
        Column(DEPARTMENT, 16),
        Column(pgettext_lazy(WORKBOOK, "Role"), 18),
        Column(pgettext_lazy(WORKBOOK, "Days"), 8, "count"),
        *[Column(in_language_text(name), 14, "money") for _code, name in components],
        *[Column(label, 14, "money") for _name, label in TOTAL_COLUMNS],
    ]
    payslips = sheet(pgettext_lazy(WORKBOOK, "Payslips"), payslip_columns)
    bank = sheet(
        pgettext_lazy(WORKBOOK, "Bank transfer"),
        [
            Column(NUMBER, 10),
            Column(pgettext_lazy(WORKBOOK, "Account name"), 14),
            Column(pgettext_lazy(WORKBOOK, "Bank account"), 24),
            Column(pgettext_lazy(WORKBOOK, "Remark"), 24),
            Column(pgettext_lazy(WORKBOOK, "Amount"), 16, "money"),
        ],
    )
    # The bank's import takes every row as a payment: a zero or a blank account is left off and listed here.
    not_paid = sheet(
        pgettext_lazy(WORKBOOK, "Not transferred"),
        [
            Column(NUMBER, 10),
            Column(NAME, 12),
            Column(DEPARTMENT, 16),
            Column(pgettext_lazy(WORKBOOK, "Reason"), 28),
            Column(pgettext_lazy(WORKBOOK, "Net pay"), 16, "money"),
        ],
    )
    cost = sheet(
        pgettext_lazy(WORKBOOK, "Employer cost"),
        [
            Column(NUMBER, 10),
            Column(NAME, 12),
            Column(DEPARTMENT, 16),
            *[Column(label, 16, "money") for _name, label in COST_COLUMNS],
        ],
    )
    # 工资条: the header repeats above every employee's row, with a blank row between, for printing and cutting.
    strips = sheet(pgettext_lazy(WORKBOOK, "Payslip strips"), payslip_columns)
    for frozen in (summary, payslips, bank, not_paid, cost):
        frozen.ws.freeze_panes = "A2"
    for table in (payslips, bank, not_paid, cost):
        table.header()
    no_account, nothing_to_pay = _("No bank account"), _("Nothing to pay")

    remark = _("Pay %(month)s") % {"month": run.label}
    codes = [code for code, _name in components]
    totals = [name for name, _label in TOTAL_COLUMNS]
    costs = [name for name, _label in COST_COLUMNS]
    total = Payslip.objects.filter(run=run).count()
    done = 0
    for slip, amounts in _payslips_with_amounts(run):
        number, name = slip["employee__employee_number"], slip["employee__full_name"]
        department = pick_language(slip["department__name_zh"], slip["department__name_en"])
        row = payslips.render(
            [
                number,
                name,
                department,
                pick_language(slip["role__title_zh"], slip["role__title_en"]),
                slip["days_worked"],
                *[amounts.get(code) for code in codes],
                *[slip[field] for field in totals],
            ]
        )
        payslips.write(row)
        if strips.rows:
            strips.skip()
        strips.header()
        strips.write(row)
        # The account as approved (snapshot); only a run not approved yet (or approved before snapshots) reads the
        # employee record.
        account = slip["bank_account"] if slip["bank_account"] is not None else slip["employee__bank_account"]
        payee = slip["account_name"] if slip["account_name"] is not None else name
        net = slip["net_pay"]
        if net <= 0:
            not_paid.write(not_paid.render([number, name, department, nothing_to_pay, net]))
        elif not account:
            not_paid.write(not_paid.render([number, name, department, no_account, net]))
        else:
            bank.write(bank.render([number, payee, account, remark, net]))
        cost.write(cost.render([number, name, department, *[slip[field] for field in costs]]))
        done += 1
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress(min(done, total), total)
    payslips.totals(str(TOTAL))
    bank.filter_only()
    not_paid.totals(str(TOTAL))
    cost.totals(str(TOTAL))
    if progress is not None:
        progress(min(done, total), total)
    changes = _write_changes(run, sheet)
    return [summary, payslips, bank, not_paid, cost, strips, changes]


def _write_changes(run: PayrollRun, sheet) -> _StreamedSheet:
    """环比: the run's page's changes from last month, the flagged ones first, then who joined and who left."""
    changes = sheet(
        pgettext_lazy(WORKBOOK, "Change from last month"),
        [
            Column(NUMBER, 10),
            Column(NAME, 12),
            Column(DEPARTMENT, 16),
            Column(pgettext_lazy(WORKBOOK, "Item"), 18),
            Column(pgettext_lazy(WORKBOOK, "Last month"), 16, "money"),
            Column(pgettext_lazy(WORKBOOK, "This month"), 16, "money"),
            Column(pgettext_lazy(WORKBOOK, "Change"), 16, "money"),
            Column(pgettext_lazy(WORKBOOK, "Change (%)"), 12, "count"),
            Column(pgettext_lazy(WORKBOOK, "Check"), 24),
        ],
    )
    changes.ws.freeze_panes = "A2"
    changes.header()
    variance = run_variance(run=run)
    if variance.previous is None:
        changes.note(_("There is no approved or paid month before %(month)s to compare with.") % {"month": run.label})
        return changes
    beyond, joined, left = _("Beyond the threshold"), _("Joined"), _("Left")
    for c in variance.changes:
        values = [
            c.number,
            c.name,
            c.department,
            c.label,
            c.before,
            c.now,
            c.change,
            c.percent,
            beyond if c.flagged else "",
        ]
        changes.write(changes.render(values))
    net_pay = _("Net pay")
    for p in variance.joiners:
        changes.write(
            changes.render([p.number, p.name, p.department, net_pay, None, p.net_pay, p.net_pay, None, joined])
        )
    for p in variance.leavers:
        changes.write(
            changes.render([p.number, p.name, p.department, net_pay, p.net_pay, None, -p.net_pay, None, left])
        )
    changes.filter_rows()
    return changes


def _splice(skeleton: BytesIO, path: str, sheets: list[_StreamedSheet]) -> None:
    """Copy openpyxl's package to `path`, putting each sheet's streamed rows into its (empty) sheetData."""
    by_member = {sheet.ws.path.lstrip("/"): sheet for sheet in sheets}
    with zipfile.ZipFile(skeleton) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            sheet = by_member.pop(info.filename, None)
            if sheet is None:
                target.writestr(info, source.read(info))
                continue
            head, tail = sheet.splice_into(source.read(info).decode("utf-8"))
            member = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            member.compress_type = zipfile.ZIP_DEFLATED
            sheet.raw.seek(0)
            with target.open(member, "w", force_zip64=True) as out:
                out.write(head.encode("utf-8"))
                shutil.copyfileobj(sheet.raw, out, 1 << 20)
                out.write(tail.encode("utf-8"))
    if by_member:
        raise RuntimeError(f"sheets missing from openpyxl's package: {sorted(by_member)}")
