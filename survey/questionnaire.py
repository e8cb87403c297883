"""The questionnaire: the 40 Recommendations and the answer scale, read from a YAML file.

The text lives in a data file, not in code, so that the Secretariat can load the official wording
(``QUESTIONNAIRE_PATH``) without a code change. The shipped file is the project's working summary;
``Questionnaire.is_working_summary`` says so, and the bot warns about it at start-up.

Every file is checked strictly when it is loaded: a mistake stops the bot with a one-line
``QuestionnaireError`` naming the file and the item, rather than showing a broken screen later.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NoReturn

import yaml

from survey.text import clean_text

__all__ = [
    "DEFAULT_LANGUAGE",
    "EXPECTED_COUNT",
    "LANGUAGES",
    "MAX_STATEMENT_LENGTH",
    "MAX_TITLE_LENGTH",
    "OFFICIAL",
    "SHIPPED_QUESTIONNAIRE",
    "WORDINGS",
    "WORKING_SUMMARY",
    "Level",
    "Questionnaire",
    "QuestionnaireError",
    "Recommendation",
    "load_questionnaire",
    "questionnaire_from_data",
    "questionnaire_to_data",
]

LANGUAGES: tuple[str, ...] = ("en", "fr", "es")
DEFAULT_LANGUAGE = "en"
EXPECTED_COUNT = 40

# Budgets that keep a Recommendation screen (title + statement + source line + progress) well
# inside Telegram's 4096-character message limit.
MAX_TITLE_LENGTH = 120
MAX_STATEMENT_LENGTH = 800

WORKING_SUMMARY = "working-summary"
OFFICIAL = "official"
WORDINGS: tuple[str, ...] = (WORKING_SUMMARY, OFFICIAL)

SHIPPED_QUESTIONNAIRE: Path = Path(__file__).resolve().parent / "data" / "questionnaire.yaml"

# Level codes travel in callback data (at most 64 bytes), so they stay short and plain.
_LEVEL_CODE = re.compile(r"[a-z][a-z0-9_]{0,19}")

_TOP_KEYS = ("id", "wording", "source", "source_url", "scale", "recommendations")
_LEVEL_KEYS = ("code", "score", "label")
_RECOMMENDATION_KEYS = ("number", "title", "statement")


class QuestionnaireError(ValueError):
    """The questionnaire file cannot be used. The message is one line naming the file and item."""


class _DuplicateKey(yaml.MarkedYAMLError):
    def __init__(self, key: Any, line: int, first_line: int) -> None:
        super().__init__(
            problem=f"duplicate key {key!r} at line {line} (first at line {first_line})"
        )


# libyaml's parser when PyYAML was built with it: the pure-Python one took about 35 ms of every
# start for this file; the safe constructor (and the check below) are the same either way.
if TYPE_CHECKING:
    _SafeLoader = yaml.SafeLoader
else:
    _SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_SafeLoader):
    """PyYAML keeps the last of two equal keys without a word: a second `en:` or `wording:`
    would silently replace the first. Refuse them instead."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        first_lines: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<: *anchor` may be overridden on purpose
            key = self.construct_object(key_node, deep=deep)
            try:
                first = first_lines.setdefault(key, key_node.start_mark.line + 1)
            except TypeError:
                continue  # unhashable: the base class says so
            if first != key_node.start_mark.line + 1:
                raise _DuplicateKey(key, key_node.start_mark.line + 1, first)
        return super().construct_mapping(node, deep=deep)


def _pick(texts: Mapping[str, str], lang: str) -> str:
    text = texts.get(lang)
    return text if text else texts[DEFAULT_LANGUAGE]


@dataclass(frozen=True, slots=True)
class Level:
    """One answer on the priority scale."""

    code: str  # short and plain: used in callback data
    score: int | None  # None: counts as answered but is left out of the score
    labels: Mapping[str, str]

    def label(self, lang: str) -> str:
        return _pick(self.labels, lang)


@dataclass(frozen=True, slots=True)
class Recommendation:
    number: int
    titles: Mapping[str, str]
    statements: Mapping[str, str]

    def title(self, lang: str) -> str:
        return _pick(self.titles, lang)

    def statement(self, lang: str) -> str:
        return _pick(self.statements, lang)


