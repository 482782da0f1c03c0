"""Text from users in an Excel cell, for every export: never run as a formula, never a character the file
format cannot carry, and the value exactly the text.

A text that starts like a formula (= + - @ tab CR: CSV/formula injection) is kept as it is and its cell is a string
cell whose style has the quote prefix (`quotePrefix="1"`, what Excel sets when one types a leading apostrophe): Excel
and LibreOffice show the text, read it as text, and keep it text when the cell is edited, while a reader of the file
(a bank's import, a script) gets exactly the name, not `'-Li`."""

from __future__ import annotations

import re

from openpyxl.cell import WriteOnlyCell

# A leading = + - @ tab or CR makes Excel run the text as a formula when it is typed or edited.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Characters XML 1.0 (and so .xlsx) cannot carry: C0 controls but tab, LF and CR; lone surrogates; U+FFFE/U+FFFF.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def excel_text(value) -> str:
    """User text for a cell: without the characters the file cannot carry, otherwise exactly the text. The cell must
    be a string cell with the quote prefix (`text_cell`, or a style with `quotePrefix` in a streamed sheet)."""
    text = "" if value is None else str(value)
    if NOT_XML.search(text):
        text = NOT_XML.sub("", text)
    return text


def starts_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_TRIGGERS)


def text_cell(sheet, value, *, font=None) -> WriteOnlyCell:
    """A write-only sheet's cell holding user text: a string cell (never a formula, even when the text starts with
    =) marked with the quote prefix."""
    cell = WriteOnlyCell(sheet, value=excel_text(value))
    cell.data_type = "s"
    cell.quotePrefix = True
    if font is not None:
        cell.font = font
    return cell
