"""Importing special additional deductions (专项附加扣除) from the employees' tax app exports, copied into the
template the app provides. The file is read by the shared upload reader within its limits; every row is checked and
every problem reported as (sheet, row, column, message); only a file without problems is saved, in one transaction.

The sheet (the workbook's first) has the columns of the tax app's export, the amount and the share in two columns:

    工号 | 姓名 | 扣除项目 | 开始月份 | 结束月份 | 每月扣除金额 | 分摊比例 | 备注

扣除项目 is the category's Chinese name (子女教育, 3岁以下婴幼儿照护, 继续教育（学历）,
继续教育（职业资格）, 住房贷款利息, 住房租金, 赡养老人, 个人养老金) or its code; months are written 2026-01
(or 2026.01, 202601, a date cell); the share 100% or 50% (or 1 / 0.5). A row for an employee, category and start
month already entered (for children's education and infant care: also the same note, the child) replaces that
entry, so the same export may be imported again.
"""

from __future__ import annotations

import datetime
import io
import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.datavalidation import DataValidation

from roles.exceptions import OwnPayRefused
from roles.models import Employee
from shop_ops.typed import plain_text

from . import deductions, services
from .choices import DeductionCategory
from .exceptions import PayrollError
from .imports import MAX_FILE_BYTES, MAX_ROWS, ImportRejected, RowError, _number, read_workbook
from .models import SpecialDeduction

SHEET = "专项附加扣除"
COLUMNS = ["工号", "姓名", "扣除项目", "开始月份", "结束月份", "每月扣除金额", "分摊比例", "备注"]
# The names the tax app and people write, and the codes: the category.
CATEGORY_NAMES = {
    "子女教育": DeductionCategory.CHILDREN_EDUCATION,
    "3岁以下婴幼儿照护": DeductionCategory.INFANT_CARE,
    "婴幼儿照护": DeductionCategory.INFANT_CARE,
    "继续教育（学历）": DeductionCategory.DEGREE_EDUCATION,
    "学历（学位）继续教育": DeductionCategory.DEGREE_EDUCATION,
    "继续教育（职业资格）": DeductionCategory.CERTIFICATE_EDUCATION,
    "职业资格继续教育": DeductionCategory.CERTIFICATE_EDUCATION,
    "住房贷款利息": DeductionCategory.HOUSING_LOAN,
    "住房租金": DeductionCategory.HOUSING_RENT,
    "赡养老人": DeductionCategory.ELDERLY_SUPPORT,
    "个人养老金": DeductionCategory.PERSONAL_PENSION,
    **{code: code for code in DeductionCategory.values},
}
# The name the template offers for each category, in the table's order.
TEMPLATE_NAMES = [
    "子女教育",
    "3岁以下婴幼儿照护",
    "继续教育（学历）",
    "继续教育（职业资格）",
    "住房贷款利息",
    "住房租金",
    "赡养老人",
    "个人养老金",
]
_MONTH = re.compile(r"^(\d{4})\s*(?:[-./年]\s*(\d{1,2})\s*月?|(\d{2}))$")


def _category_key(text: str) -> str:
    # Full-width brackets and ASCII ones, with or without spaces, read the same.
    return plain_text(text).replace("(", "（").replace(")", "）").replace(" ", "")


CATEGORIES = {_category_key(name): code for name, code in CATEGORY_NAMES.items()}


