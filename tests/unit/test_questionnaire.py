"""The questionnaire file: the shipped working summary, and the checks every file goes through."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from reports.questionnaire_problems import describe_problem
from survey.questionnaire import (
    DEFAULT_LANGUAGE,
    EXPECTED_COUNT,
    LANGUAGES,
    SHIPPED_QUESTIONNAIRE,
    Level,
    Questionnaire,
    QuestionnaireError,
    Recommendation,
    load_questionnaire,
)

Data = dict[str, Any]
Mutation = Callable[[Data], None]


@pytest.fixture(scope="module")
def shipped() -> Questionnaire:
    return load_questionnaire()


@pytest.fixture
def data() -> Data:
    """A fresh, editable copy of the shipped file as plain data."""
    loaded = yaml.safe_load(SHIPPED_QUESTIONNAIRE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def write(directory: Path, data: Any, name: str = "questionnaire.yaml") -> Path:
    path = directory / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def load_error(path: Path) -> str:
    """Every problem of the file, as the command line says them, joined with " | "."""
    with pytest.raises(QuestionnaireError) as caught:
        load_questionnaire(path)
    assert caught.value.origin == path.name
    assert str(caught.value).startswith(f"{path.name}: ")
    lines = [describe_problem(problem, "en") for problem in caught.value.problems]
    assert lines
    assert all("\n" not in line for line in lines)
    return " | ".join(lines)


def rec(data: Data, number: int) -> dict[str, Any]:
    found = [item for item in data["recommendations"] if item["number"] == number]
    assert len(found) == 1
    item = found[0]
    assert isinstance(item, dict)
    return item


# -- the shipped file ---------------------------------------------------------------------------


def test_shipped_file_is_next_to_the_module() -> None:
    assert SHIPPED_QUESTIONNAIRE.is_file()
    assert SHIPPED_QUESTIONNAIRE.name == "questionnaire.yaml"
    assert SHIPPED_QUESTIONNAIRE.parent.name == "data"


def test_shipped_file_loads_with_40_items_numbered_1_to_40(shipped: Questionnaire) -> None:
    assert EXPECTED_COUNT == 40
    assert len(shipped) == 40
    assert shipped.numbers == tuple(range(1, 41))
    assert [item.number for item in shipped.recommendations] == list(range(1, 41))
    assert shipped.path == SHIPPED_QUESTIONNAIRE
    assert shipped.id == "cws-ict-2021"


def test_shipped_file_is_marked_as_working_summary(shipped: Questionnaire) -> None:
    assert shipped.wording == "working-summary"
    assert shipped.is_working_summary
    assert "CWS/6/3" in shipped.source("en")
    header = SHIPPED_QUESTIONNAIRE.read_text(encoding="utf-8").split("\nid:", 1)[0]
    assert "working summary" in header.lower()
    assert "not the official text" in header.lower()
    assert "Annex of document CWS/6/3" in header
    assert "QUESTIONNAIRE_PATH" in header


def test_shipped_texts_are_present_in_every_language(shipped: Questionnaire) -> None:
    assert LANGUAGES == ("en", "fr", "es")
    for lang in LANGUAGES:
        assert shipped.sources[lang].strip()
        assert "CWS/6/3" in shipped.sources[lang]
        for level in shipped.scale:
            assert level.labels[lang].strip(), (level.code, lang)
        for item in shipped.recommendations:
            assert item.titles[lang].strip(), (item.number, lang)
            assert item.statements[lang].strip(), (item.number, lang)


def test_shipped_french_and_spanish_are_translations_not_copies(shipped: Questionnaire) -> None:
    for lang in ("fr", "es"):
        assert shipped.source(lang) != shipped.source("en")
        for level in shipped.scale:
            assert level.label(lang) != level.label("en"), (level.code, lang)
        for item in shipped.recommendations:
            assert item.title(lang) != item.title("en"), (item.number, lang)
            assert item.statement(lang) != item.statement("en"), (item.number, lang)
        assert shipped.source("fr") != shipped.source("es")


def test_shipped_texts_fit_the_screen_budget(shipped: Questionnaire) -> None:
    sentence_end = re.compile(r"[.!?](?:\s|$)")
    for item in shipped.recommendations:
        for lang in LANGUAGES:
            assert len(item.title(lang)) <= 80, (item.number, lang)
            statement = item.statement(lang)
            assert len(statement) <= 400, (item.number, lang)
            assert 1 <= len(sentence_end.findall(statement)) <= 3, (item.number, lang)


def test_shipped_french_follows_french_typography(shipped: Questionnaire) -> None:
    texts = [shipped.source("fr")]
    texts += [level.label("fr") for level in shipped.scale]
    for item in shipped.recommendations:
        texts += [item.title("fr"), item.statement("fr")]
    for text in texts:
        assert '"' not in text, text  # quotation marks are « »
        assert "'" not in text, text  # typographic apostrophe
        for match in re.finditer(r"[:;!?»]", text):
            assert match.start() > 0, text
            assert text[match.start() - 1] in "\u00a0\u202f", text
        for match in re.finditer("«", text):
            assert text[match.end() : match.end() + 1] in ("\u00a0", "\u202f"), text


def test_shipped_titles_are_distinct(shipped: Questionnaire) -> None:
    for lang in LANGUAGES:
        titles = [item.title(lang) for item in shipped.recommendations]
        assert len(set(titles)) == len(titles), lang


def test_shipped_recommendation_1_is_the_data_exchange_protocol(shipped: Questionnaire) -> None:
    first = shipped.recommendation(1)
    text = (first.title("en") + " " + first.statement("en")).lower()
    for words in ("online", "protocol", "international bureau", "quality", "wipo standards"):
        assert words in text


def test_shipped_scale(shipped: Questionnaire) -> None:
    assert [level.code for level in shipped.scale] == ["high", "medium", "low", "no_opinion"]
    assert shipped.scores() == {"high": 3, "medium": 2, "low": 1}
    no_opinion = shipped.level("no_opinion")
    assert no_opinion is not None
    assert no_opinion.score is None
    assert no_opinion.label("es") == "Sin opinión"
    assert shipped.level("High") is None
    assert shipped.level("") is None


# -- lookups and fallbacks ----------------------------------------------------------------------


def test_recommendation_lookup(shipped: Questionnaire) -> None:
    assert shipped.recommendation(17).number == 17
    assert shipped.has_recommendation(1)
    assert shipped.has_recommendation(40)
    assert not shipped.has_recommendation(0)
    assert not shipped.has_recommendation(41)
    with pytest.raises(KeyError):
        shipped.recommendation(41)


def test_unknown_language_falls_back_to_default(shipped: Questionnaire) -> None:
    assert DEFAULT_LANGUAGE == "en"
    item = shipped.recommendation(5)
    level = shipped.scale[0]
    for lang in ("de", "", "EN", "zh"):
        assert item.title(lang) == item.titles["en"]
        assert item.statement(lang) == item.statements["en"]
        assert level.label(lang) == level.labels["en"]
        assert shipped.source(lang) == shipped.sources["en"]
    assert item.title("fr") == item.titles["fr"]
    assert level.label("es") == "Alta"


def test_fallback_when_a_hand_built_item_lacks_the_language() -> None:
    level = Level("high", 3, {"en": "High"})
    assert level.label("fr") == "High"
    item = Recommendation(1, {"en": "T", "fr": ""}, {"en": "S"})
    assert item.title("fr") == "T"
    assert item.statement("es") == "S"


def test_loaded_mappings_are_read_only(shipped: Questionnaire) -> None:
    with pytest.raises(TypeError):
        shipped.recommendation(1).titles["en"] = "changed"  # type: ignore[index]
    with pytest.raises(TypeError):
        shipped.scale[0].labels["en"] = "changed"  # type: ignore[index]
    with pytest.raises(TypeError):
        shipped.sources["en"] = "changed"  # type: ignore[index]


# -- other valid files --------------------------------------------------------------------------


def test_official_file_loads_and_is_not_a_working_summary(tmp_path: Path, data: Data) -> None:
    data["wording"] = "official"
    data["source"] = {
        "en": "Official text: Annex of document CWS/6/3.",
        "fr": "Texte officiel\u00a0: annexe du document CWS/6/3.",
        "es": "Texto oficial: anexo del documento CWS/6/3.",
    }
    data["source_url"] = None
    path = write(tmp_path, data, "official.yaml")
    questionnaire = load_questionnaire(str(path))
    assert questionnaire.wording == "official"
    assert not questionnaire.is_working_summary
    assert questionnaire.source_url is None
    assert questionnaire.path == path
    assert questionnaire.source("fr").startswith("Texte officiel")


def test_source_url_is_optional(tmp_path: Path, data: Data, shipped: Questionnaire) -> None:
    assert shipped.source_url is not None
    assert shipped.source_url.startswith("https://")
    del data["source_url"]
    assert load_questionnaire(write(tmp_path, data)).source_url is None


def test_items_are_sorted_by_number_and_texts_trimmed(tmp_path: Path, data: Data) -> None:
    data["recommendations"].reverse()
    rec(data, 3)["title"]["en"] = "  Padded title \n"
    data["scale"].append(
        {"code": "critical", "score": 4, "label": {"en": "C", "fr": "C", "es": "C"}}
    )
    questionnaire = load_questionnaire(write(tmp_path, data))
    assert questionnaire.numbers == tuple(range(1, 41))
    assert questionnaire.recommendation(3).title("en") == "Padded title"
    assert questionnaire.scores()["critical"] == 4


# -- the checks ---------------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    message = load_error(tmp_path / "questionnaire.yaml")
    assert "not found" in message


def test_directory_instead_of_file(tmp_path: Path) -> None:
    folder = tmp_path / "questionnaire.yaml"
    folder.mkdir()
    assert "not found" in load_error(folder)


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "questionnaire.yaml"
    path.write_bytes(b"id: caf\xe9\n")
    assert "UTF-8" in load_error(path)


def test_yaml_syntax_error_gives_the_line(tmp_path: Path) -> None:
    path = tmp_path / "questionnaire.yaml"
    path.write_text("id: x\nwording: official\nsource: [unclosed\n  en: x\n", encoding="utf-8")
    message = load_error(path)
    assert "YAML syntax error" in message
    assert re.search(r"line \d+", message)


def test_yaml_syntax_error_in_a_real_file_names_its_line(tmp_path: Path) -> None:
    lines = SHIPPED_QUESTIONNAIRE.read_text(encoding="utf-8").splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("wording:"))
    lines[index] = "wording: [working-summary"
    path = tmp_path / "questionnaire.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    message = load_error(path)
    assert re.search(r"line \d+", message)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("", "the file is empty", id="empty"),
        pytest.param("- a\n- b\n", "must be a mapping of keys", id="list"),
        pytest.param("just text\n", "must be a mapping of keys", id="scalar"),
    ],
)
def test_top_level_must_be_a_mapping(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "questionnaire.yaml"
    path.write_text(text, encoding="utf-8")
    assert expected in load_error(path)


def _set(*keys: Any, value: Any) -> Mutation:
    """Set data[k1][k2]...[kn] = value."""

    def mutate(data: Data) -> None:
        target: Any = data
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value

    return mutate


def _delete(*keys: Any) -> Mutation:
    def mutate(data: Data) -> None:
        target: Any = data
        for key in keys[:-1]:
            target = target[key]
        del target[keys[-1]]

    return mutate


def _on_rec(number: int, mutation: Mutation) -> Mutation:
    return lambda data: mutation(rec(data, number))


def _duplicate_number(data: Data) -> None:
    rec(data, 23)["number"] = 17


def _drop_last(data: Data) -> None:
    data["recommendations"].pop()


def _add_41st(data: Data) -> None:
    extra = dict(rec(data, 40))
    extra["number"] = 41
    data["recommendations"].append(extra)


def _scale_duplicate(data: Data) -> None:
    data["scale"][1]["code"] = "high"


def _no_scored_level(data: Data) -> None:
    for level in data["scale"]:
        level["score"] = None


BAD_FILES = [
    # top level
    pytest.param(_set("colour", value="blue"), ["unknown key “colour”"], id="unknown-top-key"),
    pytest.param(_delete("id"), ["“id” is missing"], id="id-missing"),
    pytest.param(_set("id", value=""), ["the id must be a text"], id="id-empty"),
    pytest.param(_set("id", value="  "), ["the id must be a text", "' '"], id="id-blank"),
    pytest.param(_set("id", value=2021), ["the id must be a text", "2021"], id="id-number"),
    pytest.param(
        _set("wording", value="draft"),
        ["the wording must be “official” or “working-summary”, not 'draft'"],
        id="wording-bad",
    ),
    pytest.param(_delete("wording"), ["“wording” is missing"], id="wording-missing"),
    pytest.param(_delete("source"), ["“source” is missing"], id="source-missing"),
    pytest.param(
        _set("source", value="text"),
        ["the source line must give one text per language"],
        id="source-not-mapping",
    ),
    pytest.param(
        _delete("source", "fr"), ["the source line in French is missing"], id="source-no-fr"
    ),
    pytest.param(
        _set("source", "es", value=""), ["the source line in Spanish is missing"], id="source-empty"
    ),
    pytest.param(
        _set("source", "de", value="Quelle"), ["unknown language “de”"], id="source-extra"
    ),
    pytest.param(
        _set("source_url", value="ftp://x"),
        ["the link must be an address", "'ftp://x'"],
        id="source-url-bad",
    ),
    pytest.param(
        _set("source_url", value=5),
        ["the link must be an address", "not 5"],
        id="source-url-number",
    ),
    # scale
    pytest.param(_delete("scale"), ["“scale” is missing"], id="scale-missing"),
    pytest.param(_set("scale", value=[]), ["the scale has no level"], id="scale-empty"),
    pytest.param(_set("scale", value={"high": 3}), ["“scale” must be a list"], id="scale-not-list"),
    pytest.param(
        _set("scale", 2, value="low"),
        ["item 3 of the scale: this item must be a mapping"],
        id="scale-item-not-mapping",
    ),
    pytest.param(
        _set("scale", 0, "code", value="High"),
        ["item 1 of the scale: the code must be", "'High'"],
        id="code-case",
    ),
    pytest.param(
        _set("scale", 0, "code", value="a" * 21),
        ["item 1 of the scale: the code must be 1 to 20 characters"],
        id="code-long",
    ),
    pytest.param(
        _set("scale", 0, "code", value="2x"),
        ["item 1 of the scale: the code must be", "'2x'"],
        id="code-digit",
    ),
    pytest.param(
        _set("scale", 0, "code", value="hi gh"),
        ["item 1 of the scale: the code must be", "'hi gh'"],
        id="code-space",
    ),
    pytest.param(
        _set("scale", 0, "code", value=False),
        ["item 1 of the scale", "put it in quotes"],
        id="code-no",
    ),
    pytest.param(_delete("scale", 1, "code"), ["item 2 of the scale", "None"], id="code-missing"),
    pytest.param(
        _scale_duplicate,
        ["scale level “high”: the code “high” is used twice (levels 1 and 2)"],
        id="code-duplicate",
    ),
    pytest.param(
        _set("scale", 0, "score", value="3"),
        ["scale level “high”: the score must be a whole number", "'3'"],
        id="score-str",
    ),
    pytest.param(
        _set("scale", 0, "score", value=2.5),
        ["scale level “high”: the score must be a whole number", "2.5"],
        id="score-float",
    ),
    pytest.param(
        _set("scale", 0, "score", value=True),
        ["scale level “high”: the score must be a whole number", "True"],
        id="score-bool",
    ),
    pytest.param(
        _delete("scale", 2, "score"),
        ["scale level “low”: the score is missing"],
        id="score-missing",
    ),
    pytest.param(
        _delete("scale", 3, "label", "es"),
        ["scale level “no_opinion”: the label in Spanish is missing"],
        id="label-no-es",
    ),
    pytest.param(
        _delete("scale", 0, "label"), ["scale level “high”: “label” is missing"], id="label-missing"
    ),
    pytest.param(
        _set("scale", 1, "colour", value="red"),
        ["item 2 of the scale: unknown key “colour”"],
        id="scale-unknown-key",
    ),
    pytest.param(
        _no_scored_level, ["at least one level of the scale needs a score"], id="no-scored-level"
    ),
    # recommendations
    pytest.param(_delete("recommendations"), ["“recommendations” is missing"], id="recs-missing"),
    pytest.param(
        _set("recommendations", value={}), ["“recommendations” must be a list"], id="recs-not-list"
    ),
    pytest.param(
        _drop_last,
        ["exactly 40 Recommendations, and there are 39", "no Recommendation has the number 40"],
        id="recs-39",
    ),
    pytest.param(
        _add_41st,
        ["exactly 40 Recommendations, and there are 41", "item 41 of the Recommendations"],
        id="recs-41",
    ),
    pytest.param(
        _set("recommendations", 4, value="text"),
        ["item 5 of the Recommendations: this item must be a mapping"],
        id="rec-not-mapping",
    ),
    pytest.param(
        _delete("recommendations", 6, "number"),
        ["item 7 of the Recommendations: “number” is missing"],
        id="number-missing",
    ),
    pytest.param(
        _set("recommendations", 6, "number", value=0),
        ["item 7 of the Recommendations: the number must be", "not 0"],
        id="number-0",
    ),
    pytest.param(
        _set("recommendations", 6, "number", value=41),
        ["item 7 of the Recommendations: the number must be", "not 41"],
        id="number-41",
    ),
    pytest.param(
        _set("recommendations", 6, "number", value="7"),
        ["item 7 of the Recommendations", "'7'"],
        id="number-str",
    ),
    pytest.param(
        _set("recommendations", 0, "number", value=True),
        ["item 1 of the Recommendations", "True"],
        id="number-bool",
    ),
    pytest.param(
        _duplicate_number,
        [
            "Recommendation 17: the number 17 is used twice (items 17 and 23)",
            "no Recommendation has the number 23",
        ],
        id="number-dup",
    ),
    pytest.param(
        _on_rec(12, _set("titel", value={"en": "x"})),
        ["Recommendation 12: unknown key “titel”"],
        id="rec-unknown-key",
    ),
    pytest.param(
        _on_rec(9, _delete("title")), ["Recommendation 9: “title” is missing"], id="title-missing"
    ),
    pytest.param(
        _on_rec(9, _set("title", value="Only English")),
        ["Recommendation 9: the title must give one text per language"],
        id="title-not-mapping",
    ),
    pytest.param(
        _on_rec(17, _delete("statement", "fr")),
        ["Recommendation 17: the statement in French is missing"],
        id="statement-no-fr",
    ),
    pytest.param(
        _on_rec(33, _set("statement", "es", value="   ")),
        ["Recommendation 33: the statement in Spanish holds only spaces"],
        id="statement-blank-es",
    ),
    pytest.param(
        _on_rec(2, _set("title", "en", value=None)),
        ["Recommendation 2: the title in English is missing"],
        id="title-null-en",
    ),
    pytest.param(
        _on_rec(2, _set("title", "fr", value=["a"])),
        ["Recommendation 2: the title in French must be a text"],
        id="title-list-fr",
    ),
    pytest.param(
        _on_rec(4, _set("title", "pt", value="Título")),
        ["Recommendation 4: unknown language “pt”"],
        id="title-extra-language",
    ),
    pytest.param(
        _on_rec(40, _set("title", "es", value="x" * 121)),
        ["Recommendation 40: the title in Spanish has 121 characters (at most 120)"],
        id="title-too-long",
    ),
    pytest.param(
        _on_rec(1, _set("statement", "en", value="y" * 801)),
        ["Recommendation 1: the statement in English has 801 characters (at most 800)"],
        id="statement-too-long",
    ),
]


@pytest.mark.parametrize(("mutate", "expected"), BAD_FILES)
def test_bad_file_is_refused_naming_the_item(
    tmp_path: Path, data: Data, mutate: Mutation, expected: list[str]
) -> None:
    mutate(data)
    message = load_error(write(tmp_path, data))
    for fragment in expected:
        assert fragment in message


def test_limits_are_inclusive(tmp_path: Path, data: Data) -> None:
    rec(data, 40)["title"]["es"] = "x" * 120
    rec(data, 1)["statement"]["en"] = "y" * 800
    questionnaire = load_questionnaire(write(tmp_path, data))
    assert questionnaire.recommendation(40).title("es") == "x" * 120


def test_error_is_a_value_error() -> None:
    assert issubclass(QuestionnaireError, ValueError)


def _shipped_with_line(tmp_path: Path, after: str, line: str) -> tuple[Path, int]:
    """The shipped text with `line` inserted after the first line equal to `after`."""
    lines = SHIPPED_QUESTIONNAIRE.read_text(encoding="utf-8").splitlines()
    index = lines.index(after) + 1
    lines.insert(index, line)
    path = tmp_path / "questionnaire.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, index + 1  # 1-based line of the inserted text


def test_a_duplicate_key_is_refused_naming_it_and_its_lines(tmp_path: Path) -> None:
    lines = SHIPPED_QUESTIONNAIRE.read_text(encoding="utf-8").splitlines()
    first = lines.index('      en: "Online protocol for exchanging data on common transactions"')
    # Right after Recommendation 1's Spanish title: a second English title in the same mapping.
    path, line = _shipped_with_line(tmp_path, lines[first + 2], '      en: "A second title"')
    message = load_error(path)
    assert (
        f"the key “en” appears twice in the same place, at line {first + 1} and at line {line}"
        in message
    )


def test_a_duplicate_top_level_key_is_refused(tmp_path: Path) -> None:
    # The later value would otherwise win silently and pass the summary off as official.
    path, line = _shipped_with_line(tmp_path, "wording: working-summary", "wording: official")
    assert (
        f"the key “wording” appears twice in the same place, at line {line - 1} and at line {line}"
        in load_error(path)
    )


def test_yaml_merge_keys_are_not_duplicates(tmp_path: Path, data: Data) -> None:
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    text = text.replace("source:\n", "source: &source\n", 1) + "x-unused: {<<: *source, en: y}\n"
    path = tmp_path / "questionnaire.yaml"
    path.write_text(text, encoding="utf-8")
    # Only the unknown top-level key is wrong; the merge that overrides 'en' is not a duplicate.
    message = load_error(path)
    assert message.startswith("unknown key “x-unused”")
    assert "appears twice" not in message
