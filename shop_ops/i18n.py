"""Names kept in two languages (name_zh / name_en, title_zh / title_en): a page shows the one of its language."""

from __future__ import annotations

from django.utils.translation import get_language


def pick_language(zh: str | None, en: str | None) -> str:
    """The Chinese text on a Chinese page and the English one elsewhere; the other when that one is empty."""
    zh, en = zh or "", en or ""
    if (get_language() or "zh-hans").lower().startswith("zh"):
        return zh or en
    return en or zh


def in_language(record, field: str = "name", prefix: str = "") -> str:
    """`field` of a record (an object or a .values() dict) in the active language: record.name_zh or
    record.name_en. `prefix` reads related values of a dict, e.g. prefix="department__"."""
    if record is None:
        return ""
    if isinstance(record, dict):
        return pick_language(record.get(f"{prefix}{field}_zh"), record.get(f"{prefix}{field}_en"))
    return pick_language(getattr(record, f"{field}_zh", ""), getattr(record, f"{field}_en", ""))
