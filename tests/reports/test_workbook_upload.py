"""The Office workbook sent back: damaged the way people damage workbooks, each problem one
clear translated line; what it would change, and nothing applied by reading it."""

from __future__ import annotations

import copy
import hashlib
import io
import time
import zipfile
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from reports.workbook import COLUMNS, HEADER_ROW, ID_SHEET, office_workbook, state_digest
from reports.workbook_upload import (
    MAX_BYTES,
    Change,
    ProblemKind,
    Upload,
    UploadDiff,
    UploadProblems,
    changed_since_download,
    diff_text,
    text_units,
    upload_diff,
)
from reports.workbook_upload import (
    read_office_workbook as read_signed,
)
from survey.model import AnswerRecord, Office
from survey.questionnaire import Questionnaire

from .helpers import KEY

EXPORTED = datetime(2026, 6, 1, 9, 30, tzinfo=UTC)
LATER = datetime(2026, 6, 2, 10, 0, tzinfo=UTC)
FIRST = HEADER_ROW + 1
LEVEL, COMMENT = COLUMNS["level"], COLUMNS["comment"]


def row_of(number: int) -> int:
    """The row of a Recommendation in a workbook as downloaded."""
    return FIRST + number - 1


def build(
    office: Office, answers: dict[int, AnswerRecord], questionnaire: Questionnaire, lang: str = "en"
) -> bytes:
    return office_workbook(office, answers, questionnaire, lang, exported_at=EXPORTED, key=KEY)


def read_office_workbook(
    data: bytes, questionnaire: Questionnaire, lang: str = "en", **options: Any
) -> Upload | UploadProblems:
    """The bot's reader, with the key the tests' workbooks are signed with."""
    return read_signed(data, questionnaire, lang, key=KEY, **options)


def edit(data: bytes, change: Callable[[Any, Any], None]) -> bytes:
    """Open the workbook as a person's spreadsheet program would, change it, save it."""
    workbook = load_workbook(io.BytesIO(data))
    change(workbook, workbook.worksheets[0])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload_of(result: Upload | UploadProblems) -> Upload:
    assert isinstance(result, Upload), result.lines if isinstance(result, UploadProblems) else ""
    return result


def problems_of(result: Upload | UploadProblems) -> UploadProblems:
    assert isinstance(result, UploadProblems), "the upload was accepted"
    return result


def answer(number: int, level: str | None, comment: str | None = None) -> AnswerRecord:
    return AnswerRecord(number, level, comment, LATER, 2, "Ana Pérez")


@pytest.fixture
def workbook(
    ep_office: Office, draft_answers: dict[int, AnswerRecord], questionnaire: Questionnaire
) -> bytes:
    return build(ep_office, draft_answers, questionnaire)


# -- accepted ------------------------------------------------------------------------------------


def test_unchanged_workbook_changes_nothing(
    workbook: bytes,
    ep_office: Office,
    draft_answers: dict[int, AnswerRecord],
    questionnaire: Questionnaire,
) -> None:
    upload = upload_of(read_office_workbook(workbook, questionnaire, office=ep_office))
    assert upload.office_code == "EP"
    assert upload.office_id == 5
    assert upload.questionnaire_id == "cws-ict-2021"
    assert upload.language == "en"
    assert upload.exported_at == EXPORTED
    assert upload.sheet == "Answers"
    assert list(upload.answers) == list(questionnaire.numbers)
    assert upload.answers[1].level == "high"
    assert upload.answers[9].comment == '=HYPERLINK("http://evil.example","click")'
    assert upload.answers[12].comment == "Two lines:\nsecond line"
    assert upload.answers[35].level is None
    assert upload.answers[35].comment == "Still discussing"

    assert changed_since_download(upload, draft_answers) == []
    diff = upload_diff(upload, draft_answers)
    assert diff == UploadDiff((), tuple(questionnaire.numbers), (), ())
    assert diff_text(diff, questionnaire) == (
        "The workbook changes nothing: the 40 answers stay as they are."
    )


