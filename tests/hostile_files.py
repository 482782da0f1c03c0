"""Hostile uploads, made in code (no binary fixtures): each is built small in memory and streamed into its zip, so
making a 100 MB bomb costs the test little. Used by tests/test_uploads.py and bench/hostile_uploads.py.

`HOSTILE_XLSX[name](sheet_name, header)` gives the bytes of a workbook whose sheet `sheet_name` starts with the
`header` row (so the import reaches the hostile part); `HOSTILE_CSV[name]()` gives CSV bytes. `EXPECTED[name]` is
a piece of the English refusal message.
"""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Callable, Iterable, Iterator
from xml.sax.saxutils import escape

from openpyxl import Workbook

MAIN = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
SHARED_STRINGS_RELATIONSHIP = (
    b'<Relationship Id="rIdStrings" Target="sharedStrings.xml" '
    b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/>'
)
SHARED_STRINGS_TYPE = (
    b'<Override PartName="/xl/sharedStrings.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
)
PROLOG = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def _inline(column: int, row: int, text: str) -> bytes:
    letters = ""
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return f'<c r="{letters}{row}" t="inlineStr"><is><t>{escape(text)}</t></is></c>'.encode()


def header_row(header: Iterable[str]) -> bytes:
    return b'<row r="1">' + b"".join(_inline(i, 1, h) for i, h in enumerate(header, start=1)) + b"</row>"


def sheet_xml(rows: Iterable[bytes], *, doctype: bytes = b"") -> Iterator[bytes]:
    yield PROLOG + doctype + b"<worksheet " + MAIN + b"><sheetData>"
    yield from rows
    yield b"</sheetData></worksheet>"


def workbook(
    sheet_name: str,
    sheet: Iterable[bytes] | None = None,
    *,
    shared_strings: Iterable[bytes] | None = None,
    styles: Iterable[bytes] | None = None,
    extra_members: int = 0,
) -> bytes:
    """An openpyxl workbook with one sheet called `sheet_name`, its sheet XML, shared strings and styles replaced by
    the given chunks (streamed into the zip, compressed at the highest level)."""
    book = Workbook()
    book.active.title = sheet_name
    book.active.append(["x"])
    base = io.BytesIO()
    book.save(base)
    out = io.BytesIO()
    replaced = {"xl/worksheets/sheet1.xml": sheet, "xl/sharedStrings.xml": shared_strings, "xl/styles.xml": styles}
    with zipfile.ZipFile(base) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for info in source.infolist():
            chunks = replaced.pop(info.filename, None)
            if chunks is None:
                data = source.read(info.filename)
                if shared_strings is not None:
                    data = data.replace(b"</Relationships>", SHARED_STRINGS_RELATIONSHIP + b"</Relationships>")
                    data = data.replace(b"</Types>", SHARED_STRINGS_TYPE + b"</Types>")
                target.writestr(info.filename, data)
                continue
            with target.open(info.filename, "w", force_zip64=False) as member:
                for chunk in chunks:
                    member.write(chunk)
        if replaced.get("xl/sharedStrings.xml") is not None:  # openpyxl wrote none: add the part
            with target.open("xl/sharedStrings.xml", "w") as member:
                for chunk in replaced["xl/sharedStrings.xml"]:
                    member.write(chunk)
        for number in range(extra_members):
            target.writestr(f"xl/media/part{number}.bin", b"")
    return out.getvalue()


