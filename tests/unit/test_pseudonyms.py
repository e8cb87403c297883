"""How a forgotten person's identity is replaced in texts and JSON (survey/pseudonyms.py)."""

from __future__ import annotations

from survey.pseudonyms import Forgetting, Replacer, pseudonym_of

ANN = Forgetting(7, 123_456_789, "Ann", pseudonym_of(2, "EP"))
ANN_LEE = Forgetting(8, 987_654_321, "Ann Lee", pseudonym_of(3, "EP"))


def test_a_name_is_replaced_as_a_whole_word_only_and_the_longest_first() -> None:
    replacer = Replacer([ANN, ANN_LEE])
    assert replacer.text("Ann Lee submitted; Ann agreed") == (
        "Representative 3 of EP submitted; Representative 2 of EP agreed"
    )
    assert replacer.text("Annual report by Joanne") == "Annual report by Joanne"


def test_ids_and_labels_are_replaced_in_json_and_the_shape_kept() -> None:
    replacer = Replacer([ANN])
    data = {
        "telegram_user_id": 123_456_789,
        "representative": "Ann",
        "by": "telegram:123456789",
        "note": "user 123456789 asked",
        "flags": [True, 5, "123456789"],
        "count": 123_456_788,
    }
    assert replacer.data(data) == {
        "telegram_user_id": -7,
        "representative": "Representative 2 of EP",
        "by": "forgotten:7",
        "note": "user -7 asked",
        "flags": [True, 5, "-7"],
        "count": 123_456_788,
    }


def test_nobody_to_forget_changes_nothing() -> None:
    replacer = Replacer([])
    assert not replacer
    assert replacer.text("Ann") == "Ann"
    assert replacer.data({"a": 1}) == {"a": 1}
