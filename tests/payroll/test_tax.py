"""Income tax by the cumulative withholding method, checked against figures computed by hand."""

import datetime
from decimal import Decimal

import pytest

from payroll.money import round_money
from payroll.tax import YearToDate, cumulative_tax, months_employed, withhold

D = Decimal


@pytest.mark.parametrize(
    ("taxable", "tax"),
    [
        ("0", "0.00"),
        ("-100", "0.00"),
        ("36000", "1080.00"),  # 3%
        ("36000.01", "1080.00"),  # 10% - 2520 = 1080.001 -> 1080.00
        ("144000", "11880.00"),
        ("300000", "43080.00"),
        ("420000", "73080.00"),
        ("660000", "145080.00"),
        ("960000", "250080.00"),
        ("1000000", "268080.00"),  # 45% - 181920
    ],
)
def test_annual_table(taxable, tax):
    assert cumulative_tax(D(taxable)) == D(tax)


def test_months_employed_counts_from_the_hire_month_this_year():
    assert months_employed(hire_date=datetime.date(2020, 5, 3), month=datetime.date(2026, 3, 1)) == 3
    assert months_employed(hire_date=datetime.date(2026, 7, 20), month=datetime.date(2026, 7, 1)) == 1
    assert months_employed(hire_date=datetime.date(2026, 7, 20), month=datetime.date(2026, 12, 1)) == 6
    assert months_employed(hire_date=datetime.date(2026, 8, 1), month=datetime.date(2026, 7, 1)) == 0


def _year(incomes, *, special="0", additional="0", hire_month=1):
    """Run withholding month by month; returns each month's tax."""
    prior = YearToDate()
    taxes = []
    for offset, income in enumerate(incomes):
        month = hire_month + offset
        result = withhold(
            prior=prior, income=D(income), special=D(special), additional=D(additional), months=month - hire_month + 1
        )
        taxes.append(result.tax)
        prior = YearToDate(
            income=prior.income + D(income),
            special=prior.special + D(special),
            additional=prior.additional + D(additional),
            tax=prior.tax + result.tax,
        )
    return taxes


def test_a_whole_year_of_the_same_salary_climbs_into_the_10_percent_bracket():
    # 20,000 a month, 2,000 insurance, 1,000 special additional: 12,000 taxable each month.
    taxes = _year(["20000"] * 12, special="2000", additional="1000")
    # Months 1-3: 12,000 / 24,000 / 36,000 cumulative at 3% -> 360 each.
    assert taxes[:3] == [D("360.00")] * 3
    # Month 4: 48,000 x 10% - 2,520 = 2,280 cumulative; 1,080 withheld -> 1,200.
    assert taxes[3] == D("1200.00")
    # Months 5-12: 12,000 more each month at 10% -> 1,200.
    assert taxes[4:] == [D("1200.00")] * 8
    assert sum(taxes) == D("144000") * D("0.10") - 2520  # 11,880, the annual table on 144,000


def test_a_mid_year_hire_gets_the_basic_deduction_from_the_hire_month_only():
    # Hired in July at 8,000, no insurance: July taxable 3,000 -> 90; August cumulative 6,000 -> 180 - 90 = 90.
    taxes = _year(["8000"] * 6, hire_month=7)
    assert taxes == [D("90.00")] * 6
    assert sum(taxes) == D("540.00")  # (48,000 - 30,000) x 3%


def test_a_bonus_month_pushes_the_cumulative_figure_into_a_higher_bracket():
    # 10,000 a month; March brings a 50,000 bonus.
    taxes = _year(["10000", "10000", "60000", "10000"])
    assert taxes[0] == D("150.00")  # 5,000 x 3%
    assert taxes[1] == D("150.00")  # 10,000 x 3% - 150
    # March: 65,000 x 10% - 2,520 = 3,980 cumulative - 300 withheld.
    assert taxes[2] == D("3680.00")
    # April: 70,000 x 10% - 2,520 = 4,480 - 3,980.
    assert taxes[3] == D("500.00")


def test_tax_never_goes_negative_when_income_drops():
    taxes = _year(["30000", "0", "0"])
    assert taxes[0] == D("750.00")  # 25,000 x 3%
    assert taxes[1:] == [D("0.00"), D("0.00")]


def test_rounding_is_half_up_to_the_cent():
    assert round_money(D("1.005")) == D("1.01")
    assert round_money(D("-1.005")) == D("-1.01")
    assert round_money(D("2.675")) == D("2.68")
    assert round_money(D("0.004999")) == D("0.00")
    # 3% of 12,345.67 = 370.3701 -> 370.37
    assert withhold(prior=YearToDate(), income=D("17345.67"), special=D(0), additional=D(0), months=1).tax == D(
        "370.37"
    )
