"""Numbers in and out: whole numbers read from text a person typed (the one rule for which digits count), and
the one way every page and message writes an amount of money (`format_money`).

Python's `str.isdigit()`, `int()` and `Decimal()` accept every Unicode decimal digit (`int("١٢٣") == 123`), and
`isdigit()` even says yes to "²", which `int()` then refuses (a 500 where it was used as a guard). Text that is kept
or compared as written (formulas, ID numbers, months, query values such as ids, years and page numbers) takes the
ASCII digits 0-9 only, through these helpers. Typed number fields of forms and the API (Django's and DRF's
IntegerField/DecimalField) keep Python's wider reading on purpose: they store the number, not the text, and show it
back in ASCII, and full-width digits (１２) are what a Chinese input method often types.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

ASCII_WHOLE_NUMBER = re.compile(r"[0-9]+", re.ASCII)
# The largest id, year or page a query value may name: PostgreSQL's integer, so a lookup can never overflow.
MAX_QUERY_NUMBER = 2**31 - 1
CENT = Decimal("0.01")


def is_ascii_whole_number(text: str | None) -> bool:
    """True for one or more of the ASCII digits 0-9 and nothing else (no sign, space, "١" or "²")."""
    return isinstance(text, str) and ASCII_WHOLE_NUMBER.fullmatch(text) is not None


def parse_whole_number(text: str | None, *, maximum: int = MAX_QUERY_NUMBER) -> int | None:
    """`text` as a whole number from 0 to `maximum` if it is written in ASCII digits, else None."""
    if not is_ascii_whole_number(text) or len(text) > len(str(maximum)):
        return None
    value = int(text)
    return value if value <= maximum else None


# --- Showing amounts: the one money format of every page and message ---------------------------------------------

CURRENCY_SIGN = "¥"
EMPTY = "—"
# Excel cells keep the number and show it the same way: thousands separators, two decimals, minus first.
EXCEL_MONEY_FORMAT = "#,##0.00;-#,##0.00"


def format_money(value, *, sign: bool = True) -> str:
    """An amount as every page writes it: two decimals, thousands separators, the minus before the yuan sign
    (-¥192.50, ¥1,234.00, ¥0.00); `sign=False` leaves the ¥ out (form values, formula previews).

    Rounded half up to the cent. None, "" and anything that is not a finite number give "—", never an error: a
    page must not fail on a value it only shows.
    """
    if value is None or value == "" or isinstance(value, bool):
        return EMPTY
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        return EMPTY
    if not amount.is_finite():
        return EMPTY
    try:
        amount = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:  # more digits than the context holds: shown as it is, still two decimals
        amount = amount.to_integral_value()
    text = f"{abs(amount):,.2f}"
    prefix = CURRENCY_SIGN if sign else ""
    return f"-{prefix}{text}" if amount < 0 else f"{prefix}{text}"
