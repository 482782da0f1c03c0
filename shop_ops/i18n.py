"""Names kept in two languages (name_zh / name_en, title_zh / title_en): a page shows the one of its language.

Names typed once in both ("底薪 Base pay", as salary components and structures were named before issue 13, and
as approved payslips keep them) are read the same way: the Chinese part on a Chinese page, the English part
elsewhere.
"""

from __future__ import annotations

import re

from django.utils.translation import get_language

# "底薪 Base pay", "店长(运营总监或副总) Shop manager", "利润分成 Profit share 8%": Chinese first (it may hold
# punctuation and digits, not Latin letters), then one space and English (ASCII only, starting with a letter).
BILINGUAL = re.compile(r"(?P<zh>[^\x00-\x7f][^A-Za-z]*?)\s+(?P<en>[A-Za-z][\x20-\x7e]*)")


def pick_language(zh: str | None, en: str | None) -> str:
    """The Chinese text on a Chinese page and the English one elsewhere; the other when that one is empty."""
    zh, en = zh or "", en or ""
    if (get_language() or "zh-hans").lower().startswith("zh"):
        return zh or en
    return en or zh


def in_language_text(text: str | None) -> str:
    """One language of a name written in both ("底薪 Base pay" → "底薪" on a Chinese page); other text as it is."""
    text = text or ""
    match = BILINGUAL.fullmatch(text.strip())
    if match is None:
        return text
    return pick_language(match["zh"].strip(), match["en"].strip())


def in_language(record, field: str = "name", prefix: str = "") -> str:
    """`field` of a record (an object or a .values() dict) in the active language: record.name_zh or
    record.name_en. `prefix` reads related values of a dict, e.g. prefix="department__"."""
    if record is None:
        return ""
    if isinstance(record, str):
        return in_language_text(record)
    if isinstance(record, dict):
        return pick_language(record.get(f"{prefix}{field}_zh"), record.get(f"{prefix}{field}_en"))
    return pick_language(getattr(record, f"{field}_zh", ""), getattr(record, f"{field}_en", ""))
