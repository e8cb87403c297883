"""Hostile workbooks, made from a genuine one (reports.workbook.office_workbook) by replacing
or adding one part of the package: small files (tens of kilobytes packed) that cost a
spreadsheet library minutes or gigabytes. Never stored: each test makes its own.

The first six are the files of issue 21, as they were sent to the bot; the others hold each
one measure of reports/xlsx_limits.py just over its limit, within every other.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Mapping

from openpyxl.utils import get_column_letter

from reports.workbook import COLUMNS, HEADER_ROW

SHEET = "xl/worksheets/sheet1.xml"  # the answers sheet, as the bot writes it
STYLES = "xl/styles.xml"
SHARED = "xl/sharedStrings.xml"
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_SHARED_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
_SHARED_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
HANGUL_FILLER = "\u3164"  # invisible, and never trimmed from a comment


def repack(genuine: bytes, parts: Mapping[str, bytes]) -> bytes:
    """The package with ``parts`` replaced or added (a shared strings part declared as Excel
    declares it), everything else as it was."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(genuine)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target,
    ):
        names = source.namelist()
        for name in names:
            content = parts.get(name, source.read(name))
            if SHARED in parts and SHARED not in names:
                content = _declare_shared_strings(name, content)
            target.writestr(name, content)
        for name, content in parts.items():
            if name not in names:
                target.writestr(name, content)
    return out.getvalue()


def _declare_shared_strings(name: str, content: bytes) -> bytes:
    if name == "[Content_Types].xml":
        override = f'<Override PartName="/{SHARED}" ContentType="{_SHARED_TYPE}"/>'
        return content.replace(b"</Types>", override.encode() + b"</Types>")
    if name == "xl/_rels/workbook.xml.rels":
        rel = f'<Relationship Id="rIdShared" Type="{_SHARED_REL}" Target="sharedStrings.xml"/>'
        return content.replace(b"</Relationships>", rel.encode() + b"</Relationships>")
    return content


def shared_strings(items: str, count: int) -> bytes:
    return (
        (
            f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{_MAIN}" count="{count}" '
            f'uniqueCount="{count}">'
        ).encode()
        + items.encode()
        + b"</sst>"
    )


def sheet(rows: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{_MAIN}"><sheetData>'
        f"{rows}</sheetData></worksheet>"
    ).encode()


def _answer_rows(count: int, comment: str) -> str:
    """The header row, then ``count`` rows of Recommendations 1, 2, ... (numbers repeating)
    with a level, and ``comment`` (a cell's XML) in the comment column."""
    number, level, note = (
        get_column_letter(COLUMNS[key]) for key in ("number", "level", "comment")
    )
    rows = [
        f'<row r="{HEADER_ROW}"><c r="{number}{HEADER_ROW}" t="inlineStr"><is><t>No.</t></is></c>'
        f'<c r="{level}{HEADER_ROW}" t="inlineStr"><is><t>Level</t></is></c>'
        f'<c r="{note}{HEADER_ROW}" t="inlineStr"><is><t>Comment</t></is></c></row>'
    ]
    for index in range(count):
        row = HEADER_ROW + 1 + index
        rows.append(
            f'<row r="{row}"><c r="{number}{row}"><v>{index % 40 + 1}</v></c>'
            f'<c r="{level}{row}" t="inlineStr"><is><t>High</t></is></c>'
            f'<c r="{note}{row}" {comment}</c></row>'
        )
    return "".join(rows)


def _styles_with(genuine: bytes, tag: str, group: str, count: int) -> bytes:
    """styles.xml with its ``group`` (fonts, fills...) replaced by ``count`` empty ``tag``s."""
    with zipfile.ZipFile(io.BytesIO(genuine)) as source:
        styles = source.read(STYLES).decode()
    empty = f'<{group} count="{count}">' + f"<{tag}/>" * count + f"</{group}>"
    replaced, found = re.subn(rf"<{group}\b.*?</{group}>", empty, styles, count=1, flags=re.S)
    if not found:  # the genuine styles have none of these: added before cellXfs
        replaced = styles.replace("<cellXfs", empty + "<cellXfs", 1)
    return replaced.encode()


# -- the files of issue 21 ------------------------------------------------------------------------


