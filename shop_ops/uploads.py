"""The one reader of uploaded spreadsheets (.xlsx and .csv) that every import uses.

Its limits (settings `UPLOAD_MAX_*`, see README "Configuration") are enforced while reading, never after: the file
is read at most one byte past its size limit; the zip's member count and declared sizes are checked before any
member is opened, and every member is read through a counting stream that stops at the per-member and total limits
whatever the header says; the XML is streamed (expat, fed 64 KB at a time) and the first row past the row limit,
cell past the column limit, cell past the character limit or filled cell past the cell limit stops the parse. XML
with a document type declaration (the door to external entities and entity-expansion bombs) is refused. A CSV is
decoded (UTF-8 with or without BOM, else GB18030, which Excel in China writes) and parsed line by line, each line
checked for length before the csv module sees it. A refusal is an `UploadRefused` naming the limit it hit.

Values come out as openpyxl's read-only, data-only mode gave them before this reader existed (text, int, float,
bool, datetime for date-formatted numbers, None for an empty cell), with each row's number as the sheet shows it.
"""

from __future__ import annotations

import csv
import datetime
import io
import pyexpat
import re
import zipfile
import zlib
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, fields, replace
from posixpath import dirname, normpath
from posixpath import join as join_path

from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel, from_ISO8601

from .exceptions import ShopOpsError

CHUNK_BYTES = 64 * 1024
EXCEL_MAX_ROWS = 1_048_576
XML_MAX_DEPTH = 64  # a worksheet nests 6 deep; deeper nesting only costs the parser memory
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")
RELATIONSHIP_ID = "http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"

Value = str | int | float | bool | datetime.datetime | datetime.date | datetime.time | datetime.timedelta | None
Row = tuple[int, tuple[Value, ...]]


class UploadRefused(ShopOpsError):
    """An uploaded file that breaks a reading limit or cannot be read; nothing was imported."""

    def __init__(self, message: str):
        super().__init__(message, field="file")


class NotAWorkbook(UploadRefused):
    """A file sent as .xlsx that is not a zip package at all (an import may add how to get the right file)."""


@dataclass(frozen=True)
class UploadLimits:
    file_bytes: int
    unzipped_bytes: int
    member_bytes: int
    zip_members: int
    rows: int
    columns: int
    cells: int
    texts: int
    cell_chars: int
    line_chars: int

    @classmethod
    def from_settings(cls, **tighter: int) -> UploadLimits:
        """The configured limits, with any given ones lowered (an import may be stricter, never looser)."""
        limits = cls(
            file_bytes=settings.UPLOAD_MAX_BYTES,
            unzipped_bytes=settings.UPLOAD_MAX_UNZIPPED_BYTES,
            member_bytes=settings.UPLOAD_MAX_MEMBER_BYTES,
            zip_members=settings.UPLOAD_MAX_ZIP_MEMBERS,
            rows=settings.UPLOAD_MAX_ROWS,
            columns=settings.UPLOAD_MAX_COLUMNS,
            cells=settings.UPLOAD_MAX_CELLS,
            texts=settings.UPLOAD_MAX_TEXTS,
            cell_chars=settings.UPLOAD_MAX_CELL_CHARS,
            line_chars=settings.UPLOAD_MAX_LINE_CHARS,
        )
        known = {f.name for f in fields(cls)}
        if set(tighter) - known:
            raise TypeError(f"unknown upload limits: {sorted(set(tighter) - known)}")
        return replace(limits, **{name: min(value, getattr(limits, name)) for name, value in tighter.items()})


@dataclass
class Sheet:
    """One table of an upload: its name ("" for a CSV) and its non-empty rows as (row number, values)."""

    name: str
    rows: list[Row]