def test_levels_in_any_language_case_or_by_code(
    workbook: bytes, draft_answers: dict[int, AnswerRecord], questionnaire: Questionnaire
) -> None:
    typed = {
        31: "Élevée",
        32: "MOYENNE",
        33: "faible",
        34: "sans opinion",
        35: "Alta",
        36: "  media ",
        37: "BAJA",
        38: "Sin opinión",
        39: "no_opinion",
        40: "elevee",  # without the accents
        1: "LOW",
        2: "No Opinion",
    }

    def type_levels(_workbook: Any, sheet: Any) -> None:
        for number, text in typed.items():
            sheet.cell(row_of(number), LEVEL, text)

    upload = upload_of(read_office_workbook(edit(workbook, type_levels), questionnaire))
    levels = {number: upload.answers[number].level for number in typed}
    assert levels == {
        31: "high",
        32: "medium",
        33: "low",
        34: "no_opinion",
        35: "high",
        36: "medium",
        37: "low",
        38: "no_opinion",
        39: "no_opinion",
        40: "high",
        1: "low",
        2: "no_opinion",
    }
    diff = upload_diff(upload, draft_answers)
    assert [change.number for change in diff.changes] == [1, 2, *range(31, 41)]
    assert diff.changes[0] == Change(1, "high", "low", None, None), (
        "old and new level; the comment stays"
    )
    assert diff.changes[-1] == Change(40, None, "high", None, None)
    assert len(diff.unchanged) == 28


def test_levels_typed_in_french_in_a_french_workbook(
    ep_office: Office, draft_answers: dict[int, AnswerRecord], questionnaire: Questionnaire
) -> None:
    data = build(ep_office, draft_answers, questionnaire, "fr")

    def type_levels(_workbook: Any, sheet: Any) -> None:
        sheet.cell(row_of(31), LEVEL, "Élevée")
        sheet.cell(row_of(32), LEVEL, "ÉLEVÉE")

    upload = upload_of(read_office_workbook(edit(data, type_levels), questionnaire, "fr"))
    assert upload.sheet == "Réponses"
    assert upload.language == "fr"
    assert (upload.answers[31].level, upload.answers[32].level) == ("high", "high")
    assert upload.answers[1].level == "high"  # written as "Élevée" at the download


def test_reordered_rows_blank_rows_and_notes(
    workbook: bytes, draft_answers: dict[int, AnswerRecord], questionnaire: Questionnaire
) -> None:
    def reorder(_workbook: Any, sheet: Any) -> None:
        rows = [
            [(cell.value, cell.data_type) for cell in line]
            for line in sheet.iter_rows(min_row=FIRST, max_row=FIRST + 39)
        ]
        rows.reverse()
        rows.insert(10, [(None, "n")] * 7)  # a blank row
        note = ["Note", "ask the legal team", None, None, "call Paul", None, None]
        rows.insert(20, [(value, "s") for value in note])
        for cell_row in sheet.iter_rows(min_row=FIRST, max_row=FIRST + 45):
            for cell in cell_row:
                cell.value = None
        for index, values in enumerate(rows):
            for column, (value, kind) in enumerate(values, start=1):
                cell = sheet.cell(FIRST + index, column, value)
                cell.data_type = kind  # moved as text stays text ("=..." too)
        sheet.cell(FIRST, 1, "R40")  # numbers as people write them
        sheet.cell(FIRST + 1, 1, 39.0)
        sheet.cell(FIRST + 2, 1, " 38 ")

    upload = upload_of(read_office_workbook(edit(workbook, reorder), questionnaire))
    assert upload.answers[40].row == FIRST
    assert upload.answers[1].row == FIRST + 41
    assert upload_diff(upload, draft_answers).empty


