"""The results as an Excel workbook (``python -m bot results --format xlsx``, /export):
Summary (what was counted, the Office funnel, the score rule), Ranking, Answers (one row per
Office x Recommendation with level, comment, who and when), Comments (only the answers with
one, to read them together), Offices (each Office's status) and the Recommendations' text.
Sheet names, headers and labels are in the reader's language.

Answers carry text typed by users (comments, names). Every text cell is written as a string
cell (its type set, its value exactly as typed), so text that starts with ``=`` is never a
formula, ``#N/A`` is never an error value, and nothing gains a visible apostrophe. Only the
characters XML cannot hold are dropped. Times are written as ISO 8601 strings in UTC.

The workbook is written in openpyxl's write-only mode: each row goes to the sheet's file as it
is made, so ten thousand Offices (400,000 answer rows) take tens of megabytes instead of
gigabytes of cell objects. A sheet's column widths come before its rows in the file, so the
rows of a sheet are gone through twice: once for the widths, once to write them.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from reports.i18n import translations
from reports.labels import (
    RowLabels,
    counted_text,
    funnel_labels,
    iso_utc,
    office_kind_label,
    office_state,
    recommendation_label,
    score_rule,
    title,
)
from reports.wording import changed_after_answers_lines, version_text
from reports.xml_text import xml_text
from survey.model import ExportRow, OfficeStatus
from survey.questionnaire import Questionnaire
from survey.results import Digest
from survey.setup import InForce

__all__ = ["SHEETS", "results_xlsx", "sheet_names"]

Value = str | int | float | None
Sheet = Any  # an openpyxl worksheet; openpyxl ships no type information
Rows = Callable[[], Iterable[Sequence[Value]]]  # a sheet's rows, as often as asked for
_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=13)
_WRAPPED = Alignment(wrap_text=True, vertical="top")
_STRING = "s"  # openpyxl's data type of a text cell (written as an inline string)
_DEFAULT_CAP = 24  # widest column, in characters, unless a sheet says otherwise


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
    in_force: InForce | None = None,
) -> bytes:
    """An Excel workbook of the results; ``offices`` fills the Offices sheet (one row each);
    ``in_force``: the Summary names the version and lists the texts changed after answers
    began."""
    names = sheet_names(lang)
    workbook = Workbook(write_only=True)
    labels = RowLabels(questionnaire, lang)
    wording = _wording_rows(in_force, rows, lang)
    _summary_sheet(workbook.create_sheet(names[0]), digest, questionnaire, lang, wording)
    _ranking_sheet(workbook.create_sheet(names[1]), digest, questionnaire, lang)
    _answers_sheet(workbook.create_sheet(names[2]), rows, labels, lang)
    _comments_sheet(workbook.create_sheet(names[3]), rows, labels, lang)
    _offices_sheet(workbook.create_sheet(names[4]), offices, questionnaire, lang)
    _recommendations_sheet(workbook.create_sheet(names[5]), questionnaire, lang)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _wording_rows(
    in_force: InForce | None, rows: Sequence[ExportRow], lang: str
) -> list[list[Value]]:
    if in_force is None:
        return []
    _ = translations(lang).gettext
    labelled: list[list[Value]] = [[_("Questionnaire"), version_text(in_force, lang)]]
    for index, line in enumerate(changed_after_answers_lines(in_force, rows, lang)):
        labelled.append([_("Changed after answers began") if index == 0 else "", line])
    return labelled


def _summary_sheet(
    ws: Sheet,
    digest: Digest,
    questionnaire: Questionnaire,
    lang: str,
    wording: Sequence[list[Value]] = (),
) -> None:
    _ = translations(lang).gettext
    labelled: list[list[Value]] = [
        [_("Generated"), iso_utc(digest.generated_at)],
        [_("Counted"), counted_text(digest, lang)],
        *wording,
    ]
    if questionnaire.is_working_summary:
        labelled.append(
            [_("Wording"), _("working summary by the survey team, not the official text")]
        )
    funnel = funnel_labels(digest.funnel, lang)
    ws.column_dimensions["A"].width = 16
    for column in range(2, 2 + len(funnel)):
        ws.column_dimensions[get_column_letter(column)].width = 14
    ws.append(
        [_cell(ws, _("Results of questionnaire {id}").format(id=digest.questionnaire_id), _TITLE)]
    )
    for label, *values in labelled:
        ws.append([_cell(ws, label, _BOLD), *values])
    ws.append([])
    ws.append([_cell(ws, value, _BOLD) for value in [_("Offices"), *(x for x, _n in funnel)]])
    counts: list[Value] = ["", *(count for _label, count in funnel)]
    ws.append([_cell(ws, value) for value in counts])
    ws.append([])
    ws.append([score_rule(questionnaire, lang)])


def _ranking_sheet(ws: Sheet, digest: Digest, questionnaire: Questionnaire, lang: str) -> None:
    _ = translations(lang).gettext
    levels = [(level.code, level.label(lang)) for level in questionnaire.scale]
    header = [_("Rank"), _("Recommendation"), _("Title"), *(label for _code, label in levels)]
    items = [*digest.ranking, *(item for item in digest.items if item.rank is None)]
    lines: list[Sequence[Value]] = [
        [
            item.rank,
            recommendation_label(item.number),
            title(questionnaire, item.number, lang),
            *(item.counts.get(code, 0) for code, _label in levels),
            item.answered,
            item.score,
        ]
        for item in items
    ]
    _write(ws, [*header, _("Answered"), _("Score")], lambda: lines, freeze="C2", caps={3: 60})


def _answers_sheet(ws: Sheet, rows: Sequence[ExportRow], labels: RowLabels, lang: str) -> None:
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

    def lines() -> Iterator[Sequence[Value]]:
        for row in rows:
            yield [
                row.office_code,
                labels.office_name(row),
                labels.status(row.status),
                iso_utc(row.submitted_at) or None,
                recommendation_label(row.recommendation),
                labels.title(row.recommendation),
                labels.level(row.level) or None,
                row.comment or None,
                row.changed_by_name or None,
                iso_utc(row.changed_at) or None,
            ]

    # The header row and the Office code and name stay in view.
    _write(ws, header, lines, freeze="C2", caps={2: 40, 6: 40, 8: 80}, wrap={8})


def _comments_sheet(ws: Sheet, rows: Sequence[ExportRow], labels: RowLabels, lang: str) -> None:
    _ = translations(lang).gettext
    header = [_("Office"), _("Name"), _("Recommendation"), _("Title"), _("Level"), _("Comment")]

    def lines() -> Iterator[Sequence[Value]]:
        for row in rows:
            if row.comment and row.comment.strip():
                yield [
                    row.office_code,
                    labels.office_name(row),
                    recommendation_label(row.recommendation),
                    labels.title(row.recommendation),
                    labels.level(row.level) or None,
                    row.comment,
                ]

    _write(ws, header, lines, freeze="A2", caps={2: 40, 4: 50, 6: 80}, wrap={6})


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

    def lines() -> Iterator[Sequence[Value]]:
        for status in offices:
            yield [
                status.office.code,
                status.office.name(lang),
                office_kind_label(status.office.kind, lang),
                office_state(status, len(questionnaire), lang),
                _("yes") if status.invited else _("no"),
                status.representatives,
                status.answered,
                iso_utc(status.submitted_at) or None,
            ]

    _write(ws, header, lines, freeze="C2", caps={2: 40, 4: 30})


def _recommendations_sheet(ws: Sheet, questionnaire: Questionnaire, lang: str) -> None:
    _ = translations(lang).gettext
    lines = [
        [recommendation_label(item.number), item.title(lang), item.statement(lang)]
        for item in questionnaire.recommendations
    ]
    header = [_("Recommendation"), _("Title"), _("Statement")]
    _write(
        ws, header, lambda: lines, freeze="A2", caps={2: 60, 3: 100}, wrap={2, 3}, auto_filter=False
    )


def _write(
    ws: Sheet,
    header: Sequence[str],
    rows: Rows,
    *,
    freeze: str,
    caps: Mapping[int, int],
    wrap: Collection[int] = (),
    auto_filter: bool = True,
) -> None:
    """A table: the bold header row, then `rows`; the header (and columns left of `freeze`)
    stay in view, every column gets a filter (unless not `auto_filter`) and a width from its
    longest line of text (capped by `caps`, by column number, else 24), and text wraps in
    the `wrap` columns."""
    widths: dict[int, int] = {}
    count, columns = 0, len(header)
    for row in _with_header(header, rows):
        count += 1
        columns = max(columns, len(row))
        for column, value in enumerate(row, start=1):
            if value is not None:
                width = max(map(len, _xl_text(value).splitlines() or [""]))
                if width > widths.get(column, 0):
                    widths[column] = width
    for column, width in widths.items():
        limit = caps.get(column, _DEFAULT_CAP)
        ws.column_dimensions[get_column_letter(column)].width = min(max(width, 6), limit) + 2
    ws.freeze_panes = freeze
    if auto_filter:
        ws.auto_filter.ref = f"A1:{get_column_letter(columns)}{count}"
    ws.append([_cell(ws, value, _BOLD) for value in header])
    wrapped = set(wrap)
    for row in rows():
        ws.append(
            [
                _cell(ws, value, alignment=_WRAPPED if column in wrapped else None)
                for column, value in enumerate(row, start=1)
            ]
        )


def _with_header(header: Sequence[str], rows: Rows) -> Iterator[Sequence[Value]]:
    yield header
    yield from rows()


def _cell(
    ws: Sheet, value: Value, font: Font | None = None, alignment: Alignment | None = None
) -> Any:
    """What to append for `value`: the value itself when openpyxl writes it as it is (the
    fast path of write-only sheets), else a cell with the style, or typed as text (openpyxl
    would take "=..." for a formula and "#N/A" for an error value)."""
    value = _xl(value)
    styled = font is not None or (alignment is not None and value is not None)
    guessed = isinstance(value, str) and (value.startswith("=") or value in ERROR_CODES)
    if not styled and not guessed:
        return value
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str):
        cell.data_type = _STRING
    if font is not None:
        cell.font = font
    if alignment is not None and value is not None:
        cell.alignment = alignment
    return cell


def _xl_text(value: Value) -> str:
    return _xl(value) if isinstance(value, str) else str(value)  # type: ignore[return-value]


def _xl(value: Value) -> Value:
    """A cell value: text without the characters XML cannot hold, otherwise as given."""
    if isinstance(value, str):
        return xml_text(value)
    return value
