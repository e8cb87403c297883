"""Reading an Office workbook sent back to the bot, and what it would change.

``read_office_workbook`` checks the file before anything is applied and gives either an
``Upload`` (every Recommendation's level and comment as found in the file, and the
identification written at the download: the Office, the questionnaire, the draft's state then)
or ``UploadProblems``: one translated line per problem, row by row.

The file is checked in this order, the first failing step ending the check: its size (before
anything is unpacked); that it is a ZIP archive of an Excel workbook (an old ``.xls``, a
password-protected file, an OpenDocument spreadsheet or a CSV renamed ``.xlsx`` each get a line
of their own); the sizes in the ZIP directory, before a byte is unpacked (a zip bomb is refused
there: Python's ``zipfile`` never unpacks more than a member's declared size, so the directory
is a true bound); then openpyxl reads it (read-only, the values as last shown; XML entities
are refused by defusedxml); the identification sheet (present, unchanged, this questionnaire,
the caller's Office). Then every row of the answers sheet, all problems together.

What people do to a workbook and how it is read:

- rows may be sorted, moved or interleaved with blank rows; a row counts when column "No."
  holds a Recommendation number (``7``, ``"7"``, ``"R07"``); rows without a number are notes
  and are ignored, unless they hold a level, which means a number was deleted;
- a level may be written in English, French or Spanish or by its code, in any case, with or
  without accents (``ÉLEVÉE``, ``elevee``, ``alta``, ``no_opinion``, ``No opinion``);
- an empty comment cell means no comment: an existing comment is removed (after the
  confirmation that shows it);
- an empty level cell means no answer in the file, and changes nothing: the survey can change
  an answer but not withdraw it (``survey.answering`` has no way to clear a level, and a
  submitted response needs all 40), so clearing would be both impossible and unsafe; the diff
  says which answers stay for that reason;
- sheets added to the workbook are ignored, and so is everything right of the columns read;
- the answers sheet is found by the name it had at the download, else as the first sheet with
  the header row; the columns by the header row (in any of the three languages), else by
  their places at the download.

``upload_diff`` compares the file with the Office's current answers in three ways, field by
field (level, comment): what the file has, what the Office had at the download (kept in the
file), and what it has now. A field the file leaves as downloaded changes nothing, even if
someone changed it in the chat since: the chat's answer stays, and the diff says so. A field
the file changes is a change; if the chat changed it too since the download, the change is
flagged, since the file's version would replace the chat's. ``diff_text`` writes all of that
for the confirmation message, as plain text (to be escaped like any other value).

The caller knows the Office, the current answers and the person: it refuses an upload after
submission, shows ``diff_text``, and on confirmation computes the diff again from the answers
read in the same unit of work (it must equal the one shown, else it is shown again) and
applies each ``Change`` as a level and/or a comment by the uploader.
"""

from __future__ import annotations

import hmac
import io
import logging
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any

from babel.numbers import format_decimal

from reports.i18n import report_language, translations
from reports.labels import level_label, recommendation_label, title
from reports.numbers import format_number
from reports.workbook import (
    COLUMNS,
    FORMAT,
    HEADER_ROW,
    ID_SHEET,
    comment_fingerprint,
    comment_key,
    state_digest,
)
from reports.xlsx_limits import check_xlsx_limits
from survey.errors import Refused
from survey.model import AnswerRecord, Office
from survey.questionnaire import LANGUAGES, Level, Questionnaire
from survey.rules import MAX_COMMENT_LENGTH, check_comment
from survey.text import clean_text

__all__ = [
    "MAX_BYTES",
    "MAX_UNPACKED",
    "Change",
    "Problem",
    "ProblemKind",
    "Upload",
    "UploadDiff",
    "UploadProblems",
    "UploadedAnswer",
    "changed_since_download",
    "diff_text",
    "read_office_workbook",
    "too_complex",
    "upload_diff",
]