def test_emptied_cells(
    workbook: bytes, draft_answers: dict[int, AnswerRecord], questionnaire: Questionnaire
) -> None:
    """An empty comment removes the comment; an empty level changes nothing (an answer cannot
    be withdrawn), and the diff says so."""

    def empty(_workbook: Any, sheet: Any) -> None:
        sheet.cell(row_of(3), COMMENT).value = None  # comment removed
        sheet.cell(row_of(6), COMMENT, "   ")  # blank: no comment
        sheet.cell(row_of(4), LEVEL).value = None  # level emptied: stays
        sheet.cell(row_of(5), LEVEL, " ")

    upload = upload_of(read_office_workbook(edit(workbook, empty), questionnaire))
    assert upload.answers[3].comment is None
    assert upload.answers[4].level is None
    diff = upload_diff(upload, draft_answers)
    assert [change.number for change in diff.changes] == [3, 6]
    assert diff.changes[0] == Change(3, "low", "low", draft_answers[3].comment, None)
    assert diff.level_kept == (4, 5)
    text = diff_text(diff, questionnaire)
    assert "R03" in text
    assert "comment removed (was “Priorité n°3 : élevée" in text
    assert (
        "Level cells left empty: R04, R05. These answers keep their level: an answer can be "
        "changed, not withdrawn."
    ) in text


def test_extra_sheets_are_ignored(
    workbook: bytes, draft_answers: dict[int, AnswerRecord], questionnaire: Questionnaire
) -> None:
    def add_sheets(book: Any, _sheet: Any) -> None:
        notes = book.create_sheet("Notes", 0)  # even before the answers
        notes.append(["No.", "Level", "Comment"])
        for number in questionnaire.numbers:
            notes.append([number, "Low", "a colleague's view"])
        book.create_sheet("Empty")
        book.active = 0

    upload = upload_of(read_office_workbook(edit(workbook, add_sheets), questionnaire))
    assert upload.sheet == "Answers"
    assert upload_diff(upload, draft_answers).empty


def test_renamed_sheet_and_inserted_column(
    workbook: bytes, draft_answers: dict[int, AnswerRecord], questionnaire: Questionnaire
) -> None:
    """Someone lifts the protection (there is no password), renames the sheet and inserts a
    column: the header row still says where the levels and comments are."""

    def rework(_workbook: Any, sheet: Any) -> None:
        sheet.protection.sheet = False
        sheet.title = "Our answers"
        sheet.insert_cols(2)
        sheet.cell(HEADER_ROW, 2, "Owner")
        sheet.cell(row_of(7), LEVEL + 1, "High")

    upload = upload_of(read_office_workbook(edit(workbook, rework), questionnaire))
    assert upload.sheet == "Our answers"
    diff = upload_diff(upload, draft_answers)
    assert diff.changes == (Change(7, "low", "high", None, None),)


def test_header_row_in_another_language(
    workbook: bytes, draft_answers: dict[int, AnswerRecord], questionnaire: Questionnaire
) -> None:
    def translate_header(_workbook: Any, sheet: Any) -> None:
        sheet.cell(HEADER_ROW, LEVEL, "Nivel")
        sheet.cell(HEADER_ROW, COMMENT, "Comentario")

    upload = upload_of(read_office_workbook(edit(workbook, translate_header), questionnaire))
    assert upload_diff(upload, draft_answers).empty


# -- refused ---------------------------------------------------------------------------------------


def only_problem(result: Upload | UploadProblems) -> tuple[ProblemKind, str]:
    (problem,) = problems_of(result).problems
    return problem.kind, problem.message


def test_another_offices_workbook(
    fr_office: Office,
    ep_office: Office,
    draft_answers: dict[int, AnswerRecord],
    questionnaire: Questionnaire,
) -> None:
    data = build(fr_office, draft_answers, questionnaire)
    assert only_problem(read_office_workbook(data, questionnaire, office=ep_office)) == (
        ProblemKind.OTHER_OFFICE,
        "This workbook is for FR, not for your Office, EP (European Patent Office). Download "
        "your Office's workbook from the bot.",
    )
    # Without the Office, the caller compares the code itself.
    assert upload_of(read_office_workbook(data, questionnaire)).office_code == "FR"
    kind, message = only_problem(read_office_workbook(data, questionnaire, "fr", office=ep_office))
    assert kind is ProblemKind.OTHER_OFFICE
    assert message.startswith("Ce classeur est destiné à FR")


