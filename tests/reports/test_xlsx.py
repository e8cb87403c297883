"""The Excel workbook of the results: Summary, Ranking, Answers (one row per Office x
Recommendation), Comments, Offices, Recommendations; in the reader's language; user text kept
as text."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from reports.xlsx import SHEETS, results_xlsx, sheet_names
from survey.model import ExportRow, Funnel, OfficeStatus
from survey.questionnaire import Questionnaire
from survey.results import Digest, build_digest

from .helpers import GENERATED, INJECTION, TRICKY, row


def sheet_values(data: bytes, name: str) -> list[list[object]]:
    workbook = load_workbook(io.BytesIO(data))
    return [list(line) for line in workbook[name].iter_rows(values_only=True)]


def records(data: bytes, name: str) -> list[dict[object, object]]:
    """The rows of a sheet under its header row, as dictionaries."""
    header, *lines = sheet_values(data, name)
    return [dict(zip(header, line, strict=True)) for line in lines]


def test_xlsx_has_the_six_sheets(
    digest: Digest,
    rows: list[ExportRow],
    statuses: list[OfficeStatus],
    questionnaire: Questionnaire,
) -> None:
    data = results_xlsx(digest, rows, questionnaire, offices=statuses)
    workbook = load_workbook(io.BytesIO(data))

    assert workbook.sheetnames == list(SHEETS)
    assert SHEETS == ("Summary", "Ranking", "Answers", "Comments", "Offices", "Recommendations")
    for name in SHEETS[1:]:
        sheet = workbook[name]
        assert sheet.freeze_panes is not None
        assert all(cell.font.bold for cell in sheet[1] if cell.value is not None)


def test_xlsx_summary(digest: Digest, rows: list[ExportRow], questionnaire: Questionnaire) -> None:
    values = sheet_values(results_xlsx(digest, rows, questionnaire), "Summary")
    texts = [str(cell) for line in values for cell in line if cell is not None]

    assert "Results of questionnaire cws-ict-2021" in texts
    assert values[1][:2] == ["Generated", "2026-06-01T09:30:00+00:00"]
    assert values[2][:2] == ["Counted", "submitted answers only (drafts not included)"]
    assert any("working summary" in text for text in texts)
    funnel_row = next(i for i, line in enumerate(values) if line[0] == "Offices")
    assert values[funnel_row][1:6] == ["listed", "invited", "verified", "started", "submitted"]
    assert values[funnel_row + 1][1:6] == [193, 20, 15, 12, 10]
    assert (
        "Score: the mean of High = 3, Medium = 2 and Low = 1 over the Offices that gave one of "
        "these levels. Equal scores share a rank. No opinion: counted as answered, not in the "
        "score."
    ) in texts


def test_xlsx_ranking(digest: Digest, rows: list[ExportRow], questionnaire: Questionnaire) -> None:
    values = sheet_values(results_xlsx(digest, rows, questionnaire), "Ranking")
    header, *table = values

    assert header == [
        "Rank",
        "Recommendation",
        "Title",
        "High",
        "Medium",
        "Low",
        "No opinion",
        "Answered",
        "Score",
    ]
    assert len(table) == 40
    assert [line[1] for line in table[:5]] == ["R05", "R01", "R02", "R03", "R04"]
    assert table[0] == [1, "R05", questionnaire.recommendation(5).title("en"), 3, 0, 1, 0, 4, 2.5]
    assert table[1][3:] == [1, 2, 0, 0, 3, pytest.approx(2.3333)]
    assert table[2][0] == table[3][0] == 3  # R02 and R03 share rank 3
    unscored = table[4:]
    assert all(line[0] is None and line[8] is None for line in unscored)
    assert [line[1] for line in unscored][:3] == ["R04", "R06", "R07"]  # then by number
    r07 = next(line for line in unscored if line[1] == "R07")
    assert r07[3:8] == [0, 0, 0, 2, 2]  # answered, but "No opinion" is not scored


def test_xlsx_answers_one_row_per_office_and_recommendation(
    digest: Digest, rows: list[ExportRow], questionnaire: Questionnaire
) -> None:
    answers = records(results_xlsx(digest, rows, questionnaire), "Answers")

    assert list(answers[0]) == [
        "Office",
        "Name",
        "Status",
        "Submitted at",
        "Recommendation",
        "Title",
        "Level",
        "Comment",
        "Changed by",
        "Changed at",
    ]
    assert [(line["Office"], line["Recommendation"]) for line in answers] == [
        ("EP", "R01"),
        ("EP", "R05"),
        ("FR", "R01"),
        ("FR", "R40"),
        ("JP", "R03"),
        ("JP", "R02"),
    ]  # one row per answer, in the given order
    assert answers[0] == {
        "Office": "EP",
        "Name": "European Patent Office",
        "Status": "submitted",
        "Submitted at": "2026-05-20T14:00:00+00:00",
        "Recommendation": "R01",
        "Title": questionnaire.recommendation(1).title("en"),
        "Level": "High",
        "Comment": TRICKY,
        "Changed by": "Jane Doe",
        "Changed at": "2026-05-19T08:15:00+00:00",
    }
    assert answers[2]["Comment"] == INJECTION
    assert answers[3]["Level"] == "No opinion"
    jp = answers[4]
    assert (jp["Status"], jp["Submitted at"], jp["Level"]) == ("draft", None, None)
    assert (jp["Comment"], jp["Changed by"]) == ("Still discussing", "@jp_rep")


def test_xlsx_comments_only_commented_rows(
    digest: Digest, rows: list[ExportRow], questionnaire: Questionnaire
) -> None:
    values = sheet_values(results_xlsx(digest, rows, questionnaire), "Comments")

    assert values[0] == ["Office", "Name", "Recommendation", "Title", "Level", "Comment"]
    first, third = questionnaire.recommendation(1).title("en"), questionnaire.recommendation(3)
    assert values[1:] == [
        ["EP", "European Patent Office", "R01", first, "High", TRICKY],
        ["FR", "France", "R01", first, "Low", INJECTION],  # as typed, a text cell
        ["JP", "Japan", "R03", third.title("en"), None, "Still discussing"],
    ]  # FR's blank comment on R40 is left out


def test_xlsx_offices_sheet_shows_each_office_status(
    digest: Digest,
    rows: list[ExportRow],
    statuses: list[OfficeStatus],
    questionnaire: Questionnaire,
) -> None:
    offices = records(results_xlsx(digest, rows, questionnaire, offices=statuses), "Offices")

    assert list(offices[0]) == [
        "Office",
        "Name",
        "Kind",
        "Status",
        "Invited",
        "Representatives",
        "Answered",
        "Submitted at",
    ]
    assert [(line["Office"], line["Status"]) for line in offices] == [
        ("AU", "not invited"),
        ("BR", "invited"),
        ("CA", "verified"),
        ("JP", "in progress 12/40"),
        ("EP", "submitted on 20 May 2026"),
    ]
    assert offices[0]["Name"] == "Australia"
    assert (offices[0]["Invited"], offices[1]["Invited"]) == ("no", "yes")
    ep = offices[4]
    assert (ep["Name"], ep["Kind"], ep["Representatives"], ep["Answered"]) == (
        "European Patent Office",
        "regional",
        3,
        40,
    )
    assert ep["Submitted at"] == "2026-05-20T14:00:00+00:00"


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
    answers = workbook["Answers"]
    assert (answers["B2"].value, answers["B2"].data_type) == ("=cmd|' /C calc'!A0", "s")
    assert (answers["H2"].value, answers["H2"].data_type) == ("=1+2", "s")
    assert answers["H3"].value == "bad  bytes"


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
    rows = [row("XX", 1, "high", typed, kind="regional", names={"en": typed}, by=typed)]
    workbook = load_workbook(io.BytesIO(results_xlsx(digest, rows, questionnaire)))

    answers, comments = workbook["Answers"], workbook["Comments"]
    # Answers: name, comment, changed by; Comments: name, comment.
    for cell in (answers["B2"], answers["H2"], answers["I2"], comments["B2"], comments["F2"]):
        assert cell.value == typed, cell.coordinate
        assert cell.data_type == "s", cell.coordinate


def test_xlsx_in_french(
    digest: Digest,
    rows: list[ExportRow],
    statuses: list[OfficeStatus],
    questionnaire: Questionnaire,
) -> None:
    data = results_xlsx(digest, rows, questionnaire, lang="fr", offices=statuses)
    names = sheet_names("fr")
    assert load_workbook(io.BytesIO(data)).sheetnames == list(names)
    assert names == (
        "Synthèse",
        "Classement",
        "Réponses",
        "Commentaires",
        "Offices",
        "Recommandations",
    )

    ranking = sheet_values(data, "Classement")
    assert ranking[0][:3] == ["Rang", "Recommandation", "Titre"]
    assert ranking[0][3:7] == ["Élevée", "Moyenne", "Faible", "Sans opinion"]
    assert ranking[1][2] == questionnaire.recommendation(5).title("fr")

    answers = records(data, "Réponses")
    assert answers[0]["Niveau"] == "Élevée"
    assert answers[0]["Statut"] == "soumise"
    assert answers[4]["Statut"] == "brouillon"
    assert answers[0]["Titre"] == questionnaire.recommendation(1).title("fr")

    offices = records(data, "Offices")
    assert [line["Statut"] for line in offices] == [
        "non invité",
        "invité",
        "vérifié",
        "en cours 12/40",
        "réponse soumise le 20 mai 2026",
    ]
    assert offices[4]["Type"] == "régional"

    summary = [cell for line in sheet_values(data, "Synthèse") for cell in line if cell]
    assert "répertoriés" in summary
    assert any(
        str(cell).startswith("Score\u00a0: moyenne des valeurs attribuées (Élevée = 3")
        for cell in summary
    )

    recommendations = sheet_values(data, "Recommandations")
    assert recommendations[0] == ["Recommandation", "Titre", "Énoncé"]
    first = questionnaire.recommendation(1)
    assert recommendations[1] == ["R01", first.title("fr"), first.statement("fr")]


def test_xlsx_in_spanish_names_the_sheets_in_spanish(
    digest: Digest, rows: list[ExportRow], questionnaire: Questionnaire
) -> None:
    data = results_xlsx(digest, rows, questionnaire, lang="es")

    assert load_workbook(io.BytesIO(data)).sheetnames == list(sheet_names("es"))
    assert records(data, sheet_names("es")[2])[0]["Nivel"] == "Alta"


def test_xlsx_with_no_answers_and_no_offices(questionnaire: Questionnaire) -> None:
    digest = build_digest(
        questionnaire, [], Funnel(0, 0, 0, 0, 0), generated_at=GENERATED, include_drafts=True
    )
    data = results_xlsx(digest, [], questionnaire)

    assert len(sheet_values(data, "Answers")) == 1
    assert len(sheet_values(data, "Comments")) == 1
    assert len(sheet_values(data, "Offices")) == 1
    assert len(sheet_values(data, "Ranking")) == 41
    assert len(sheet_values(data, "Recommendations")) == 41
