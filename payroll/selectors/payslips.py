"""Payslips: who may see which, the payslip page's prepared queries, search, line explanations."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from shop_ops.numbers import format_money
from shop_ops.prepared import PreparedQuery

from .. import deductions
from ..choices import LOCKED_STATUSES, WithholdingOption
from ..engine import NAMES_IN_WORDS
from ..formula import FormulaError, format_value, parse
from ..models import Adjustment, Attendance, PayProfile, PayrollRun, Payslip, PayslipLine, TaxOpeningBalance
from ..money import ZERO
from ..permissions import can_view_all_payslips
from .runs import VISIBLE_RUN_STATUSES


def payslips_visible_to(*, user) -> QuerySet[Payslip]:
    """All payslips of computed runs for managers and finance; only their own for everyone else.

    Staff see their payslip once the run is approved; a draft is finance's working copy.
    """
    if can_view_all_payslips(user):
        return _visible_payslips()
    if not getattr(user, "is_authenticated", False):
        return Payslip.objects.none()
    return _visible_payslips(own_user_id=user.pk)


def _visible_payslips(own_user_id: int | None = None) -> QuerySet[Payslip]:
    """The rule of `payslips_visible_to`: every payslip of a computed run, or (`own_user_id`) that person's own
    payslips of approved or paid runs."""
    slips = Payslip.objects.select_related("run", "employee", "role", "department").filter(
        run__status__in=VISIBLE_RUN_STATUSES
    )
    if own_user_id is None:
        return slips
    return slips.filter(employee__user_id=own_user_id, run__status__in=LOCKED_STATUSES)


def _payslip_page_query(payslip_id, own_user_id=None):
    return _visible_payslips(own_user_id).select_related("structure_version__structure").filter(pk=payslip_id)


# The payslip page is read all month long by everyone: its two queries are compiled once per process.
_ANY_PAYSLIP = PreparedQuery(_payslip_page_query, int)


_OWN_PAYSLIP = PreparedQuery(_payslip_page_query, int, int)


_PAYSLIP_LINES = PreparedQuery(lambda payslip_id: PayslipLine.objects.filter(payslip_id=payslip_id), int)


def payslip_for_page(*, user, pk: int) -> Payslip | None:
    """The payslip `pk` with run, employee, role, department and salary structure, if `user` may see it (the
    rule of `payslips_visible_to`), else None."""
    if can_view_all_payslips(user):
        found = _ANY_PAYSLIP.objects(int(pk))
    elif getattr(user, "is_authenticated", False):
        found = _OWN_PAYSLIP.objects(int(pk), user.pk)
    else:
        found = []
    return found[0] if found else None


def payslip_lines(payslip: Payslip) -> list[PayslipLine]:
    """The payslip's lines in order, each knowing its payslip."""
    lines = _PAYSLIP_LINES.objects(payslip.pk)
    for line in lines:
        line.payslip = payslip
    return lines


def search_payslips(*, queryset: QuerySet[Payslip], text: str) -> QuerySet[Payslip]:
    text = (text or "").strip()
    if not text:
        return queryset
    return queryset.filter(
        Q(employee__full_name__icontains=text)
        | Q(employee__employee_number__icontains=text)
        | Q(role__title_zh__icontains=text)
        | Q(role__title_en__icontains=text)
    )


def basic_deduction_rule(tax_line: PayslipLine | None) -> str:
    """How the tax line's cumulative basic deduction was counted, in words (payslips computed before the options
    existed counted it the standard way)."""
    option = (tax_line.inputs or {}).get("withholding_option") if tax_line else None
    if option not in WithholdingOption.values:
        option = WithholdingOption.STANDARD
    return str(WithholdingOption(option).label)


@dataclass(frozen=True)
class AdditionalDeductionRow:
    label: str
    month: Decimal
    cumulative: Decimal


def additional_deduction_rows(tax_line: PayslipLine | None) -> list[AdditionalDeductionRow]:
    """The special additional deductions by category the tax line used, this month and cumulatively (with the tax
    opening balance's part as a row of its own); empty for a payslip taxed by the pay profile's single number."""
    inputs = (tax_line.inputs or {}) if tax_line else {}
    categories = inputs.get("additional_by_category")
    if not isinstance(categories, list):
        return []
    rows = [
        AdditionalDeductionRow(
            label=deductions.label(str(item.get("category", ""))),
            month=Decimal(str(item.get("month", "0"))),
            cumulative=Decimal(str(item.get("cumulative", "0"))),
        )
        for item in categories
        if isinstance(item, dict)
    ]
    opening = inputs.get("additional_opening")
    if _is_number(opening) and Decimal(opening):
        before = _("Before ShopOps (opening balance)")
        rows.append(AdditionalDeductionRow(label=before, month=ZERO, cumulative=Decimal(opening)))
    return rows


def _is_number(text) -> bool:
    try:
        return Decimal(text).is_finite()
    except (ArithmeticError, TypeError, ValueError):
        return False


