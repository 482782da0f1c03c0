"""Importing a month's inputs from the Excel template the app provides: all rows are checked first, every problem
is reported as (sheet, row, column, message), and only a file without problems is saved, in one transaction.

Sheets (any may be left out or empty): 奖惩 Bonuses and penalties, 考勤 Attendance, 销售 Sales.
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.datavalidation import DataValidation

from roles.exceptions import OwnPayRefused
from roles.models import Department, Employee
from shop_ops.typed import plain_text
from shop_ops.uploads import NotAWorkbook, Row, UploadLimits, UploadRefused, read_upload

from . import permissions, services
from .choices import AdjustmentKind
from .exceptions import PayrollError
from .money import MAX_INPUT_AMOUNT

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
# The largest numbers a row may hold, as the entry forms and services allow: a bonus or penalty at most
# MAX_INPUT_AMOUNT (10,000,000.00), a department's sales and gross profit at most MAX_IMPORT_AMOUNT.
MAX_IMPORT_AMOUNT = MAX_INPUT_AMOUNT * 100
MAX_IMPORT_DAYS = Decimal(31)

# The sheets' keys: also the names the template had before it followed the language, still read.
ADJUSTMENTS = "奖惩 Bonuses"
ATTENDANCE = "考勤 Attendance"
SALES = "销售 Sales"
# The template names its sheets in the language of the page it is downloaded from; a file with the names of either
# language (or the keys) is read. The column headers are the names a program reads, the same in every language.
SHEET_TITLES = {
    ADJUSTMENTS: pgettext_lazy("import sheet", "Bonuses"),
    ATTENDANCE: pgettext_lazy("import sheet", "Attendance"),
    SALES: pgettext_lazy("import sheet", "Sales"),
}
COLUMNS = {
    ADJUSTMENTS: ["employee_number", "kind", "amount", "reason"],
    ATTENDANCE: ["employee_number", "days_worked", "unpaid_leave_days"],
    SALES: ["department_code", "sales", "gross_profit"],
}
KINDS = {
    "bonus": AdjustmentKind.BONUS,
    "奖励": AdjustmentKind.BONUS,
    "penalty": AdjustmentKind.PENALTY,
    "处罚": AdjustmentKind.PENALTY,
}


@dataclass(frozen=True)
class RowError:
    sheet: str
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return _("%(sheet)s, row %(row)s, column %(column)s: %(message)s") % {
            "sheet": sheet_title(self.sheet),
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


class ImportRejected(PayrollError):
    """The file was not imported; `errors` lists every problem found."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        shown = "; ".join(str(e) for e in errors[:5])
        more = _(" (and %(count)s more)") % {"count": len(errors) - 5} if len(errors) > 5 else ""
        message = _("Nothing was imported: %(count)s problem(s).") % {"count": len(errors)}
        super().__init__(f"{message} {shown}{more}", field="file")


def sheet_title(sheet: str) -> str:
    """A sheet's name in the active language (the key of an unknown sheet as it is)."""
    return str(SHEET_TITLES.get(sheet, sheet))


def sheet_keys() -> dict[str, str]:
    """Every name a sheet of the template is read by (the key, and its title in each language) → its key."""
    names = {key: key for key in COLUMNS}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            names.update({sheet_title(key): key for key in COLUMNS})
    return names