def template() -> bytes:
    """The import template: the columns in the first row, example rows, and a sheet of the categories' amounts."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET
    sheet.append(COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.append(["E0007", "王芳", "子女教育", "2026-01", None, None, "50%", "王小明"])
    sheet.append(["E0007", "王芳", "住房租金", "2026-01", "2026-12", 1500, None, "上海"])
    sheet.append(["E0009", "李强", "赡养老人", "2026-01", None, 1000, None, "三人分摊"])
    sheet.freeze_panes = "A2"
    for letter, width in zip("ABCDEFGH", (12, 12, 22, 12, 12, 14, 10, 24), strict=True):
        sheet.column_dimensions[letter].width = width
    names = DataValidation(type="list", formula1='"' + ",".join(TEMPLATE_NAMES) + '"', allow_blank=False)
    sheet.add_data_validation(names)
    names.add(f"C2:C{MAX_ROWS + 1}")
    rules = workbook.create_sheet("说明")
    rules.append(["扣除项目", "标准", "依据"])
    for cell in rules[1]:
        cell.font = Font(bold=True)
    with translation.override("zh-hans"):  # the tax app's language, whatever the page's
        for name, rule in zip(TEMPLATE_NAMES, deductions.RULES.values(), strict=True):
            rules.append([name, deductions.describe(rule), rule.source])
    rules.column_dimensions["A"].width = 22
    rules.column_dimensions["B"].width = 60
    rules.column_dimensions["C"].width = 50
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _month(value, errors: list, row: int, column: str, *, required: bool) -> datetime.date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors.append(RowError(SHEET, row, column, _("a month is required, e.g. 2026-01")))
        return None
    if isinstance(value, datetime.datetime | datetime.date):
        return datetime.date(value.year, value.month, 1)
    text = plain_text(str(value)).strip()
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    match = _MONTH.match(text)
    if match:
        year, month = int(match.group(1)), int(match.group(2) or match.group(3))
        if 1 <= month <= 12:
            return datetime.date(year, month, 1)
    errors.append(RowError(SHEET, row, column, _("write the month as 2026-01, found %(text)r") % {"text": text[:30]}))
    return None


def _share(value, errors: list, row: int) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = plain_text(str(value)).strip()
    percent = text.endswith("%")
    number = _number(text.rstrip("%") if percent else value, errors, SHEET, row, "分摊比例", places=4, maximum=100)
    if number is None:
        return None
    return (number / 100).quantize(Decimal("0.0001")) if percent else number


def _read(upload):
    sheets = read_workbook(upload, file_bytes=MAX_FILE_BYTES, rows=MAX_ROWS)
    return sheets[0].rows if sheets else []


def import_deductions(*, upload, user) -> int:
    """Check every row of the uploaded template, then save all of it or nothing. Returns the rows saved."""
    rows = _read(upload)
    errors: list[RowError] = []
    header_values, data_rows = (rows[0][1], rows[1:]) if rows and rows[0][0] == 1 else ((), rows)
    header = [plain_text(str(v)).strip() if v is not None else "" for v in header_values][: len(COLUMNS)]
    if header != COLUMNS:
        found = ", ".join(header) or _("none")
        message = _("the columns must be %(columns)s; found %(found)s") % {
            "columns": ", ".join(COLUMNS),
            "found": found,
        }
        raise ImportRejected([RowError(SHEET, 1, "-", message)])
    employees = {e.employee_number: e for e in Employee.objects.current()}
    plan = []
    for number, row in data_rows:
        row = (*row, *([None] * len(COLUMNS)))[: len(COLUMNS)]
        if all(value in (None, "") for value in row):
            continue
        key = plain_text(str(row[0] or "")).strip()
        employee = employees.get(key)
        if employee is None:
            errors.append(
                RowError(SHEET, number, "工号", _("no current employee with number %(number)r") % {"number": key})
            )
        name = plain_text(str(row[1] or "")).strip()
        if employee is not None and name and name != employee.full_name:
            message = _("the name %(name)r is not %(number)s's (%(full_name)s)") % {
                "name": name,
                "number": key,
                "full_name": employee.full_name,
            }
            errors.append(RowError(SHEET, number, "姓名", message))
        category = CATEGORIES.get(_category_key(str(row[2] or "")))
        if category is None:
            message = _("unknown deduction %(text)r; write one of %(names)s") % {
                "text": str(row[2] or "")[:30],
                "names": ", ".join(TEMPLATE_NAMES),
            }
            errors.append(RowError(SHEET, number, "扣除项目", message))
        start = _month(row[3], errors, number, "开始月份", required=True)
        end = _month(row[4], errors, number, "结束月份", required=False)
        amount = (
            None
            if row[5] in (None, "")
            else _number(
                row[5],
                errors,
                SHEET,
                number,
                "每月扣除金额",
                maximum=deductions.RULES[DeductionCategory.PERSONAL_PENSION].year_cap,
            )
        )
        share = _share(row[6], errors, number)
        note = str(row[7] or "").strip()[:200]
        if employee is None or category is None or start is None or (row[4] not in (None, "") and end is None):
            continue
        entry = deductions.Entry(category, start, end, share, amount)
        try:
            deductions.check_entry(entry)
        except PayrollError as error:
            errors.append(RowError(SHEET, number, _column(error.field), error.message))
            continue
        plan.append((number, employee, entry, note))
    if errors:
        raise ImportRejected(errors)
    return _save(plan, user=user)


FIELD_COLUMNS = {
    "employee": "工号",
    "category": "扣除项目",
    "start_month": "开始月份",
    "end_month": "结束月份",
    "monthly_amount": "每月扣除金额",
    "share": "分摊比例",
}


def _column(field: str | None) -> str:
    return FIELD_COLUMNS.get(field or "", "-")


@transaction.atomic
def _save(plan, *, user) -> int:
    """Save through the service, row by row; any refusal (a clash with another entry, one's own pay) is reported
    with its row and nothing is kept."""
    errors = []
    for number, employee, entry, note in plan:
        same = SpecialDeduction.objects.filter(
            employee=employee, category=entry.category, start_month=entry.start_month
        )
        if deductions.RULES[entry.category].per_child:
            same = same.filter(note=note)
        try:
            services.save_special_deduction(
                employee=employee,
                category=entry.category,
                start_month=entry.start_month,
                end_month=entry.end_month,
                share=entry.share,
                monthly_amount=entry.monthly_amount,
                note=note,
                user=user,
                deduction=same.first(),
            )
        except (PayrollError, OwnPayRefused) as error:
            errors.append(RowError(SHEET, number, _column(error.field), error.message))
        except ValidationError as error:
            errors.append(RowError(SHEET, number, "-", "; ".join(error.messages)))
    if errors:
        raise ImportRejected(errors)  # leaving the transaction by an exception keeps nothing
    return len(plan)