def test_another_questionnaire(
    ep_office: Office, draft_answers: dict[int, AnswerRecord], questionnaire: Questionnaire
) -> None:
    data = build(ep_office, draft_answers, replace(questionnaire, id="cws-ict-2019"))
    assert only_problem(read_office_workbook(data, questionnaire)) == (
        ProblemKind.OTHER_QUESTIONNAIRE,
        "This workbook is for another questionnaire (cws-ict-2019), not for this survey "
        "(cws-ict-2021). Download a new workbook from the bot.",
    )


def test_a_csv_renamed_xlsx(questionnaire: Questionnaire) -> None:
    csv = b"No.,Level,Comment\n1,High,\n2,Low,ok\n"
    assert only_problem(read_office_workbook(csv, questionnaire)) == (
        ProblemKind.NOT_XLSX,
        "This file is not an Excel workbook (.xlsx). Send the workbook the bot gave you, saved "
        "as .xlsx.",
    )
    _kind, message = only_problem(read_office_workbook(csv, questionnaire, "es"))
    assert message.startswith("Este archivo no es un libro de Excel (.xlsx).")


def test_other_files(questionnaire: Questionnaire) -> None:
    old = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600)
    assert only_problem(read_office_workbook(old, questionnaire))[0] is ProblemKind.OLD_FORMAT

    ods = io.BytesIO()
    with zipfile.ZipFile(ods, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    kind, message = only_problem(read_office_workbook(ods.getvalue(), questionnaire))
    assert kind is ProblemKind.OPENDOCUMENT
    assert "(.ods)" in message

    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    assert only_problem(read_office_workbook(docx.getvalue(), questionnaire))[0] is (
        ProblemKind.NOT_XLSX
    )

    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("[Content_Types].xml", "not xml")
        archive.writestr("xl/workbook.xml", "<<<")
    assert only_problem(read_office_workbook(broken.getvalue(), questionnaire)) == (
        ProblemKind.UNREADABLE,
        "This workbook cannot be read; it may be damaged. Save it again as .xlsx, or download "
        "a new workbook from the bot.",
    )


def test_a_zip_bomb_is_refused_before_unpacking(
    workbook: bytes, questionnaire: Questionnaire
) -> None:
    bomb = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(workbook)) as source,
        zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
    ):
        for member in source.infolist():
            archive.writestr(member, source.read(member))
        with archive.open("xl/media/padding.bin", "w", force_zip64=True) as padding:
            zeros = bytes(1024 * 1024)
            for _ in range(64):  # 64 MB of zeros: some 64 KB packed
                padding.write(zeros)
    data = bomb.getvalue()
    assert len(data) < MAX_BYTES

    started = time.perf_counter()
    result = read_office_workbook(data, questionnaire)
    assert time.perf_counter() - started < 1  # nothing was unpacked
    assert only_problem(result) == (
        ProblemKind.ZIP_BOMB,
        "This file unpacks to more than 20 MB, far more than a workbook of answers: it is refused.",
    )


