"""The Office workbook: one row per Recommendation with the draft filled in, a drop-down of
levels, protected cells except the answers, an instructions sheet and a hidden identification
sheet; in the representative's language."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

from reports.workbook import (
    COLUMNS,
    FORMAT,
    HEADER_ROW,
    ID_SHEET,
    comment_fingerprint,
    comment_key,
    office_workbook,
    questionnaire_version,
    workbook_file_name,
)
from survey.model import AnswerRecord, Office
from survey.questionnaire import Questionnaire

from .helpers import KEY

EXPORTED = datetime(2026, 6, 1, 9, 30, tzinfo=UTC)
FIRST = HEADER_ROW + 1


def build(
    office: Office,
    answers: dict[int, AnswerRecord],
    questionnaire: Questionnaire,
    lang: str = "en",
) -> bytes:
    return office_workbook(office, answers, questionnaire, lang, exported_at=EXPORTED, key=KEY)


def test_one_row_per_recommendation_with_the_draft(
    ep_office: Office, draft_answers: dict[int, AnswerRecord], questionnaire: Questionnaire
) -> None:
    workbook = load_workbook(io.BytesIO(build(ep_office, draft_answers, questionnaire)))
    assert workbook.sheetnames == ["Answers", "Instructions", ID_SHEET]
    sheet = workbook["Answers"]
    assert sheet["A1"].value == "EP – European Patent Office"
    assert sheet["A2"].value == "Draft as of 1 June 2026, 09:30 UTC: 30 of 40 answered."
    header = [cell.value for cell in sheet[HEADER_ROW]]
    assert header == ["No.", "Title", "Statement", "Level", "Comment", "Changed by", "Changed at"]

    rows = list(sheet.iter_rows(min_row=FIRST, values_only=True))
    assert [row[0] for row in rows] == list(questionnaire.numbers)
    first = questionnaire.recommendation(1)
    assert rows[0][:5] == (1, first.title("en"), first.statement("en"), "High", None)
    assert rows[1][3] == "Medium"
    assert rows[3][3] == "No opinion"
    assert rows[2][4] == "Priorité n°3 : élevée, año 3; “phase 2”"
    assert rows[8][4] == '=HYPERLINK("http://evil.example","click")'  # text, not a formula
    assert sheet.cell(FIRST + 8, COLUMNS["comment"]).data_type == "s"
    assert rows[11][4] == "Two lines:\nsecond line"
    assert rows[34][3:5] == (None, "Still discussing")
    assert rows[39][3:] == (None, None, None, None)
    assert rows[0][5:] == ("Zoë Müller", "2026-05-19 08:15")


def test_levels_drop_down_and_protection(
    ep_office: Office, draft_answers: dict[int, AnswerRecord], questionnaire: Questionnaire
) -> None:
    workbook = load_workbook(io.BytesIO(build(ep_office, draft_answers, questionnaire, "fr")))
    sheet = workbook.worksheets[0]
    (validation,) = sheet.data_validations.dataValidation
    assert validation.type == "list"
    assert validation.formula1 == '"Élevée,Moyenne,Faible,Sans opinion"'
    assert str(validation.sqref) == f"D{FIRST}:D{FIRST + 39}"
    # Other text is let through (a level typed in English or Spanish is read too).
    assert validation.showErrorMessage
    assert validation.errorStyle == "information"

    assert sheet.protection.sheet
    assert not sheet.protection.password
    assert workbook.security is None or not workbook.security.lockStructure  # not locked
    for row in range(FIRST, FIRST + 40):
        assert not sheet.cell(row, COLUMNS["level"]).protection.locked
        assert not sheet.cell(row, COLUMNS["comment"]).protection.locked
        for key in ("number", "title", "statement", "by", "at"):
            assert sheet.cell(row, COLUMNS[key]).protection.locked
    assert sheet.cell(HEADER_ROW, COLUMNS["level"]).protection.locked


def test_hidden_identification_sheet(
    ep_office: Office, draft_answers: dict[int, AnswerRecord], questionnaire: Questionnaire
) -> None:
    workbook = load_workbook(io.BytesIO(build(ep_office, draft_answers, questionnaire, "es")))
    sheet = workbook[ID_SHEET]
    assert sheet.sheet_state == "veryHidden"
    assert sheet.protection.sheet
    values = {row[0]: row[1] for row in sheet.iter_rows(min_row=2, max_row=10, values_only=True)}
    assert values["format"] == FORMAT
    assert values["office_code"] == "EP"
    assert values["office_id"] == "5"
    assert values["questionnaire_id"] == "cws-ict-2021"
    assert values["questionnaire_version"] == questionnaire_version(questionnaire)
    assert values["language"] == "es"
    assert values["exported_at"] == "2026-06-01T09:30:00+00:00"
    assert values["answers_sheet"] == "Respuestas"
    assert len(values["digest"]) == 32
    rows = list(sheet.iter_rows(min_row=13, values_only=True))
    state = {row[0]: (row[1], row[2]) for row in rows if isinstance(row[0], int)}
    assert set(state) == set(questionnaire.numbers)
    assert state[1] == ("high", None)
    assert state[3] == ("low", comment_fingerprint(draft_answers[3].comment))
    assert state[35] == (None, comment_fingerprint("Still discussing"))
    assert state[40] == (None, None)


@pytest.mark.parametrize(
    ("lang", "sheets", "level", "title"),
    [
        ("en", ["Answers", "Instructions"], "Level", "How to use this workbook"),
        ("fr", ["Réponses", "Instructions"], "Niveau", "Comment utiliser ce classeur"),
        ("es", ["Respuestas", "Instrucciones"], "Nivel", "Cómo utilizar este libro de cálculo"),
    ],
)
def test_in_the_representatives_language(
    ep_office: Office,
    draft_answers: dict[int, AnswerRecord],
    questionnaire: Questionnaire,
    lang: str,
    sheets: list[str],
    level: str,
    title: str,
) -> None:
    workbook = load_workbook(io.BytesIO(build(ep_office, draft_answers, questionnaire, lang)))
    assert workbook.sheetnames[:2] == sheets
    answers = workbook[sheets[0]]
    assert answers.cell(HEADER_ROW, COLUMNS["level"]).value == level
    assert answers.cell(FIRST, COLUMNS["title"]).value == questionnaire.recommendation(1).title(
        lang
    )
    assert answers.cell(FIRST, COLUMNS["level"]).value == questionnaire.scale[0].label(lang)
    instructions = [row[0] for row in workbook[sheets[1]].iter_rows(values_only=True)]
    assert instructions[0] == title
    assert len(instructions) >= 6
    # The comment limit as the reader writes it: "1,000", "1 000", "1.000".
    limit = {"en": "1,000", "fr": "1\u202f000", "es": "1.000"}[lang]
    assert any(
        f"{limit} characters" in line or f"{limit}\xa0caract" in line or f"{limit} caract" in line
        for line in instructions
    )


def test_instructions_say_how_to_send_it_back(
    ep_office: Office, questionnaire: Questionnaire
) -> None:
    workbook = load_workbook(io.BytesIO(build(ep_office, {}, questionnaire)))
    text = " ".join(row[0] for row in workbook["Instructions"].iter_rows(values_only=True))
    assert "High, Medium, Low, No opinion" in text
    assert "applies nothing until you confirm" in text
    assert "never submits" in text
    assert "EP – European Patent Office only" in text


def test_comment_key_and_fingerprint() -> None:
    assert comment_key(None) == comment_key("") == comment_key(" \u200b ") == ""
    assert comment_key("  a\r\nb\x01 ") == "a\nb"
    assert (
        comment_fingerprint("a\r\nb") == comment_fingerprint("a\nb ") != comment_fingerprint("ab")
    )
    assert comment_fingerprint(None) == comment_fingerprint("   ") == ""


def test_questionnaire_version_follows_the_content(questionnaire: Questionnaire) -> None:
    from dataclasses import replace

    assert questionnaire_version(questionnaire) == questionnaire_version(questionnaire)
    other = replace(questionnaire, recommendations=questionnaire.recommendations[::-1][:39])
    assert questionnaire_version(other) != questionnaire_version(questionnaire)


def test_file_name(ep_office: Office) -> None:
    assert workbook_file_name(ep_office, EXPORTED, "fr") == (
        "cws-ict-survey-EP-workbook-2026-06-01-fr.xlsx"
    )
