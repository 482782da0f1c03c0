"""Text from users in an Excel cell, for every export: never run as a formula, never a character the file
format cannot carry."""

from __future__ import annotations

import re

# A leading = + - @ tab or CR makes Excel run the text as a formula (CSV/formula injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Characters XML 1.0 (and so .xlsx) cannot carry: C0 controls but tab, LF and CR; lone surrogates; U+FFFE/U+FFFF.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def excel_text(value) -> str:
    """User text for a cell: without characters the file cannot carry, and with a leading apostrophe when it would
    otherwise start a formula, so it stays plain text."""
    text = "" if value is None else str(value)
    if NOT_XML.search(text):
        text = NOT_XML.sub("", text)
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text