def test_a_zip_directory_that_lies_about_sizes(
    workbook: bytes, questionnaire: Questionnaire
) -> None:
    """A member that unpacks to far more than its directory entry says: zipfile stops at the
    declared size (and then finds the checksum wrong), so the directory check is a true bound."""
    sheet_name = "xl/worksheets/sheet1.xml"
    packed = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(workbook)) as source,
        zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive,
    ):
        for member in source.infolist():
            content = source.read(member)
            if member.filename == sheet_name:
                declared = len(content)
                content += b" " * (64 * 1024 * 1024)  # white space after the root element
            archive.writestr(member.filename, content)
    data = bytearray(packed.getvalue())
    entry = data.index(b"PK\x01\x02")  # the central directory
    while True:
        name_length = int.from_bytes(data[entry + 28 : entry + 30], "little")
        name = bytes(data[entry + 46 : entry + 46 + name_length]).decode()
        if name == sheet_name:
            data[entry + 24 : entry + 28] = declared.to_bytes(4, "little")  # uncompressed size
            break
        extra = int.from_bytes(data[entry + 30 : entry + 32], "little")
        comment = int.from_bytes(data[entry + 32 : entry + 34], "little")
        entry += 46 + name_length + extra + comment
    assert len(data) < MAX_BYTES

    started = time.perf_counter()
    result = read_office_workbook(bytes(data), questionnaire)
    assert time.perf_counter() - started < 2
    assert only_problem(result)[0] is ProblemKind.UNREADABLE


def test_a_20_mb_file(questionnaire: Questionnaire) -> None:
    data = b"PK\x03\x04" + bytes(20 * 1024 * 1024)
    assert only_problem(read_office_workbook(data, questionnaire)) == (
        ProblemKind.TOO_LARGE,
        "The file is too large (20 MB): a workbook may be at most 2 MB.",
    )
    _kind, message = only_problem(read_office_workbook(data + bytes(300_000), questionnaire, "fr"))
    assert message == (
        "Le fichier est trop volumineux (20,3\u00a0Mo)\u00a0: un classeur ne peut dépasser "
        "2\u00a0Mo."
    )


def test_identification_sheet_missing_or_changed(
    workbook: bytes, questionnaire: Questionnaire
) -> None:
    def drop(book: Any, _sheet: Any) -> None:
        del book[ID_SHEET]

    kind, message = only_problem(read_office_workbook(edit(workbook, drop), questionnaire))
    assert kind is ProblemKind.NOT_FROM_BOT
    assert message == (
        "This is not a workbook from the bot: its identification sheet is missing. Download a "
        "new workbook from the bot and copy your answers into it."
    )

    def tamper(book: Any, _sheet: Any) -> None:
        sheet = book[ID_SHEET]
        for row in sheet.iter_rows():
            if row[0].value == "office_code":
                row[1].value = "FR"

    kind, message = only_problem(read_office_workbook(edit(workbook, tamper), questionnaire))
    assert kind is ProblemKind.ID_CHANGED
    assert message.startswith("The workbook's hidden identification sheet was changed.")

    plain = Workbook()
    plain.active.append(["No.", "Level", "Comment"])
    buffer = io.BytesIO()
    plain.save(buffer)
    kind, _message = only_problem(read_office_workbook(buffer.getvalue(), questionnaire))
    assert kind is ProblemKind.NOT_FROM_BOT


def _unkeyed_digest(identity: dict[str, str], state: list[tuple[int, str | None, str]]) -> str:
    """The digest as the bot wrote it before it was keyed: anyone could compute it."""
    digest = hashlib.sha256()
    for name in sorted(identity):
        digest.update(f"{name}\x1f{identity[name]}\x1e".encode())
    for number, level, fingerprint in sorted(state):
        digest.update(f"{number}\x1f{level or ''}\x1f{fingerprint}\x1e".encode())
    return digest.hexdigest()[:32]


def _resigned(
    data: bytes, sign: Callable[[dict[str, str], list[Any]], str], **claims: str
) -> bytes:
    """The workbook with its identification sheet edited to claim ``claims`` and its digest
    computed again by ``sign``, as someone who read the bot's source code would."""

    def rework(book: Any, _sheet: Any) -> None:
        sheet = book[ID_SHEET]
        identity: dict[str, str] = {}
        state: list[tuple[int, str | None, str]] = []
        digest_cell, in_state = None, False
        for row in sheet.iter_rows(max_col=3):
            first = row[0].value
            if first == "number":
                in_state = True
            elif in_state and isinstance(first, int):
                state.append((first, row[1].value or None, row[2].value or ""))
            elif first == "digest":
                digest_cell = row[1]
            elif first not in (None, "key") and not in_state:
                if first in claims:
                    row[1].value = claims[first]
                identity[first] = str(row[1].value or "")
        assert digest_cell is not None
        digest_cell.value = sign(identity, state)

    return edit(data, rework)


