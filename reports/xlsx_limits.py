"""Cheap checks of an XLSX package before any spreadsheet library reads it.

openpyxl builds an object for every font, cell format, shared string and text run it meets,
and the survey's rules then look at every character of every cell: a file of some tens of
kilobytes can hold millions of those (an empty ``<font/>`` is 7 bytes) or a string of
megabytes, and cost gigabytes or minutes. ``check_xlsx_limits`` reads every part of the package
once, as a stream (each ZIP member through a size-bounded reader, a SAX parser that keeps no
tree and refuses entity declarations), counting what could be costly and stopping at the first
count over its limit. It allocates nothing that grows with the file, except one small number
per shared string and per cell that shows one (both counts bounded).

The limits are about twenty times what a genuine workbook of answers holds, downloaded from the
bot and edited in Excel or LibreOffice (40 Recommendations with 1,000-character comments, some
notes added, saved again): see ``LIMITS``. Any later upload path (the Secretariat's
questionnaire workbook) can call this with its own ``XlsxLimits``.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from xml.sax import SAXException
from xml.sax.handler import ContentHandler

from babel.numbers import format_decimal
from defusedxml import DefusedXmlException
from defusedxml.expatreader import DefusedExpatParser

from reports.i18n import N_, translations
from reports.numbers import format_number

__all__ = ["LIMITS", "Excess", "Measure", "XlsxLimits", "check_xlsx_limits"]

_CHUNK = 64 * 1024
_MB = 1024 * 1024


class Measure(StrEnum):
    PART_SIZE = "part_size"
    FONTS = "fonts"
    FILLS = "fills"
    BORDERS = "borders"
    CELL_FORMATS = "cell_formats"
    NUMBER_FORMATS = "number_formats"
    CONDITIONAL_FORMATS = "conditional_formats"
    SHARED_STRINGS = "shared_strings"
    TEXT_RUNS = "text_runs"
    ROWS = "rows"
    CELLS = "cells"
    STRING_LENGTH = "string_length"
    TEXT_IN_CELLS = "text_in_cells"


# What each count is, for the person: "(… more than 1,000 fonts)".
_NAMES = {
    Measure.FONTS: N_("fonts"),
    Measure.FILLS: N_("fill patterns"),
    Measure.BORDERS: N_("borders"),
    Measure.CELL_FORMATS: N_("cell formats"),
    Measure.NUMBER_FORMATS: N_("number formats"),
    Measure.CONDITIONAL_FORMATS: N_("conditional formats"),
    Measure.SHARED_STRINGS: N_("texts"),
    Measure.TEXT_RUNS: N_("pieces of formatted text"),
    Measure.ROWS: N_("rows"),
    Measure.CELLS: N_("cells"),
    Measure.TEXT_IN_CELLS: N_("characters of text in its cells"),
}


@dataclass(frozen=True, slots=True)
class XlsxLimits:
    part_bytes: int  # any one member, unpacked (a sheet, the shared strings, the styles)
    styles_bytes: int  # xl/styles.xml, unpacked
    fonts: int
    fills: int
    borders: int
    cell_formats: int  # <xf> of cellXfs and cellStyleXfs together
    number_formats: int
    conditional_formats: int  # <dxf>
    shared_strings: int  # <si>
    text_runs: int  # <r>: rich text, in shared or inline strings
    rows: int  # all sheets together
    cells: int  # all sheets together
    string_length: int  # characters in any one string: a shared or inline string, a value
    text_in_cells: int  # characters of all the text the cells show, a shared string per use


# A genuine workbook (reports.workbook.office_workbook, 40 comments of 1,000 characters, saved
# again by a spreadsheet program): its answers sheet 272 KB unpacked, styles 4 KB; 4 fonts,
# 4 fills, 1 border, 9 cell formats; about 450 cells in 100 rows showing some 60,000
# characters (Excel moves them to some 350 shared strings). Excel holds at most 32,767
# characters in a cell.
LIMITS = XlsxLimits(
    part_bytes=6 * _MB,
    styles_bytes=1 * _MB,
    fonts=1_000,
    fills=1_000,
    borders=1_000,
    cell_formats=10_000,
    number_formats=1_000,
    conditional_formats=1_000,
    shared_strings=20_000,
    text_runs=20_000,
    rows=20_000,
    cells=100_000,
    string_length=32_767,
    text_in_cells=2_000_000,
)


@dataclass(frozen=True, slots=True)
class Excess:
    """What is too large in the file: one measure over its limit."""

    measure: Measure
    limit: int
    part: str  # the ZIP member where it was found

    def reason(self, lang: str) -> str:
        """Why the file is refused, in ``lang``, to be put in a sentence: "more than 1,000
        fonts"."""
        tr = translations(lang)
        _ = tr.gettext
        if self.measure is Measure.PART_SIZE:
            return _("its part {part} is larger than {limit} MB unpacked").format(
                part=self.part, limit=format_decimal(self.limit / _MB, "0.#", locale=lang)
            )
        if self.measure is Measure.STRING_LENGTH:
            return tr.ngettext(
                "a text longer than {limit} character",
                "a text longer than {limit} characters",
                self.limit,
            ).format(limit=format_number(self.limit, lang))
        return _("more than {limit} {what}").format(
            limit=format_number(self.limit, lang), what=_(_NAMES[self.measure])
        )