def read_upload(
    upload,
    *,
    formats: Collection[str] = ("xlsx", "csv"),
    sheets: Collection[str] | None = None,
    limits: UploadLimits | None = None,
) -> list[Sheet]:
    """The tables of an uploaded file, read within `limits`. For a workbook: the first worksheet, or (with `sheets`)
    those of the given names that it has, in workbook order. `formats` are the file types the import accepts; with
    only "xlsx" the file is read as a workbook whatever its name."""
    limits = limits or UploadLimits.from_settings()
    raw = _read_capped(upload, limits)
    name = (getattr(upload, "name", "") or "").lower()
    if "csv" in formats and name.endswith(".csv"):
        return [Sheet("", _csv_rows(raw, limits))]
    if "xlsx" in formats and (name.endswith(".xlsx") or "csv" not in formats):
        return _Workbook(raw, limits).read(sheets)
    raise UploadRefused(_("Upload an Excel .xlsx or a .csv file (old .xls files: save them as .xlsx first)."))


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB"


def _read_capped(upload, limits: UploadLimits) -> bytes:
    too_big = _("The file is too large: larger than %(limit)s (the upload limit); split it into smaller files.") % {
        "limit": _megabytes(limits.file_bytes)
    }
    size = getattr(upload, "size", None)
    if size is not None and size > limits.file_bytes:
        raise UploadRefused(too_big)
    if hasattr(upload, "seek"):
        upload.seek(0)
    raw = upload.read(limits.file_bytes + 1)
    if len(raw) > limits.file_bytes:
        raise UploadRefused(too_big)
    if not raw:
        raise UploadRefused(_("The file is empty."))
    return raw


# ---------------------------------------------------------------------------------------------------------------- CSV


def _csv_rows(raw: bytes, limits: UploadLimits) -> list[Row]:
    if b"\x00" in raw:
        raise UploadRefused(
            _("The file contains NUL bytes, so it is not a text CSV file (UTF-16 has them); save it as CSV UTF-8.")
        )
    for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves CSV as GB18030 by default
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise UploadRefused(_("The CSV file is neither UTF-8 nor GB18030 text."))
    del raw
    counter = _CellCounter(limits)
    lines = _CheckedLines(text, limits)
    rows: list[Row] = []
    try:
        for number, values in enumerate(csv.reader(lines), start=1):
            lines.record_done()
            if number > limits.rows + 1:
                raise UploadRefused(_rows_message("", limits))
            if len(values) > limits.columns:
                raise UploadRefused(_columns_message(number, limits))
            for column, value in enumerate(values, start=1):
                if len(value) > limits.cell_chars:
                    raise UploadRefused(_cell_message(number, column, limits))
            if counter.add(sum(1 for v in values if v)):
                rows.append((number, tuple(values)))
    except csv.Error as exc:
        raise UploadRefused(_("The CSV file cannot be read: %(error)s") % {"error": exc}) from None
    return rows


class _CheckedLines:
    """The text's lines for csv.reader, refused as soon as one record (a line, or several inside a quoted cell)
    grows past the line limit, before the csv module has to hold it."""

    def __init__(self, text: str, limits: UploadLimits):
        self.text, self.limits = text, limits
        self.record_chars = 0
        self.line = 0

    def __iter__(self) -> Iterator[str]:
        for match in _LINE.finditer(self.text):  # the lines as open(newline="") gives them, without a copy
            line = match.group()
            self.line += 1
            self.record_chars += len(line)
            if self.record_chars > self.limits.line_chars:
                raise UploadRefused(
                    _("Line %(line)s is longer than %(n)s characters (the limit for one line).")
                    % {"line": self.line, "n": self.limits.line_chars}
                )
            yield line

    def record_done(self) -> None:
        self.record_chars = 0


class _CellCounter:
    def __init__(self, limits: UploadLimits):
        self.limits, self.count = limits, 0

    def add(self, filled: int) -> int:
        """Count a row's filled cells; refuse past the limit. Returns the row's count."""
        self.count += filled
        if self.count > self.limits.cells:
            raise UploadRefused(
                _("The file has more than %(n)s filled cells (the limit); split it into smaller files.")
                % {"n": self.limits.cells}
            )
        return filled


def _rows_message(sheet: str, limits: UploadLimits) -> str:
    if sheet:
        return _("Sheet %(sheet)s has more than %(n)s rows (the limit); split it into smaller files.") % {
            "sheet": sheet,
            "n": limits.rows,
        }
    return _("The file has more than %(n)s rows (the limit); split it into smaller files.") % {"n": limits.rows}


