"""Text as people type it on a phone: Chinese keyboards often send full-width letters, digits and hyphens
(ＴＳ００１－ＷＨＴ－Ｍ, ＳＦ１２３４５６７８９０), and numbers are written in groups (6222 0212 0203 1847 265). Forms,
serializers and the SKU look-up pass such values through these helpers, so what is stored and matched is the plain
form (TS001-WHT-M, SF1234567890, 6222021202031847265)."""

import re
import unicodedata

_NUMBER_SEPARATORS = re.compile(r"[\s\-]+")


def plain_text(value: str | None) -> str:
    """Full-width letters, digits and punctuation become their ordinary forms (Unicode NFKC); spaces around go."""
    return unicodedata.normalize("NFKC", value or "").strip()


def plain_number(value: str | None) -> str:
    """A number typed in groups (bank account, ID number): plain_text without the spaces and hyphens inside."""
    return _NUMBER_SEPARATORS.sub("", plain_text(value))
