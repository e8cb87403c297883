"""The Office workbook (XLSX): the Office's answers, to fill in offline with colleagues and send
back to the bot (read by ``reports.workbook_upload``).

Sheets, in the representative's language:

- the answers: one row per Recommendation (number, title, statement, level, comment, who last
  changed it and when), the current draft filled in; the level cells have a drop-down of the
  levels (data validation) that still accepts other text, because the bot also reads a level
  typed in English, French or Spanish, or by its code;
- a short instructions sheet;
- a hidden identification sheet (``ID_SHEET``, very hidden and protected): the format, the
  Office, the questionnaire's id and version, the language, the time of the download, and the
  draft's state at the download: per Recommendation the level's code and a fingerprint of the
  comment, and a digest of all of it, keyed with a secret only the bot holds (an HMAC): a
  sheet edited by hand, even with its digest computed again, is refused.

The sheets are protected without a password, with the level and comment cells unlocked: a click
on a number, a title or a statement is refused, which keeps people from breaking the upload by
accident, but nothing stops a person who means to change the layout (the workbook itself is not
locked; its structure, its sheets and their order can change). The upload is read so that what
a person can still do (sort or move rows, empty cells, add sheets) is understood.
"""

from __future__ import annotations

import hashlib
import hmac
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from reports.i18n import report_language, translations
from reports.labels import iso_utc, level_label, long_date
from reports.numbers import format_number
from reports.xml_text import xml_text
from survey.errors import Refused
from survey.model import AnswerRecord, Office
from survey.questionnaire import Questionnaire
from survey.rules import MAX_COMMENT_LENGTH, check_comment

if TYPE_CHECKING:
    from openpyxl.worksheet.datavalidation import DataValidation

# openpyxl is imported where a workbook is made (in a worker thread: dialogs/paperwork.py), not
# with this module: it costs the bot's start-up a tenth of a second and some 25 MB it would
# keep whether or not anyone ever asks for a workbook.

__all__ = [
    "COLUMNS",
    "FORMAT",
    "HEADER_ROW",
    "ID_SHEET",
    "answers_sheet_name",
    "comment_fingerprint",
    "comment_key",
    "office_workbook",
    "questionnaire_version",
    "state_digest",
    "workbook_file_name",
]

FORMAT = "cws-office-workbook/1"
ID_SHEET = "_survey_id"
HEADER_ROW = 3  # rows 1 and 2: the Office and the draft's state; the Recommendations from row 4
# The answers sheet's columns (1-based): number, title, statement, level, comment, changed by,
# changed at.
COLUMNS = {"number": 1, "title": 2, "statement": 3, "level": 4, "comment": 5, "by": 6, "at": 7}

Sheet = Any  # an openpyxl worksheet; openpyxl ships no type information
_STRING = "s"
# An inline list of a data validation is limited to 255 characters, separated by commas.
_INLINE_LIST_LIMIT = 255


@dataclass(frozen=True)
class _Styles:
    bold: Any
    title: Any
    muted: Any
    wrapped: Any
    top: Any
    header_fill: Any
    answer_fill: Any  # the cells to fill in
    unlocked: Any


@cache
def _styles() -> _Styles:
    from openpyxl.styles import Alignment, Font, PatternFill, Protection

    return _Styles(
        bold=Font(bold=True),
        title=Font(bold=True, size=13),
        muted=Font(color="595959", italic=True),
        wrapped=Alignment(wrap_text=True, vertical="top"),
        top=Alignment(vertical="top"),
        header_fill=PatternFill("solid", fgColor="E7EEF7"),
        answer_fill=PatternFill("solid", fgColor="FFF8DC"),
        unlocked=Protection(locked=False),
    )


def answers_sheet_name(lang: str) -> str:
    """The answers sheet's name in ``lang``."""
    return translations(lang).gettext("Answers")


def workbook_file_name(office: Office, moment: datetime, lang: str) -> str:
    """``cws-ict-survey-EP-workbook-2026-06-01-fr.xlsx``."""
    return f"cws-ict-survey-{office.code}-workbook-{moment:%Y-%m-%d}-{report_language(lang)}.xlsx"