def _columns_message(row: int, limits: UploadLimits) -> str:
    return _("Row %(row)s has more than %(n)s columns (the limit).") % {"row": row, "n": limits.columns}


def _cell_message(row: int | None, column: int | None, limits: UploadLimits) -> str:
    if row is None:
        return _("A text in the workbook has more than %(n)s characters (the limit for one cell).") % {
            "n": limits.cell_chars
        }
    return _("Row %(row)s, column %(column)s has more than %(n)s characters (the limit for one cell).") % {
        "row": row,
        "column": _column_letters(column or 1),
        "n": limits.cell_chars,
    }


def _column_letters(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# ------------------------------------------------------------------------------------------------------------- XLSX


def _unreadable() -> UploadRefused:
    return UploadRefused(_("The Excel file cannot be read; save it again as .xlsx."))


# Everything zipfile and zlib raise for a damaged, encrypted or oddly compressed member.
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, EOFError, OSError, ValueError)


class _Workbook:
    """An .xlsx package opened within the limits; `read` streams the wanted worksheets."""

    def __init__(self, raw: bytes, limits: UploadLimits):
        self.limits = limits
        if not raw.startswith(b"PK\x03\x04"):
            raise NotAWorkbook(_("This .xlsx file is not a real Excel workbook."))
        # An upper bound of the member count (each member has one central-directory header), before zipfile builds
        # an object for every member.
        if raw.count(b"PK\x01\x02") > limits.zip_members:
            raise self._too_many_members()
        try:
            self.archive = zipfile.ZipFile(io.BytesIO(raw))
        except _ZIP_ERRORS:
            raise NotAWorkbook(_("This .xlsx file is not a real Excel workbook.")) from None
        members = self.archive.infolist()
        if len(members) > limits.zip_members:
            raise self._too_many_members()
        for member in members:
            if member.file_size > limits.member_bytes:
                raise self._member_too_big(member.filename)
        if sum(m.file_size for m in members) > limits.unzipped_bytes:
            raise self._total_too_big()
        self.unzipped = 0

    def _too_many_members(self) -> UploadRefused:
        return UploadRefused(
            _("The workbook has more than %(n)s parts (the limit); save it again from Excel as a plain .xlsx.")
            % {"n": self.limits.zip_members}
        )

    def _member_too_big(self, name: str) -> UploadRefused:
        return UploadRefused(
            _("The workbook's part %(name)s unpacks to more than %(limit)s (the limit for one part).")
            % {"name": name[:80], "limit": _megabytes(self.limits.member_bytes)}
        )

    def _total_too_big(self) -> UploadRefused:
        return UploadRefused(
            _("The workbook unpacks to more than %(limit)s (the limit for a whole workbook).")
            % {"limit": _megabytes(self.limits.unzipped_bytes)}
        )

    def chunks(self, name: str) -> Iterator[bytes]:
        """A member's bytes, counted as they are inflated: the stream stops at the limits, whatever the header said."""
        try:
            info = self.archive.getinfo(name)
        except KeyError:
            raise _unreadable() from None
        read = 0
        try:
            with self.archive.open(info) as member:
                while chunk := member.read(CHUNK_BYTES):
                    read += len(chunk)
                    self.unzipped += len(chunk)
                    if read > self.limits.member_bytes:
                        raise self._member_too_big(name)
                    if self.unzipped > self.limits.unzipped_bytes:
                        raise self._total_too_big()
                    yield chunk
        except _ZIP_ERRORS:
            raise _unreadable() from None

    def has(self, name: str) -> bool:
        return name in self.archive.NameToInfo

    def read(self, wanted: Collection[str] | None) -> list[Sheet]:
        workbook_path = _Relationships.of_package(self).target_of("/officeDocument") or "xl/workbook.xml"
        if not self.has(workbook_path):
            raise _unreadable()
        parts = _Relationships(self, workbook_path)
        book = _WorkbookXml(self.limits)
        book.parse(self.chunks(workbook_path))
        worksheets = [(name, parts.targets.get(rid)) for name, rid in book.sheets]
        worksheets = [(name, target) for name, target in worksheets if target and target[0].endswith("/worksheet")]
        if wanted is None:
            chosen = worksheets[:1]
        else:
            chosen = [(name, target) for name, target in worksheets if name in wanted]
        if not chosen:
            return []
        strings: list[str] = []
        strings_path = parts.target_of("/sharedStrings")
        if strings_path and self.has(strings_path):
            reader = _SharedStringsXml(self.limits)
            reader.parse(self.chunks(strings_path))
            strings = reader.strings
        date_styles: set[int] = set()
        timedelta_styles: set[int] = set()
        styles_path = parts.target_of("/styles")
        if styles_path and self.has(styles_path):
            styles = _StylesXml(self.limits)
            styles.parse(self.chunks(styles_path))
            date_styles, timedelta_styles = styles.date_styles(), styles.timedelta_styles()
        counter = _CellCounter(self.limits)
        result = []
        for name, (_kind, path) in chosen:
            if not self.has(path):
                raise _unreadable()
            sheet = _WorksheetXml(
                self.limits,
                name=name,
                strings=strings,
                date_styles=date_styles,
                timedelta_styles=timedelta_styles,
                epoch=CALENDAR_MAC_1904 if book.date1904 else CALENDAR_WINDOWS_1900,
                counter=counter,
            )
            sheet.parse(self.chunks(path))
            result.append(Sheet(name, sheet.rows))
        return result