def test_an_identification_sheet_signed_again_without_the_bots_key_is_refused(
    workbook: bytes, questionnaire: Questionnaire
) -> None:
    """Claiming another questionnaire version (or anything else) needs the bot's secret: a
    digest computed the old, unkeyed way, or with another key, is refused; so is a workbook
    downloaded before the digest was keyed."""
    unchanged = _resigned(workbook, lambda identity, state: state_digest(identity, state, KEY))
    assert isinstance(read_office_workbook(unchanged, questionnaire), Upload)  # the test's own

    for sign in (
        _unkeyed_digest,
        lambda identity, state: state_digest(identity, state, b"another bot's key" * 2),
    ):
        edited = _resigned(workbook, sign, questionnaire_version="0123456789abcdef")
        kind, message = only_problem(read_office_workbook(edited, questionnaire))
        assert kind is ProblemKind.ID_CHANGED
        assert message.startswith("The workbook's hidden identification sheet was changed.")
    kind, _message = only_problem(
        read_office_workbook(_resigned(workbook, _unkeyed_digest), questionnaire)
    )
    assert kind is ProblemKind.ID_CHANGED  # downloaded before the key: download a new one


def test_answers_sheet_deleted(workbook: bytes, questionnaire: Questionnaire) -> None:
    def drop(book: Any, sheet: Any) -> None:
        del book[sheet.title]

    assert only_problem(read_office_workbook(edit(workbook, drop), questionnaire, "es")) == (
        ProblemKind.NO_ANSWERS_SHEET,
        "Falta en el libro de cálculo la hoja de respuestas («Answers»).",
    )


def test_every_row_problem_one_line(workbook: bytes, questionnaire: Questionnaire) -> None:
    def damage(_workbook: Any, sheet: Any) -> None:
        sheet.cell(row_of(2), LEVEL, "Hgh")  # unknown level
        sheet.cell(row_of(3), COMMENT, "x" * 1001)  # over the limit
        for column in range(1, 8):  # R05's row copied over R07's: R05 twice, R07 missing
            sheet.cell(row_of(7), column, copy.copy(sheet.cell(row_of(5), column).value))
        sheet.cell(row_of(10), 1).value = None  # a number deleted, the level kept
        sheet.cell(row_of(40) + 2, 1, 41)  # a Recommendation that does not exist
        sheet.cell(row_of(40) + 2, LEVEL, "High")

    result = problems_of(read_office_workbook(edit(workbook, damage), questionnaire))
    assert [(p.kind, p.row, p.number) for p in result.problems] == [
        (ProblemKind.UNKNOWN_LEVEL, 5, 2),
        (ProblemKind.COMMENT_TOO_LONG, 6, 3),
        (ProblemKind.DUPLICATE, 10, 5),
        (ProblemKind.NO_NUMBER, 13, None),
        (ProblemKind.UNKNOWN_RECOMMENDATION, 45, 41),
        (ProblemKind.MISSING, None, 7),
    ]
    assert result.lines == [
        "Row 5, Recommendation 2: “Hgh” is not a level. Use one of: High, Medium, Low, No opinion.",
        "Row 6, Recommendation 3: the comment has 1,001 characters; at most 1,000.",
        "Recommendation 5 appears more than once, in rows 8, 10: keep one row.",
        "Row 13: a level but no Recommendation number.",
        "Row 45: there is no Recommendation 41; the numbers go from 1 to 40.",
        "Recommendations missing from the sheet: R07, R10. Put their rows back, each with its "
        "number.",
    ]
    assert result.text().startswith(
        "Nothing was changed. Please correct the workbook and send it again:\n• Row 5,"
    )
    assert result.text(limit=2).endswith("… and 4 more problems.")