def template() -> bytes:
    """The import template: one sheet per kind of input, headers in the first row, one example row each; the
    sheets are named in the active language."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    examples = {
        ADJUSTMENTS: ["E0007", "bonus", 800, "活动转化率第一"],
        ATTENDANCE: ["E0009", 20, 1],
        SALES: ["marketing", 905000, 301500],
    }
    for key, columns in COLUMNS.items():
        sheet = workbook.create_sheet(sheet_title(key))
        sheet.append(columns)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.append(examples[key])
        sheet.freeze_panes = "A2"
        for letter in "ABCD":
            sheet.column_dimensions[letter].width = 22
    kinds = DataValidation(type="list", formula1='"bonus,penalty"', allow_blank=False)
    workbook[sheet_title(ADJUSTMENTS)].add_data_validation(kinds)
    kinds.add(f"B2:B{MAX_ROWS + 1}")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _number(
    value, errors: list, sheet: str, row: int, column: str, *, places: int = 2, maximum: Decimal = MAX_IMPORT_AMOUNT
):
    """A cell's number rounded to `places`; anything beyond ±`maximum` is a row error showing the text as typed
    (it would not fit the database column, and rounding it could overflow)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        errors.append(RowError(sheet, row, column, _("a number is required")))
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        errors.append(RowError(sheet, row, column, _("expected a number, found %(value)r") % {"value": value}))
        return None
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        found = str(value)[:30]
        errors.append(RowError(sheet, row, column, _("expected a number, found text %(text)r") % {"text": found}))
        return None
    if not number.is_finite():
        errors.append(RowError(sheet, row, column, _("expected a number")))
        return None
    if abs(number) > maximum:
        text = str(value).strip()[:30]
        # Money with its cents (10,000,000.00), a count of days as the whole number it is (31).
        shown = f"{int(maximum):,}" if places < 2 and maximum == int(maximum) else f"{maximum:,.{places}f}"
        message = _("%(text)r is out of range (at most %(maximum)s)") % {"text": text, "maximum": shown}
        errors.append(RowError(sheet, row, column, message))
        return None
    return number.quantize(Decimal(1).scaleb(-places))


def read_workbook(upload, *, file_bytes: int, rows: int, sheets=None):
    """An uploaded .xlsx read by the shared upload reader within these limits (`shop_ops/uploads.py`), its refusals
    as a PayrollError on the file field: every payroll import reads through here."""
    limits = UploadLimits.from_settings(file_bytes=file_bytes, rows=rows)
    try:
        return read_upload(upload, formats=("xlsx",), sheets=sheets, limits=limits)
    except NotAWorkbook:
        raise PayrollError(
            _("This is not an Excel workbook (.xlsx); download the template and fill it in."), field="file"
        ) from None
    except UploadRefused as error:
        raise PayrollError(error.message, field="file") from None


def _read(upload) -> dict[str, list[Row]]:
    """The template's sheets that the file has, as (row number, values), read by the shared upload reader within
    its limits (`shop_ops/uploads.py`; here at most MAX_FILE_BYTES and MAX_ROWS rows per sheet)."""
    names = sheet_keys()
    sheets = read_workbook(upload, file_bytes=MAX_FILE_BYTES, rows=MAX_ROWS, sheets=names)
    if not sheets:
        raise PayrollError(
            _("The workbook has none of the template's sheets (%(sheets)s).")
            % {"sheets": ", ".join(sheet_title(key) for key in COLUMNS)},
            field="file",
        )
    found: dict[str, list[Row]] = {}
    for sheet in sheets:
        key = names[sheet.name]
        if key in found:  # e.g. 奖惩 and Bonuses: which one holds the month's figures is for a person to say
            raise PayrollError(
                _("The workbook has the sheet %(sheet)s twice, under two names; keep one.") % {"sheet": sheet.name},
                field="file",
            )
        found[key] = sheet.rows
    return found