def explain_line(line: PayslipLine) -> str:
    """'0.08 × 123,456.00 = 9,876.48': the formula read with its inputs' values (its functions as words of the
    active language: "3,000 与 5,000 中较小者"), then the exact result where it was rounded, then the amount."""
    # Inputs are numbers as text; a word among them (the tax line's withholding option) is no value of the formula.
    values = {name: Decimal(value) for name, value in (line.inputs or {}).items() if _is_number(value)}
    try:
        formula = parse(line.formula, names=values)
        rendered = formula.in_words({name: format_value(value) for name, value in values.items()})
    except (FormulaError, ArithmeticError):
        rendered = line.formula
    exact = Decimal(line.exact)
    shown = format_value(exact)
    if exact != line.amount:
        rendered = f"{rendered} = {shown}"
    return f"{rendered} = {format_money(line.amount, sign=False)}"


def line_in_words(line: PayslipLine, names: dict[str, str]) -> str:
    """The line's formula as the person paid reads it, each name in words of the active language ("月基本工资 ×
    出勤天数 ÷ 应出勤天数"); `names` from `names_in_words` of the payslip's lines."""
    try:
        return parse(line.formula, names=(line.inputs or {}).keys()).in_words(names)
    except FormulaError:
        return line.formula


def names_in_words(lines) -> dict[str, str]:
    """What a payslip calls each name its formulas read: the variables' words, each component by its line's name."""
    names = {name: str(words) for name, words in NAMES_IN_WORDS.items()}
    names.update((line.code, line.label) for line in lines if not line.is_system)
    return names


def own_inputs_in_run(*, run: PayrollRun, user) -> bool:
    """Whether `user` is paid in the run and entered an input of their own pay for its month (an adjustment, the
    attendance, their pay profile, the year's tax opening balance): they may not approve it. Entering such inputs is
    refused (roles.permissions.is_own_pay), but rows from before that rule exist."""
    employee_id = getattr(getattr(user, "employee", None), "pk", None) if user.is_authenticated else None
    if employee_id is None or not run.payslips.filter(employee_id=employee_id).exists():
        return False
    mine = {"employee_id": employee_id}
    return (
        Adjustment.objects.filter(month=run.month, entered_by=user, **mine).exists()
        or Attendance.objects.filter(month=run.month, entered_by=user, **mine).exists()
        or PayProfile.objects.filter(updated_by=user, **mine).exists()
        or TaxOpeningBalance.objects.filter(year=run.month.year, entered_by=user, **mine).exists()
    )


def outside_pay_grade(slips) -> dict[int, Decimal]:
    """Of the payslips given (with their role): those whose employee's base salary (the pay profile's, the `base`
    a run pays from) lies outside their role's pay grade, which is a range of monthly base salary; by payslip id,
    the base salary. Gross pay (profit share, bonuses) is not compared: it may rightly be above the grade. Without a
    profile a run pays the bottom of the grade, never outside it. One query."""
    slips = list(slips)
    bases = dict(
        PayProfile.objects.filter(employee_id__in={slip.employee_id for slip in slips}).values_list(
            "employee_id", "base_salary"
        )
    )
    return {
        slip.pk: base
        for slip in slips
        if (base := bases.get(slip.employee_id)) is not None
        and not slip.role.pay_grade_min <= base <= slip.role.pay_grade_max
    }


def count_outside_pay_grade(*, run: PayrollRun) -> int:
    """How many payslips of the run are of an employee whose base salary lies outside their role's pay grade."""
    return run.payslips.filter(
        Q(employee__pay_profile__base_salary__gt=F("role__pay_grade_max"))
        | Q(employee__pay_profile__base_salary__lt=F("role__pay_grade_min"))
    ).count()


@dataclass(frozen=True)
class LowIncomeBar:
    """Why the shop's own records contradict the 60,000 option (2020 No. 19) for an employee: hired after January
    of last year (`hired`), or last year's recorded wages above 60,000 (`income`)."""

    hired: datetime.date | None = None
    income: Decimal | None = None


def low_income_bars(*, hire_dates: dict[int, datetime.date], year: int) -> dict[int, LowIncomeBar]:
    """For employees (id → hire date) and a tax year: those the 60,000 option cannot apply to, and why. Checked
    when the option is set and again at each computation; two queries however many employees."""
    from .. import tax

    last_year = year - 1
    bars = {
        pk: LowIncomeBar(hired=hired) for pk, hired in hire_dates.items() if hired >= datetime.date(last_year, 2, 1)
    }
    rest = [pk for pk in hire_dates if pk not in bars]  # hired in January of last year: paid here every month of it
    if not rest:
        return bars
    income: dict[int, Decimal] = dict.fromkeys(rest, Decimal(0))
    for employee_id, total in (
        Payslip.objects.filter(employee_id__in=rest, run__month__year=last_year, run__status__in=LOCKED_STATUSES)
        .values("employee_id")
        .annotate(total=Sum("taxable_income"))
        .values_list("employee_id", "total")
    ):
        income[employee_id] += total or 0
    for employee_id, before in TaxOpeningBalance.objects.filter(employee_id__in=rest, year=last_year).values_list(
        "employee_id", "income"
    ):
        income[employee_id] += before
    bars.update(
        {pk: LowIncomeBar(income=total) for pk, total in income.items() if total > tax.LOW_INCOME_LAST_YEAR_LIMIT}
    )
    return bars