class _Xml:
    """A streaming XML reader on expat: subclasses get start(local name, attributes), end(local name) and text."""

    def __init__(self, limits: UploadLimits):
        self.limits = limits
        self.depth = 0
        self.elements = 0
        # Elements a part may have: a few per filled cell, and room for the parts around the cells.
        self.max_elements = 4 * limits.cells + 10_000

    def parse(self, chunks: Iterable[bytes]) -> None:
        parser = pyexpat.ParserCreate(namespace_separator="}")
        parser.buffer_text = True
        parser.StartDoctypeDeclHandler = _refuse_doctype
        parser.EntityDeclHandler = _refuse_doctype
        parser.SetParamEntityParsing(pyexpat.XML_PARAM_ENTITY_PARSING_NEVER)
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self.text
        try:
            for chunk in chunks:
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
        except pyexpat.ExpatError:
            raise _unreadable() from None
        except (ValueError, IndexError, OverflowError):  # a number, date or string index that is not one
            raise _unreadable() from None

    def _start(self, name: str, attributes: dict) -> None:
        self.depth += 1
        self.elements += 1
        if self.depth > XML_MAX_DEPTH or self.elements > self.max_elements:
            raise UploadRefused(_("The workbook's XML is nested too deeply or has too many elements to be a table."))
        local = _LOCAL_NAMES.get(name)
        if local is None:
            local = name.rpartition("}")[2]
            if len(_LOCAL_NAMES) < 1000:
                _LOCAL_NAMES[name] = local
        self.start(local, attributes)

    def _end(self, name: str) -> None:
        self.depth -= 1
        self.end(_LOCAL_NAMES.get(name) or name.rpartition("}")[2])

    def start(self, name: str, attributes: dict) -> None:
        pass

    def end(self, name: str) -> None:
        pass

    def text(self, data: str) -> None:
        pass


_LOCAL_NAMES: dict[str, str] = {}  # "namespace}name" → "name", for the few names spreadsheets use


def _refuse_doctype(*_args) -> None:
    raise UploadRefused(
        _("The workbook contains an XML document type declaration (DTD), which Excel never writes; it is refused.")
    )


class _Relationships(_Xml):
    """A part's relationships (`_rels/x.rels`): id → (type, member path)."""

    def __init__(self, workbook: _Workbook, part: str):
        super().__init__(workbook.limits)
        self.base = dirname(part)
        self.targets: dict[str, tuple[str, str]] = {}
        path = join_path(self.base, "_rels", part.rpartition("/")[2] + ".rels")
        if workbook.has(path):
            self.parse(workbook.chunks(path))

    @classmethod
    def of_package(cls, workbook: _Workbook) -> _Relationships:
        return cls(workbook, "")

    def start(self, name, attributes):
        if name == "Relationship":
            target = attributes.get("Target", "")
            path = target[1:] if target.startswith("/") else normpath(join_path(self.base, target))
            self.targets[attributes.get("Id", "")] = (attributes.get("Type", ""), path)

    def target_of(self, kind: str) -> str | None:
        return next((path for type_, path in self.targets.values() if type_.endswith(kind)), None)