MAX_BYTES = 2 * 1024 * 1024  # a workbook of answers is some tens of kilobytes
MAX_UNPACKED = 20 * 1024 * 1024  # all members of the ZIP archive together, unpacked
_MAX_MEMBERS = 2000
_MAX_ROWS = 2000  # rows read from the answers sheet; the 40 are near the top
_HEADER_SEARCH = 20  # rows searched for the header row
_MAX_COLUMNS = 40
# Longer than any level's name or header in any language: not folded (a cost per character).
_LONGEST_NAME = 200
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, and any password-protected Office file
_NUMBER = re.compile(r"\s*R?\s*0*(\d{1,4})\s*", re.IGNORECASE)
_MB = 1024 * 1024
_log = logging.getLogger(__name__)


class ProblemKind(StrEnum):
    TOO_LARGE = "too_large"
    NOT_XLSX = "not_xlsx"
    OLD_FORMAT = "old_format"  # .xls, or a password to open
    OPENDOCUMENT = "opendocument"
    ZIP_BOMB = "zip_bomb"
    UNREADABLE = "unreadable"
    NOT_FROM_BOT = "not_from_bot"  # no identification sheet
    OTHER_FORMAT = "other_format"
    ID_CHANGED = "id_changed"
    OTHER_QUESTIONNAIRE = "other_questionnaire"
    OTHER_OFFICE = "other_office"
    NO_ANSWERS_SHEET = "no_answers_sheet"
    NO_NUMBER = "no_number"
    UNKNOWN_RECOMMENDATION = "unknown_recommendation"
    DUPLICATE = "duplicate"
    MISSING = "missing"
    UNKNOWN_LEVEL = "unknown_level"
    COMMENT_TOO_LONG = "comment_too_long"
    # Over a limit of reports.xlsx_limits, or over the checking process's time or memory.
    TOO_COMPLEX = "too_complex"


@dataclass(frozen=True, slots=True)
class Problem:
    kind: ProblemKind
    message: str  # one line in the reader's language
    row: int | None = None
    number: int | None = None


@dataclass(frozen=True, slots=True)
class UploadProblems:
    """The workbook cannot be used; nothing may be applied."""

    problems: tuple[Problem, ...]
    lang: str = "en"

    @property
    def lines(self) -> list[str]:
        return [problem.message for problem in self.problems]

    def text(self, limit: int = 20) -> str:
        """The message for the person: what to correct, at most ``limit`` problems."""
        tr = translations(self.lang)
        lines = [tr.gettext("Nothing was changed. Please correct the workbook and send it again:")]
        lines += [f"• {line}" for line in self.lines[:limit]]
        rest = len(self.problems) - limit
        if rest > 0:
            lines.append(
                tr.ngettext(
                    "… and {count} more problem.", "… and {count} more problems.", rest
                ).format(count=format_number(rest, self.lang))
            )
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class UploadedAnswer:
    """One Recommendation's row as found in the file."""

    number: int
    row: int
    level: str | None  # a level's code; None: the level cell is empty
    comment: str | None  # as the survey would store it; None: no comment


@dataclass(frozen=True, slots=True)
class Downloaded:
    """A Recommendation's state when the workbook was downloaded."""

    level: str | None
    comment_fingerprint: str  # "" for no comment


@dataclass(frozen=True, slots=True)
class Upload:
    """A workbook that can be applied: one answer per Recommendation of the questionnaire."""

    office_code: str
    office_id: int | None
    questionnaire_id: str
    questionnaire_version: str
    # The questionnaire version in force at the download (None: a workbook from before
    # versions were numbered).
    questionnaire_number: int | None
    language: str  # the workbook's language at the download
    exported_at: datetime | None
    sheet: str  # the sheet the answers were read from
    answers: Mapping[int, UploadedAnswer]
    downloaded: Mapping[int, Downloaded]
    digest: str  # of the identification and the state at the download


@dataclass(frozen=True, slots=True)
class Change:
    """What applying the workbook changes for one Recommendation (old: the current answer)."""

    number: int
    old_level: str | None
    new_level: str | None  # equal to old_level when the level does not change
    old_comment: str | None
    new_comment: str | None  # equal to old_comment when the comment does not change
    changed_in_chat: bool = False  # changed in the chat since the download too: replaced

    @property
    def level_changed(self) -> bool:
        return self.new_level != self.old_level

    @property
    def comment_changed(self) -> bool:
        return comment_key(self.new_comment) != comment_key(self.old_comment)


