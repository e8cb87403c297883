"""Results for people: a text report, a CSV of every answer and an Excel workbook.

Pure functions over the digest (``survey.results``) and the export rows (``survey.model``), shared
by ``python -m bot results`` and the bot's /results and /export. Nothing here touches a database
or Telegram.

Answers carry text typed by users (comments, names). Spreadsheet programs run a cell that starts
with ``=``, ``+``, ``-`` or ``@`` as a formula, so such text is written with a leading apostrophe
(CSV and formula injection). Times are written as ISO 8601 strings in UTC.
"""

from __future__ import annotations

import csv
import io
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from survey.model import ExportRow, Funnel
from survey.offices import office_name
from survey.questionnaire import Questionnaire
from survey.results import Digest, RecommendationResult

__all__ = [
    "CSV_COLUMNS",
    "SHEETS",
    "TITLE_WIDTH",
    "answers_csv",
    "digest_text",
    "recommendation_label",
    "results_xlsx",
    "spreadsheet_safe",
]

CSV_COLUMNS: tuple[str, ...] = (
    "office_code",
    "office_name",
    "office_kind",
    "status",
    "submitted_at",
    "recommendation",
    "title",
    "level",
    "level_label",
    "comment",
    "changed_at",
    "changed_by",
)
SHEETS: tuple[str, ...] = ("Summary", "Answers", "Comments", "Recommendations")
TITLE_WIDTH = 50  # characters of a title in the text report
NO_VALUE = "–"  # shown in the text report for a missing score or rank

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_WRAP = 100  # width of the prose lines in the text report

Value = str | int | float | None
Sheet = Any  # an openpyxl worksheet; openpyxl ships no type information
_BOLD = Font(bold=True)
_WRAPPED = Alignment(wrap_text=True, vertical="top")


def recommendation_label(number: int) -> str:
    """``R01`` .. ``R40``."""
    return f"R{number:02d}"


def spreadsheet_safe(text: str) -> str:
    """``text`` with a leading apostrophe if a spreadsheet would read it as a formula."""
    return "'" + text if text.startswith(_FORMULA_START) else text


# -- text ------------------------------------------------------------------------------------


def digest_text(digest: Digest, questionnaire: Questionnaire, lang: str = "en") -> str:
    """A plain-text report for a terminal: header, Office funnel, score rule, ranked table."""
    drafts = (
        "submitted answers and drafts"
        if digest.include_drafts
        else "submitted answers only (drafts not included)"
    )
    lines = [
        f"Results of questionnaire {digest.questionnaire_id}",
        f"Generated: {_iso(digest.generated_at)}",
        f"Counted:   {drafts}",
    ]
    if questionnaire.is_working_summary:
        lines.append("Wording:   working summary, not the official text of the Recommendations")
    lines += ["", "Offices", *_funnel_lines(digest.funnel), ""]
    lines += textwrap.wrap(digest.score_explanation(), _WRAP)
    lines.append("")
    lines += _table_lines(digest, questionnaire, lang)
    return "\n".join(lines) + "\n"


def _funnel_lines(funnel: Funnel) -> list[str]:
    values = _funnel(funnel)
    width = max(len(str(value)) for _, value in values)
    lines = []
    for label, value in values:
        line = f"  {label:<10}{value:>{width}}"
        if label != "listed" and funnel.offices:
            line += f"  {100 * value / funnel.offices:5.1f}%"
        lines.append(line)
    return lines


