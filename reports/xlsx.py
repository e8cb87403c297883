"""The results as an Excel workbook (``python -m bot results --format xlsx``, /export):
Summary (what was counted, the Office funnel, the score rule), Ranking, Answers (one row per
Office x Recommendation with level, comment, who and when), Comments (only the answers with
one, to read them together), Offices (each Office's status) and the Recommendations' text.
Sheet names, headers and labels are in the reader's language.

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

from reports.i18n import translations
from reports.labels import (
    counted_text,
    funnel_labels,
    iso_utc,
    level_label,
    office_kind_label,
    office_state,
    recommendation_label,
    score_rule,
    status_label,
    title,
)
from survey.model import ExportRow, OfficeStatus
from survey.offices import office_name
from survey.questionnaire import Questionnaire
from survey.results import Digest

__all__ = ["SHEETS", "results_xlsx", "sheet_names"]

Value = str | int | float | None
Sheet = Any  # an openpyxl worksheet; openpyxl ships no type information
_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=13)
_WRAPPED = Alignment(wrap_text=True, vertical="top")
_ILLEGAL: re.Pattern[str] = ILLEGAL_CHARACTERS_RE  # control characters XML cannot hold
_STRING = "s"  # openpyxl's data type of a text cell (written as an inline string)


def sheet_names(lang: str = "en") -> tuple[str, ...]:
    """The workbook's sheets in ``lang``: Summary, Ranking, Answers, Comments, Offices,
    Recommendations."""
    _ = translations(lang).gettext
    return (
        _("Summary"),
        _("Ranking"),
        _("Answers"),
        _("Comments"),
        _("Offices"),
        _("Recommendations"),
    )


SHEETS: tuple[str, ...] = sheet_names("en")


def results_xlsx(
    digest: Digest,
    rows: Sequence[ExportRow],
    questionnaire: Questionnaire,
    lang: str = "en",
    *,
    offices: Sequence[OfficeStatus] = (),
) -> bytes:
    """An Excel workbook of the results; ``offices`` fills the Offices sheet (one row each)."""
    names = sheet_names(lang)
    workbook = Workbook()
    summary = workbook.active
    summary.title = names[0]
    _summary_sheet(summary, digest, questionnaire, lang)
    _ranking_sheet(workbook.create_sheet(names[1]), digest, questionnaire, lang)
    _answers_sheet(workbook.create_sheet(names[2]), rows, questionnaire, lang)
    _comments_sheet(workbook.create_sheet(names[3]), rows, questionnaire, lang)
    _offices_sheet(workbook.create_sheet(names[4]), offices, questionnaire, lang)
    _recommendations_sheet(workbook.create_sheet(names[5]), questionnaire, lang)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _summary_sheet(ws: Sheet, digest: Digest, questionnaire: Questionnaire, lang: str) -> None:
    _ = translations(lang).gettext
    _append(ws, [_("Results of questionnaire {id}").format(id=digest.questionnaire_id)])
    ws["A1"].font = _TITLE
    _append(
        ws,
        [_("Generated"), iso_utc(digest.generated_at)],
        [_("Counted"), counted_text(digest, lang)],
    )
    if questionnaire.is_working_summary:
        _append(
            ws,
            [
                _("Wording"),
                _("working summary by the survey team, not the official text"),
            ],
        )
    for (label,) in ws.iter_rows(min_row=2, max_col=1):
        label.font = _BOLD
    _append(ws, [])
    funnel = funnel_labels(digest.funnel, lang)
    _append(ws, [_("Offices"), *(label for label, _count in funnel)], bold=True)
    _append(ws, ["", *(count for _label, count in funnel)], [], [score_rule(questionnaire, lang)])
    ws.column_dimensions["A"].width = 16
    for column in range(2, 2 + len(funnel)):
        ws.column_dimensions[get_column_letter(column)].width = 14


def _ranking_sheet(ws: Sheet, digest: Digest, questionnaire: Questionnaire, lang: str) -> None:
    _ = translations(lang).gettext
    levels = [(level.code, level.label(lang)) for level in questionnaire.scale]
    header = [_("Rank"), _("Recommendation"), _("Title"), *(label for _code, label in levels)]
    _append(ws, [*header, _("Answered"), _("Score")], bold=True)
    items = [*digest.ranking, *(item for item in digest.items if item.rank is None)]
    _append(
        ws,
        *(
            [
                item.rank,
                recommendation_label(item.number),
                title(questionnaire, item.number, lang),
                *(item.counts.get(code, 0) for code, _label in levels),
                item.answered,
                item.score,
            ]
            for item in items
        ),
    )
    ws.freeze_panes = "C2"
    ws.auto_filter.ref = ws.dimensions
    _fit(ws, caps={3: 60})


def _answers_sheet(
    ws: Sheet, rows: Sequence[ExportRow], questionnaire: Questionnaire, lang: str
) -> None:
    _ = translations(lang).gettext
    header = [
        _("Office"),
        _("Name"),
        _("Status"),
        _("Submitted at"),
        _("Recommendation"),
        _("Title"),
        _("Level"),
        _("Comment"),
        _("Changed by"),
        _("Changed at"),
    ]
    _append(ws, header, bold=True)
    _append(
        ws,
        *(
            [
                row.office_code,
                office_name(row.office_code, lang, row.office_names),
                status_label(row.status, lang),
                iso_utc(row.submitted_at) or None,
                recommendation_label(row.recommendation),
                title(questionnaire, row.recommendation, lang),
                level_label(questionnaire, row.level, lang) or None,
                row.comment or None,
                row.changed_by_name or None,
                iso_utc(row.changed_at) or None,
            ]
            for row in rows
        ),
    )
    ws.freeze_panes = "C2"  # the header row and the Office code and name stay in view
    ws.auto_filter.ref = ws.dimensions
    _fit(ws, caps={2: 40, 6: 40, 8: 80}, wrap={8})


def _comments_sheet(
    ws: Sheet, rows: Sequence[ExportRow], questionnaire: Questionnaire, lang: str
) -> None:
    _ = translations(lang).gettext
    header = [_("Office"), _("Name"), _("Recommendation"), _("Title"), _("Level"), _("Comment")]
    _append(ws, header, bold=True)
    _append(
        ws,
        *(
            [
                row.office_code,
                office_name(row.office_code, lang, row.office_names),
                recommendation_label(row.recommendation),
                title(questionnaire, row.recommendation, lang),
                level_label(questionnaire, row.level, lang) or None,
                row.comment,
            ]
            for row in rows
            if row.comment and row.comment.strip()
        ),
    )
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    _fit(ws, caps={2: 40, 4: 50, 6: 80}, wrap={6})


def _offices_sheet(
    ws: Sheet, offices: Sequence[OfficeStatus], questionnaire: Questionnaire, lang: str
) -> None:
    _ = translations(lang).gettext
    header = [
        _("Office"),
        _("Name"),
        _("Kind"),
        _("Status"),
        _("Invited"),
        _("Representatives"),
        _("Answered"),
        _("Submitted at"),
    ]
    _append(ws, header, bold=True)
    _append(
        ws,
        *(
            [
                status.office.code,
                status.office.name(lang),
                office_kind_label(status.office.kind, lang),
                office_state(status, len(questionnaire), lang),
                _("yes") if status.invited else _("no"),
                status.representatives,
                status.answered,
                iso_utc(status.submitted_at) or None,
            ]
            for status in offices
        ),
    )
    ws.freeze_panes = "C2"
    ws.auto_filter.ref = ws.dimensions
    _fit(ws, caps={2: 40, 4: 30})


def _recommendations_sheet(ws: Sheet, questionnaire: Questionnaire, lang: str) -> None:
    _ = translations(lang).gettext
    _append(ws, [_("Recommendation"), _("Title"), _("Statement")], bold=True)
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