def import_inputs(*, upload, month: datetime.date, user) -> dict[str, int]:
    """Check every row of the uploaded template, then save all of it or nothing. Returns counts per sheet."""
    services.ensure_not_future(month)
    sheets = _read(upload)
    errors: list[RowError] = []
    plan = {ADJUSTMENTS: [], ATTENDANCE: [], SALES: []}
    employees = {e.employee_number: e for e in Employee.objects.current()}
    departments = {d.code: d for d in Department.objects.all()}
    rights = {
        ADJUSTMENTS: permissions.can_enter_adjustments,
        ATTENDANCE: permissions.can_enter_attendance,
        SALES: permissions.can_run_payroll,
    }
    for sheet, rows in sheets.items():
        if not rows:
            continue
        # The header is row 1; the reader leaves out empty rows.
        header_values, data_rows = (rows[0][1], rows[1:]) if rows[0][0] == 1 else ((), rows)
        data_rows = [(number, row) for number, row in data_rows if any(v not in (None, "") for v in row)]
        header = [str(v).strip() if v is not None else "" for v in header_values][: len(COLUMNS[sheet])]
        if header != COLUMNS[sheet]:
            errors.append(
                RowError(
                    sheet,
                    1,
                    "-",
                    _("the columns must be %(columns)s; found %(found)s")
                    % {"columns": ", ".join(COLUMNS[sheet]), "found": ", ".join(header) or _("none")},
                )
            )
            continue
        if data_rows and not rights[sheet](user):
            errors.append(RowError(sheet, 2, "-", _("you may not import this sheet")))
            continue
        seen = {}
        for number, row in data_rows:
            row = (*row, None, None, None, None)
            if sheet == SALES:
                code = plain_text(str(row[0] or ""))
                department = departments.get(code)
                if department is None:
                    message = _("no department with code %(code)r") % {"code": code}
                    errors.append(RowError(sheet, number, "department_code", message))
                elif code in seen:
                    message = _("duplicate of row %(row)s") % {"row": seen[code]}
                    errors.append(RowError(sheet, number, "department_code", message))
                seen.setdefault(code, number)
                sales = _number(row[1], errors, sheet, number, "sales")
                profit = _number(row[2], errors, sheet, number, "gross_profit")
                plan[sheet].append((number, {"department": department, "sales": sales, "gross_profit": profit}))
                continue
            key = plain_text(str(row[0] or ""))  # Ｅ０００１ typed on a Chinese keyboard is E0001
            employee = employees.get(key)
            if employee is None:
                message = _("no current employee with number %(number)r") % {"number": key}
                errors.append(RowError(sheet, number, "employee_number", message))
            if sheet == ATTENDANCE:
                if key in seen:
                    message = _("duplicate of row %(row)s") % {"row": seen[key]}
                    errors.append(RowError(sheet, number, "employee_number", message))
                seen.setdefault(key, number)
                worked = _number(row[1], errors, sheet, number, "days_worked", places=1, maximum=MAX_IMPORT_DAYS)
                unpaid = (
                    Decimal(0)
                    if row[2] in (None, "")
                    else _number(row[2], errors, sheet, number, "unpaid_leave_days", places=1, maximum=MAX_IMPORT_DAYS)
                )
                plan[sheet].append((number, {"employee": employee, "days_worked": worked, "unpaid_leave_days": unpaid}))
            else:
                kind = KINDS.get(str(row[1] or "").strip().lower())
                if kind is None:
                    errors.append(RowError(sheet, number, "kind", _("write bonus or penalty")))
                amount = _number(row[2], errors, sheet, number, "amount", maximum=MAX_INPUT_AMOUNT)
                reason = str(row[3] or "").strip()
                if not reason:
                    errors.append(RowError(sheet, number, "reason", _("a reason is required")))
                plan[sheet].append(
                    (number, {"employee": employee, "kind": kind, "amount": amount, "reason": reason[:200]})
                )
    if errors:
        raise ImportRejected(errors)
    return _save(plan, month=month, user=user)


@transaction.atomic
def _save(plan, *, month, user) -> dict[str, int]:
    """Save through the services; the first refusal rolls everything back and is reported with its row."""
    savers = {
        SALES: lambda values: services.save_sales_figure(month=month, user=user, **values),
        ATTENDANCE: lambda values: services.save_attendance(month=month, user=user, **values),
        ADJUSTMENTS: lambda values: services.add_adjustment(month=month, user=user, **values),
    }
    counts = {}
    for sheet, rows in plan.items():
        for number, values in rows:
            try:
                savers[sheet](values)
            except (PayrollError, OwnPayRefused) as error:  # a conflict (a locked month) propagates as itself
                raise ImportRejected([RowError(sheet, number, error.field or "-", error.message)]) from None
        counts[sheet] = len(rows)
    return counts
