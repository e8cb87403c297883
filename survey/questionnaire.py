"""The questionnaire: the 40 Recommendations and the answer scale, read from a YAML file.

The text lives in a data file, not in code, so that the Secretariat can load the official wording
(``QUESTIONNAIRE_PATH``) without a code change. The shipped file is the project's working summary;
``Questionnaire.is_working_summary`` says so, and the bot warns about it at start-up.

Every file is checked strictly when it is loaded, by one set of rules for the YAML file and the
Secretariat's workbook (``reports.questionnaire_workbook`` maps its cells to the same data): a
mistake stops the bot with a ``QuestionnaireError`` listing every problem at once, each with its
kind, its parameters and where it is, rather than showing a broken screen later. The words a
person reads are ``reports.questionnaire_problems``'s, in their language (survey/ has none).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

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
    "ProblemKind",
    "Questionnaire",
    "QuestionnaireError",
    "QuestionnaireProblem",
    "Recommendation",
    "load_questionnaire",
    "questionnaire_from_data",
    "questionnaire_to_data",
    "questionnaire_to_yaml",
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

_TOP_KEYS = ("id", "wording", "title", "source", "source_url", "scale", "recommendations")
_LEVEL_KEYS = ("code", "score", "label")
_RECOMMENDATION_KEYS = ("number", "title", "statement")


class ProblemKind(StrEnum):
    """What is wrong; each kind's parameters are in ``QuestionnaireProblem.details``."""

    # The file as a whole.
    FILE_NOT_FOUND = "file_not_found"  # file
    FILE_UNREADABLE = "file_unreadable"  # error
    NOT_UTF8 = "not_utf8"  # offset
    YAML_SYNTAX = "yaml_syntax"  # problem, line, column (None when unknown)
    DUPLICATE_KEY = "duplicate_key"  # key, line, first_line
    NOT_A_MAPPING = "not_a_mapping"  # found: "nothing" or a type name
    # The rules, the same for every format.
    UNKNOWN_KEY = "unknown_key"  # key, expected
    MISSING_KEY = "missing_key"  # key
    BAD_ID = "bad_id"  # value
    BAD_WORDING = "bad_wording"  # value, expected
    BAD_SOURCE_URL = "bad_source_url"  # value
    NOT_TEXTS = "not_texts"  # the value is not one text per language
    UNKNOWN_LANGUAGE = "unknown_language"  # lang, expected
    MISSING_TEXT = "missing_text"  # a missing translation
    BLANK_TEXT = "blank_text"  # only spaces (or characters nothing can show)
    NOT_A_STRING = "not_a_string"  # value
    TEXT_TOO_LONG = "text_too_long"  # length, limit
    NOT_A_LIST = "not_a_list"  # 'scale' or 'recommendations' is not a list of items
    ITEM_NOT_A_MAPPING = "item_not_a_mapping"  # expected
    SCALE_EMPTY = "scale_empty"
    BAD_CODE = "bad_code"  # value, boolean (YAML read yes/no as true/false)
    DUPLICATE_CODE = "duplicate_code"  # code, first_item, item
    MISSING_SCORE = "missing_score"
    BAD_SCORE = "bad_score"  # value
    NO_SCORED_LEVEL = "no_scored_level"
    WRONG_COUNT = "wrong_count"  # expected, found
    BAD_NUMBER = "bad_number"  # value, highest
    DUPLICATE_NUMBER = "duplicate_number"  # number, first_item, item
    MISSING_NUMBERS = "missing_numbers"  # numbers
    # A workbook's own (reports.questionnaire_workbook).
    NOT_A_WORKBOOK = "not_a_workbook"
    OLD_WORKBOOK = "old_workbook"  # .xls, or a password to open it
    OPENDOCUMENT = "opendocument"
    WORKBOOK_TOO_COMPLEX = "workbook_too_complex"  # measure, limit, part (xlsx_limits.Excess)
    WORKBOOK_UNREADABLE = "workbook_unreadable"
    MISSING_SHEET = "missing_sheet"  # sheet
    UNKNOWN_SHEET = "unknown_sheet"  # sheet, expected
    MISSING_COLUMN = "missing_column"  # column
    UNKNOWN_COLUMN = "unknown_column"  # column, expected
    DUPLICATE_COLUMN = "duplicate_column"  # column
    FORMULA = "formula"  # formula
    ERROR_VALUE = "error_value"  # value ("#N/A", "#REF!" ...)
    UNUSED_CELL = "unused_cell"  # key: a Survey row read from its 'en' cell only
    DUPLICATE_ROW = "duplicate_row"  # key, first_row


