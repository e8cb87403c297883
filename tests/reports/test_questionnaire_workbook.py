"""The Secretariat's questionnaire workbook: the template, filled in as a person would, read back
with the YAML's rules; every problem listed at once with its cell, in the person's language."""

from __future__ import annotations

import io
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from openpyxl import Workbook, load_workbook

from reports.questionnaire_problems import describe_problem
from reports.questionnaire_workbook import (
    RECOMMENDATION_COLUMNS,
    SCALE_COLUMNS,
    SURVEY_COLUMNS,
    check_questionnaire_file,
    questionnaire_template,
    read_questionnaire_workbook,
)
from survey.questionnaire import (
    MAX_STATEMENT_LENGTH,
    MAX_TITLE_LENGTH,
    SHIPPED_QUESTIONNAIRE,
    ProblemKind,
    Questionnaire,
    QuestionnaireError,
    load_questionnaire,
    questionnaire_from_data,
    questionnaire_to_data,
    questionnaire_to_yaml,
)
from tests.reports import hostile

Edit = Callable[[Any], None]


@pytest.fixture(scope="module")
def template() -> bytes:
    return questionnaire_template(load_questionnaire())


def edited(template: bytes, edit: Edit) -> bytes:
    workbook = load_workbook(io.BytesIO(template))
    edit(workbook)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def problems(data: bytes, name: str = "questionnaire.xlsx") -> list[str]:
    result = check_questionnaire_file(data, name)
    assert isinstance(result, tuple), "the file was accepted"
    return [describe_problem(problem, "en") for problem in result]


# -- the template ------------------------------------------------------------------------------


def test_template_sheets_and_their_keys(template: bytes) -> None:
    workbook = load_workbook(io.BytesIO(template))
    assert workbook.sheetnames == ["Instructions", "Recommendations", "Scale", "Survey"]
    assert workbook.active is not None
    assert workbook.active.title == "Recommendations"
    first_rows = {
        name: [cell.value for cell in next(workbook[name].iter_rows(max_row=1))]
        for name in ("Recommendations", "Scale", "Survey")
    }
    assert first_rows["Recommendations"] == [
        "number",
        "title_en",
        "statement_en",
        "title_fr",
        "statement_fr",
        "title_es",
        "statement_es",
    ]
    assert tuple(first_rows["Recommendations"]) == RECOMMENDATION_COLUMNS
    assert first_rows["Scale"] == ["code", "score", "label_en", "label_fr", "label_es"]
    assert tuple(first_rows["Scale"]) == SCALE_COLUMNS
    assert tuple(first_rows["Survey"]) == SURVEY_COLUMNS == ("key", "en", "fr", "es")
    survey = workbook["Survey"]
    assert [survey.cell(row, 1).value for row in range(2, 7)] == [
        "id",
        "wording",
        "title",
        "source",
        "link",
    ]


def test_template_holds_the_questionnaire_in_force(template: bytes) -> None:
    shipped = load_questionnaire()
    recs = load_workbook(io.BytesIO(template))["Recommendations"]
    assert recs.max_row == 41
    assert recs["A18"].value == 17
    assert recs["F18"].value == shipped.recommendation(17).title("es")
    assert recs["C2"].value == shipped.recommendation(1).statement("en")


def test_template_is_for_reading_wide_wrapped_with_its_limits(template: bytes) -> None:
    recs = load_workbook(io.BytesIO(template))["Recommendations"]
    assert recs.column_dimensions["C"].width >= 50  # a statement
    assert recs.column_dimensions["B"].width >= 25  # a title
    assert recs["C2"].alignment.wrap_text
    assert recs.freeze_panes == "B2"
    limits = {(str(dv.sqref), dv.type, dv.formula1) for dv in recs.data_validations.dataValidation}
    assert ("B2:B41", "textLength", str(MAX_TITLE_LENGTH)) in limits
    assert ("C2:C41", "textLength", str(MAX_STATEMENT_LENGTH)) in limits
    assert ("G2:G41", "textLength", str(MAX_STATEMENT_LENGTH)) in limits
    assert ("A2:A41", "whole", "1") in limits
    shown = next(dv for dv in recs.data_validations.dataValidation if str(dv.sqref) == "B2:B41")
    # The message Excel shows, in the three languages.
    assert shown.error == (
        "At most 120 characters.\n120 caractères au plus.\nComo máximo 120 caracteres."
    )