@dataclass(frozen=True, slots=True)
class UploadDiff:
    changes: tuple[Change, ...]
    unchanged: tuple[int, ...]  # every other Recommendation: stays as it is
    # Changed in the chat since the download, left alone by the file: the chat's answer stays.
    kept_from_chat: tuple[int, ...] = ()
    # The level cell is empty but the Recommendation has a level: it stays.
    level_kept: tuple[int, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.changes


def _version_number(text: str) -> int | None:
    return int(text) if text.isdigit() else None


# -- reading ---------------------------------------------------------------------------------------


def read_office_workbook(
    data: bytes,
    questionnaire: Questionnaire,
    lang: str = "en",
    *,
    office: Office | None = None,
    key: bytes,
    max_bytes: int = MAX_BYTES,
    max_unpacked: int = MAX_UNPACKED,
) -> Upload | UploadProblems:
    """Check a workbook sent back; problems are written in ``lang``. With ``office``, a
    workbook of another Office is refused too (else compare ``Upload.office_code``). ``key``
    is the secret the identification sheet was signed with (``survey.workbook_key``): the
    caller reads it, since this may run where the database cannot be reached."""
    lang = report_language(lang)
    reader = _Reader(questionnaire, lang, key)
    problem = reader.check_container(data, max_bytes, max_unpacked) or reader.check_limits(data)
    if problem is not None:
        return UploadProblems((problem,), lang)
    return reader.read(data, office)


def too_complex(reason: str, lang: str) -> Problem:
    """The problem of a file too costly to check: ``reason`` says what (translated)."""
    _ = translations(lang).gettext
    message = _(
        "This file is too complex to be checked ({reason}). Send the workbook you downloaded "
        "with /workbook, with your answers typed in."
    ).format(reason=reason)
    return Problem(ProblemKind.TOO_COMPLEX, message)


class _Reader:
    def __init__(self, questionnaire: Questionnaire, lang: str, key: bytes) -> None:
        self.questionnaire = questionnaire
        self.key = key
        self.lang = lang
        self._ = translations(lang).gettext
        self.levels = _level_names(questionnaire.scale)

    def problem(self, kind: ProblemKind, message: str, **where: int | None) -> Problem:
        return Problem(kind, re.sub(r"[\r\n]+", " ", message), **where)  # always one line

    # -- the file ------------------------------------------------------------------------------

    def check_container(self, data: bytes, max_bytes: int, max_unpacked: int) -> Problem | None:
        _ = self._
        if len(data) > max_bytes:
            return self.problem(
                ProblemKind.TOO_LARGE,
                _(
                    "The file is too large ({size} MB): a workbook may be at most {limit} MB."
                ).format(size=self.megabytes(len(data)), limit=self.megabytes(max_bytes)),
            )
        if data.startswith(_OLE2):
            return self.problem(
                ProblemKind.OLD_FORMAT,
                _(
                    "This file is an old Excel workbook (.xls) or has a password to open it. "
                    "Save it as an Excel workbook (.xlsx) without a password and send it again."
                ),
            )
        not_xlsx = self.problem(
            ProblemKind.NOT_XLSX,
            _(
                "This file is not an Excel workbook (.xlsx). Send the workbook the bot gave "
                "you, saved as .xlsx."
            ),
        )
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
            return not_xlsx
        with archive:
            members = archive.infolist()
            unpacked = sum(member.file_size for member in members)
            if len(members) > _MAX_MEMBERS or unpacked > max_unpacked:
                return self.problem(
                    ProblemKind.ZIP_BOMB,
                    _(
                        "This file unpacks to more than {limit} MB, far more than a workbook "
                        "of answers: it is refused."
                    ).format(limit=self.megabytes(max_unpacked)),
                )
            names = {member.filename for member in members}
            if "mimetype" in names and _is_opendocument(archive):
                return self.problem(
                    ProblemKind.OPENDOCUMENT,
                    _(
                        "This file is an OpenDocument spreadsheet (.ods). Save it as an Excel "
                        "workbook (.xlsx) and send it again."
                    ),
                )
            if "[Content_Types].xml" not in names or not any(
                name.startswith("xl/") for name in names
            ):
                return not_xlsx
        return None

    def check_limits(self, data: bytes) -> Problem | None:
        excess = check_xlsx_limits(data)
        if excess is None:
            return None
        return too_complex(excess.reason(self.lang), self.lang)

    def megabytes(self, size: int) -> str:
        return format_decimal(size / _MB, "0.#", locale=self.lang)

    def read(self, data: bytes, office: Office | None) -> Upload | UploadProblems:
        from openpyxl import load_workbook

        unreadable = self.refuse(
            ProblemKind.UNREADABLE,
            self._(
                "This workbook cannot be read; it may be damaged. Save it again as .xlsx, "
                "or download a new workbook from the bot."
            ),
        )
        # openpyxl raises many kinds of errors on a damaged file, and in read-only mode it
        # reads a sheet (and may fail) only as its rows are read.
        try:
            workbook = load_workbook(
                io.BytesIO(data), read_only=True, data_only=True, keep_links=False
            )
        except Exception as error:
            _log.info("unreadable workbook: %s", type(error).__name__)
            return unreadable
        try:
            return self.read_workbook(workbook, office)
        except Exception as error:
            _log.info("unreadable workbook: %s", type(error).__name__)
            return unreadable
        finally:
            workbook.close()

    def refuse(self, kind: ProblemKind, message: str) -> UploadProblems:
        return UploadProblems((self.problem(kind, message),), self.lang)

    def read_workbook(self, workbook: Any, office: Office | None) -> Upload | UploadProblems:
        _ = self._
        sheets = {sheet.title: sheet for sheet in workbook.worksheets}
        again = _("Download a new workbook from the bot and copy your answers into it.")
        if ID_SHEET not in sheets:
            return self.refuse(
                ProblemKind.NOT_FROM_BOT,
                _("This is not a workbook from the bot: its identification sheet is missing.")
                + " "
                + again,
            )
        identity, state, digest = _identification(sheets[ID_SHEET])
        if not identity.get("format", "").startswith(FORMAT.split("/")[0] + "/"):
            return self.refuse(
                ProblemKind.NOT_FROM_BOT,
                _("This is not a workbook from the bot: its identification sheet is missing.")
                + " "
                + again,
            )
        if identity["format"] != FORMAT:
            return self.refuse(
                ProblemKind.OTHER_FORMAT,
                _("This workbook was made by another version of the bot.") + " " + again,
            )
        numbers = self.questionnaire.numbers
        expected = state_digest(
            identity, ((n, d.level, d.comment_fingerprint) for n, d in state.items()), self.key
        )
        signed = hmac.compare_digest(expected.encode(), digest.encode("utf-8", "replace"))
        if not signed or not identity.get("office_code"):
            return self.refuse(
                ProblemKind.ID_CHANGED,
                _("The workbook's hidden identification sheet was changed.") + " " + again,
            )
        if identity.get("questionnaire_id") != self.questionnaire.id or set(state) != set(numbers):
            return self.refuse(
                ProblemKind.OTHER_QUESTIONNAIRE,
                _(
                    "This workbook is for another questionnaire ({found}), not for this survey "
                    "({expected}). Download a new workbook from the bot."
                ).format(
                    found=identity.get("questionnaire_id") or "?", expected=self.questionnaire.id
                ),
            )
        code = identity["office_code"]
        if office is not None and code.upper() != office.code.upper():
            return self.refuse(
                ProblemKind.OTHER_OFFICE,
                _(
                    "This workbook is for {found}, not for your Office, {expected}. Download "
                    "your Office's workbook from the bot."
                ).format(found=code, expected=f"{office.code} ({office.name(self.lang)})"),
            )

        wanted = identity.get("answers_sheet", "")
        candidates = [sheets[wanted]] if wanted in sheets and wanted != ID_SHEET else []
        candidates += [s for title_, s in sheets.items() if title_ not in (ID_SHEET, wanted)]
        for sheet in candidates:
            header = _find_header(sheet)
            if header is not None or sheet.title == wanted:
                break
        else:
            return self.refuse(
                ProblemKind.NO_ANSWERS_SHEET,
                _("The sheet of answers (“{sheet}”) is missing from the workbook.").format(
                    sheet=wanted
                ),
            )
        rows, problems = self.read_rows(sheet, header)
        if problems:
            return UploadProblems(tuple(problems), self.lang)
        office_id = identity.get("office_id", "")
        return Upload(
            office_code=code,
            office_id=int(office_id) if office_id.isdigit() else None,
            questionnaire_id=identity["questionnaire_id"],
            questionnaire_version=identity.get("questionnaire_version", ""),
            questionnaire_number=_version_number(identity.get("questionnaire_number", "")),
            language=report_language(identity.get("language")),
            exported_at=_datetime(identity.get("exported_at")),
            sheet=sheet.title,
            answers={number: rows[number] for number in numbers},
            downloaded={number: state[number] for number in numbers},
            digest=digest,
        )

    # -- the rows ------------------------------------------------------------------------------

    def read_rows(
        self, sheet: Any, header: tuple[int, dict[str, int]] | None
    ) -> tuple[dict[int, UploadedAnswer], list[Problem]]:
        _ = self._
        header_row, columns = header or (HEADER_ROW, dict(COLUMNS))
        number_at, level_at, comment_at = (
            columns["number"],
            columns["level"],
            columns["comment"],
        )
        width = max(number_at, level_at, comment_at)
        known = set(self.questionnaire.numbers)
        first, last = min(known), max(known)
        found: dict[int, UploadedAnswer] = {}
        seen: dict[int, list[int]] = {}
        problems: list[Problem] = []
        lines = sheet.iter_rows(
            min_row=header_row + 1, max_row=_MAX_ROWS, max_col=width, values_only=True
        )
        for row, values in enumerate(lines, start=header_row + 1):
            cells = list(values) + [None] * (width - len(values))
            number = _number(cells[number_at - 1])
            level_value, comment_value = cells[level_at - 1], cells[comment_at - 1]
            if number is None:
                if self.level(level_value) is not None:
                    problems.append(
                        self.problem(
                            ProblemKind.NO_NUMBER,
                            _("Row {row}: a level but no Recommendation number.").format(row=row),
                            row=row,
                        )
                    )
                continue
            if number not in known:
                problems.append(
                    self.problem(
                        ProblemKind.UNKNOWN_RECOMMENDATION,
                        _(
                            "Row {row}: there is no Recommendation {number}; the numbers go from "
                            "{first} to {last}."
                        ).format(row=row, number=number, first=first, last=last),
                        row=row,
                        number=number,
                    )
                )
                continue
            seen.setdefault(number, []).append(row)
            level, comment = self.level(level_value), None
            if level is None and not _blank(level_value):
                problems.append(
                    self.problem(
                        ProblemKind.UNKNOWN_LEVEL,
                        _(
                            "Row {row}, Recommendation {number}: “{value}” is not a level. Use "
                            "one of: {levels}."
                        ).format(
                            row=row,
                            number=number,
                            value=_shown(level_value),
                            levels=", ".join(
                                lv.label(self.lang) for lv in self.questionnaire.scale
                            ),
                        ),
                        row=row,
                        number=number,
                    )
                )
            try:
                comment = check_comment(_text(comment_value))
            except Refused as refusal:
                problems.append(
                    self.problem(
                        ProblemKind.COMMENT_TOO_LONG,
                        translations(self.lang)
                        .ngettext(
                            "Row {row}, Recommendation {number}: the comment has {length} "
                            "character; at most {limit}.",
                            "Row {row}, Recommendation {number}: the comment has {length} "
                            "characters; at most {limit}.",
                            refusal.details["length"],
                        )
                        .format(
                            row=row,
                            number=number,
                            length=format_number(refusal.details["length"], self.lang),
                            limit=format_number(MAX_COMMENT_LENGTH, self.lang),
                        ),
                        row=row,
                        number=number,
                    )
                )
            found.setdefault(
                number, UploadedAnswer(number, row, level.code if level else None, comment)
            )

        for number, at in seen.items():
            if len(at) > 1:
                problems.append(
                    self.problem(
                        ProblemKind.DUPLICATE,
                        _(
                            "Recommendation {number} appears more than once, in rows {rows}: "
                            "keep one row."
                        ).format(number=number, rows=", ".join(map(str, at))),
                        row=at[1],
                        number=number,
                    )
                )
        missing = [number for number in self.questionnaire.numbers if number not in seen]
        if missing:
            problems.append(
                self.problem(
                    ProblemKind.MISSING,
                    translations(self.lang)
                    .ngettext(
                        "Recommendation missing from the sheet: {numbers}. Put its row back, "
                        "with its number.",
                        "Recommendations missing from the sheet: {numbers}. Put their rows "
                        "back, each with its number.",
                        len(missing),
                    )
                    .format(numbers=_numbers(missing)),
                    number=missing[0],
                )
            )
        problems.sort(key=lambda p: (p.row is None, p.row or 0))
        return found, problems

    def level(self, value: object) -> Level | None:
        if not isinstance(value, str) or len(value) > _LONGEST_NAME:
            return None
        return self.levels.get(_fold(value))


def _level_names(scale: Sequence[Level]) -> dict[str, Level]:
    """Every way to write a level (its code and its label in each language, folded) -> the
    level; a name two levels share is left out."""
    names: dict[str, Level] = {}
    shared: set[str] = set()
    for level in scale:
        for name in {level.code, *(level.label(lang) for lang in LANGUAGES)}:
            key = _fold(name)
            if key in names and names[key] is not level:
                shared.add(key)
            names[key] = level
    return {key: level for key, level in names.items() if key not in shared}


def _fold(text: str) -> str:
    """Case, accents, underscores, hyphens and extra spaces do not count."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(char for char in text if not unicodedata.combining(char))
    return " ".join(re.sub(r"[_\-]", " ", text).split())


def _number(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str) and (match := _NUMBER.fullmatch(value)):
        return int(match.group(1))
    return None


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: object) -> str:
    """A comment cell's value as text: numbers and dates as a person would read them, the text
    made safe as any text entering the survey is."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ").removesuffix(" 00:00:00")
    if isinstance(value, date | time):
        return value.isoformat()
    return clean_text(str(value).replace("\r\n", "\n").replace("\r", "\n"))