@dataclass(frozen=True, slots=True)
class Questionnaire:
    id: str
    wording: str  # WORKING_SUMMARY or OFFICIAL
    sources: Mapping[str, str]
    source_url: str | None
    scale: tuple[Level, ...]
    recommendations: tuple[Recommendation, ...]  # sorted by number
    path: Path
    # Asked several times a click: computed once.
    numbers: tuple[int, ...] = field(init=False, repr=False, compare=False)
    _by_number: Mapping[int, Recommendation] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_number = {item.number: item for item in self.recommendations}
        object.__setattr__(self, "numbers", tuple(by_number))
        object.__setattr__(self, "_by_number", MappingProxyType(by_number))

    @property
    def is_working_summary(self) -> bool:
        return self.wording != OFFICIAL

    def __len__(self) -> int:
        return len(self.recommendations)

    def source(self, lang: str) -> str:
        return _pick(self.sources, lang)

    def recommendation(self, number: int) -> Recommendation:
        return self._by_number[number]

    def has_recommendation(self, number: int) -> bool:
        return number in self._by_number

    def level(self, code: str) -> Level | None:
        for level in self.scale:
            if level.code == code:
                return level
        return None

    def scores(self) -> dict[str, int]:
        """Level code -> score, for the levels that count in the score."""
        return {level.code: level.score for level in self.scale if level.score is not None}

    @property
    def checksum(self) -> str:
        """SHA-256 of the content (not of the file it came from): two files that say the same
        thing, a YAML and a workbook, have the same checksum."""
        canonical = json.dumps(
            questionnaire_to_data(self), ensure_ascii=False, sort_keys=True, separators=(",", ":")
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def questionnaire_to_data(questionnaire: Questionnaire) -> dict[str, Any]:
    """The questionnaire as plain data in the YAML file's shape (JSON-safe): what is stored in
    the database, and what `questionnaire_from_data` reads back."""
    return {
        "id": questionnaire.id,
        "wording": questionnaire.wording,
        "source": dict(questionnaire.sources),
        "source_url": questionnaire.source_url,
        "scale": [
            {"code": level.code, "score": level.score, "label": dict(level.labels)}
            for level in questionnaire.scale
        ],
        "recommendations": [
            {
                "number": item.number,
                "title": dict(item.titles),
                "statement": dict(item.statements),
            }
            for item in questionnaire.recommendations
        ],
    }


def questionnaire_from_data(data: Any, *, origin: str | Path) -> Questionnaire:
    """Check plain data in the YAML file's shape with the same rules as a file; `origin` names
    where it came from in messages (and becomes `Questionnaire.path`)."""
    return _Reader(Path(origin)).build(data)


def load_questionnaire(path: str | Path | None = None) -> Questionnaire:
    """Read and check a questionnaire file; the shipped working summary when `path` is None."""
    file = SHIPPED_QUESTIONNAIRE if path is None else Path(path).expanduser()
    return _Reader(file).read()


def _quoted(names: Iterable[str]) -> str:
    return ", ".join(repr(name) for name in names)


class _Reader:
    """Checks one file. Every failure raises QuestionnaireError '<file>: <item>: <problem>'."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, problem: str) -> NoReturn:
        prefix = f"{self.path.name}: {where}" if where else self.path.name
        message = " ".join(f"{prefix}: {problem}".split())  # always one line
        raise QuestionnaireError(message)

    # -- file ---------------------------------------------------------------------------------

    def read(self) -> Questionnaire:
        return self.build(self._parse())

    def build(self, data: Any) -> Questionnaire:
        if not isinstance(data, Mapping):
            found = "an empty file" if data is None else f"a {type(data).__name__}"
            self.fail("", f"the top level must be a mapping of keys, found {found}")
        self._check_keys(data, _TOP_KEYS, "")
        for key in ("id", "wording", "source", "scale", "recommendations"):
            if key not in data:
                self.fail("", f"missing {key!r}")
        return Questionnaire(
            id=self._id(data["id"]),
            wording=self._wording(data["wording"]),
            sources=self._texts(data["source"], "", "source"),
            source_url=self._source_url(data.get("source_url")),
            scale=self._scale(data["scale"]),
            recommendations=self._recommendations(data["recommendations"]),
            path=self.path,
        )

    def _parse(self) -> Any:
        if not self.path.is_file():
            self.fail("", f"file not found: {self.path}")
        try:
            text = self.path.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            self.fail("", f"not UTF-8 text (bad byte at offset {error.start})")
        except OSError as error:
            self.fail("", f"cannot read {self.path}: {error.strerror or error}")
        try:
            return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader
        except _DuplicateKey as error:
            self.fail("", str(error.problem))
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            problem = error.problem or error.context or "invalid YAML"
            self.fail("", f"YAML syntax error{where}: {problem}")
        except yaml.YAMLError as error:
            self.fail("", f"YAML error: {error}")

    # -- pieces -------------------------------------------------------------------------------

    def _check_keys(self, data: Mapping[Any, Any], allowed: tuple[str, ...], where: str) -> None:
        for key in data:
            if key not in allowed:
                self.fail(where, f"unknown key {key!r} (expected {_quoted(allowed)})")

    def _id(self, value: Any) -> str:
        if not isinstance(value, str) or not clean_text(value).strip():
            self.fail("", f"'id' must be a non-empty string, not {value!r}")
        return clean_text(value).strip()

    def _wording(self, value: Any) -> str:
        if value not in WORDINGS:
            self.fail("", f"'wording' must be {' or '.join(map(repr, WORDINGS))}, not {value!r}")
        return str(value)

    def _source_url(self, value: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or not value.startswith(("https://", "http://")):
            self.fail("", f"'source_url' must be an http(s) address or null, not {value!r}")
        return value.strip()

    def _texts(
        self, value: Any, where: str, field: str, limit: int | None = None
    ) -> Mapping[str, str]:
        if not isinstance(value, Mapping):
            self.fail(where, f"{field!r} must map each language ({_quoted(LANGUAGES)}) to a text")
        for lang in value:
            if lang not in LANGUAGES:
                self.fail(
                    where,
                    f"{field!r} has unknown language {lang!r} (expected {_quoted(LANGUAGES)})",
                )
        texts: dict[str, str] = {}
        for lang in LANGUAGES:
            text = value.get(lang)
            if isinstance(text, str):
                text = clean_text(text).strip()  # a text nothing can show is no text
            if text is None or text == "":
                self.fail(where, f"{field!r} has no {lang!r} text")
            if not isinstance(text, str):
                self.fail(where, f"{field!r} {lang!r} text must be a string, not {text!r}")
            if limit is not None and len(text) > limit:
                self.fail(
                    where,
                    f"{field!r} {lang!r} text has {len(text)} characters (at most {limit})",
                )
            texts[lang] = text
        return MappingProxyType(texts)

    def _scale(self, value: Any) -> tuple[Level, ...]:
        if not isinstance(value, list) or not value:
            self.fail("", "'scale' must be a non-empty list of levels")
        levels: list[Level] = []
        for index, item in enumerate(value, start=1):
            where = f"scale item {index}"
            if not isinstance(item, Mapping):
                self.fail(where, f"must be a mapping with {_quoted(_LEVEL_KEYS)}")
            self._check_keys(item, _LEVEL_KEYS, where)
            code = item.get("code")
            if not isinstance(code, str) or not _LEVEL_CODE.fullmatch(code):
                hint = " (quote it: YAML reads yes/no/on/off as true/false)"
                self.fail(
                    where,
                    f"'code' must be 1 to 20 characters, a lowercase letter then lowercase "
                    f"letters, digits or '_', not {code!r}{hint if isinstance(code, bool) else ''}",
                )
            where = f"scale level {code!r}"
            if any(level.code == code for level in levels):
                self.fail(where, "duplicate code")
            if "score" not in item:
                self.fail(where, "missing 'score' (a whole number, or null to leave it unscored)")
            score = item["score"]
            if score is not None and (isinstance(score, bool) or not isinstance(score, int)):
                self.fail(where, f"'score' must be a whole number or null, not {score!r}")
            labels = self._texts(item.get("label"), where, "label")
            levels.append(Level(code=code, score=score, labels=labels))
        if all(level.score is None for level in levels):
            self.fail("", "'scale' needs at least one level with a score")
        return tuple(levels)

    def _recommendations(self, value: Any) -> tuple[Recommendation, ...]:
        if not isinstance(value, list):
            self.fail("", "'recommendations' must be a list")
        if len(value) != EXPECTED_COUNT:
            self.fail(
                "",
                f"'recommendations' must have exactly {EXPECTED_COUNT} items, found {len(value)}",
            )
        seen: dict[int, int] = {}  # number -> item index
        items: list[Recommendation] = []
        for index, item in enumerate(value, start=1):
            where = f"recommendations item {index}"
            if not isinstance(item, Mapping):
                self.fail(where, f"must be a mapping with {_quoted(_RECOMMENDATION_KEYS)}")
            if "number" not in item:
                self.fail(where, "missing 'number'")
            number = item["number"]
            if (
                isinstance(number, bool)
                or not isinstance(number, int)
                or not 1 <= number <= EXPECTED_COUNT
            ):
                self.fail(
                    where,
                    f"'number' must be a whole number from 1 to {EXPECTED_COUNT}, not {number!r}",
                )
            where = f"recommendation {number}"
            if number in seen:
                self.fail(where, f"duplicate number (items {seen[number]} and {index})")
            seen[number] = index
            self._check_keys(item, _RECOMMENDATION_KEYS, where)
            items.append(
                Recommendation(
                    number=number,
                    titles=self._texts(item.get("title"), where, "title", MAX_TITLE_LENGTH),
                    statements=self._texts(
                        item.get("statement"), where, "statement", MAX_STATEMENT_LENGTH
                    ),
                )
            )
        return tuple(sorted(items, key=lambda item: item.number))