def test_instructions_in_three_languages(template: bytes) -> None:
    sheet = load_workbook(io.BytesIO(template))["Instructions"]
    text = "\n".join(str(cell.value) for (cell,) in sheet.iter_rows(max_col=1) if cell.value)
    assert "How to prepare the questionnaire in this workbook" in text
    assert "Comment préparer le questionnaire dans ce classeur" in text
    assert "Cómo preparar el cuestionario en este libro" in text
    assert "/questionnaire" in text


def test_template_reads_back_as_the_same_questionnaire(template: bytes) -> None:
    shipped = load_questionnaire()
    assert check_questionnaire_file(template, "t.xlsx") == questionnaire_to_data(shipped)
    again = read_questionnaire_workbook(template, origin="t.xlsx")
    assert again.checksum == shipped.checksum


# -- filled in as a person would -----------------------------------------------------------------

HOSTILE_TITLE = 'Échange «données» — "quoted" <b>bold</b> 🚀 ñ'
LONGEST_TITLE = ("É" * (MAX_TITLE_LENGTH - 2)) + "🚀!"
LONGEST_STATEMENT = ("ñ<b>" * (MAX_STATEMENT_LENGTH // 4 - 1)) + "«»'\""


def _fill(workbook: Any) -> None:
    recs = workbook["Recommendations"]
    recs["B2"] = HOSTILE_TITLE
    recs["D2"] = LONGEST_TITLE
    recs["G2"] = LONGEST_STATEMENT
    recs["C3"] = "  Padded, with a line\nbreak  "
    recs["A5"], recs["A6"] = "5", 4.0  # typed as text; a float from another program
    survey = workbook["Survey"]
    survey["B3"] = "official"
    survey["B6"] = None  # no link


def test_filled_template_imports_to_the_same_questionnaire(template: bytes) -> None:
    data = check_questionnaire_file(edited(template, _fill), "filled.xlsx")
    assert isinstance(data, dict), data
    questionnaire = questionnaire_from_data(data, origin="filled.xlsx")
    first = questionnaire.recommendation(1)
    assert first.title("en") == HOSTILE_TITLE
    assert first.title("fr") == LONGEST_TITLE
    assert first.statement("es") == LONGEST_STATEMENT
    assert len(LONGEST_STATEMENT) == MAX_STATEMENT_LENGTH
    assert questionnaire.recommendation(2).statement("en") == "Padded, with a line\nbreak"
    assert questionnaire.numbers == tuple(range(1, 41))
    assert questionnaire.wording == "official"
    assert questionnaire.source_url is None
    # And the same through YAML: the import's file says the same thing.
    again = questionnaire_from_data(
        yaml.safe_load(questionnaire_to_yaml(questionnaire)), origin="x"
    )
    assert again.checksum == questionnaire.checksum


def test_workbook_and_yaml_load_through_questionnaire_path(tmp_path: Path, template: bytes) -> None:
    path = tmp_path / "official.xlsx"
    path.write_bytes(edited(template, _fill))
    loaded = load_questionnaire(path)
    assert loaded.wording == "official"
    assert loaded.path == path
    yaml_path = tmp_path / "official.yaml"
    yaml_path.write_text(questionnaire_to_yaml(loaded), encoding="utf-8")
    text = yaml_path.read_text(encoding="utf-8")
    assert text.startswith("# Questionnaire: cws-ict-2021 (official).")
    assert "Structure (checked when it is loaded" in text
    assert load_questionnaire(yaml_path).checksum == loaded.checksum


# -- every problem, with its cell ---------------------------------------------------------------


def _set(sheet: str, cell: str, value: object) -> Edit:
    def edit(workbook: Any) -> None:
        workbook[sheet][cell] = value

    return edit


def _error_value(workbook: Any) -> None:
    workbook["Recommendations"]["E9"] = "#N/A"
    workbook["Recommendations"]["E9"].data_type = "e"


def _delete_row(sheet: str, row: int) -> Edit:
    return lambda workbook: workbook[sheet].delete_rows(row)


def _add_sheet(workbook: Any) -> None:
    workbook.create_sheet("Notes")


def _remove_sheet(workbook: Any) -> None:
    del workbook["Scale"]


def _add_row_41(workbook: Any) -> None:
    recs = workbook["Recommendations"]
    recs.append([41, *(recs.cell(41, column).value for column in range(2, 8))])


BAD_WORKBOOKS = [
    pytest.param(
        _set("Recommendations", "D7", None),
        "Recommendations!D7: the title in French is missing",
        id="missing-translation",
    ),
    pytest.param(
        _set("Recommendations", "F12", "x" * 121),
        "Recommendations!F12: the title in Spanish has 121 characters (at most 120)",
        id="title-too-long",
    ),
    pytest.param(
        _set("Recommendations", "C3", "y" * 801),
        "Recommendations!C3: the statement in English has 801 characters (at most 800)",
        id="statement-too-long",
    ),
    pytest.param(
        _set("Recommendations", "E4", " \u00a0 "),
        "Recommendations!E4: the statement in French holds only spaces",
        id="only-spaces",
    ),
    pytest.param(
        _set("Recommendations", "A24", 17),
        "Recommendations!A24: the number 17 is also in row 18",
        id="duplicated-number",
    ),
    pytest.param(
        _set("Recommendations", "A24", 17),
        "Recommendations: no Recommendation has the number 23",
        id="missing-number",
    ),
    pytest.param(
        _set("Recommendations", "A24", 0),
        "Recommendations!A24: the number must be a whole number from 1 to 40, not 0",
        id="number-0",
    ),
    pytest.param(
        _delete_row("Recommendations", 41),
        "Recommendations: there must be exactly 40 Recommendations, and there are 39",
        id="count-39",
    ),
    pytest.param(
        _add_row_41,
        "Recommendations: there must be exactly 40 Recommendations, and there are 41",
        id="count-41",
    ),
    pytest.param(
        _set("Recommendations", "B10", '=A1&"x"'),
        'Recommendations!B10: a formula (=A1&"x"): type the text itself',
        id="formula",
    ),
    pytest.param(
        _error_value,
        "Recommendations!E9: an error value (#N/A): type the text itself",
        id="error-value",
    ),
    pytest.param(
        _add_sheet,
        "Notes: unknown sheet “Notes” (expected: “Instructions”, “Recommendations”, “Scale”, "
        "“Survey”)",
        id="unknown-sheet",
    ),
    pytest.param(_remove_sheet, "Scale: the sheet “Scale” is missing", id="missing-sheet"),
    pytest.param(
        _set("Recommendations", "H1", "comment"),
        "Recommendations!H1: unknown column “comment”",
        id="unknown-column",
    ),
    pytest.param(
        _set("Recommendations", "G1", "statement_fr"),
        "Recommendations!G1: the column “statement_fr” appears twice",
        id="duplicate-column",
    ),
    pytest.param(
        _set("Scale", "E1", None),
        "Scale: the column “label_es” is missing from the first row",
        id="missing-column",
    ),
    pytest.param(
        _set("Scale", "A3", "high"),
        "Scale!A3: the code “high” is also in row 2",
        id="scale-code-reused",
    ),
    pytest.param(
        _set("Scale", "A3", "Medium"),
        "Scale!A3: the code must be 1 to 20 characters",
        id="scale-code-bad",
    ),
    pytest.param(
        _set("Scale", "B2", "three"),
        "Scale!B2: the score must be a whole number or empty, not 'three'",
        id="scale-score-bad",
    ),
    pytest.param(
        _set("Survey", "B3", "draft"),
        "Survey!B3: the wording must be “official” or “working-summary”, not 'draft'",
        id="wording",
    ),
    pytest.param(
        _set("Survey", "C5", None),
        "Survey!C5: the source line in French is missing",
        id="source-missing-translation",
    ),
    pytest.param(
        _set("Survey", "B6", "www.example.org"),
        "Survey!B6: the link must be an address starting with https:// or http://",
        id="link",
    ),
    pytest.param(
        _set("Survey", "C2", "autre"),
        "Survey!C2: only the en column is read for “id”: leave this cell empty",
        id="unused-cell",
    ),
    pytest.param(
        _set("Survey", "A7", "colour"),
        "Survey!A7: unknown key “colour”",
        id="unknown-survey-row",
    ),
    pytest.param(
        _set("Survey", "A6", "source"),
        "Survey!A6: “source” is already in row 5",
        id="duplicate-survey-row",
    ),
]


@pytest.mark.parametrize(("edit", "expected"), BAD_WORKBOOKS)
def test_each_problem_names_its_cell(template: bytes, edit: Edit, expected: str) -> None:
    said = problems(edited(template, edit))
    assert any(line.startswith(expected) for line in said), said


def test_every_problem_is_listed_at_once_in_reading_order(template: bytes) -> None:
    def many(workbook: Any) -> None:
        for edit in (
            _set("Survey", "B3", "draft"),
            _set("Recommendations", "D7", None),
            _set("Recommendations", "B10", "=1+1"),
            _set("Recommendations", "F12", "x" * 121),
            _set("Scale", "A3", "high"),
        ):
            edit(workbook)

    said = problems(edited(template, many))
    assert said == [
        "Recommendations!D7: the title in French is missing",
        "Recommendations!B10: a formula (=1+1): type the text itself",
        "Recommendations!F12: the title in Spanish has 121 characters (at most 120)",
        "Scale!A3: the code “high” is also in row 2",
        "Survey!B3: the wording must be “official” or “working-summary”, not 'draft'",
    ]


def test_problems_in_french_and_spanish(template: bytes) -> None:
    result = check_questionnaire_file(
        edited(template, _set("Recommendations", "D7", None)), "q.xlsx"
    )
    assert isinstance(result, tuple)
    (problem,) = result
    assert describe_problem(problem, "fr") == "Recommendations!D7: le titre en français manque"
    assert describe_problem(problem, "es") == "Recommendations!D7: falta el título en francés"


def test_problems_and_the_error_travel_between_processes(template: bytes) -> None:
    result = check_questionnaire_file(edited(template, _set("Scale", "A3", "high")), "q.xlsx")
    assert isinstance(result, tuple)
    assert pickle.loads(pickle.dumps(result)) == result
    error = QuestionnaireError("q.xlsx", result)
    again = pickle.loads(pickle.dumps(error))
    assert again.problems == result
    assert str(again) == str(error)


# -- not a questionnaire workbook ----------------------------------------------------------------


def test_files_that_are_not_workbooks(template: bytes) -> None:
    kinds = {
        name: [problem.kind for problem in result]
        for name, data in {
            "x.xlsx": b"PK\x03\x04 not really",
            "old.xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100,
        }.items()
        if isinstance(result := check_questionnaire_file(data, name), tuple)
    }
    assert kinds == {"x.xlsx": [ProblemKind.NOT_A_WORKBOOK], "old.xls": [ProblemKind.OLD_WORKBOOK]}


def test_a_hostile_workbook_is_refused_by_the_streamed_limits(template: bytes) -> None:
    result = check_questionnaire_file(hostile.fonts(template, 1_001), "q.xlsx")
    assert isinstance(result, tuple)
    assert [problem.kind for problem in result] == [ProblemKind.WORKBOOK_TOO_COMPLEX]
    assert describe_problem(result[0], "en") == (
        "this workbook is too complex to be read (more than 1,000 fonts)"
    )


def test_an_empty_workbook_names_the_sheets_it_needs() -> None:
    out = io.BytesIO()
    Workbook().save(out)
    said = problems(out.getvalue())
    assert "Recommendations: the sheet “Recommendations” is missing" in said
    assert (
        "Sheet: unknown sheet “Sheet” (expected: “Instructions”, “Recommendations”, "
        in " ".join(said)
    )


# -- YAML sent as a file --------------------------------------------------------------------------


def test_yaml_upload_is_checked_with_the_same_rules() -> None:
    text = SHIPPED_QUESTIONNAIRE.read_bytes()
    shipped: Questionnaire = load_questionnaire()
    assert check_questionnaire_file(text, "questionnaire.yaml") == questionnaire_to_data(shipped)
    broken = text.replace(b"number: 17", b"number: 16")
    said = problems(broken, "questionnaire.yaml")
    assert said == [
        "Recommendation 16: the number 16 is used twice (items 16 and 17)",
        "no Recommendation has the number 17",
    ]
    assert problems(b"id: caf\xe9\n", "q.yaml") == [
        "the file is not UTF-8 text (a wrong byte at position 7)"
    ]
    assert problems(b"id: [unclosed\n", "q.yaml")[0].startswith("YAML syntax error at line")