@dataclass(frozen=True, slots=True)
class QuestionnaireProblem:
    """One thing wrong with a questionnaire file, and where: ``path`` in the data (the YAML's
    keys, list positions counted from 0), and in a workbook its sheet, row and column."""

    kind: ProblemKind
    path: tuple[str | int, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)  # a dict: it pickles
    number: int | None = None  # the Recommendation's number, once known
    code: str | None = None  # the scale level's code, once known
    sheet: str | None = None
    row: int | None = None
    column: str | None = None  # a letter, as the spreadsheet shows it

    @property
    def cell(self) -> str | None:
        """Where it is in the workbook, as a spreadsheet names it: 'Recommendations!C7'."""
        if self.sheet is None:
            return None
        if self.row is None:
            return self.sheet
        return f"{self.sheet}!{self.column or ''}{self.row}"


class QuestionnaireError(ValueError):
    """The questionnaire file cannot be used; ``problems`` lists everything wrong with it.

    The message is one line of plain data (the file, then the first problem's kind and place);
    what a person reads comes from ``reports.questionnaire_problems.describe_problem``."""

    def __init__(self, origin: str, problems: Iterable[QuestionnaireProblem]) -> None:
        self.origin = origin
        self.problems: tuple[QuestionnaireProblem, ...] = tuple(problems)
        first = self.problems[0] if self.problems else None
        where = "" if first is None else first.cell or ".".join(map(str, first.path))
        text = f"{origin}: {first.kind.value if first else 'invalid'}"
        text += f" at {where}" if where else ""
        if len(self.problems) > 1:
            text += f" (and {len(self.problems) - 1} more problems)"
        super().__init__(text)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.origin, self.problems))