def office_workbook(
    office: Office,
    answers: Mapping[int, AnswerRecord],
    questionnaire: Questionnaire,
    lang: str = "en",
    *,
    exported_at: datetime,
    key: bytes,
    version: int | None = None,
) -> bytes:
    """The Office's workbook as XLSX bytes, in ``lang``, with ``answers`` (the current draft,
    by Recommendation number) filled in; ``exported_at`` is the time of the download, ``key``
    the bot's secret that signs the identification sheet (``survey.workbook_key``),
    ``version`` the questionnaire version in force (named there, so that a workbook sent back
    under a later one is recognised)."""
    from openpyxl import Workbook

    lang = report_language(lang)
    _ = translations(lang).gettext
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = answers_sheet_name(lang)
    _answers_sheet(sheet, office, answers, questionnaire, lang, exported_at)
    _instructions_sheet(workbook.create_sheet(_("Instructions")), office, questionnaire, lang)
    ids = workbook.create_sheet(ID_SHEET)
    _id_sheet(ids, office, answers, questionnaire, lang, exported_at, sheet.title, key, version)
    ids.sheet_state = "veryHidden"
    workbook.active = 0
    properties = workbook.properties
    properties.title = xml_text(_("Answers of {office}").format(office=_office_line(office, lang)))
    properties.creator = "CWS ICT survey bot"
    properties.language = lang
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# -- the state at the download -------------------------------------------------------------------


def comment_key(comment: str | None) -> str:
    """A comment as compared between the chat and a workbook: line ends as ``\\n``, without the
    characters a workbook cannot hold, without blank space around it; "" for no comment."""
    if not comment:
        return ""
    text = xml_text(comment.replace("\r\n", "\n").replace("\r", "\n"))
    try:
        return check_comment(text) or ""  # trimmed as the survey trims what is typed
    except Refused:  # too long: the upload says so; here only the fingerprint counts
        return text.strip()


def comment_fingerprint(comment: str | None) -> str:
    """A short fingerprint of a comment (of its ``comment_key``); "" for no comment."""
    key = comment_key(comment)
    return hashlib.sha256(key.encode()).hexdigest()[:16] if key else ""


def questionnaire_version(questionnaire: Questionnaire) -> str:
    """A fingerprint of the questionnaire's content (numbers, levels and every text): two files
    with the same id but other wording have different versions."""
    digest = hashlib.sha256(questionnaire.id.encode())
    for level in questionnaire.scale:
        digest.update(f"\x1e{level.code}\x1f{level.score}".encode())
        digest.update("\x1f".join(level.labels[key] for key in sorted(level.labels)).encode())
    for item in questionnaire.recommendations:
        digest.update(f"\x1e{item.number}".encode())
        for texts in (item.titles, item.statements):
            digest.update("\x1f".join(texts[key] for key in sorted(texts)).encode())
    return digest.hexdigest()[:16]


def state_digest(
    identity: Mapping[str, str], state: Iterable[tuple[int, str | None, str]], key: bytes
) -> str:
    """The digest of the identification sheet: an HMAC-SHA256 with ``key`` of its keys and
    values, then per Recommendation the level's code and the comment's fingerprint at the
    download. Without the key nobody can make the digest of an edited sheet."""
    digest = hmac.new(key, digestmod=hashlib.sha256)
    for name in sorted(identity):
        digest.update(f"{name}\x1f{identity[name]}\x1e".encode())
    for number, level, fingerprint in sorted(state):
        digest.update(f"{number}\x1f{level or ''}\x1f{fingerprint}\x1e".encode())
    return digest.hexdigest()[:32]


# -- sheets ----------------------------------------------------------------------------------------