def _shown(value: object) -> str:
    text = " ".join(_text(value).split())
    return text if len(text) <= 40 else text[:39] + "…"


def _numbers(numbers: Iterable[int]) -> str:
    return ", ".join(recommendation_label(number) for number in numbers)


def _is_opendocument(archive: zipfile.ZipFile) -> bool:
    info = archive.getinfo("mimetype")
    if info.file_size > 200:
        return False
    return archive.read(info).startswith(b"application/vnd.oasis.opendocument")


def _find_header(sheet: Any) -> tuple[int, dict[str, int]] | None:
    """The header row: the first row (near the top) with the level and the comment headers in
    any of the three languages; the columns by their headers."""
    names: dict[str, set[str]] = {"number": set(), "level": set(), "comment": set()}
    for lang in LANGUAGES:
        _ = translations(lang).gettext
        names["number"].add(_fold(_("No.")))
        names["level"].add(_fold(_("Level")))
        names["comment"].add(_fold(_("Comment")))
    lines = sheet.iter_rows(max_row=_HEADER_SEARCH, max_col=_MAX_COLUMNS, values_only=True)
    for row, values in enumerate(lines, start=1):
        columns: dict[str, int] = {}
        for column, value in enumerate(values, start=1):
            if not isinstance(value, str) or len(value) > _LONGEST_NAME:
                continue
            for key, texts in names.items():
                if _fold(value) in texts:
                    columns.setdefault(key, column)
        if "level" in columns and "comment" in columns:
            columns.setdefault("number", COLUMNS["number"])
            return row, columns
    return None


