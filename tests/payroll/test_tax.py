"""Income tax by the cumulative withholding method, checked against figures computed by hand."""

import datetime
from decimal import Decimal

import pytest

from payroll.choices import WithholdingOption
from payroll.money import round_money
from payroll.tax import YearToDate, basic_deduction, cumulative_tax, months_employed, withhold

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


def _year(incomes, *, special="0", additional="0", hire_month=1, option=WithholdingOption.STANDARD):
    """Run withholding month by month; returns each month's tax."""
    prior = YearToDate()
    taxes = []
    for offset, income in enumerate(incomes):
        month = hire_month + offset
        basic = basic_deduction(option=option, months_employed=month - hire_month + 1, tax_month=month)
        result = withhold(prior=prior, income=D(income), special=D(special), additional=D(additional), basic=basic)
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
    assert withhold(prior=YearToDate(), income=D("17345.67"), special=D(0), additional=D(0), basic=D(5000)).tax == D(
        "370.37"
    )


# --- The withholding options (国家税务总局公告2020年第13号, 第19号) ------------------------------------------------


def test_a_first_wage_income_deducts_5000_for_every_month_of_the_year_so_far():
    """The announcement's example (解读 of 2020 No. 13): a graduate starts work in July; July's withholding deducts
    35,000 (7 months x 5,000), not 5,000. Our figures on it: with 40,000 in July, (40,000 - 35,000) x 3% = 150.00
    (standard: (40,000 - 5,000) x 3% = 1,050.00)."""
    assert basic_deduction(option=WithholdingOption.FIRST_INCOME, months_employed=1, tax_month=7) == D("35000")
    assert _year(["40000"], hire_month=7, option=WithholdingOption.FIRST_INCOME) == [D("150.00")]
    assert _year(["40000"], hire_month=7) == [D("1050.00")]
    # August: 80,000 - 40,000 = 40,000 taxable: 40,000 x 10% - 2,520 = 1,480 - 150 withheld = 1,330.00.
    assert _year(["40000", "40000"], hire_month=7, option=WithholdingOption.FIRST_INCOME) == [
        D("150.00"),
        D("1330.00"),
    ]


def test_last_years_low_earner_pays_nothing_until_the_year_passes_60000_then_the_usual_table():
    """2020 No. 19: from January the cumulative basic deduction is 60,000; no tax in the months the year's income
    stays at or below 60,000, then tax on what passes it. 8,000 a month with 1,000 of insurance: January-August
    64,000 - 60,000 - 8,000 < 0, nothing; September 72,000 - 60,000 - 9,000 = 3,000 x 3% = 90.00; October 80,000 -
    60,000 - 10,000 = 10,000 x 3% = 300 - 90 = 210.00; each later month 8,000 - 1,000 = 7,000 more at 3% = 210.00."""
    taxes = _year(["8000"] * 12, special="1000", option=WithholdingOption.LOW_INCOME)
    assert taxes[:8] == [D("0.00")] * 8
    assert taxes[8:] == [D("90.00"), D("210.00"), D("210.00"), D("210.00")]
    # Standard: 8,000 - 1,000 - 5,000 = 2,000 a month at 3%, 60.00 every month. The year's tax is the same 720.00
    # (12 x 5,000 = 60,000): the option moves it to the end of the year instead of withholding it month by month.
    assert sum(taxes) == D("720.00")
    assert _year(["8000"] * 12, special="1000") == [D("60.00")] * 12
    assert basic_deduction(option=WithholdingOption.LOW_INCOME, months_employed=3, tax_month=3) == D("60000")


def test_an_unknown_option_is_refused():
    with pytest.raises(ValueError, match="unknown withholding option"):
        basic_deduction(option="generous", months_employed=1, tax_month=1)