def test_row_problems_in_french(workbook: bytes, questionnaire: Questionnaire) -> None:
    def damage(_workbook: Any, sheet: Any) -> None:
        sheet.cell(row_of(2), LEVEL, "Trés haute")
        sheet.cell(row_of(3), COMMENT, "é" * 1200)
        sheet.delete_rows(row_of(7))

    result = problems_of(read_office_workbook(edit(workbook, damage), questionnaire, "fr"))
    assert result.lines == [
        "Ligne 5, recommandation 2\u00a0: «\u00a0Trés haute\u00a0» n’est pas un niveau. "
        "Utilisez l’un des niveaux suivants\u00a0: Élevée, Moyenne, Faible, Sans opinion.",
        "Ligne 6, recommandation 3\u00a0: le commentaire compte 1\u202f200\u00a0caractères, "
        "alors que la limite est de 1\u202f000.",
        "Recommandation manquante dans la feuille\u00a0: R07. Rétablissez sa ligne, avec son "
        "numéro.",
    ]


# -- since the download ------------------------------------------------------------------------


def test_answers_changed_in_the_chat_since_the_download(
    workbook: bytes, draft_answers: dict[int, AnswerRecord], questionnaire: Questionnaire
) -> None:
    """Three-way: a field the file leaves as downloaded keeps the chat's newer value; a field
    the file changes is a change, flagged when the chat changed it too."""
    current = dict(draft_answers)
    current[1] = answer(1, "low")  # chat: level High -> Low; file leaves it
    current[3] = answer(3, "low", "Chat comment")  # chat: comment; file leaves it
    current[2] = answer(2, "low")  # chat: Medium -> Low; file: Medium -> High
    current[31] = answer(31, "medium")  # chat answered it; file leaves it empty

    def fill(_workbook: Any, sheet: Any) -> None:
        sheet.cell(row_of(2), LEVEL, "High")
        sheet.cell(row_of(3), LEVEL, "Medium")  # only the level: the chat's comment stays

    upload = upload_of(read_office_workbook(edit(workbook, fill), questionnaire))
    assert changed_since_download(upload, current) == [1, 2, 3, 31]
    diff = upload_diff(upload, current)
    assert diff.changes == (
        Change(2, "low", "high", None, None, changed_in_chat=True),
        Change(3, "low", "medium", "Chat comment", "Chat comment"),
    )
    assert diff.kept_from_chat == (1, 3, 31)
    assert diff.level_kept == ()
    text = diff_text(diff, questionnaire)
    lines = text.splitlines()
    assert lines[0] == "The workbook changes 2 answers:"
    assert lines[1].startswith("⚠ R02 ")
    assert lines[1].endswith(": level Low → High")
    assert lines[2].startswith("• R03 ")
    assert lines[2].endswith(": level Low → Medium")
    assert lines[3] == "The other 38 answers stay as they are."
    assert lines[4] == (
        "⚠ Also changed in the chat since the workbook was downloaded: the workbook's version "
        "replaces the chat's."
    )
    assert lines[5] == (
        "Changed in the chat since the workbook was downloaded, and kept as in the chat because "
        "the workbook leaves them as they were: R01, R03, R31."
    )
    assert lines[-1] == (
        "Nothing is applied until you confirm. Sending the workbook never submits the answers."
    )


def test_the_same_change_in_the_chat_and_the_file_is_no_change(
    workbook: bytes, draft_answers: dict[int, AnswerRecord], questionnaire: Questionnaire
) -> None:
    current = dict(draft_answers)
    current[2] = answer(2, "high", "Agreed")

    def fill(_workbook: Any, sheet: Any) -> None:
        sheet.cell(row_of(2), LEVEL, "high")
        sheet.cell(row_of(2), COMMENT, "Agreed\n")

    upload = upload_of(read_office_workbook(edit(workbook, fill), questionnaire))
    assert changed_since_download(upload, current) == [2]
    assert upload_diff(upload, current).empty