class _OverLimitError(Exception):
    def __init__(self, measure: Measure) -> None:
        self.measure = measure


def check_xlsx_limits(data: bytes, limits: XlsxLimits = LIMITS) -> Excess | None:
    """The first measure of the package ``data`` over its limit, else None. A part that is not
    well-formed XML (or declares entities) is left to the reader, which refuses it."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        return None  # the container check says what it is
    counter = _Counter(limits)
    with archive:
        members = [member for member in archive.infolist() if not member.is_dir()]
        for member in members:  # the directory's sizes first: nothing unpacked yet
            limit = _part_limit(member.filename, limits)
            if member.file_size > limit:
                return Excess(Measure.PART_SIZE, limit, member.filename)
        for member in members:
            try:
                counter.read(archive, member, _part_limit(member.filename, limits))
            except _OverLimitError as over:
                limit = (
                    _part_limit(member.filename, limits)
                    if over.measure is Measure.PART_SIZE
                    else _limit(limits, over.measure)
                )
                return Excess(over.measure, limit, member.filename)
        if counter.text_in_cells() > limits.text_in_cells:
            return Excess(Measure.TEXT_IN_CELLS, limits.text_in_cells, "")
    return None


def _part_limit(name: str, limits: XlsxLimits) -> int:
    return limits.styles_bytes if name.lower().endswith("styles.xml") else limits.part_bytes


def _limit(limits: XlsxLimits, measure: Measure) -> int:
    if measure is Measure.PART_SIZE:
        return limits.part_bytes
    value: int = getattr(limits, measure.value)
    return value


# Local element names (any namespace prefix) -> the measure each one counts toward.
_COUNTED = {
    "font": Measure.FONTS,
    "fill": Measure.FILLS,
    "border": Measure.BORDERS,
    "xf": Measure.CELL_FORMATS,
    "numFmt": Measure.NUMBER_FORMATS,
    "dxf": Measure.CONDITIONAL_FORMATS,
    "si": Measure.SHARED_STRINGS,
    "r": Measure.TEXT_RUNS,
    "row": Measure.ROWS,
    "c": Measure.CELLS,
}
_DRAWING = "http://schemas.openxmlformats.org/drawingml/"
_TEXT = frozenset({"t", "v"})
_STRING = frozenset({"si", "is"})  # a shared string, an inline string: their <t>s add up


class _Counter(ContentHandler):
    """Counts elements and string lengths, part after part, raising ``_OverLimitError`` at the first
    measure over its limit."""

    def __init__(self, limits: XlsxLimits) -> None:
        super().__init__()
        self.limits = limits
        self.counts = dict.fromkeys(Measure, 0)
        self.string_lengths: list[array[int]] = []  # per shared strings part, by index
        self.shown = array("q")  # the shared string index of each cell that shows one
        self.inline_chars = 0
        self._part = ""

    def read(self, archive: zipfile.ZipFile, member: zipfile.ZipInfo, limit: int) -> None:
        self._begin_part(member.filename)
        parser = DefusedExpatParser(namespaceHandling=1)
        parser.setContentHandler(self)
        try:
            for chunk in _bounded(archive, member, limit):
                parser.feed(chunk)
            parser.close()
        except (SAXException, DefusedXmlException, ValueError):
            return  # not XML, or not well-formed: the reader refuses it if it reads it
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError):
            return  # damaged, or packed in a way zipfile cannot unpack: the same

    def _begin_part(self, name: str) -> None:
        self._part = name
        self._lengths: array[int] | None = None
        self._in_string = False
        self._string = 0  # characters of the string being read
        self._text: str | None = None  # which text element we are in: "t", "v" or None
        self._cell_shared = False  # the cell being read shows a shared string
        self._value = ""  # the digits of a shared-string cell's <v>

    def startElementNS(  # noqa: N802 - SAX's name
        self, name: tuple[str | None, str], qname: str | None, attrs: Any
    ) -> None:
        uri, local = name
        # DrawingML's fonts and runs (the theme, text boxes) are not read as the workbook's.
        measure = None if uri and uri.startswith(_DRAWING) else _COUNTED.get(local)
        if measure is not None:
            self.counts[measure] += 1
            if self.counts[measure] > _limit(self.limits, measure):
                raise _OverLimitError(measure)
        if local == "sst":
            self._lengths = array("q")
            self.string_lengths.append(self._lengths)
        elif local in _STRING:
            self._in_string, self._string = True, 0
        elif local == "c":
            self._cell_shared = attrs.get((None, "t")) == "s"
        elif local in _TEXT:
            self._text = local
            if not self._in_string:
                self._string = 0
            self._value = ""

    def endElementNS(  # noqa: N802 - SAX's name
        self, name: tuple[str | None, str], qname: str | None
    ) -> None:
        local = name[1]
        if local in _STRING:
            self._in_string = False
            if local == "si" and self._lengths is not None:
                self._lengths.append(self._string)
            elif local == "is":
                self.inline_chars += self._string
                if self.inline_chars > self.limits.text_in_cells:
                    raise _OverLimitError(Measure.TEXT_IN_CELLS)
        elif local in _TEXT:
            if local == "v" and self._cell_shared and self._value.isdigit():
                self.shown.append(int(self._value))
                self._cell_shared = False
            self._text = None

    def characters(self, content: str) -> None:
        if self._text is None:
            return
        self._string += len(content)
        if self._string > self.limits.string_length:
            raise _OverLimitError(Measure.STRING_LENGTH)
        if self._text == "v" and self._cell_shared and len(self._value) < 20:
            self._value += content

    def text_in_cells(self) -> int:
        """The characters the cells show: inline strings, and a shared string each time a cell
        shows it (by the longest at its index, if the package holds several tables)."""
        longest: dict[int, int] = {}
        for lengths in self.string_lengths:
            for index, length in enumerate(lengths):
                longest[index] = max(longest.get(index, 0), length)
        return self.inline_chars + sum(longest.get(index, 0) for index in self.shown)


def _bounded(archive: zipfile.ZipFile, member: zipfile.ZipInfo, limit: int) -> Iterator[bytes]:
    """The member's bytes in chunks, refusing past ``limit`` whatever the directory said."""
    read = 0
    with archive.open(member) as stream:
        while chunk := stream.read(_CHUNK):
            read += len(chunk)
            if read > limit:
                raise _OverLimitError(Measure.PART_SIZE)
            yield chunk
