"""The results as an Excel workbook (``python -m bot results --format xlsx``): Summary,
Answers (Office x Recommendation matrix), Comments and the Recommendations' text.

Answers carry text typed by users (comments, names). Every text cell is written as a string
cell (its type set, its value exactly as typed), so text that starts with ``=`` is never a
formula, ``#N/A`` is never an error value, and nothing gains a visible apostrophe. Only the
characters XML cannot hold are dropped. Times are written as ISO 8601 strings in UTC.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from reports.labels import funnel_counts, iso_utc, level_label, recommendation_label, title
from survey.model import ExportRow
from survey.offices import office_name
from survey.questionnaire import Questionnaire
from survey.results import Digest, RecommendationResult

__all__ = ["SHEETS", "results_xlsx"]

SHEETS: tuple[str, ...] = ("Summary", "Answers", "Comments", "Recommendations")

Value = str | int | float | None
Sheet = Any  # an openpyxl worksheet; openpyxl ships no type information
_BOLD = Font(bold=True)
_WRAPPED = Alignment(wrap_text=True, vertical="top")
_ILLEGAL: re.Pattern[str] = ILLEGAL_CHARACTERS_RE  # control characters XML cannot hold
_STRING = "s"  # openpyxl's data type of a text cell (written as an inline string)


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
        [f"Generated {iso_utc(digest.generated_at)}; {drafts}"],
    )
    funnel = funnel_counts(digest.funnel)
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
                title(questionnaire, item.number, lang),
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
                iso_utc(row.submitted_at),
                *([None] * len(numbers)),
            ]
            offices[row.office_code] = cells
        if row.level and row.recommendation in column:
            cells[column[row.recommendation]] = level_label(questionnaire, row.level, lang)
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
                title(questionnaire, row.recommendation, lang),
                level_label(questionnaire, row.level, lang),
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
    """Append each row; text cells are typed as text whatever they start with."""
    for row in rows:
        cells = []
        for value in row:
            cell = Cell(ws, value=_xl(value))  # openpyxl guesses a type from the value...
            if isinstance(value, str):
                cell.data_type = _STRING  # ...which for "=..." or "#N/A" is not text
            if bold:
                cell.font = _BOLD
            cells.append(cell)
        ws.append(cells)


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
    """A cell value: text without the characters XML cannot hold, otherwise as given."""
    if isinstance(value, str):
        return _ILLEGAL.sub("", value)
    return value


def _by_number(item: RecommendationResult) -> int:
    return item.number
