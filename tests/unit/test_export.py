"""The exports of the results: text report, CSV of every answer and the Excel workbook."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta, timezone

import pytest
from openpyxl import load_workbook

from survey.export import (
    CSV_COLUMNS,
    SHEETS,
    answers_csv,
    digest_text,
    results_xlsx,
    spreadsheet_safe,
)
from survey.model import ExportRow, Funnel, ResponseStatus
from survey.questionnaire import Questionnaire
from survey.results import Digest, build_digest

GENERATED = datetime(2026, 6, 1, 9, 30, tzinfo=UTC)
SUBMITTED = datetime(2026, 5, 20, 14, 0, tzinfo=UTC)
CHANGED = datetime(2026, 5, 19, 8, 15, tzinfo=UTC)
TRICKY = 'Agreed, but "phase 2" only;\nsee our plan'
INJECTION = '=HYPERLINK("http://evil.example","click")'

# (number, level, count): R05 2.50, R01 2.33, R02 and R03 share 2.00, R07 only "no opinion".
COUNTS = [
    (5, "high", 3),
    (5, "low", 1),
    (1, "high", 1),
    (1, "medium", 2),
    (2, "high", 2),
    (2, "low", 2),
    (3, "medium", 4),
    (7, "no_opinion", 2),
]


@pytest.fixture
def digest(questionnaire: Questionnaire) -> Digest:
    return build_digest(
        questionnaire,
        COUNTS,
        Funnel(offices=193, invited=20, verified=15, started=12, submitted=10),
        generated_at=GENERATED,
        include_drafts=False,
    )


def row(
    code: str,
    number: int,
    level: str | None,
    comment: str | None = None,
    *,
    status: ResponseStatus = ResponseStatus.SUBMITTED,
    names: dict[str, str] | None = None,
    kind: str = "national",
    by: str | None = "Jane Doe",
) -> ExportRow:
    submitted = status is ResponseStatus.SUBMITTED
    return ExportRow(
        office_code=code,
        office_kind=kind,
        office_names=names or {},
        status=status,
        submitted_at=SUBMITTED if submitted else None,
        recommendation=number,
        level=level,
        comment=comment,
        changed_at=CHANGED,
        changed_by_name=by,
    )


@pytest.fixture
def rows() -> list[ExportRow]:
    return [
        row("EP", 1, "high", TRICKY, kind="regional", names={"en": "European Patent Office"}),
        row("EP", 5, "medium", kind="regional", names={"en": "European Patent Office"}),
        row("FR", 1, "low", INJECTION),
        row("FR", 40, "no_opinion", "   "),
        row("JP", 3, None, "Still discussing", status=ResponseStatus.DRAFT, by="@jp_rep"),
        row("JP", 2, "high", status=ResponseStatus.DRAFT, by="-admin"),
    ]


def table_rows(text: str) -> list[list[str]]:
    """The lines of the ranking table (after the dashed rule), split into columns."""
    lines = text.splitlines()
    rule = next(i for i, line in enumerate(lines) if line.startswith("----"))
    return [line.split() for line in lines[rule + 1 :] if line.strip()]


# -- text ------------------------------------------------------------------------------------


def test_text_has_header_and_funnel(digest: Digest, questionnaire: Questionnaire) -> None:
    text = digest_text(digest, questionnaire)

    assert "cws-ict-2021" in text
    assert "2026-06-01T09:30:00+00:00" in text
    assert "drafts not included" in text
    lines = text.splitlines()
    for label, value in [
        ("listed", "193"),
        ("invited", "20"),
        ("verified", "15"),
        ("started", "12"),
        ("submitted", "10"),
    ]:
        assert any(line.split()[:2] == [label, value] for line in lines if line.strip()), label


def test_text_says_when_drafts_are_counted(questionnaire: Questionnaire) -> None:
    digest = build_digest(
        questionnaire, [], Funnel(1, 1, 1, 1, 0), generated_at=GENERATED, include_drafts=True
    )
    text = digest_text(digest, questionnaire)

    assert "drafts not included" not in text
    assert "drafts" in text
    assert "No answers counted yet." in text


def test_text_has_the_score_explanation(digest: Digest, questionnaire: Questionnaire) -> None:
    text = digest_text(digest, questionnaire)

    assert " ".join(digest.score_explanation().split()) in " ".join(text.split())


def test_text_ranks_by_score_then_lists_the_unscored(
    digest: Digest, questionnaire: Questionnaire
) -> None:
    table = table_rows(digest_text(digest, questionnaire))

    assert [cells[:2] for cells in table[:4]] == [
        ["1", "R05"],
        ["2", "R01"],
        ["3", "R02"],
        ["3", "R03"],
    ]
    # High, Medium, Low, No opinion, Answered, Score are the last six columns.
    assert table[0][-6:] == ["3", "0", "1", "0", "4", "2.50"]
    assert table[1][-6:] == ["1", "2", "0", "0", "3", "2.33"]
    assert table[3][-6:] == ["0", "4", "0", "0", "4", "2.00"]
    unscored = table[4:]
    assert len(unscored) == 36
    assert all(cells[0] == "–" and cells[-1] == "–" for cells in unscored)
    assert [cells[1] for cells in unscored][:3] == ["R04", "R06", "R07"]
    r07 = next(cells for cells in unscored if cells[1] == "R07")
    assert r07[-6:] == ["0", "0", "0", "2", "2", "–"]


def test_text_columns_are_aligned_and_titles_shortened(
    digest: Digest, questionnaire: Questionnaire
) -> None:
    text = digest_text(digest, questionnaire)
    lines = text.splitlines()
    rule = next(i for i, line in enumerate(lines) if line.startswith("----"))
    table = [lines[rule - 1], *lines[rule + 1 : rule + 41]]

    # Every line ends with the right-aligned score column, so all lines have the same length.
    assert len({len(line) for line in table}) == 1
    title = questionnaire.recommendation(1).title("en")
    assert len(title) > 50
    assert title[:40] in text
    assert title not in text
    assert "…" in lines[rule + 2]


def test_text_in_french_uses_french_labels_and_titles(
    digest: Digest, questionnaire: Questionnaire
) -> None:
    text = digest_text(digest, questionnaire, lang="fr")
    header = next(line for line in text.splitlines() if line.startswith("Rank"))

    for label in ("Élevée", "Moyenne", "Faible", "Sans opinion"):
        assert label in header
    assert "High" not in header
    assert questionnaire.recommendation(5).title("fr")[:30] in text


# -- CSV -------------------------------------------------------------------------------------


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


# -- XLSX ------------------------------------------------------------------------------------


def sheet_values(data: bytes, name: str) -> list[list[object]]:
    workbook = load_workbook(io.BytesIO(data))
    return [list(line) for line in workbook[name].iter_rows(values_only=True)]


def test_xlsx_has_the_four_sheets(
    digest: Digest, rows: list[ExportRow], questionnaire: Questionnaire
) -> None:
    data = results_xlsx(digest, rows, questionnaire)
    workbook = load_workbook(io.BytesIO(data))

    assert workbook.sheetnames == list(SHEETS)
    assert SHEETS == ("Summary", "Answers", "Comments", "Recommendations")
    for name in ("Answers", "Comments", "Recommendations"):
        sheet = workbook[name]
        assert sheet.freeze_panes is not None
        assert all(cell.font.bold for cell in sheet[1] if cell.value is not None)


def test_xlsx_summary(digest: Digest, rows: list[ExportRow], questionnaire: Questionnaire) -> None:
    values = sheet_values(results_xlsx(digest, rows, questionnaire), "Summary")
    texts = [str(cell) for line in values for cell in line if cell is not None]

    assert digest.score_explanation() in texts
    funnel_row = next(i for i, line in enumerate(values) if line[0] == "Offices")
    assert values[funnel_row][1:6] == ["listed", "invited", "verified", "started", "submitted"]
    assert values[funnel_row + 1][1:6] == [193, 20, 15, 12, 10]

    header_row = next(i for i, line in enumerate(values) if line[0] == "Recommendation")
    header = values[header_row]
    assert header[:9] == [
        "Recommendation",
        "Title",
        "High",
        "Medium",
        "Low",
        "No opinion",
        "Answered",
        "Score",
        "Rank",
    ]
    table = values[header_row + 1 :]
    assert [line[0] for line in table] == [f"R{n:02d}" for n in range(1, 41)]  # by number
    assert table[4][2:9] == [3, 0, 1, 0, 4, 2.5, 1]  # R05
    assert table[0][2:9] == [1, 2, 0, 0, 3, pytest.approx(2.3333), 2]  # R01
    assert table[2][8] == table[1][8] == 3  # R02 and R03 share rank 3
    assert table[6][2:9] == [0, 0, 0, 2, 2, None, None]  # R07: answered, unscored

    workbook = load_workbook(io.BytesIO(results_xlsx(digest, rows, questionnaire)))
    assert workbook["Summary"].freeze_panes == f"A{header_row + 2}"


def test_xlsx_answers_matrix(
    digest: Digest, rows: list[ExportRow], questionnaire: Questionnaire
) -> None:
    values = sheet_values(results_xlsx(digest, rows, questionnaire), "Answers")
    header = values[0]

    assert header[:4] == ["Office", "Name", "Status", "Submitted at"]
    assert header[4:] == [f"R{n:02d}" for n in range(1, 41)]
    by_office = {line[0]: dict(zip(header, line, strict=True)) for line in values[1:]}
    assert list(by_office) == ["EP", "FR", "JP"]  # one line per Office, in the given order

    ep = by_office["EP"]
    assert ep["Name"] == "European Patent Office"
    assert ep["Status"] == "submitted"
    assert ep["Submitted at"] == "2026-05-20T14:00:00+00:00"
    assert ep["R01"] == "High"
    assert ep["R05"] == "Medium"
    assert ep["R02"] is None

    fr = by_office["FR"]
    assert (fr["R01"], fr["R40"]) == ("Low", "No opinion")
    jp = by_office["JP"]
    assert jp["Status"] == "draft"
    assert jp["Submitted at"] is None
    assert jp["R02"] == "High"
    assert jp["R03"] is None  # a comment without a level is not an answer
    answered = sum(1 for line in values[1:] for cell in line[4:] if cell is not None)
    assert answered == 5


def test_xlsx_comments_only_commented_rows(
    digest: Digest, rows: list[ExportRow], questionnaire: Questionnaire
) -> None:
    values = sheet_values(results_xlsx(digest, rows, questionnaire), "Comments")

    assert values[0] == ["Office", "Name", "Recommendation", "Title", "Level", "Comment"]
    assert values[1:] == [
        [
            "EP",
            "European Patent Office",
            "R01",
            questionnaire.recommendation(1).title("en"),
            "High",
            TRICKY,
        ],
        [
            "FR",
            "France",
            "R01",
            questionnaire.recommendation(1).title("en"),
            "Low",
            "'" + INJECTION,
        ],
        [
            "JP",
            "Japan",
            "R03",
            questionnaire.recommendation(3).title("en"),
            None,
            "Still discussing",
        ],
    ]


def test_xlsx_never_writes_a_formula(digest: Digest, questionnaire: Questionnaire) -> None:
    rows = [
        row("XX", 1, "high", "=1+2", kind="regional", names={"en": "=cmd|' /C calc'!A0"}),
        row("XX", 2, "low", "bad \x00\x07 bytes", kind="regional", names={"en": "=x"}),
    ]
    workbook = load_workbook(io.BytesIO(results_xlsx(digest, rows, questionnaire)))

    for sheet in workbook:
        for line in sheet.iter_rows():
            for cell in line:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
    comments = [list(line) for line in workbook["Comments"].iter_rows(values_only=True)]
    assert comments[1][1] == "'=cmd|' /C calc'!A0"
    assert comments[1][5] == "'=1+2"
    assert comments[2][5] == "bad  bytes"


def test_xlsx_in_french(
    digest: Digest, rows: list[ExportRow], questionnaire: Questionnaire
) -> None:
    data = results_xlsx(digest, rows, questionnaire, lang="fr")
    summary = sheet_values(data, "Summary")
    header = next(line for line in summary if line[0] == "Recommendation")
    assert header[2:6] == ["Élevée", "Moyenne", "Faible", "Sans opinion"]

    answers = sheet_values(data, "Answers")
    assert answers[1][4] == "Élevée"  # EP, R01

    recommendations = sheet_values(data, "Recommendations")
    assert recommendations[0] == ["Recommendation", "Title", "Statement"]
    assert len(recommendations) == 41
    first = questionnaire.recommendation(1)
    assert recommendations[1] == ["R01", first.title("fr"), first.statement("fr")]


def test_xlsx_with_no_answers(questionnaire: Questionnaire) -> None:
    digest = build_digest(
        questionnaire, [], Funnel(0, 0, 0, 0, 0), generated_at=GENERATED, include_drafts=True
    )
    data = results_xlsx(digest, [], questionnaire)

    assert len(sheet_values(data, "Answers")) == 1
    assert len(sheet_values(data, "Comments")) == 1
    assert len(sheet_values(data, "Recommendations")) == 41
