"""What every request must satisfy before a view sees it: the limits themselves, kept apart from the middleware
that applies them (shop_ops.middleware.RequestGuardMiddleware) so services and parsers can use the same rules."""

from __future__ import annotations

import datetime
import re

from django.utils.translation import gettext as _

from .numbers import is_ascii_whole_number

# JSON bodies nest at most this deep: the API's deepest document (a salary structure with its components) is 4.
MAX_JSON_DEPTH = 32
# A query value longer than this is refused: no search box or filter needs more.
MAX_QUERY_VALUE_CHARS = 1000
# Dates and months in query values and in anything that computes "the next month" or a range around a date.
FIRST_YEAR = 1000
LAST_YEAR = 9998

# Unicode bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069): they make text show in an
# order other than it is stored ("Trojan Source"), so a name or a note would read as something it is not.
_BIDI_CONTROLS = "\u202a-\u202e\u2066-\u2069"
# C0 and C1 control characters (NUL, escape, bell...) and DEL; PostgreSQL cannot store NUL, and no value needs any.
_CONTROL = re.compile(rf"[\x00-\x1f\x7f-\x9f{_BIDI_CONTROLS}]")
# The same in text people send (form fields, JSON strings), where a textarea legitimately sends tabs and line breaks.
_TEXT_CONTROL = re.compile(rf"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_BIDI_CONTROLS}]")
# A value that looks like a date or a month (YYYY-MM, YYYY-MM-DD, with any number of year digits).
_DATE_LIKE = re.compile(r"[+-]?(\d{4,})-\d{1,2}(?:-\d{1,2})?")
_YEAR_NAME = re.compile(r"(?:^|_)year$")
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'"[]{}')
_PARENTHESES = bytes.maketrans(b"[]{}", b"()()")


def json_too_deep(raw: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether a JSON document nests deeper than `limit`, found without parsing it (and so without recursion), in
    C-speed byte operations: escapes are dropped, the text inside strings is cut out, brackets become ( and ), and
    innermost pairs are removed `limit` times; anything still nested is deeper. It costs well under what parsing
    the body does (README, Trust: request guards)."""
    text = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
    outside_strings = b"".join(text.translate(None, _NOT_STRUCTURE).split(b'"')[::2])
    nesting = outside_strings.translate(_PARENTHESES)
    for _pass in range(limit):
        shorter = nesting.replace(b"()", b"")
        if shorter == nesting:
            break
        nesting = shorter
    # Left: pairs still nested (deeper than the limit), or brackets never closed (invalid, but the parser would
    # recurse into them before noticing).
    return b"()" in nesting or nesting.count(b"(") > limit


def date_in_range(value: datetime.date) -> bool:
    """Whether a date leaves room for what views compute from it (the next month, a year around it)."""
    return FIRST_YEAR <= value.year <= LAST_YEAR


def query_problem(name: str, value: str) -> str | None:
    """Why a query parameter cannot be used, as a readable sentence, or None when it is fine."""
    if _CONTROL.search(name) or _CONTROL.search(value):
        return _("Query values may not contain control characters (such as NUL) or text-direction overrides.")
    if len(value) > MAX_QUERY_VALUE_CHARS:
        return _("A query value may be at most %(n)d characters long.") % {"n": MAX_QUERY_VALUE_CHARS}
    date = _DATE_LIKE.fullmatch(value.strip())
    year = date.group(1) if date else (value.strip() if _YEAR_NAME.search(name) else "")
    if is_ascii_whole_number(year) and not FIRST_YEAR <= int(year) <= LAST_YEAR:
        return _("Dates and years must lie between the years %(first)d and %(last)d.") % {
            "first": FIRST_YEAR,
            "last": LAST_YEAR,
        }
    return None


def has_forbidden_characters(text: str) -> bool:
    """The one check of text people send, in form fields (form_value_problem) and in JSON bodies (the API's parser,
    shop_ops.parsers): control characters other than tab, CR and LF, and bidirectional overrides and isolates."""
    return _TEXT_CONTROL.search(text) is not None


def shown_safely(text: str) -> str:
    """`text` with its forbidden characters written as \\uXXXX, to name a field in an error message."""
    return _TEXT_CONTROL.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


def form_value_problem(name: str, value: str) -> str | None:
    """Why a form field (a POST body's name and value, not an uploaded file) cannot be used, or None when it is
    fine: see has_forbidden_characters."""
    if has_forbidden_characters(name) or has_forbidden_characters(value):
        return _("Form fields may not contain control characters (such as NUL) or text-direction overrides.")
    return None