def _identification(sheet: Any) -> tuple[dict[str, str], dict[int, Downloaded], str]:
    """The identification sheet's keys and values, the state at the download, the digest."""
    identity: dict[str, str] = {}
    state: dict[int, Downloaded] = {}
    in_state = False
    for values in sheet.iter_rows(max_row=_MAX_ROWS, max_col=3, values_only=True):
        cells = [*values, None, None, None][:3]
        first = "" if cells[0] is None else str(cells[0]).strip()
        if first == "number":
            in_state = True
            continue
        if in_state:
            number = _number(cells[0])
            if number is not None:
                level = str(cells[1]).strip() if cells[1] is not None else None
                fingerprint = str(cells[2]).strip() if cells[2] is not None else ""
                state[number] = Downloaded(level or None, fingerprint)
        elif first and first != "key":
            identity[first] = "" if cells[1] is None else str(cells[1]).strip()
    digest = identity.pop("digest", "")
    return identity, state, digest


def _datetime(text: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


# -- comparing with the current answers ------------------------------------------------------------


def changed_since_download(upload: Upload, current: Mapping[int, AnswerRecord]) -> list[int]:
    """The Recommendations whose level or comment changed (in the chat) since the workbook was
    downloaded, by number."""
    return [
        number
        for number, then in upload.downloaded.items()
        if _level(current.get(number)) != then.level
        or comment_fingerprint(_comment(current.get(number))) != then.comment_fingerprint
    ]


def upload_diff(upload: Upload, current: Mapping[int, AnswerRecord]) -> UploadDiff:
    """What applying ``upload`` to the ``current`` answers changes, field by field: a field
    the file leaves as it was at the download changes nothing; one it changes takes the file's
    value; an empty level cell changes nothing."""
    changes: list[Change] = []
    unchanged: list[int] = []
    kept_from_chat: list[int] = []
    level_kept: list[int] = []
    for number, row in upload.answers.items():
        then = upload.downloaded[number]
        answer = current.get(number)
        level_now, comment_now = _level(answer), _comment(answer)
        new_level, new_comment = level_now, comment_now
        chat_level = level_now != then.level
        chat_comment = comment_fingerprint(comment_now) != then.comment_fingerprint
        conflict = False
        left_alone = []

        if row.level is None and then.level is None:
            left_alone.append(chat_level)  # empty then and now in the file
        elif row.level is None:
            if level_now is not None:  # emptied in the file: an answer cannot be withdrawn
                level_kept.append(number)
        elif row.level != then.level:
            new_level = row.level
            conflict |= chat_level and row.level != level_now
        else:
            left_alone.append(chat_level)

        if comment_fingerprint(row.comment) != then.comment_fingerprint:
            new_comment = row.comment
            conflict |= chat_comment and comment_key(row.comment) != comment_key(comment_now)
        else:
            left_alone.append(chat_comment)

        change = Change(number, level_now, new_level, comment_now, new_comment, conflict)
        if change.level_changed or change.comment_changed:
            changes.append(change)
        else:
            unchanged.append(number)
        if any(left_alone):
            kept_from_chat.append(number)
    return UploadDiff(tuple(changes), tuple(unchanged), tuple(kept_from_chat), tuple(level_kept))


def _level(answer: AnswerRecord | None) -> str | None:
    return (answer.level or None) if answer is not None else None


def _comment(answer: AnswerRecord | None) -> str | None:
    return answer.comment if answer is not None else None


# -- the confirmation message ----------------------------------------------------------------------

# In UTF-16 code units, as Telegram counts a message (4,096 at most): an emoji counts two.
DIFF_BUDGET = 3500  # leaves room for the window's own lines around the diff
_TITLE_CHARS = 40
_COMMENT_CHARS = 60


def text_units(text: str) -> int:
    """The length of ``text`` as Telegram counts it: in UTF-16 code units."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def diff_text(
    diff: UploadDiff, questionnaire: Questionnaire, lang: str = "en", budget: int = DIFF_BUDGET
) -> str:
    """The diff for the confirmation, in ``lang``, as plain text of at most ``budget`` UTF-16
    code units: what changes from what to what (as many changes as fit, then how many more),
    what stays, what the chat changed since the download."""
    lang = report_language(lang)
    tr = translations(lang)
    _ = tr.gettext
    total = len(diff.changes) + len(diff.unchanged)
    lines: list[str] = []
    after: list[str] = []  # the lines below the changes, always shown
    if diff.empty:
        lines.append(
            tr.ngettext(
                "The workbook changes nothing: the {count} answer stays as it is.",
                "The workbook changes nothing: the {count} answers stay as they are.",
                total,
            ).format(count=format_number(total, lang))
        )
    else:
        count = len(diff.changes)
        lines.append(
            tr.ngettext(
                "The workbook changes {count} answer:",
                "The workbook changes {count} answers:",
                count,
            ).format(count=format_number(count, lang))
        )
        others = len(diff.unchanged)
        if others:
            after.append(
                tr.ngettext(
                    "The other answer stays as it is.",
                    "The other {count} answers stay as they are.",
                    others,
                ).format(count=format_number(others, lang))
            )
    if any(change.changed_in_chat for change in diff.changes):
        after.append(
            _(
                "⚠ Also changed in the chat since the workbook was downloaded: the workbook's "
                "version replaces the chat's."
            )
        )
    if diff.kept_from_chat:
        after.append(
            tr.ngettext(
                "Changed in the chat since the workbook was downloaded, and kept as in the chat "
                "because the workbook leaves it as it was: {numbers}.",
                "Changed in the chat since the workbook was downloaded, and kept as in the chat "
                "because the workbook leaves them as they were: {numbers}.",
                len(diff.kept_from_chat),
            ).format(numbers=_numbers(diff.kept_from_chat))
        )
    if diff.level_kept:
        after.append(
            tr.ngettext(
                "Level cell left empty: {numbers}. This answer keeps its level: an answer can be "
                "changed, not withdrawn.",
                "Level cells left empty: {numbers}. These answers keep their level: an answer "
                "can be changed, not withdrawn.",
                len(diff.level_kept),
            ).format(numbers=_numbers(diff.level_kept))
        )
    if not diff.empty:
        after.append(
            _(
                "Nothing is applied until you confirm. Sending the workbook never submits the "
                "answers."
            )
        )
        room = budget - sum(text_units(line) + 1 for line in [*lines, *after])
        lines += _fitting(diff.changes, questionnaire, lang, room)
    return "\n".join([*lines, *after])


def _fitting(
    changes: Sequence[Change], questionnaire: Questionnaire, lang: str, room: int
) -> list[str]:
    """A line per change while they fit in ``room`` UTF-16 code units (each with its line
    end), then "… and N more changes" in place of the others: those are applied all the same,
    as the count above them says."""
    tr = translations(lang)

    def more(rest: int) -> str:
        return tr.ngettext(
            "… and {count} more change.", "… and {count} more changes.", rest
        ).format(count=format_number(rest, lang))

    lines: list[str] = []
    used = 0
    for index, change in enumerate(changes):
        line = _change_line(change, questionnaire, lang)
        rest = len(changes) - index - 1
        # the last change needs no room for the summary after it
        tail = text_units(more(rest)) + 1 if rest else 0
        if used + text_units(line) + 1 + tail > room:
            lines.append(more(len(changes) - index))
            break
        lines.append(line)
        used += text_units(line) + 1
    return lines


def _change_line(change: Change, questionnaire: Questionnaire, lang: str) -> str:
    _ = translations(lang).gettext
    parts = []
    if change.level_changed:
        new_level = level_label(questionnaire, change.new_level, lang)
        if change.old_level is None:
            parts.append(_("level {new} (new answer)").format(new=new_level))
        else:
            parts.append(
                _("level {old} → {new}").format(
                    old=level_label(questionnaire, change.old_level, lang), new=new_level
                )
            )
    if change.comment_changed:
        old, new = comment_key(change.old_comment), comment_key(change.new_comment)
        if not old:
            parts.append(_("comment added: “{new}”").format(new=_short(new)))
        elif not new:
            parts.append(_("comment removed (was “{old}”)").format(old=_short(old)))
        else:
            parts.append(_("comment “{old}” → “{new}”").format(old=_short(old), new=_short(new)))
    name = title(questionnaire, change.number, lang)
    if len(name) > _TITLE_CHARS:
        name = _cut(name, _TITLE_CHARS)
    mark = "⚠" if change.changed_in_chat else "•"
    line = _("{recommendation} {title}: {changes}").format(
        recommendation=recommendation_label(change.number), title=name, changes=" · ".join(parts)
    )
    return f"{mark} {line}"


def _short(text: str) -> str:
    return _cut(" ".join(text.split()), _COMMENT_CHARS)


def _cut(text: str, limit: int) -> str:
    """``text`` if it has at most ``limit`` characters, else its start, at a word's end if
    one is near, and "…"."""
    if len(text) <= limit:
        return text
    start = text[: limit - 1]
    space = start.rfind(" ")
    if space >= limit * 2 // 3:
        start = start[:space]
    return start.rstrip(" ,;:.") + "…"
