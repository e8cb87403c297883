"""What is wrong with a questionnaire file, in words: the one renderer of
``survey.questionnaire.QuestionnaireProblem``, for the command line (English) and the
Secretariat's chat (their language).

A problem reads "<where>: <what>", where is the workbook's cell ("Recommendations!D7") or, in a
YAML file, the item ("Recommendation 17", "scale level “high”").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from reports.i18n import N_, report_language, translations
from reports.numbers import format_number
from reports.xlsx_limits import Excess, Measure
from survey.questionnaire import LANGUAGES, ProblemKind, QuestionnaireProblem

__all__ = ["describe_problem", "describe_problems"]

_LANGUAGE_NAMES = {"en": N_("English"), "fr": N_("French"), "es": N_("Spanish")}
# The text a path ends in: the last key before the language.
_FIELDS = {
    "title": N_("the title"),
    "statement": N_("the statement"),
    "label": N_("the label"),
    "source": N_("the source line"),
    "survey_title": N_("the survey's title"),
}

# Problems whose wording needs nothing but the details (and the field and language, if any).
_MESSAGES: dict[ProblemKind, str] = {
    ProblemKind.FILE_NOT_FOUND: N_("file not found: {file}"),
    ProblemKind.FILE_UNREADABLE: N_("the file cannot be read: {error}"),
    ProblemKind.NOT_UTF8: N_("the file is not UTF-8 text (a wrong byte at position {offset})"),
    ProblemKind.DUPLICATE_KEY: N_(
        "the key “{key}” appears twice in the same place, at line {first_line} and at line {line}"
    ),
    ProblemKind.UNKNOWN_KEY: N_("unknown key “{key}” (expected: {expected})"),
    ProblemKind.MISSING_KEY: N_("“{key}” is missing"),
    ProblemKind.BAD_ID: N_("the id must be a text that is not empty, not {value}"),
    ProblemKind.BAD_WORDING: N_("the wording must be “official” or “working-summary”, not {value}"),
    ProblemKind.BAD_SOURCE_URL: N_(
        "the link must be an address starting with https:// or http://, not {value}"
    ),
    ProblemKind.NOT_TEXTS: N_("{field} must give one text per language ({expected})"),
    ProblemKind.UNKNOWN_LANGUAGE: N_("unknown language “{lang}” (expected: {expected})"),
    ProblemKind.MISSING_TEXT: N_("{field} in {language} is missing"),
    ProblemKind.BLANK_TEXT: N_("{field} in {language} holds only spaces"),
    ProblemKind.NOT_A_STRING: N_("{field} in {language} must be a text, not {value}"),
    ProblemKind.NOT_A_LIST: N_("“{key}” must be a list"),
    ProblemKind.ITEM_NOT_A_MAPPING: N_("this item must be a mapping with {expected}"),
    ProblemKind.SCALE_EMPTY: N_("the scale has no level"),
    ProblemKind.MISSING_SCORE: N_(
        "the score is missing (a whole number, or null to leave the level out of the score)"
    ),
    ProblemKind.BAD_SCORE: N_("the score must be a whole number or empty, not {value}"),
    ProblemKind.NO_SCORED_LEVEL: N_("at least one level of the scale needs a score"),
    ProblemKind.WRONG_COUNT: N_(
        "there must be exactly {expected} Recommendations, and there are {found}"
    ),
    ProblemKind.BAD_NUMBER: N_(
        "the number must be a whole number from 1 to {highest}, not {value}"
    ),
    ProblemKind.NOT_A_WORKBOOK: N_(
        "this file is neither an Excel workbook (.xlsx) nor a questionnaire file (.yaml)"
    ),
    ProblemKind.OLD_WORKBOOK: N_(
        "this file is an old Excel workbook (.xls) or has a password to open it: save it as an "
        "Excel workbook (.xlsx) without a password"
    ),
    ProblemKind.OPENDOCUMENT: N_(
        "this file is an OpenDocument spreadsheet (.ods): save it as an Excel workbook (.xlsx)"
    ),
    ProblemKind.WORKBOOK_UNREADABLE: N_(
        "this workbook cannot be read; it may be damaged: save it again as .xlsx"
    ),
    ProblemKind.MISSING_SHEET: N_("the sheet “{sheet}” is missing"),
    ProblemKind.UNKNOWN_SHEET: N_("unknown sheet “{sheet}” (expected: {expected})"),
    ProblemKind.MISSING_COLUMN: N_("the column “{column}” is missing from the first row"),
    ProblemKind.UNKNOWN_COLUMN: N_("unknown column “{column}” (expected: {expected})"),
    ProblemKind.DUPLICATE_COLUMN: N_("the column “{column}” appears twice"),
    ProblemKind.FORMULA: N_("a formula ({formula}): type the text itself"),
    ProblemKind.ERROR_VALUE: N_("an error value ({value}): type the text itself"),
    ProblemKind.UNUSED_CELL: N_("only the en column is read for “{key}”: leave this cell empty"),
    ProblemKind.DUPLICATE_ROW: N_("“{key}” is already in row {first_row}"),
}


def describe_problems(problems: Iterable[QuestionnaireProblem], lang: str) -> list[str]:
    return [describe_problem(problem, lang) for problem in problems]


def describe_problem(problem: QuestionnaireProblem, lang: str) -> str:
    """The problem as one line in ``lang``: "<where>: <what>"."""
    lang = report_language(lang)
    where = _where(problem, lang)
    what = _what(problem, lang)
    return f"{where}: {what}" if where else what


def _where(problem: QuestionnaireProblem, lang: str) -> str:
    _ = translations(lang).gettext
    if problem.sheet is not None and problem.row is not None and problem.column is None:
        return _("{sheet}, row {row}").format(sheet=problem.sheet, row=problem.row)
    if problem.cell is not None:
        return problem.cell
    path = problem.path
    if len(path) >= 2 and path[0] == "recommendations":
        if problem.number is not None:
            return _("Recommendation {number}").format(number=problem.number)
        return _("item {item} of the Recommendations").format(item=int(path[1]) + 1)
    if len(path) >= 2 and path[0] == "scale":
        if problem.code is not None:
            return _("scale level “{code}”").format(code=problem.code)
        return _("item {item} of the scale").format(item=int(path[1]) + 1)
    return ""


def _what(problem: QuestionnaireProblem, lang: str) -> str:
    tr = translations(lang)
    _ = tr.gettext
    details: dict[str, Any] = {
        key: _listed(value, lang) if isinstance(value, list | tuple) else value
        for key, value in problem.details.items()
    }
    for key in ("length", "limit", "found", "expected", "offset", "line", "first_line"):
        if isinstance(details.get(key), int):
            details[key] = format_number(details[key], lang)
    details.update(_field_and_language(problem.path, _))
    kind = problem.kind
    special = _SPECIAL.get(kind)
    if special is not None:
        return special(problem, details, lang)
    return _(_MESSAGES[kind]).format_map(_Details(details))


class _Details(dict[str, Any]):
    """A problem's details for a message: a detail a producer left out shows as nothing
    rather than losing the whole list of problems."""

    def __missing__(self, key: str) -> str:
        return ""


def _field_and_language(path: Sequence[str | int], _: Callable[[str], str]) -> dict[str, str]:
    if path and path[-1] in LANGUAGES:
        language = _(_LANGUAGE_NAMES[str(path[-1])])
        field = path[-2] if len(path) >= 2 else ""
    else:
        language, field = "", path[-1] if path else ""
    if field == "title" and len(path) <= 2:
        field = "survey_title"
    name = _FIELDS.get(str(field))
    return {"language": language, "field": _(name) if name else str(field)}


def _listed(values: Sequence[object], lang: str) -> str:
    return ", ".join(
        format_number(value, lang) if isinstance(value, int) else f"“{value}”" for value in values
    )


def _yaml_syntax(problem: QuestionnaireProblem, details: dict[str, Any], lang: str) -> str:
    _ = translations(lang).gettext
    if problem.details.get("line") is None:
        text = _("YAML syntax error: {problem}")
    else:
        text = _("YAML syntax error at line {line}, column {column}: {problem}")
    return text.format_map(_Details(details))


def _not_a_mapping(problem: QuestionnaireProblem, details: dict[str, Any], lang: str) -> str:
    _ = translations(lang).gettext
    if problem.details.get("found") == "nothing":
        return _("the file is empty")
    return _(
        "the file must be a mapping of keys (id, wording, source, scale, recommendations), "
        "not a {found}"
    ).format_map(_Details(details))


def _bad_code(problem: QuestionnaireProblem, details: dict[str, Any], lang: str) -> str:
    _ = translations(lang).gettext
    text = _(
        "the code must be 1 to 20 characters, a lowercase letter then lowercase letters, "
        "digits or _, not {value}"
    ).format_map(_Details(details))
    if problem.details.get("boolean"):
        text += " " + _("(put it in quotes: YAML reads yes, no, on and off as true or false)")
    return text


def _duplicate(problem: QuestionnaireProblem, details: dict[str, Any], lang: str) -> str:
    _ = translations(lang).gettext
    if problem.kind is ProblemKind.DUPLICATE_CODE:
        if "first_row" in details:
            return _("the code “{code}” is also in row {first_row}").format_map(_Details(details))
        return _("the code “{code}” is used twice (levels {first_item} and {item})").format(
            **details
        )
    if "first_row" in details:
        text = _("the number {number} is also in row {first_row}")
    else:
        text = _("the number {number} is used twice (items {first_item} and {item})")
    return text.format_map(_Details(details))


def _missing_numbers(problem: QuestionnaireProblem, details: dict[str, Any], lang: str) -> str:
    numbers = problem.details.get("numbers", [])
    return (
        translations(lang)
        .ngettext(
            "no Recommendation has the number {numbers}",
            "no Recommendation has the numbers {numbers}",
            len(numbers),
        )
        .format(numbers=", ".join(format_number(number, lang) for number in numbers))
    )


def _too_complex(problem: QuestionnaireProblem, details: dict[str, Any], lang: str) -> str:
    excess = Excess(
        Measure(problem.details["measure"]),
        int(problem.details["limit"]),
        str(problem.details.get("part", "")),
    )
    return (
        translations(lang)
        .gettext("this workbook is too complex to be read ({reason})")
        .format(reason=excess.reason(lang))
    )


def _too_long(problem: QuestionnaireProblem, details: dict[str, Any], lang: str) -> str:
    return (
        translations(lang)
        .ngettext(
            "{field} in {language} has {length} character (at most {limit})",
            "{field} in {language} has {length} characters (at most {limit})",
            int(problem.details.get("length", 0)),
        )
        .format_map(_Details(details))
    )


_SPECIAL: dict[ProblemKind, Callable[[QuestionnaireProblem, dict[str, Any], str], str]] = {
    ProblemKind.YAML_SYNTAX: _yaml_syntax,
    ProblemKind.NOT_A_MAPPING: _not_a_mapping,
    ProblemKind.BAD_CODE: _bad_code,
    ProblemKind.DUPLICATE_CODE: _duplicate,
    ProblemKind.DUPLICATE_NUMBER: _duplicate,
    ProblemKind.MISSING_NUMBERS: _missing_numbers,
    ProblemKind.TEXT_TOO_LONG: _too_long,
    ProblemKind.WORKBOOK_TOO_COMPLEX: _too_complex,
}
