"""Names kept in two languages (name_zh / name_en, title_zh / title_en): a page shows the one of its language.

Names typed once in both ("底薪 Base pay", as salary components and structures were named before issue 13, and
as approved payslips keep them) are read the same way: the Chinese part on a Chinese page, the English part
elsewhere.

Sentences the system writes into a record ("Order shipped" as a movement's reason) are stored in the language of
whoever caused them; `StoredSentences` shows them in the reader's language.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cached_property

from django.conf import settings
from django.utils import translation
from django.utils.translation import get_language, gettext

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


_PLACEHOLDER = re.compile(r"%\((?P<name>\w+)\)s")  # a sentence's values are text (%(name)s)


class StoredSentences:
    """The msgids (marked with gettext_noop) of the sentences an app writes into records, rendered with
    `_(msgid) % values` (placeholders %(name)s) in the language active when written. `in_language(text)` finds
    which sentence a stored text is, in any language of LANGUAGES, and writes it again, with the same values, in
    the active language; a text that is none of them (typed by a person, or cut at the field's length) is returned
    as it is."""

    def __init__(self, msgids: Iterable[str]):
        self.msgids = tuple(msgids)

    @cached_property
    def patterns(self) -> list[tuple[str, re.Pattern]]:
        found = []
        for msgid in self.msgids:
            for language, _name in settings.LANGUAGES:
                with translation.override(language):
                    written = gettext(msgid)
                parts, position, names = [], 0, set()
                for match in _PLACEHOLDER.finditer(written):
                    parts.append(re.escape(written[position : match.start()]))
                    name = match["name"]
                    parts.append(f"(?P={name})" if name in names else f"(?P<{name}>.+?)")
                    names.add(name)
                    position = match.end()
                parts.append(re.escape(written[position:]))
                found.append((msgid, re.compile("".join(parts), re.DOTALL)))
        return found

    def in_language(self, text: str | None) -> str:
        text = text or ""
        for msgid, pattern in self.patterns:
            match = pattern.fullmatch(text)
            if match is not None:
                return gettext(msgid) % match.groupdict() if match.groupdict() else gettext(msgid)
        return text
