"""Chinese individual income tax on wages by the cumulative withholding method (累计预扣法). The one tax table.

Each month the employer works on the year to date:

    cumulative taxable = cumulative income
                         - the cumulative basic deduction (below)
                         - cumulative special deductions (social insurance and housing fund, employee part)
                         - cumulative special additional deductions (专项附加扣除)
    cumulative tax     = cumulative taxable x rate - quick deduction        (the annual table below)
    this month's tax   = cumulative tax - tax already withheld this year    (never below zero)

The cumulative basic deduction (累计减除费用), by the withholding option finance sets for the employee and year
(`WithholdingOption`, on the year's tax figures):

    standard       5,000 x months employed this year (counted from the hire month for mid-year hires)
    first_income   5,000 x the month's number: the first wage income of the year, e.g. a graduate hired in July
                   deducts 35,000 in July (国家税务总局公告2020年第13号)
    low_income     60,000 from January: with the same employer every month of last year, withheld there, and last
                   year's wages at most 60,000; no tax until the year's income passes 60,000, then the usual table
                   (国家税务总局公告2020年第19号)

Amounts are rounded to the cent, half up (payroll.money.round_money). Each employer counts from the employee's
first month with it: income from a previous employer in the same year is not included (it is settled in the annual
reconciliation, 汇算清缴).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from .money import ZERO, round_money

BASIC_DEDUCTION_PER_MONTH = Decimal("5000.00")
# 国家税务总局公告2020年第19号: the year's basic deduction from January for last year's low earners.
LOW_INCOME_BASIC_DEDUCTION = Decimal("60000.00")
LOW_INCOME_LAST_YEAR_LIMIT = Decimal("60000.00")

# (upper bound of cumulative taxable income, rate, quick deduction); None = no upper bound.
ANNUAL_BRACKETS: tuple[tuple[Decimal | None, Decimal, Decimal], ...] = (
    (Decimal("36000"), Decimal("0.03"), Decimal("0")),
    (Decimal("144000"), Decimal("0.10"), Decimal("2520")),
    (Decimal("300000"), Decimal("0.20"), Decimal("16920")),
    (Decimal("420000"), Decimal("0.25"), Decimal("31920")),
    (Decimal("660000"), Decimal("0.30"), Decimal("52920")),
    (Decimal("960000"), Decimal("0.35"), Decimal("85920")),
    (None, Decimal("0.45"), Decimal("181920")),
)


def bracket(taxable: Decimal) -> tuple[Decimal, Decimal]:
    """(rate, quick deduction) of the bracket that cumulative taxable income falls in."""
    for upper, rate, quick in ANNUAL_BRACKETS:
        if upper is None or taxable <= upper:
            return rate, quick
    raise AssertionError("the last bracket has no upper bound")


def cumulative_tax(taxable: Decimal) -> Decimal:
    """Tax due on cumulative taxable income for the year so far."""
    if taxable <= 0:
        return ZERO
    rate, quick = bracket(taxable)
    return round_money(taxable * rate - quick)


def months_employed(*, hire_date: datetime.date, month: datetime.date) -> int:
    """Months this year up to and including `month`, counted from the hire month for mid-year hires."""
    if hire_date.year > month.year or (hire_date.year == month.year and hire_date.month > month.month):
        return 0
    first = hire_date.month if hire_date.year == month.year else 1
    return month.month - first + 1


def basic_deduction(*, option: str, months_employed: int, tax_month: int) -> Decimal:
    """The cumulative basic deduction for the `tax_month`-th month of the year (see the module's table)."""
    from .choices import WithholdingOption

    if option == WithholdingOption.FIRST_INCOME:
        return BASIC_DEDUCTION_PER_MONTH * tax_month
    if option == WithholdingOption.LOW_INCOME:
        return LOW_INCOME_BASIC_DEDUCTION
    if option != WithholdingOption.STANDARD:
        raise ValueError(f"unknown withholding option {option!r}")
    return BASIC_DEDUCTION_PER_MONTH * max(months_employed, 1)


@dataclass(frozen=True)
class YearToDate:
    """Sums over the employee's earlier payslips this year (approved or paid runs)."""

    income: Decimal = ZERO
    special: Decimal = ZERO
    additional: Decimal = ZERO
    tax: Decimal = ZERO


@dataclass(frozen=True)
class Withholding:
    ytd_income: Decimal
    ytd_basic: Decimal
    ytd_special: Decimal
    ytd_additional: Decimal
    ytd_taxable: Decimal
    rate: Decimal
    quick_deduction: Decimal
    ytd_tax: Decimal
    withheld_before: Decimal
    tax: Decimal

    def as_inputs(self) -> dict[str, Decimal]:
        return {
            "ytd_income": self.ytd_income,
            "ytd_basic_deduction": self.ytd_basic,
            "ytd_special_deduction": self.ytd_special,
            "ytd_additional_deduction": self.ytd_additional,
            "ytd_taxable": self.ytd_taxable,
            "rate": self.rate,
            "quick_deduction": self.quick_deduction,
            "ytd_tax": self.ytd_tax,
            "tax_withheld_before": self.withheld_before,
        }


TAX_FORMULA = "max(ytd_tax - tax_withheld_before, 0)"


def withhold(
    *, prior: YearToDate, income: Decimal, special: Decimal, additional: Decimal, basic: Decimal
) -> Withholding:
    """This month's withholding given the earlier months of the year, this month's figures and the cumulative basic
    deduction (`basic_deduction`)."""
    ytd_income = prior.income + income
    ytd_basic = basic
    ytd_special = prior.special + special
    ytd_additional = prior.additional + additional
    ytd_taxable = round_money(max(ytd_income - ytd_basic - ytd_special - ytd_additional, ZERO))
    rate, quick = bracket(ytd_taxable)
    ytd_tax = cumulative_tax(ytd_taxable)
    tax = max(ytd_tax - prior.tax, ZERO)
    return Withholding(
        ytd_income=ytd_income,
        ytd_basic=ytd_basic,
        ytd_special=ytd_special,
        ytd_additional=ytd_additional,
        ytd_taxable=ytd_taxable,
        rate=rate,
        quick_deduction=quick,
        ytd_tax=ytd_tax,
        withheld_before=prior.tax,
        tax=tax,
    )
