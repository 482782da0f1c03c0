"""Money in payroll: Decimal only, and one rounding rule for every amount that is paid, withheld or reported.

The rule: an amount is rounded to the cent (0.01 yuan) with ROUND_HALF_UP (四舍五入), the way Chinese payroll
and the tax bureau round. Everything exact (formula results, rate times base) is computed first and rounded once,
here, when it becomes an amount on a payslip. A city's insurance policy may round its insurance and housing fund
amounts to the yuan instead (`round_to(value, YUAN)`), still half up and still once per amount.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
YUAN = Decimal("1")
ZERO = Decimal("0.00")
MONEY = {"max_digits": 14, "decimal_places": 2}
# The largest single amount any input may carry: absurd figures are refused, not stored.
MAX_INPUT_AMOUNT = Decimal("10000000.00")


def round_money(value: Decimal) -> Decimal:
    """Round to the cent, half up (1.005 -> 1.01, -1.005 -> -1.01)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def round_to(value: Decimal, unit: Decimal) -> Decimal:
    """Round half up to `unit` (CENT or YUAN), written to the cent: round_to(399.5, YUAN) -> 400.00."""
    return value.quantize(unit, rounding=ROUND_HALF_UP).quantize(CENT)
