"""The CSV of every answer, its guard against formulas, and the file for spreadsheets."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

import pytest

from reports.csv_export import CSV_COLUMNS, answers_csv, answers_csv_file, spreadsheet_safe
from survey.model import ExportRow, ResponseStatus
from survey.questionnaire import Questionnaire

from .helpers import INJECTION, TRICKY


def read_csv(text: str) -> list[dict[str, str]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    assert tuple(header) == CSV_COLUMNS
    return [dict(zip(header, line, strict=True)) for line in reader]


def test_csv_has_one_line_per_answer(rows: list[ExportRow], questionnaire: Questionnaire) -> None:
    lines = read_csv(answers_csv(rows, questionnaire))

    assert len(lines) == len(rows)
    first = lines[0]
    assert first == {
        "office_code": "EP",
        "office_name": "European Patent Office",
        "office_kind": "regional",
        "status": "submitted",
        "submitted_at": "2026-05-20T14:00:00+00:00",
        "recommendation": "R01",
        "title": questionnaire.recommendation(1).title("en"),
        "level": "high",
        "level_label": "High",
        "comment": TRICKY,
        "changed_at": "2026-05-19T08:15:00+00:00",
        "changed_by": "Jane Doe",
        "answer_version": "1",
        "version_in_force": "",  # not given: not said
        "wording_in_force": "working-summary",
    }
    assert lines[2]["office_name"] == "France"
    assert lines[3]["level_label"] == "No opinion"


def test_csv_empty_values_for_none(rows: list[ExportRow], questionnaire: Questionnaire) -> None:
    jp = read_csv(answers_csv(rows, questionnaire))[4]

    assert jp["status"] == "draft"
    assert jp["submitted_at"] == ""
    assert jp["level"] == ""
    assert jp["level_label"] == ""
    assert jp["comment"] == "Still discussing"


def test_csv_guards_against_formulas(rows: list[ExportRow], questionnaire: Questionnaire) -> None:
    lines = read_csv(answers_csv(rows, questionnaire))

    assert lines[2]["comment"] == "'" + INJECTION
    assert lines[4]["changed_by"] == "'@jp_rep"
    assert lines[5]["changed_by"] == "'-admin"
    assert lines[0]["comment"] == TRICKY  # ordinary text is left alone


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+33 1 23", "'+33 1 23"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("fine = ok", "fine = ok"),
        ("", ""),
    ],
)
def test_spreadsheet_safe(text: str, expected: str) -> None:
    assert spreadsheet_safe(text) == expected


def test_csv_in_french(rows: list[ExportRow], questionnaire: Questionnaire) -> None:
    lines = read_csv(answers_csv(rows, questionnaire, lang="fr"))

    assert lines[0]["level_label"] == "Élevée"
    assert lines[0]["title"] == questionnaire.recommendation(1).title("fr")
    assert lines[2]["office_name"] == "France"
    assert lines[0]["office_name"] == "European Patent Office"  # no French name: English


def test_csv_times_are_utc_even_from_naive_or_other_zones(questionnaire: Questionnaire) -> None:
    paris = datetime(2026, 5, 20, 18, 0, tzinfo=timezone(timedelta(hours=2)))
    naive = datetime(2026, 5, 19, 8, 15)  # as SQLite hands them back: UTC without a zone
    rows = [
        ExportRow(
            office_code="FR",
            office_kind="national",
            office_names={},
            status=ResponseStatus.SUBMITTED,
            submitted_at=paris,
            recommendation=1,
            level="high",
            comment=None,
            changed_at=naive,
            changed_by_name=None,
        )
    ]
    line = read_csv(answers_csv(rows, questionnaire))[0]

    assert line["submitted_at"] == "2026-05-20T16:00:00+00:00"
    assert line["changed_at"] == "2026-05-19T08:15:00+00:00"
    assert line["changed_by"] == ""


def test_csv_with_no_rows_is_just_the_header(questionnaire: Questionnaire) -> None:
    assert read_csv(answers_csv([], questionnaire)) == []


def test_csv_file_starts_with_the_bom_so_excel_reads_utf8(
    rows: list[ExportRow], questionnaire: Questionnaire
) -> None:
    data = answers_csv_file(rows, questionnaire, lang="fr")

    assert data.startswith(b"\xef\xbb\xbf")
    assert not data[3:].startswith(b"\xef\xbb\xbf")  # one BOM, not two
    text = data.decode("utf-8-sig")
    assert text == answers_csv(rows, questionnaire, lang="fr")
    assert "Élevée".encode() in data  # UTF-8, not a legacy code page
    lines = read_csv(text)
    assert lines[2]["comment"] == "'" + INJECTION  # the formula guard holds in the file too
    assert "\r\n" in text  # RFC 4180 line ends, as Excel writes them


def test_csv_text_for_a_terminal_has_no_bom(
    rows: list[ExportRow], questionnaire: Questionnaire
) -> None:
    assert answers_csv(rows, questionnaire).startswith("office_code,")