class _WorkbookXml(_Xml):
    def __init__(self, limits):
        super().__init__(limits)
        self.sheets: list[tuple[str, str]] = []
        self.date1904 = False

    def start(self, name, attributes):
        if name == "sheet":
            # r:id, in the transitional namespace or the strict one
            rid = attributes.get(RELATIONSHIP_ID) or next((v for k, v in attributes.items() if k.endswith("}id")), "")
            self.sheets.append((attributes.get("name", ""), rid))
        elif name == "workbookPr":
            self.date1904 = attributes.get("date1904", "").lower() in ("1", "true")


class _SharedStringsXml(_Xml):
    """The shared strings, each the text of its runs without the phonetic (rPh) ones, as openpyxl reads them."""

    def __init__(self, limits):
        super().__init__(limits)
        self.strings: list[str] = []
        self.parts: list[str] = []
        self.length = 0
        self.in_text = False
        self.phonetic = 0

    def start(self, name, attributes):
        if name == "t" and not self.phonetic:
            self.in_text = True
        elif name == "rPh":
            self.phonetic += 1
        elif name == "si":
            self.parts, self.length = [], 0

    def end(self, name):
        if name == "t":
            self.in_text = False
        elif name == "rPh":
            self.phonetic -= 1
        elif name == "si":
            self.strings.append("".join(self.parts).replace("x005F_", ""))
            if len(self.strings) > self.limits.texts:
                raise UploadRefused(
                    _("The workbook has more than %(n)s different texts (the limit); split it into smaller files.")
                    % {"n": self.limits.texts}
                )

    def text(self, data):
        if self.in_text:
            self.length += len(data)
            if self.length > self.limits.cell_chars:
                raise UploadRefused(_cell_message(None, None, self.limits))
            self.parts.append(data)


class _StylesXml(_Xml):
    """Which cell styles (`s` of a cell) format a number as a date or a duration, as openpyxl decides it.

    Deciding costs a regular-expression match per format code (tens of µs for a hostile 255-character code), so
    each distinct format is tested once, and a styles part may hold no more formats and styles than Excel itself
    allows (a 7 KB file listing 800,000 styles of one such format kept a worker busy for 44 s)."""

    MAX_NUMBER_FORMATS = 1_000  # Excel: "between 200 and 250, depending on the language version"
    MAX_CELL_STYLES = 65_000  # Excel: 64,000 unique cell formats per workbook

    def __init__(self, limits):
        super().__init__(limits)
        self.custom: dict[int, str] = {}
        self.cell_formats: list[int] = []
        self.in_cell_xfs = False

    def start(self, name, attributes):
        if name == "numFmt":
            self.custom[int(attributes.get("numFmtId", "0"))] = attributes.get("formatCode", "")[:255]
            if len(self.custom) > self.MAX_NUMBER_FORMATS:
                raise UploadRefused(self._too_many())
        elif name == "cellXfs":
            self.in_cell_xfs = True
        elif name == "xf" and self.in_cell_xfs:
            self.cell_formats.append(int(attributes.get("numFmtId", "0")))
            if len(self.cell_formats) > self.MAX_CELL_STYLES:
                raise UploadRefused(self._too_many())

    def end(self, name):
        if name == "cellXfs":
            self.in_cell_xfs = False

    @classmethod
    def _too_many(cls) -> str:
        return _(
            "The workbook defines more than %(formats)s number formats or %(styles)s cell styles, more than Excel "
            "makes; save it again from Excel or as CSV."
        ) % {"formats": cls.MAX_NUMBER_FORMATS, "styles": cls.MAX_CELL_STYLES}

    def _styles_where(self, test: Callable[[str], bool]) -> set[int]:
        verdicts = {
            format_id: test(self.custom.get(format_id) or BUILTIN_FORMATS.get(format_id) or "General")
            for format_id in set(self.cell_formats)
        }
        return {index for index, format_id in enumerate(self.cell_formats) if verdicts[format_id]}

    def date_styles(self) -> set[int]:
        return self._styles_where(is_date_format)

    def timedelta_styles(self) -> set[int]:
        return self._styles_where(is_timedelta_format)