class _DuplicateKey(yaml.MarkedYAMLError):
    def __init__(self, key: Any, line: int, first_line: int) -> None:
        super().__init__(problem=f"duplicate key {key!r} at line {line}")
        self.details = {"key": str(key), "line": line, "first_line": first_line}


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
    # The survey's name, optional (files older than the workbook have none): the template's
    # Survey sheet and the Secretariat's /questionnaire show it.
    titles: Mapping[str, str] | None = None
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

    def title(self, lang: str) -> str | None:
        return None if self.titles is None else _pick(self.titles, lang)

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
    data: dict[str, Any] = {"id": questionnaire.id, "wording": questionnaire.wording}
    if questionnaire.titles is not None:  # absent rather than null: older checksums stay
        data["title"] = dict(questionnaire.titles)
    return data | {
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


_YAML_HEADER = """\
# Questionnaire: {id} ({wording}).
# Written by `python -m bot questionnaire import` from the Secretariat's workbook; the workbook
# (`python -m bot questionnaire template FILE.xlsx`) is the easier place to change it.
#
# Structure (checked when it is loaded; unknown keys are refused):
#   id              identifier stored with every answer
#   wording         working-summary | official
#   title           optional: the survey's name (en, fr, es; at most {title} characters)
#   source          one line shown on each Recommendation screen (en, fr, es)
#   source_url      optional link shown with the source line (or null)
#   scale           answer levels: code (a-z, 0-9, _; at most 20 characters), score (integer,
#                   or null = answered but left out of the score), label (en, fr, es)
#   recommendations exactly {count} items, numbered 1 to {count}: title (at most {title}
#                   characters) and statement (at most {statement} characters) in en, fr and es

"""


def questionnaire_to_yaml(questionnaire: Questionnaire) -> str:
    """The questionnaire as a YAML file `load_questionnaire` reads back the same, with the
    header that explains its structure to whoever opens it in a repository."""
    header = _YAML_HEADER.format(
        id=questionnaire.id,
        wording=questionnaire.wording,
        count=EXPECTED_COUNT,
        title=MAX_TITLE_LENGTH,
        statement=MAX_STATEMENT_LENGTH,
    )
    body = yaml.safe_dump(
        questionnaire_to_data(questionnaire), allow_unicode=True, sort_keys=False, width=100
    )
    return header + body


def questionnaire_from_data(data: Any, *, origin: str | Path) -> Questionnaire:
    """Check plain data in the YAML file's shape with the same rules as a file; `origin` names
    where it came from in messages (and becomes `Questionnaire.path`)."""
    return _Reader(Path(origin)).build(data)


def load_questionnaire(path: str | Path | None = None) -> Questionnaire:
    """Read and check a questionnaire file, YAML or a workbook (``.xlsx``); the shipped working
    summary when `path` is None."""
    file = SHIPPED_QUESTIONNAIRE if path is None else Path(path).expanduser()
    if file.suffix.lower() == ".xlsx" and file.is_file():
        # The workbook's reader needs openpyxl: loaded only for a workbook.
        from reports.questionnaire_workbook import read_questionnaire_workbook

        try:
            data = file.read_bytes()
        except OSError as error:
            problem = QuestionnaireProblem(
                ProblemKind.FILE_UNREADABLE, details={"error": str(error.strerror or error)}
            )
            raise QuestionnaireError(file.name, [problem]) from None
        return read_questionnaire_workbook(data, origin=file)
    return _Reader(file).read()


def _quoted(names: Iterable[str]) -> str:
    return ", ".join(repr(name) for name in names)


_Path = tuple[str | int, ...]


class _InvalidError(Exception):
    """A value that cannot be used: its problem is recorded, the item is left out."""


class _Reader:
    """Checks plain data in the YAML's shape, collecting every problem before raising one
    ``QuestionnaireError``; reads a YAML file into that data first."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[QuestionnaireProblem] = []
        self.number: int | None = None  # of the Recommendation being read
        self.code: str | None = None  # of the scale level being read

    def add(self, kind: ProblemKind, path: _Path = (), **details: Any) -> None:
        self.problems.append(
            QuestionnaireProblem(kind, path, details, number=self.number, code=self.code)
        )

    def invalid(self, kind: ProblemKind, path: _Path = (), **details: Any) -> _InvalidError:
        self.add(kind, path, **details)
        return _InvalidError()

    def fail(self) -> QuestionnaireError:
        return QuestionnaireError(self.path.name, self.problems)

    # -- file ---------------------------------------------------------------------------------

    def read(self) -> Questionnaire:
        try:
            data = self._parse()
        except _InvalidError:
            raise self.fail() from None
        return self.build(data)

    def build(self, data: Any) -> Questionnaire:
        if not isinstance(data, Mapping):
            found = "nothing" if data is None else type(data).__name__
            self.add(ProblemKind.NOT_A_MAPPING, found=found)
            raise self.fail()
        self._check_keys(data, _TOP_KEYS, ())
        for key in ("id", "wording", "source", "scale", "recommendations"):
            if key not in data:
                self.add(ProblemKind.MISSING_KEY, (), key=key)
        parts: dict[str, Any] = {}
        readers: dict[str, Callable[[], Any]] = {
            "id": lambda: self._id(data["id"]),
            "wording": lambda: self._wording(data["wording"]),
            "titles": lambda: (
                self._texts(data["title"], ("title",), MAX_TITLE_LENGTH)
                if "title" in data
                else None
            ),
            "sources": lambda: self._texts(data["source"], ("source",)),
            "source_url": lambda: self._source_url(data.get("source_url")),
            "scale": lambda: self._scale(data["scale"]),
            "recommendations": lambda: self._recommendations(data["recommendations"]),
        }
        for name, read in readers.items():
            with contextlib.suppress(_InvalidError, KeyError):  # recorded (a missing key above)
                parts[name] = read()
        if self.problems:
            raise self.fail()
        return Questionnaire(**parts, path=self.path)

    def _parse(self) -> Any:
        if not self.path.is_file():
            raise self.invalid(ProblemKind.FILE_NOT_FOUND, file=str(self.path))
        try:
            text = self.path.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            raise self.invalid(ProblemKind.NOT_UTF8, offset=error.start) from None
        except OSError as error:
            raise self.invalid(
                ProblemKind.FILE_UNREADABLE, error=str(error.strerror or error)
            ) from None
        return parse_yaml(text, self.add)

    # -- pieces -------------------------------------------------------------------------------

    def _check_keys(self, data: Mapping[Any, Any], allowed: tuple[str, ...], where: _Path) -> None:
        for key in data:
            if key not in allowed:
                self.add(ProblemKind.UNKNOWN_KEY, where, key=str(key), expected=list(allowed))

    def _id(self, value: Any) -> str:
        if not isinstance(value, str) or not clean_text(value).strip():
            raise self.invalid(ProblemKind.BAD_ID, ("id",), value=_shown(value))
        return clean_text(value).strip()

    def _wording(self, value: Any) -> str:
        if value not in WORDINGS:
            raise self.invalid(
                ProblemKind.BAD_WORDING, ("wording",), value=_shown(value), expected=list(WORDINGS)
            )
        return str(value)

    def _source_url(self, value: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip().startswith(("https://", "http://")):
            raise self.invalid(ProblemKind.BAD_SOURCE_URL, ("source_url",), value=_shown(value))
        return value.strip()

    def _texts(self, value: Any, where: _Path, limit: int | None = None) -> Mapping[str, str]:
        if not isinstance(value, Mapping):
            raise self.invalid(ProblemKind.NOT_TEXTS, where, expected=list(LANGUAGES))
        ok = True
        for lang in value:
            if lang not in LANGUAGES:
                self.add(
                    ProblemKind.UNKNOWN_LANGUAGE,
                    (*where, str(lang)),
                    lang=str(lang),
                    expected=list(LANGUAGES),
                )
                ok = False
        texts: dict[str, str] = {}
        for lang in LANGUAGES:
            text = value.get(lang)
            at = (*where, lang)
            if text is None or text == "":
                self.add(ProblemKind.MISSING_TEXT, at)
            elif not isinstance(text, str):
                self.add(ProblemKind.NOT_A_STRING, at, value=_shown(text))
            elif not (text := clean_text(text).strip()):  # a text nothing can show is no text
                self.add(ProblemKind.BLANK_TEXT, at)
            elif limit is not None and len(text) > limit:
                self.add(ProblemKind.TEXT_TOO_LONG, at, length=len(text), limit=limit)
            else:
                texts[lang] = text
                continue
            ok = False
        if not ok:
            raise _InvalidError()
        return MappingProxyType(texts)

    def _scale(self, value: Any) -> tuple[Level, ...]:
        if not isinstance(value, list):
            raise self.invalid(ProblemKind.NOT_A_LIST, ("scale",), key="scale")
        if not value:
            raise self.invalid(ProblemKind.SCALE_EMPTY, ("scale",))
        levels: list[Level] = []
        first_item: dict[str, int] = {}
        scores: list[int | None] = []
        ok = True
        for index, item in enumerate(value):
            self.number, self.code = None, None
            try:
                levels.append(self._level(index, item, first_item, scores))
            except _InvalidError:
                ok = False
        self.code = None
        if scores and all(score is None for score in scores):
            self.add(ProblemKind.NO_SCORED_LEVEL, ("scale",))
            ok = False
        if not ok:
            raise _InvalidError()
        return tuple(levels)

    def _level(
        self, index: int, item: Any, first_item: dict[str, int], scores: list[int | None]
    ) -> Level:
        where: _Path = ("scale", index)
        if not isinstance(item, Mapping):
            raise self.invalid(ProblemKind.ITEM_NOT_A_MAPPING, where, expected=list(_LEVEL_KEYS))
        self._check_keys(item, _LEVEL_KEYS, where)
        code = item.get("code")
        if not isinstance(code, str) or not _LEVEL_CODE.fullmatch(code):
            good_code = False
            self.add(
                ProblemKind.BAD_CODE,
                (*where, "code"),
                value=_shown(code),
                boolean=isinstance(code, bool),
            )
        else:
            good_code = True
            self.code = code
            if code in first_item:
                self.add(
                    ProblemKind.DUPLICATE_CODE,
                    (*where, "code"),
                    code=code,
                    first_item=first_item[code] + 1,
                    item=index + 1,
                )
                good_code = False
            else:
                first_item[code] = index
        score = item.get("score")
        good_score = True
        if "score" not in item:
            self.add(ProblemKind.MISSING_SCORE, (*where, "score"))
            good_score = False
        elif score is not None and (isinstance(score, bool) or not isinstance(score, int)):
            self.add(ProblemKind.BAD_SCORE, (*where, "score"), value=_shown(score))
            good_score = False
        else:
            scores.append(score)
        if "label" not in item:
            raise self.invalid(ProblemKind.MISSING_KEY, where, key="label")
        labels = self._texts(item.get("label"), (*where, "label"))
        if not (good_code and good_score):
            raise _InvalidError()
        return Level(code=str(code), score=score, labels=labels)

    def _recommendations(self, value: Any) -> tuple[Recommendation, ...]:
        where: _Path = ("recommendations",)
        if not isinstance(value, list):
            raise self.invalid(ProblemKind.NOT_A_LIST, where, key="recommendations")
        ok = True
        if len(value) != EXPECTED_COUNT:
            self.add(ProblemKind.WRONG_COUNT, where, expected=EXPECTED_COUNT, found=len(value))
            ok = False
        seen: dict[int, int] = {}  # number -> item index
        items: list[Recommendation] = []
        for index, item in enumerate(value):
            self.number = None
            try:
                items.append(self._recommendation(index, item, seen))
            except _InvalidError:
                ok = False
        self.number = None
        missing = [number for number in range(1, EXPECTED_COUNT + 1) if number not in seen]
        if missing and len(seen) + len(missing) == EXPECTED_COUNT:
            # Only when each item has a number: a bad number is already named.
            self.add(ProblemKind.MISSING_NUMBERS, where, numbers=missing)
            ok = False
        if not ok:
            raise _InvalidError()
        return tuple(sorted(items, key=lambda item: item.number))

    def _recommendation(self, index: int, item: Any, seen: dict[int, int]) -> Recommendation:
        where: _Path = ("recommendations", index)
        if not isinstance(item, Mapping):
            raise self.invalid(
                ProblemKind.ITEM_NOT_A_MAPPING, where, expected=list(_RECOMMENDATION_KEYS)
            )
        number = item.get("number")
        good = True
        if "number" not in item:
            self.add(ProblemKind.MISSING_KEY, where, key="number")
            good = False
        elif (
            isinstance(number, bool)
            or not isinstance(number, int)
            or not 1 <= number <= EXPECTED_COUNT
        ):
            self.add(
                ProblemKind.BAD_NUMBER,
                (*where, "number"),
                value=_shown(number),
                highest=EXPECTED_COUNT,
            )
            good = False
        else:
            self.number = number
            if number in seen:
                self.add(
                    ProblemKind.DUPLICATE_NUMBER,
                    (*where, "number"),
                    number=number,
                    first_item=seen[number] + 1,
                    item=index + 1,
                )
                good = False
            else:
                seen[number] = index
        self._check_keys(item, _RECOMMENDATION_KEYS, where)
        texts: dict[str, Mapping[str, str]] = {}
        for key, limit in (("title", MAX_TITLE_LENGTH), ("statement", MAX_STATEMENT_LENGTH)):
            if key not in item:
                self.add(ProblemKind.MISSING_KEY, where, key=key)
                good = False
                continue
            try:
                texts[key] = self._texts(item[key], (*where, key), limit)
            except _InvalidError:
                good = False
        if not good or number is None:
            raise _InvalidError()
        return Recommendation(number=number, titles=texts["title"], statements=texts["statement"])


def _shown(value: Any) -> str:
    """A value as the file holds it, for a message: short, one line."""
    text = " ".join(repr(value).split())
    return text if len(text) <= 60 else text[:59] + "…"


def parse_yaml(text: str, add: Callable[..., None]) -> Any:
    """YAML text into plain data (strictly: no duplicate keys); a syntax error is ``add``ed and
    raised as ``_InvalidError``."""
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader
    except _DuplicateKey as error:
        add(ProblemKind.DUPLICATE_KEY, **error.details)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        add(
            ProblemKind.YAML_SYNTAX,
            problem=str(error.problem or error.context or "invalid YAML"),
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        )
    except yaml.YAMLError as error:
        add(ProblemKind.YAML_SYNTAX, problem=str(error), line=None, column=None)
    raise _InvalidError()
