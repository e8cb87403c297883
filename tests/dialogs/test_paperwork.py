"""The Office's paperwork in the chat: the workbook downloaded, filled in offline and sent back
(nothing changes before the confirmation), and the PDF of the answers."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from pypdf import PdfReader

from reports.workbook import COLUMNS, HEADER_ROW
from standin.limits import utf16_len
from survey.questionnaire import Questionnaire
from survey.service import SurveyService
from tests.reports import hostile
from tests.support import answer_of

from .harness import TEXT_LIMIT, App, Person, check_html, verified


def _edited(data: bytes, edits: dict[int, tuple[str | None, str | None]]) -> bytes:
    """The workbook with, per Recommendation number, the level and comment cells set."""
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook.worksheets[0]
    for row in range(HEADER_ROW + 1, sheet.max_row + 1):
        number = sheet.cell(row, COLUMNS["number"]).value
        if number is None:
            continue
        key = int(str(number).lstrip("R"))
        if key in edits:
            level, comment = edits[key]
            sheet.cell(row, COLUMNS["level"]).value = level
            sheet.cell(row, COLUMNS["comment"]).value = comment
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


async def _workbook(app: App, person: Person) -> tuple[str, bytes]:
    await person.send("/workbook")
    name, data = app.bot.files(person.user_id)[-1]
    assert name.endswith(".xlsx")
    return name, data


async def test_a_workbook_goes_out_and_comes_back_after_a_confirmation(
    app: App, service: SurveyService, questionnaire: Questionnaire
) -> None:
    person = await verified(app, service)
    await service.answering.record_answer(1, 1, "high")
    name, data = await _workbook(app, person)
    assert "EP" in name
    edited = _edited(data, {2: ("moyenne", None), 3: ("ÉLEVÉE", "Asked our IT colleagues <b>")})

    await person.send_document(name, edited)
    shown = check_html(person.text())  # what Telegram shows
    assert "R02" in shown
    assert "R03" in shown
    assert "Asked our IT colleagues <b>" in shown  # escaped once: shown as typed
    assert person.buttons()[:2] == ["✅ Apply these changes", "◀ Cancel"]
    assert (await answer_of(service, 1, 2)).level is None  # nothing before the confirmation

    await person.click("◀ Cancel")
    assert (await answer_of(service, 1, 2)).level is None
    assert (await answer_of(service, 1, 3)).level is None
    assert "Review" in person.text()

    await person.send_document(name, edited)
    await person.click("✅ Apply these changes")
    assert (await answer_of(service, 1, 2)).level == "medium"
    three = await answer_of(service, 1, 3)
    assert three.level == "high"
    assert three.comment == "Asked our IT colleagues <b>"
    answers = (await service.answering.office_answers(1)).answers
    assert answers[2].changed_by_name == person.name
    assert answers[1].level == "high"  # what the file left alone stays
    assert "Review" in person.text()


async def test_answers_changed_in_the_chat_after_the_diff_are_not_overwritten(
    app: App, service: SurveyService
) -> None:
    person = await verified(app, service)
    name, data = await _workbook(app, person)
    await person.send_document(name, _edited(data, {5: ("low", None)}))
    await service.answering.record_answer(1, 5, "high")  # a colleague, in the chat
    await person.click("✅ Apply these changes")
    assert any("R05" in alert for alert in app.bot.alerts())
    assert (await answer_of(service, 1, 5)).level == "high"


async def test_a_damaged_workbook_gets_its_problems_and_changes_nothing(
    app: App, service: SurveyService
) -> None:
    person = await verified(app, service)
    name, data = await _workbook(app, person)
    await person.send_document(name, _edited(data, {4: ("tremendous", None)}))
    reply = app.bot.sent(person.user_id)[-1]
    assert "Nothing was changed" in reply
    assert "tremendous" in reply
    await person.send_document("answers.xlsx", b"number,level\n1,high\n")
    assert "Nothing was changed" in app.bot.sent(person.user_id)[-1]
    before = len(app.bot.downloads)
    await person.send_document(name, data, file_size=20 * 1024 * 1024)
    assert "too large" in app.bot.sent(person.user_id)[-1]
    assert len(app.bot.downloads) == before  # refused before the download
    assert (await answer_of(service, 1, 4)).level is None


async def test_uploads_are_refused_after_the_submission_and_the_pdf_holds_every_answer(
    app: App, service: SurveyService, questionnaire: Questionnaire
) -> None:
    person = await verified(app, service)
    name, data = await _workbook(app, person)
    levels = ["high", "medium", "low", "no_opinion"]
    for number in questionnaire.numbers:
        await service.answering.record_answer(1, number, levels[number % 4])
    await service.answering.record_comment(1, 7, "Planned for 2027")
    await person.send("/review")
    await person.click("✅ Submit final answers")
    await person.click("✅ Yes, submit now")
    await person.click("📄 PDF")
    pdf_name, pdf = app.bot.files(person.user_id)[-1]
    assert pdf_name.endswith(".pdf")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    flat = " ".join(text.split())
    for level in questionnaire.scale:
        assert level.label("en") in flat
    assert "Planned for 2027" in flat
    submitted = (await service.answering.office_answers(1)).receipt
    assert submitted is not None
    assert submitted.reference in flat

    await person.send_document(name, _edited(data, {1: ("low", None)}))
    assert "already submitted" in app.bot.sent(person.user_id)[-1]
    assert (await answer_of(service, 1, 1)).level == levels[1]


async def test_the_pdf_is_in_the_persons_language(app: App, service: SurveyService) -> None:
    person = await verified(app, service, lang="fr")
    await service.answering.record_answer(1, 1, "medium")
    await person.send("/review")
    await person.click("📄 PDF")
    name, pdf = app.bot.files(person.user_id)[-1]
    assert name.endswith("-fr.pdf")
    text = " ".join(
        " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split()
    )
    assert "Moyenne" in text


async def test_a_long_diff_full_of_emoji_fits_in_a_message_and_applies_every_change(
    app: App, service: SurveyService, questionnaire: Questionnaire
) -> None:
    """40 comments of 1,000 emoji: each emoji is two UTF-16 code units, the unit Telegram
    counts. The confirmation shows what fits and how many more; Apply applies all 40."""
    person = await verified(app, service)
    name, data = await _workbook(app, person)
    comment = "😀" * 1000
    edited = _edited(data, dict.fromkeys(questionnaire.numbers, ("High", comment)))

    await person.send_document(name, edited)
    shown = check_html(person.text())  # as Telegram shows it; CheckedMessageManager counts it
    assert utf16_len(shown) <= TEXT_LIMIT
    assert "The workbook changes 40 answers:" in shown
    listed = shown.count("😀 ") + shown.count("😀…")  # changes shown with their comment
    assert 0 < listed < 40
    assert f"… and {40 - listed} more changes." in shown
    assert person.buttons()[0] == "✅ Apply these changes"

    await person.click("✅ Apply these changes")
    answers = (await service.answering.office_answers(1)).answers
    assert {n: (a.level, a.comment) for n, a in answers.items()} == dict.fromkeys(
        questionnaire.numbers, ("high", comment)
    )
    assert "Review" in person.text()


async def test_a_hostile_workbook_is_refused_as_too_complex_and_changes_nothing(
    app: App, service: SurveyService
) -> None:
    """One 19 MB invisible string in 1,996 comment cells (issue 21): the check once ran for
    minutes in the bot's own process; now refused before any spreadsheet library reads it."""
    person = await verified(app, service, lang="fr")
    await service.answering.record_answer(1, 2, "low")
    name, data = await _workbook(app, person)
    await person.send_document(name, hostile.invisible_comments(data))
    reply = app.bot.sent(person.user_id)[-1]
    assert "Rien n’a été modifié" in reply
    assert "Ce fichier est trop complexe pour être vérifié" in reply
    assert (await answer_of(service, 1, 2)).level == "low"
    assert (await answer_of(service, 1, 3)).level is None