class _WorksheetXml(_Xml):
    """One worksheet's rows, streamed: each limit is checked at the element that would break it."""

    def __init__(self, limits, *, name, strings, date_styles, timedelta_styles, epoch, counter: _CellCounter):
        super().__init__(limits)
        self.name = name
        self.strings = strings
        self.date_styles = date_styles
        self.timedelta_styles = timedelta_styles
        self.epoch = epoch
        self.counter = counter
        self.rows: list[Row] = []
        self.row_number = 0
        self.row: list[Value] = []
        self.column = 0
        self.kind = "n"
        self.style = 0
        self.parts: list[str] = []
        self.length = 0
        self.in_value = False
        self.phonetic = 0
        self.max_row = min(limits.rows + 1, EXCEL_MAX_ROWS)

    def start(self, name, attributes):
        if name == "c":
            reference = attributes.get("r")
            column = _column_of(reference) if reference else self.column + 1
            if column <= self.column and reference:
                raise _unreadable()
            if column > self.limits.columns:
                raise UploadRefused(_columns_message(self.row_number, self.limits))
            self.column = column
            self.kind = attributes.get("t", "n")
            style = attributes.get("s")
            self.style = int(style) if style else 0
            self.parts, self.length = [], 0
        elif name == "v" or (name == "t" and not self.phonetic):
            self.in_value = True
        elif name == "rPh":
            self.phonetic += 1
        elif name == "row":
            reference = attributes.get("r")
            number = int(reference) if reference else self.row_number + 1
            if number <= self.row_number:
                raise _unreadable()
            if number > self.max_row:
                raise UploadRefused(_rows_message(self.name, self.limits))
            self.row_number, self.row, self.column = number, [], 0

    def text(self, data):
        if self.in_value:
            self.length += len(data)
            if self.length > self.limits.cell_chars:
                raise UploadRefused(_cell_message(self.row_number, self.column, self.limits))
            self.parts.append(data)

    def end(self, name):
        if name == "c":
            value = self._value()
            if value is not None:
                if len(self.row) < self.column - 1:
                    self.row.extend([None] * (self.column - 1 - len(self.row)))
                self.row.append(value)
        elif name == "v" or name == "t":
            self.in_value = False
        elif name == "rPh":
            self.phonetic -= 1
        elif name == "row":
            if self.row and self.counter.add(sum(1 for v in self.row if v is not None and v != "")):
                self.rows.append((self.row_number, tuple(self.row)))
            self.row = []

    def _value(self) -> Value:
        kind = self.kind
        text = "".join(self.parts)
        if kind == "inlineStr":
            return text if self.parts else None
        if not text:
            return None
        if kind == "s":
            return self.strings[int(text)]
        if kind == "n":
            number = float(text) if "." in text or "e" in text or "E" in text else int(text)
            if self.style in self.date_styles:
                try:
                    return from_excel(number, self.epoch, timedelta=self.style in self.timedelta_styles)
                except (OverflowError, ValueError):
                    return "#VALUE!"
            return number
        if kind == "b":
            return bool(int(text))
        if kind == "d":
            return from_ISO8601(text)
        return text  # "str" (a formula's text result) and "e" (an error such as #N/A), as openpyxl gives them


def _column_of(reference: str) -> int:
    number = 0
    for char in reference:
        if "A" <= char <= "Z":
            number = number * 26 + ord(char) - 64
        elif "a" <= char <= "z":
            number = number * 26 + ord(char) - 96
        else:
            break
        if number > 16_384:  # past Excel's last column XFD
            raise _unreadable()
    if not number:
        raise _unreadable()
    return number
