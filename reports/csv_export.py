"""Every answer as CSV (``python -m bot results --format csv``), one line per Office x
Recommendation.

Answers carry text typed by users (comments, names). Spreadsheet programs run a CSV cell that
starts with ``=``, ``+``, ``-`` or ``@`` as a formula, and a CSV cannot say "this is text", so
such text is written with a leading apostrophe (CSV injection). Times are ISO 8601 in UTC.

The file given to people (/export, ``--output``) is ``answers_csv_file``: UTF-8 with a byte
order mark, without which Excel reads UTF-8 as the local code page ("Ã‰levÃ©e" for "Élevée").
``answers_csv`` is the same text as a string, for a terminal or a pipe.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import TextIO

from reports.labels import RowLabels, iso_utc, recommendation_label
from survey.model import ExportRow
from survey.questionnaire import Questionnaire
from survey.setup import InForce

__all__ = ["BOM", "CSV_COLUMNS", "answers_csv", "answers_csv_file", "spreadsheet_safe"]

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
    # The questionnaire version the answer was given under, the one in force when the file
    # was made and that one's wording kind ("official" or "working-summary").
    "answer_version",
    "version_in_force",
    "wording_in_force",
)

BOM = "\ufeff".encode()  # the UTF-8 byte order mark, b"\xef\xbb\xbf"

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """``text`` with a leading apostrophe if a spreadsheet would read it as a formula."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def answers_csv(
    rows: Sequence[ExportRow],
    questionnaire: Questionnaire,
    lang: str = "en",
    *,
    in_force: InForce | None = None,
) -> str:
    """Every answer, one line per Office x Recommendation, with a header line (RFC 4180).

    Write the result to a file opened with ``newline=""``; for a file people open in a
    spreadsheet, use ``answers_csv_file``.
    """
    buffer = io.StringIO(newline="")
    _write(buffer, rows, questionnaire, lang, in_force)
    return buffer.getvalue()


def answers_csv_file(
    rows: Sequence[ExportRow],
    questionnaire: Questionnaire,
    lang: str = "en",
    *,
    in_force: InForce | None = None,
) -> bytes:
    """``answers_csv`` as the bytes of a file for spreadsheets: UTF-8 with a byte order mark."""
    # Encoded as it is written: the text of 400,000 rows is never held as one string too.
    buffer = io.BytesIO()
    buffer.write(BOM)
    with io.TextIOWrapper(buffer, encoding="utf-8", newline="", write_through=False) as text:
        _write(text, rows, questionnaire, lang, in_force)
        text.flush()
        return buffer.getvalue()


def _write(
    out: TextIO,
    rows: Iterable[ExportRow],
    questionnaire: Questionnaire,
    lang: str,
    in_force: InForce | None,
) -> None:
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    labels = RowLabels(questionnaire, lang)
    in_force_number = str(in_force.version) if in_force is not None else ""
    wording = (in_force.wording if in_force else "") or questionnaire.wording
    for row in rows:
        cells = [
            row.office_code,
            labels.office_name(row),
            row.office_kind,
            row.status.value,
            iso_utc(row.submitted_at),
            recommendation_label(row.recommendation),
            labels.title(row.recommendation),
            row.level or "",
            labels.level(row.level),
            row.comment or "",
            iso_utc(row.changed_at),
            row.changed_by_name or "",
            str(row.version),
            in_force_number,
            wording,
        ]
        writer.writerow([spreadsheet_safe(cell) for cell in cells])