def test_diff_text_comments_and_french(
    ep_office: Office, draft_answers: dict[int, AnswerRecord], questionnaire: Questionnaire
) -> None:
    data = build(ep_office, draft_answers, questionnaire, "fr")

    def fill(_workbook: Any, sheet: Any) -> None:
        sheet.cell(row_of(1), COMMENT, "Nouveau commentaire")
        sheet.cell(row_of(3), COMMENT, "Remplacé")
        sheet.cell(row_of(6), COMMENT).value = None
        sheet.cell(row_of(33), LEVEL, "alta")

    upload = upload_of(read_office_workbook(edit(data, fill), questionnaire, "fr"))
    text = diff_text(upload_diff(upload, draft_answers), questionnaire, "fr")
    lines = text.splitlines()
    assert lines[0] == "Le classeur modifie 4\u00a0réponses\u00a0:"
    assert lines[1].endswith("\u00a0: commentaire ajouté\u00a0: «\u00a0Nouveau commentaire\u00a0»")
    assert (
        "commentaire «\u00a0Priorité n°3 : élevée, año 3; “phase 2”\u00a0» → «\u00a0Remplacé\u00a0»"
    ) in lines[2]
    assert "commentaire supprimé (c’était «\u00a0Priorité n°6" in lines[3]
    assert lines[4].endswith("\u00a0: niveau Élevée (nouvelle réponse)")
    assert lines[5] == "Les 36\u00a0autres réponses restent inchangées."


def test_a_long_diff_fits_in_a_message(
    workbook: bytes, draft_answers: dict[int, AnswerRecord], questionnaire: Questionnaire
) -> None:
    def rewrite(_workbook: Any, sheet: Any) -> None:
        for number in questionnaire.numbers:
            sheet.cell(row_of(number), LEVEL, "No opinion")
            sheet.cell(row_of(number), COMMENT, f"A long comment {number} " + "word " * 190)

    upload = upload_of(read_office_workbook(edit(workbook, rewrite), questionnaire))
    diff = upload_diff(upload, draft_answers)
    assert len(diff.changes) == 40
    text = diff_text(diff, questionnaire)
    assert len(text) < 4096 - 300
    assert "more changes." in text


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
@pytest.mark.parametrize("budget", [3500, 1200])
def test_a_long_diff_of_emoji_fits_its_budget_as_telegram_counts_it(
    draft_answers: dict[int, AnswerRecord], questionnaire: Questionnaire, lang: str, budget: int
) -> None:
    """Each emoji is two UTF-16 code units, the unit Telegram counts: the diff shows the
    changes that fit in the budget and says how many more there are, in the reader's words."""
    changes = tuple(
        Change(number, None, "high", None, "👨\u200d👩\u200d👧" * 200 + "😀" * 100)
        for number in questionnaire.numbers
    )
    diff = UploadDiff(changes, (), kept_from_chat=tuple(questionnaire.numbers))
    text = diff_text(diff, questionnaire, lang, budget=budget)
    assert text_units(text) <= budget
    listed = sum(1 for line in text.splitlines() if line.startswith("• "))
    assert 0 < listed < 40
    more = {
        "en": "… and {} more changes.",
        "fr": "… et {} autres modifications.",
        "es": "… y {} cambios más.",
    }
    assert more[lang].format(40 - listed) in text


def test_reading_applies_nothing(
    workbook: bytes, draft_answers: dict[int, AnswerRecord], questionnaire: Questionnaire
) -> None:
    before = dict(draft_answers)

    def fill(_workbook: Any, sheet: Any) -> None:
        sheet.cell(row_of(1), LEVEL, "Low")

    upload = upload_of(read_office_workbook(edit(workbook, fill), questionnaire))
    diff = upload_diff(upload, draft_answers)
    assert diff_text(diff, questionnaire)
    assert draft_answers == before
    # The same upload against the same answers gives the same diff (to compare at confirmation).
    assert upload_diff(upload, dict(draft_answers)) == diff
