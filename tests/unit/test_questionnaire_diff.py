"""What the Secretariat is shown as changed, and what counts as a change of structure."""

from __future__ import annotations

from typing import Any

from survey.questionnaire import (
    Questionnaire,
    load_questionnaire,
    questionnaire_from_data,
    questionnaire_to_data,
)
from survey.questionnaire_diff import StructureKind, TextChange, diff


def edited(change: Any) -> Questionnaire:
    data = questionnaire_to_data(load_questionnaire())
    change(data)
    return questionnaire_from_data(data, origin="edited.yaml")


def test_the_data_round_trip_keeps_every_text_and_the_checksum() -> None:
    shipped = load_questionnaire()
    again = questionnaire_from_data(questionnaire_to_data(shipped), origin="stored")
    assert again.recommendations == shipped.recommendations
    assert again.scale == shipped.scale
    assert again.checksum == shipped.checksum
    assert diff(shipped, again).is_empty


def test_a_spanish_typo_fixed_in_one_statement_is_the_only_change() -> None:
    def fix(data: dict[str, Any]) -> None:
        data["recommendations"][16]["statement"]["es"] += " Corregido."

    after = edited(fix)
    result = diff(load_questionnaire(), after)
    assert result.texts == (TextChange(17, "statement", ("es",)),)
    assert result.structure == ()
    assert result.changed_numbers() == (17,)
    assert after.checksum != load_questionnaire().checksum


def test_survey_texts_and_labels_are_named() -> None:
    def change(data: dict[str, Any]) -> None:
        data["wording"] = "official"
        data["source"]["fr"] = "Texte officiel"
        data["scale"][0]["label"]["en"] = "Very high"

    parts = [
        (c.number, c.part, c.languages) for c in diff(load_questionnaire(), edited(change)).texts
    ]
    assert parts == [
        (None, "wording", ()),
        (None, "source", ("fr",)),
        (None, "label:high", ("en",)),
    ]


def test_texts_moved_between_numbers_are_text_changes_but_new_level_codes_are_structure() -> None:
    shipped = load_questionnaire()
    data = questionnaire_to_data(shipped)
    data["recommendations"][0] = dict(data["recommendations"][1], number=1)
    moved = diff(shipped, questionnaire_from_data(data, origin="x"))
    assert moved.structure == ()
    assert {c.number for c in moved.texts} == {1}

    swapped = questionnaire_to_data(shipped)
    swapped["scale"][0]["code"], swapped["scale"][1]["code"] = "medium", "high"
    result = diff(shipped, questionnaire_from_data(swapped, origin="x"))
    assert [c.kind for c in result.structure] == [StructureKind.SCALE_CODES]


def test_a_score_change_and_an_id_change_are_named_with_before_and_after() -> None:
    def rescore(data: dict[str, Any]) -> None:
        data["scale"][0]["score"] = 5
        data["id"] = "cws-ict-2027"

    result = diff(load_questionnaire(), edited(rescore))
    kinds = {c.kind: (c.before, c.after) for c in result.structure}
    assert kinds[StructureKind.ID] == ("cws-ict-2021", "cws-ict-2027")
    assert kinds[StructureKind.SCALE_SCORES][1].startswith("high=5")