def _answers_sheet(
    ws: Sheet,
    office: Office,
    answers: Mapping[int, AnswerRecord],
    questionnaire: Questionnaire,
    lang: str,
    exported_at: datetime,
) -> None:
    from openpyxl.utils import get_column_letter

    _ = translations(lang).gettext
    style = _styles()
    _put(ws, 1, 1, _office_line(office, lang)).font = style.title
    answered = sum(1 for n in questionnaire.numbers if (a := answers.get(n)) and a.level)
    _put(
        ws,
        2,
        1,
        translations(lang)
        .ngettext(
            "Draft as of {time}: {answered} of {total} answered.",
            "Draft as of {time}: {answered} of {total} answered.",
            answered,
        )
        .format(
            time=_when(exported_at, lang),
            answered=format_number(answered, lang),
            total=format_number(len(questionnaire), lang),
        ),
    ).font = style.muted
    headers = {
        "number": _("No."),
        "title": _("Title"),
        "statement": _("Statement"),
        "level": _("Level"),
        "comment": _("Comment"),
        "by": _("Changed by"),
        "at": _("Changed at"),
    }
    for key, column in COLUMNS.items():
        cell = _put(ws, HEADER_ROW, column, headers[key])
        cell.font, cell.fill, cell.alignment = style.bold, style.header_fill, style.wrapped

    first = HEADER_ROW + 1
    for row, item in enumerate(questionnaire.recommendations, start=first):
        answer = answers.get(item.number)
        ws.cell(row, COLUMNS["number"], item.number).alignment = style.top
        _put(ws, row, COLUMNS["title"], item.title(lang)).alignment = style.wrapped
        _put(ws, row, COLUMNS["statement"], item.statement(lang)).alignment = style.wrapped
        level = _put(
            ws,
            row,
            COLUMNS["level"],
            level_label(questionnaire, answer.level if answer else None, lang),
        )
        comment = _put(ws, row, COLUMNS["comment"], answer.comment if answer else None)
        for cell in (level, comment):
            cell.protection, cell.fill, cell.alignment = (
                style.unlocked,
                style.answer_fill,
                style.wrapped,
            )
        by = answer.changed_by_name if answer else None
        _put(ws, row, COLUMNS["by"], by).alignment = style.wrapped
        at = iso_utc(answer.changed_at)[:16].replace("T", " ") if answer else None
        _put(ws, row, COLUMNS["at"], at).alignment = style.top
    last = first + len(questionnaire) - 1

    column = get_column_letter(COLUMNS["level"])
    validation = _level_validation(questionnaire, lang)
    validation.add(f"{column}{first}:{column}{last}")
    ws.add_data_validation(validation)

    widths = {"number": 6, "title": 32, "statement": 60, "level": 16, "comment": 50}
    widths |= {"by": 18, "at": 17}
    for key, width in widths.items():
        ws.column_dimensions[get_column_letter(COLUMNS[key])].width = width
    ws.freeze_panes = ws.cell(first, COLUMNS["title"])
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    _protect(ws)