def invisible_comments(genuine: bytes, *, characters: int = 19 * 1024 * 1024 // 3) -> bytes:
    """One shared string of 19 MB of U+3164 shown by 1,996 comment cells."""
    return repack(
        genuine,
        {
            SHARED: shared_strings(f"<si><t>{HANGUL_FILLER * characters}</t></si>", 1),
            SHEET: sheet(_answer_rows(1996, 't="s"><v>0</v>')),
        },
    )


def invisible_headers(genuine: bytes, *, characters: int = 19 * 1024 * 1024 // 3) -> bytes:
    """The same string in 680 cells of the rows searched for the header row."""
    rows = "".join(
        f'<row r="{row}">'
        + "".join(
            f'<c r="{get_column_letter(col)}{row}" t="s"><v>0</v></c>' for col in range(1, 35)
        )
        + "</row>"
        for row in range(1, 21)
    )
    return repack(
        genuine,
        {
            SHARED: shared_strings(f"<si><t>{HANGUL_FILLER * characters}</t></si>", 1),
            SHEET: sheet(rows),
        },
    )


def empty_shared_strings(genuine: bytes, *, count: int = 1_400_000) -> bytes:
    return repack(genuine, {SHARED: shared_strings("<si><t/></si>" * count, count)})


def rich_text_runs(genuine: bytes, *, runs: int = 200_000) -> bytes:
    """One shared string of ``runs`` formatted pieces, in a comment cell."""
    string = "<si>" + "<r><rPr><b/></rPr><t>a</t></r>" * runs + "</si>"
    return repack(
        genuine,
        {SHARED: shared_strings(string, 1), SHEET: sheet(_answer_rows(40, 't="s"><v>0</v>'))},
    )


def empty_fonts(genuine: bytes, *, count: int = 400_000) -> bytes:
    return repack(genuine, {STYLES: _styles_with(genuine, "font", "fonts", count)})


def millions_of_fonts(genuine: bytes) -> bytes:
    return empty_fonts(genuine, count=2_800_000)


ISSUE_FILES: dict[str, Callable[[bytes], bytes]] = {
    "19 MB string in 1,996 comment cells": invisible_comments,
    "19 MB string in 680 header cells": invisible_headers,
    "1.4 million empty shared strings": empty_shared_strings,
    "rich-text runs": rich_text_runs,
    "400,000 empty fonts": empty_fonts,
    "2.8 million fonts": millions_of_fonts,
}


# -- one measure over its limit ------------------------------------------------------------------


def fonts(genuine: bytes, count: int) -> bytes:
    return empty_fonts(genuine, count=count)


def fills(genuine: bytes, count: int) -> bytes:
    return repack(genuine, {STYLES: _styles_with(genuine, "fill", "fills", count)})


def borders(genuine: bytes, count: int) -> bytes:
    return repack(genuine, {STYLES: _styles_with(genuine, "border", "borders", count)})


def cell_formats(genuine: bytes, count: int) -> bytes:
    return repack(genuine, {STYLES: _styles_with(genuine, "xf", "cellXfs", count)})


def long_comment(genuine: bytes, characters: int) -> bytes:
    """One comment cell holding a string of ``characters`` letters, inline."""
    cell = f't="inlineStr"><is><t>{"a" * characters}</t></is>'
    return repack(genuine, {SHEET: sheet(_answer_rows(40, cell))})


def long_comments(genuine: bytes, characters: int, cells: int) -> bytes:
    """One shared string of ``characters`` invisible letters in ``cells`` comment cells."""
    return repack(
        genuine,
        {
            SHARED: shared_strings(f"<si><t>{HANGUL_FILLER * characters}</t></si>", 1),
            SHEET: sheet(_answer_rows(cells, 't="s"><v>0</v>')),
        },
    )


def cells(genuine: bytes, count: int) -> bytes:
    row = "".join(f'<c r="{get_column_letter(col)}1"/>' for col in range(1, 101))
    rows = "".join(f'<row r="{index + 1}">{row}</row>' for index in range(count // 100 + 1))
    return repack(genuine, {"xl/worksheets/sheet2.xml": sheet(rows)})


def rows(genuine: bytes, count: int) -> bytes:
    return repack(
        genuine,
        {"xl/worksheets/sheet2.xml": sheet("".join(f'<row r="{n + 1}"/>' for n in range(count)))},
    )


def empty_shared_strings_of(genuine: bytes, count: int) -> bytes:
    return empty_shared_strings(genuine, count=count)


def rich_text_runs_of(genuine: bytes, count: int) -> bytes:
    return rich_text_runs(genuine, runs=count)