def _table_lines(digest: Digest, questionnaire: Questionnaire, lang: str) -> list[str]:
    items = [*digest.ranking, *(item for item in digest.items if item.score is None)]
    levels = [(level.code, level.label(lang)) for level in questionnaire.scale]
    header = ["Rank", "No.", "Title", *(label for _, label in levels), "Answered", "Score"]
    rows = [
        [
            str(item.rank) if item.rank is not None else NO_VALUE,
            recommendation_label(item.number),
            _shorten(_title(questionnaire, item.number, lang), TITLE_WIDTH),
            *(str(item.counts.get(code, 0)) for code, _ in levels),
            str(item.answered),
            f"{item.score:.2f}" if item.score is not None else NO_VALUE,
        ]
        for item in items
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    widths[2] = max(widths[2], min(TITLE_WIDTH, 20))
    left = {1, 2}  # the R-number and the title; numbers are right-aligned

    def line(cells: Sequence[str]) -> str:
        parts = [
            cell.ljust(width) if i in left else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    lines = [line(header), line(["-" * width for width in widths])]
    lines += [line(row) for row in rows]
    if not any(item.answered for item in items):
        lines += ["", "No answers counted yet."]
    return lines


def _shorten(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


# -- CSV -------------------------------------------------------------------------------------


def answers_csv(rows: Sequence[ExportRow], questionnaire: Questionnaire, lang: str = "en") -> str:
    """Every answer, one line per Office x Recommendation, with a header line (RFC 4180).

    Write the result to a file opened with ``newline=""``; add a BOM (``utf-8-sig``) if the
    file is meant for Excel.
    """
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        cells = [
            row.office_code,
            office_name(row.office_code, lang, row.office_names),
            row.office_kind,
            row.status.value,
            _iso(row.submitted_at),
            recommendation_label(row.recommendation),
            _title(questionnaire, row.recommendation, lang),
            row.level or "",
            _level_label(questionnaire, row.level, lang),
            row.comment or "",
            _iso(row.changed_at),
            row.changed_by_name or "",
        ]
        writer.writerow([spreadsheet_safe(cell) for cell in cells])
    return buffer.getvalue()


# -- XLSX ------------------------------------------------------------------------------------


def results_xlsx(
    digest: Digest, rows: Sequence[ExportRow], questionnaire: Questionnaire, lang: str = "en"
) -> bytes:
    """An Excel workbook: Summary, Answers (Office x Recommendation matrix), Comments and the
    Recommendations' text."""
    workbook = Workbook()
    _summary_sheet(workbook.active, digest, questionnaire, lang)
    _answers_sheet(workbook.create_sheet(SHEETS[1]), rows, questionnaire, lang)
    _comments_sheet(workbook.create_sheet(SHEETS[2]), rows, questionnaire, lang)
    _recommendations_sheet(workbook.create_sheet(SHEETS[3]), questionnaire, lang)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _summary_sheet(ws: Sheet, digest: Digest, questionnaire: Questionnaire, lang: str) -> None:
    ws.title = SHEETS[0]
    drafts = "drafts included" if digest.include_drafts else "submitted answers only"
    wording = (
        ", working summary (not the official text)" if questionnaire.is_working_summary else ""
    )
    _append(
        ws,
        [f"Questionnaire {digest.questionnaire_id}{wording}"],
        [f"Generated {_iso(digest.generated_at)}; {drafts}"],
    )
    funnel = _funnel(digest.funnel)
    _append(ws, ["Offices", *(label for label, _ in funnel)], bold=True)
    _append(ws, ["", *(value for _, value in funnel)])
    _append(ws, [digest.score_explanation()], [])
    levels = [(level.code, level.label(lang)) for level in questionnaire.scale]
    header = ["Recommendation", "Title", *(label for _, label in levels)]
    _append(ws, [*header, "Answered", "Score", "Rank"], bold=True)
    header_row: int = ws.max_row
    _append(
        ws,
        *(
            [
                recommendation_label(item.number),
                _title(questionnaire, item.number, lang),
                *(item.counts.get(code, 0) for code, _ in levels),
                item.answered,
                item.score,
                item.rank,
            ]
            for item in sorted(digest.items, key=_by_number)
        ),
    )
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    _fit(ws, start_row=header_row, caps={2: 60})


def _answers_sheet(
    ws: Sheet, rows: Sequence[ExportRow], questionnaire: Questionnaire, lang: str
) -> None:
    numbers = questionnaire.numbers
    column = {number: 4 + index for index, number in enumerate(numbers)}
    offices: dict[str, list[Value]] = {}
    for row in rows:
        cells = offices.get(row.office_code)
        if cells is None:
            cells = [
                row.office_code,
                office_name(row.office_code, lang, row.office_names),
                row.status.value,
                _iso(row.submitted_at),
                *([None] * len(numbers)),
            ]
            offices[row.office_code] = cells
        if row.level and row.recommendation in column:
            cells[column[row.recommendation]] = _level_label(questionnaire, row.level, lang)
    header = ["Office", "Name", "Status", "Submitted at"]
    _append(ws, [*header, *map(recommendation_label, numbers)], bold=True)
    _append(ws, *offices.values())
    ws.freeze_panes = "C2"  # the header row and the Office code and name stay in view
    ws.auto_filter.ref = ws.dimensions
    _fit(ws, caps={2: 40})


def _comments_sheet(
    ws: Sheet, rows: Sequence[ExportRow], questionnaire: Questionnaire, lang: str
) -> None:
    _append(ws, ["Office", "Name", "Recommendation", "Title", "Level", "Comment"], bold=True)
    _append(
        ws,
        *(
            [
                row.office_code,
                office_name(row.office_code, lang, row.office_names),
                recommendation_label(row.recommendation),
                _title(questionnaire, row.recommendation, lang),
                _level_label(questionnaire, row.level, lang),
                row.comment,
            ]
            for row in rows
            if row.comment and row.comment.strip()
        ),
    )
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    _fit(ws, caps={2: 40, 4: 50, 6: 80}, wrap={6})


def _recommendations_sheet(ws: Sheet, questionnaire: Questionnaire, lang: str) -> None:
    _append(ws, ["Recommendation", "Title", "Statement"], bold=True)
    _append(
        ws,
        *(
            [recommendation_label(item.number), item.title(lang), item.statement(lang)]
            for item in questionnaire.recommendations
        ),
    )
    ws.freeze_panes = "A2"
    _fit(ws, caps={2: 60, 3: 100}, wrap={2, 3})


def _append(ws: Sheet, *rows: Iterable[Value], bold: bool = False) -> None:
    for row in rows:
        ws.append([_xl(value) for value in row])
        if bold:
            for cell in ws[ws.max_row]:
                cell.font = _BOLD


def _fit(
    ws: Sheet,
    *,
    start_row: int = 1,
    caps: Mapping[int, int] | None = None,
    wrap: Iterable[int] = (),
) -> None:
    """Column widths from the longest line of text from `start_row` down, capped (`caps` by
    column number, else 24); text wraps in the `wrap` columns."""
    limits = caps or {}
    wrapped = set(wrap)
    widths: dict[int, int] = {}
    for row in ws.iter_rows(min_row=start_row):
        for cell in row:
            if cell.value is None:
                continue
            lines = str(cell.value).splitlines() or [""]
            widths[cell.column] = max(widths.get(cell.column, 0), *map(len, lines))
            if cell.column in wrapped and cell.row > 1:
                cell.alignment = _WRAPPED
    for column, width in widths.items():
        limit = limits.get(column, 24)
        ws.column_dimensions[get_column_letter(column)].width = min(max(width, 6), limit) + 2


def _xl(value: Value) -> Value:
    """A cell value: text without the characters XML cannot hold, guarded against formulas."""
    if isinstance(value, str):
        return spreadsheet_safe(ILLEGAL_CHARACTERS_RE.sub("", value))
    return value


# -- shared ----------------------------------------------------------------------------------


def _funnel(funnel: Funnel) -> list[tuple[str, int]]:
    return [
        ("listed", funnel.offices),
        ("invited", funnel.invited),
        ("verified", funnel.verified),
        ("started", funnel.started),
        ("submitted", funnel.submitted),
    ]


def _by_number(item: RecommendationResult) -> int:
    return item.number


def _iso(moment: datetime | None) -> str:
    """ISO 8601 in UTC; a naive time (as SQLite returns them) is taken to be UTC already."""
    if moment is None:
        return ""
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.isoformat(timespec="seconds")


def _title(questionnaire: Questionnaire, number: int, lang: str) -> str:
    if not questionnaire.has_recommendation(number):
        return ""
    return questionnaire.recommendation(number).title(lang)


def _level_label(questionnaire: Questionnaire, code: str | None, lang: str) -> str:
    if not code:
        return ""
    level = questionnaire.level(code)
    return level.label(lang) if level is not None else code