def _level_validation(questionnaire: Questionnaire, lang: str) -> DataValidation:
    """A drop-down of the levels in ``lang``. Other text is let through after a notice: a
    level typed in another language or by its code is read too."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    _ = translations(lang).gettext
    labels = [level.label(lang) for level in questionnaire.scale]
    inline = '"' + ",".join(labels) + '"'
    if any("," in label or '"' in label for label in labels) or len(inline) > _INLINE_LIST_LIMIT:
        column = get_column_letter(4)  # the labels' column of the identification sheet
        rows = f"${column}$2:${column}${1 + len(labels)}"
        formula = f"'{ID_SHEET}'!{rows}"
    else:
        formula = inline
    return DataValidation(
        type="list",
        formula1=formula,
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="information",
        errorTitle=_("Level")[:32],
        error=_("Choose a level from the list.")[:255],
        showInputMessage=True,
        promptTitle=_("Level")[:32],
        prompt=_("Choose a level from the list.")[:255],
    )


def _instructions_sheet(ws: Sheet, office: Office, questionnaire: Questionnaire, lang: str) -> None:
    _ = translations(lang).gettext
    levels = ", ".join(level.label(lang) for level in questionnaire.scale)
    lines = [
        _("How to use this workbook"),
        translations(lang)
        .ngettext(
            "This workbook holds the answers of {office} to the survey of the Committee on WIPO "
            "Standards on the priority of the {count} Recommendation for ICT Strategies.",
            "This workbook holds the answers of {office} to the survey of the Committee on WIPO "
            "Standards on the priority of the {count} Recommendations for ICT Strategies.",
            len(questionnaire),
        )
        .format(office=_office_line(office, lang), count=format_number(len(questionnaire), lang)),
        _(
            "1. In the sheet “{sheet}”, choose a level for each Recommendation in the column "
            "“{column}”: {levels}."
        ).format(sheet=answers_sheet_name(lang), column=_("Level"), levels=levels),
        translations(lang)
        .ngettext(
            "2. Write any comment in the column “{column}” (at most {limit} character).",
            "2. Write any comment in the column “{column}” (at most {limit} characters).",
            MAX_COMMENT_LENGTH,
        )
        .format(column=_("Comment"), limit=format_number(MAX_COMMENT_LENGTH, lang)),
        _(
            "3. Save the file as an Excel workbook (.xlsx) and send it to the bot in the chat. "
            "The bot shows what would change and applies nothing until you confirm. Sending "
            "the workbook never submits the answers."
        ),
        _(
            "Keep one row per Recommendation, with its number. The order of the rows does not "
            "matter, and sheets you add are ignored."
        ),
        _(
            "An empty comment cell removes the comment. An empty level cell changes nothing: "
            "an answer can be changed, not withdrawn."
        ),
        _(
            "If someone changes an answer in the chat after this download, the bot tells you "
            "when you send the workbook back."
        ),
        _("This workbook is for {office} only.").format(office=_office_line(office, lang)),
    ]
    for row, line in enumerate(lines, start=1):
        cell = _put(ws, row, 1, line)
        cell.alignment = _styles().wrapped
        if row == 1:
            cell.font = _styles().title
    ws.column_dimensions["A"].width = 100
    _protect(ws)


def _id_sheet(
    ws: Sheet,
    office: Office,
    answers: Mapping[int, AnswerRecord],
    questionnaire: Questionnaire,
    lang: str,
    exported_at: datetime,
    answers_sheet: str,
    key: bytes,
    version: int | None,
) -> None:
    identity = {
        "format": FORMAT,
        "office_code": office.code,
        "office_id": str(office.id),
        "questionnaire_id": questionnaire.id,
        "questionnaire_version": questionnaire_version(questionnaire),
        "language": lang,
        "exported_at": iso_utc(exported_at),
        "answers_sheet": answers_sheet,
    }
    if version is not None:  # signed with the rest; workbooks from before have none
        identity["questionnaire_number"] = str(version)
    state = [
        (
            number,
            (answer.level or None) if (answer := answers.get(number)) else None,
            comment_fingerprint(answer.comment) if answer else "",
        )
        for number in questionnaire.numbers
    ]
    _put(ws, 1, 1, "key")
    _put(ws, 1, 2, "value")
    rows = [*identity.items(), ("digest", state_digest(identity, state, key))]
    for row, (name, value) in enumerate(rows, start=2):
        _put(ws, row, 1, name)
        _put(ws, row, 2, value)
    # The levels' labels (the drop-down's source when they cannot be listed inline).
    _put(ws, 1, 4, "levels")
    for row, scale_level in enumerate(questionnaire.scale, start=2):
        _put(ws, row, 4, scale_level.label(lang))
    # The state at the download: number | level code | comment fingerprint.
    start = len(rows) + 3
    for column, text in enumerate(("number", "level", "comment"), start=1):
        _put(ws, start, column, text)
    for row, (number, level, fingerprint) in enumerate(state, start=start + 1):
        ws.cell(row, 1, number)
        _put(ws, row, 2, level or None)
        _put(ws, row, 3, fingerprint or None)
    _protect(ws)


# -- helpers ---------------------------------------------------------------------------------------


def _protect(ws: Sheet) -> None:
    """Sheet protection without a password: locked cells refuse edits, unlocked ones take
    them; column widths and row heights may still be changed."""
    protection = ws.protection
    protection.sheet = True
    protection.formatColumns = False  # False: allowed
    protection.formatRows = False
    protection.selectLockedCells = False
    protection.selectUnlockedCells = False


def _put(ws: Sheet, row: int, column: int, value: str | None) -> Any:
    """A text cell, typed as text whatever it starts with ("=..." is never a formula)."""
    cell = ws.cell(row, column)
    if value:
        cell.value = xml_text(value)
        cell.data_type = _STRING
    return cell


def _office_line(office: Office, lang: str) -> str:
    name = office.name(lang)
    return f"{office.code} – {name}" if name and name != office.code else office.code


def _when(moment: datetime, lang: str) -> str:
    return f"{long_date(moment, lang)}, {iso_utc(moment)[11:16]} UTC"
