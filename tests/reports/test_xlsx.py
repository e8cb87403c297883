"""The Excel workbook of the results."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from reports.xlsx import SHEETS, results_xlsx
from survey.model import ExportRow, Funnel
from survey.questionnaire import Questionnaire
from survey.results import Digest, build_digest

from .helpers import GENERATED, INJECTION, TRICKY, row


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
            INJECTION,  # as typed: a text cell, not a formula (see below)
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
    comments = workbook["Comments"]
    assert (comments["B2"].value, comments["B2"].data_type) == ("=cmd|' /C calc'!A0", "s")
    assert (comments["F2"].value, comments["F2"].data_type) == ("=1+2", "s")
    assert comments["F3"].value == "bad  bytes"


@pytest.mark.parametrize(
    "typed",
    [
        "-comment",
        "- first point\n- second point",
        "+33 1 23 45 67 89",
        "@jp_rep please check",
        "=1+2",
        INJECTION,
        "#N/A",
        "#DIV/0!",
        "'quoted'",
        "\tindented",
        "  spaces around  ",
    ],
)
def test_xlsx_keeps_user_text_exactly_as_typed(
    digest: Digest, questionnaire: Questionnaire, typed: str
) -> None:
    """A comment or a name that a spreadsheet would take for a formula or an error value is
    kept as text by the cell's type: no apostrophe is added, nothing is evaluated on opening."""
    rows = [row("XX", 1, "high", typed, kind="regional", names={"en": typed})]
    workbook = load_workbook(io.BytesIO(results_xlsx(digest, rows, questionnaire)))

    comment, name = workbook["Comments"]["F2"], workbook["Comments"]["B2"]
    office = workbook["Answers"]["B2"]
    for cell in (comment, name, office):
        assert cell.value == typed, cell.coordinate
        assert cell.data_type == "s", cell.coordinate


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