def _repeat(piece: bytes, total_bytes: int) -> Iterator[bytes]:
    block = piece * max(1, (1 << 20) // len(piece))
    for _ in range(total_bytes // len(block)):
        yield block


def huge_row(sheet_name: str, header: list[str]) -> bytes:
    """One row that inflates to 100 MB of XML (the issue's 300 KB file)."""
    cells = _repeat(b"<c><v>1</v></c>", 100 << 20)
    return workbook(sheet_name, sheet_xml([header_row(header), b'<row r="2">', *cells, b"</row>"]))


def lying_size(sheet_name: str, header: list[str]) -> bytes:
    """The huge row, with the zip's headers saying the sheet unpacks to 2 KB."""
    raw = bytearray(huge_row(sheet_name, header))
    name = b"xl/worksheets/sheet1.xml"
    # Central directory entry: uncompressed size at offset 24 from the signature, name at offset 46.
    position = 0
    while (position := raw.find(b"PK\x01\x02", position)) != -1:
        length = struct.unpack_from("<H", raw, position + 28)[0]
        if raw[position + 46 : position + 46 + length] == name:
            struct.pack_into("<I", raw, position + 24, 2048)
            local = struct.unpack_from("<I", raw, position + 42)[0]
            struct.pack_into("<I", raw, local + 22, 2048)
        position += 4
    return bytes(raw)


def shared_strings_bomb(sheet_name: str, header: list[str]) -> bytes:
    """400 000 different shared strings (9 MB of XML), every one a cell of the sheet's second row... and beyond."""
    count = 400_000
    strings = [PROLOG + b"<sst " + MAIN + f' count="{count}" uniqueCount="{count}">'.encode()]
    strings += [
        b"".join(b"<si><t>s%d</t></si>" % i for i in range(start, start + 10_000)) for start in range(0, count, 10_000)
    ]
    strings.append(b"</sst>")
    return workbook(
        sheet_name,
        sheet_xml([header_row(header), b'<row r="2"><c r="A2" t="s"><v>0</v></c></row>']),
        shared_strings=strings,
    )


# A number format that openpyxl's date test takes tens of µs to decide (its regular expression on unclosed "[").
SLOW_FORMAT = b"[" * 255


def _styles(formats: bytes, styles: Iterable[bytes]) -> Iterator[bytes]:
    yield PROLOG + b"<styleSheet " + MAIN + b"><numFmts>" + formats + b"</numFmts><cellXfs>"
    yield from styles
    yield b"</cellXfs></styleSheet>"


def styles_bomb(sheet_name: str, header: list[str]) -> bytes:
    """805,000 cell styles of one slow number format in a 7 KB file (found by an attack: 44 s per upload)."""
    formats = b'<numFmt numFmtId="164" formatCode="' + SLOW_FORMAT + b'"/>'
    styles = _repeat(b'<xf numFmtId="164"/>', 805_000 * 20)
    return workbook(sheet_name, sheet_xml([header_row(header)]), styles=_styles(formats, styles))


def number_formats_bomb(sheet_name: str, header: list[str]) -> bytes:
    """50,000 different slow number formats, each used by a style: caching per format would not help."""
    formats = b"".join(b'<numFmt numFmtId="%d" formatCode="%s%d"/>' % (i, SLOW_FORMAT[:240], i) for i in range(50_000))
    styles = (b'<xf numFmtId="%d"/>' % i for i in range(50_000))
    return workbook(sheet_name, sheet_xml([header_row(header)]), styles=_styles(formats, styles))


def many_rows(sheet_name: str, header: list[str]) -> bytes:
    """200 000 short rows (the CSV case of the issue, as a workbook)."""
    rows = (
        b"".join(b'<row r="%d"><c r="A%d"><v>1</v></c></row>' % (r, r) for r in range(start, start + 10_000))
        for start in range(2, 200_002, 10_000)
    )
    return workbook(sheet_name, sheet_xml([header_row(header), *rows]))


def many_columns(sheet_name: str, header: list[str]) -> bytes:
    """One row of 16 000 cells (under the per-part size limit, so the column limit is what stops it)."""
    cells = b"".join(b"<c><v>%d</v></c>" % i for i in range(16_000))
    return workbook(sheet_name, sheet_xml([header_row(header), b'<row r="2">', cells, b"</row>"]))


def huge_cell(sheet_name: str, header: list[str]) -> bytes:
    """One cell of 10 million characters."""
    text = _repeat(b"A", 10_000_000)
    return workbook(
        sheet_name,
        sheet_xml([header_row(header), b'<row r="2"><c r="A2" t="inlineStr"><is><t>', *text, b"</t></is></c></row>"]),
    )


def many_members(sheet_name: str, header: list[str]) -> bytes:
    """A workbook with 5 000 extra (empty) parts."""
    return workbook(sheet_name, sheet_xml([header_row(header)]), extra_members=5_000)


def xxe(sheet_name: str, header: list[str]) -> bytes:
    """An external entity that would read a file of the server into a cell."""
    doctype = b'<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    row = b'<row r="2"><c r="A2" t="inlineStr"><is><t>&xxe;</t></is></c></row>'
    return workbook(sheet_name, sheet_xml([header_row(header), row], doctype=doctype))


def billion_laughs(sheet_name: str, header: list[str]) -> bytes:
    """Ten nested entities of ten: 10⁹ "lol"s from a few hundred bytes."""
    entities = [b'<!ENTITY lol0 "lol">'] + [
        b'<!ENTITY lol%d "%s">' % (i, b"".join(b"&lol%d;" % (i - 1) for _ in range(10))) for i in range(1, 10)
    ]
    doctype = b"<!DOCTYPE worksheet [" + b"".join(entities) + b"]>"
    row = b'<row r="2"><c r="A2" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
    return workbook(sheet_name, sheet_xml([header_row(header), row], doctype=doctype))


def nul_bytes(sheet_name: str, header: list[str]) -> bytes:
    """A NUL byte inside the sheet's XML."""
    row = b'<row r="2"><c r="A2" t="inlineStr"><is><t>a\x00b</t></is></c></row>'
    return workbook(sheet_name, sheet_xml([header_row(header), row]))


def deep_nesting(sheet_name: str, header: list[str]) -> bytes:
    """100 000 nested elements in a cell."""
    return workbook(
        sheet_name,
        sheet_xml([header_row(header), b'<row r="2"><c r="A2">', b"<x>" * 100_000, b"</x>" * 100_000, b"</c></row>"]),
    )


def not_a_zip(sheet_name: str, header: list[str]) -> bytes:
    return b"sku,location,quantity\nA,B,1\n"


def empty(sheet_name: str, header: list[str]) -> bytes:
    return b""


HOSTILE_XLSX: dict[str, Callable[[str, list[str]], bytes]] = {
    "huge_row": huge_row,
    "lying_size": lying_size,
    "shared_strings_bomb": shared_strings_bomb,
    "styles_bomb": styles_bomb,
    "number_formats_bomb": number_formats_bomb,
    "many_rows": many_rows,
    "many_columns": many_columns,
    "huge_cell": huge_cell,
    "many_members": many_members,
    "xxe": xxe,
    "billion_laughs": billion_laughs,
    "nul_bytes": nul_bytes,
    "deep_nesting": deep_nesting,
    "not_a_zip": not_a_zip,
    "empty": empty,
}

HOSTILE_CSV: dict[str, Callable[[], bytes]] = {
    "csv_many_rows": lambda: b"sku,location,quantity\n" + b"a\n" * 2_400_000,
    "csv_long_line": lambda: b"sku,location,quantity\n" + b"a" * 4_000_000 + b"\n",
    "csv_long_record": lambda: b'sku,location,quantity\n"' + b"a" * 99 + (b"\n" + b"a" * 99) * 40_000 + b'",A-01,1\n',
    "csv_huge_cell": lambda: b"sku,location,quantity\n" + b"a" * 5_000 + b",A-01,1\n",
    "csv_many_columns": lambda: b"sku,location,quantity\n" + b"a," * 30_000 + b"a\n",
    "csv_nul_bytes": lambda: b"sku,location,quantity\nTS001-WHT-M\x00,A-01,1\n",
    "csv_not_text": lambda: b"sku,location,quantity\n\xff\xfe\xfa\xfb,A-01,1\n",
    "csv_empty": lambda: b"",
}

EXPECTED = {
    "huge_row": "unpacks to more than",
    "lying_size": "cannot be read",
    "shared_strings_bomb": "different texts (the limit)",
    "styles_bomb": "more than Excel makes",
    "number_formats_bomb": "more than Excel makes",
    "many_rows": "rows (the limit)",
    "many_columns": "columns (the limit)",
    "huge_cell": "characters (the limit for one cell)",
    "many_members": "parts (the limit)",
    "xxe": "document type declaration",
    "billion_laughs": "document type declaration",
    "nul_bytes": "cannot be read",
    "deep_nesting": "nested too deeply",
    "not_a_zip": "not",
    "empty": "empty",
    "csv_many_rows": "rows (the limit)",
    "csv_long_line": "characters (the limit for one line)",
    "csv_long_record": "characters (the limit for one line)",
    "csv_huge_cell": "characters (the limit for one cell)",
    "csv_many_columns": "columns (the limit)",
    "csv_nul_bytes": "NUL",
    "csv_not_text": "neither UTF-8 nor GB18030",
    "csv_empty": "empty",
}
