"""Whole numbers read from text a person typed: the one rule for which digits count.

Python's `str.isdigit()`, `int()` and `Decimal()` accept every Unicode decimal digit (`int("١٢٣") == 123`), and
`isdigit()` even says yes to "²", which `int()` then refuses (a 500 where it was used as a guard). Text that is kept
or compared as written (formulas, ID numbers, months, query values such as ids, years and page numbers) takes the
ASCII digits 0-9 only, through these helpers. Typed number fields of forms and the API (Django's and DRF's
IntegerField/DecimalField) keep Python's wider reading on purpose: they store the number, not the text, and show it
back in ASCII, and full-width digits (１２) are what a Chinese input method often types.
"""

from __future__ import annotations

import re

ASCII_WHOLE_NUMBER = re.compile(r"[0-9]+", re.ASCII)
# The largest id, year or page a query value may name: PostgreSQL's integer, so a lookup can never overflow.
MAX_QUERY_NUMBER = 2**31 - 1


def is_ascii_whole_number(text: str | None) -> bool:
    """True for one or more of the ASCII digits 0-9 and nothing else (no sign, space, "١" or "²")."""
    return isinstance(text, str) and ASCII_WHOLE_NUMBER.fullmatch(text) is not None


def parse_whole_number(text: str | None, *, maximum: int = MAX_QUERY_NUMBER) -> int | None:
    """`text` as a whole number from 0 to `maximum` if it is written in ASCII digits, else None."""
    if not is_ascii_whole_number(text) or len(text) > len(str(maximum)):
        return None
    value = int(text)
    return value if value <= maximum else None
