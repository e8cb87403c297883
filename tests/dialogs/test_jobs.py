"""Files asked for in the chat are made by jobs: the person is told at once that the file is
coming (the update ends there), and the file follows when the job runner beside the
dispatcher has made it; a job that fails, or that its process left behind, ends with a word
to the person in their language, never in silence."""

from __future__ import annotations

from datetime import timedelta

from aiogram.exceptions import TelegramBadRequest, TelegramNetworkError
from aiogram.methods import AnswerCallbackQuery, SendDocument

from survey.jobs import JobKind
from survey.service import SurveyService
from tests.support import ADMIN_ID, Clock, answer_of

from .harness import App, Person, check_html, verified
from .test_paperwork import _edited, _workbook
from .test_secretariat import PNG, seed_answers

FILE_COMING_FR = (
    "⏳ Votre fichier est en préparation : il arrivera dans cette conversation dans un instant."
)
UPLOAD_COMING_ES = "⏳ Comprobando el libro que ha enviado: el resultado llegará en un momento."


def last_toast(app: App) -> AnswerCallbackQuery:
    answers = [call for call in app.bot.calls if isinstance(call, AnswerCallbackQuery)]
    assert answers
    return answers[-1]


async def test_the_workbook_and_the_pdf_follow_a_notice_and_the_window_comes_back_below(
    app: App, service: SurveyService
) -> None:
    person = await verified(app, service, lang="fr")
    app.hold_jobs = True
    await person.send("/workbook")
    assert app.bot.sent(person.user_id)[-1] == FILE_COMING_FR
    assert app.bot.files(person.user_id) == []  # the update ended before the file was made
    await app.run_jobs()
    [(name, _data)] = app.bot.files(person.user_id)
    assert name.endswith(".xlsx")

    await person.send("/review")
    window = person.last()
    await person.click("📄 PDF")
    toast = last_toast(app)
    assert (toast.text, toast.show_alert) == (FILE_COMING_FR, False)  # a notice, not a box
    assert len(app.bot.files(person.user_id)) == 1
    await app.run_jobs()
    pdf_name, pdf = app.bot.files(person.user_id)[-1]
    assert pdf_name.endswith(".pdf")
    assert pdf.startswith(b"%PDF")
    again = person.last()  # the window once more, below the file, in French
    assert again.message_id > window.message_id
    assert again.text == window.text
    assert "📄 PDF" in person.buttons()


async def test_an_uploaded_workbook_is_checked_by_a_job_then_confirmed_in_the_chat(
    app: App, service: SurveyService
) -> None:
    person = await verified(app, service, lang="es")
    name, data = await _workbook(app, person)
    app.hold_jobs = True
    await person.send_document(name, _edited(data, {2: ("alta", "Probado")}))
    assert app.bot.sent(person.user_id)[-1] == UPLOAD_COMING_ES
    assert app.bot.downloads == []  # not even downloaded within the update
    await app.run_jobs()
    shown = check_html(person.text())
    assert "R02" in shown
    assert "Probado" in shown
    assert person.buttons()[:2] == ["✅ Aplicar estos cambios", "◀ Cancelar"]
    assert (await answer_of(service, 1, 2)).level is None
    app.hold_jobs = False
    await person.click("✅ Aplicar estos cambios")
    two = await answer_of(service, 1, 2)
    assert (two.level, two.comment) == ("high", "Probado")


async def test_the_secretariat_files_and_chart_follow_the_window(
    app: App, service: SurveyService
) -> None:
    await seed_answers(service)
    admin = Person(app, ADMIN_ID, "en")
    app.hold_jobs = True
    await admin.send("/export")
    assert "Preparing the files" in app.bot.sent(ADMIN_ID)[-1]
    assert app.bot.files(ADMIN_ID) == []
    await app.run_jobs()
    names = [name for name, _ in app.bot.files(ADMIN_ID)]
    assert [name.rsplit(".", 1)[-1] for name in names] == ["csv", "xlsx", "docx"]

    await admin.send("/results")
    assert "Survey results" in check_html(admin.text())  # at once, before the chart
    digest = admin.last()
    assert len(app.bot.files(ADMIN_ID)) == 3
    await app.run_jobs()
    _, chart = app.bot.files(ADMIN_ID)[-1]
    assert chart.startswith(PNG)
    assert admin.last().message_id > digest.message_id  # the digest again, below its chart
    assert "Survey results" in check_html(admin.text())


async def test_a_file_that_cannot_be_sent_is_tried_again_or_said_in_the_persons_language(
    app: App, service: SurveyService
) -> None:
    person = await verified(app, service, lang="fr")
    # Telegram unreachable for a moment: tried again, and the file arrives.
    app.bot.fail_files.append(TelegramNetworkError(SendDocument(chat_id=1, document="x"), "down"))
    await person.send("/workbook")
    assert len(app.bot.files(person.user_id)) == 2  # the failed try and the one that arrived
    assert app.bot.sent(person.user_id)[-1] == FILE_COMING_FR
    # Refused by Telegram: no use trying again; the person is told to ask again.
    app.bot.fail_files.append(TelegramBadRequest(SendDocument(chat_id=1, document="x"), "no"))
    await person.send("/workbook")
    assert len(app.bot.files(person.user_id)) == 3  # tried once
    assert app.bot.sent(person.user_id)[-1] == (
        "Désolé, le fichier demandé n’a pas pu être préparé. Veuillez le demander à nouveau."
    )


async def test_a_job_left_by_a_dead_process_is_run_again_or_abandoned_with_a_word(
    app: App, service: SurveyService, clock: Clock
) -> None:
    person = await verified(app, service, lang="fr")
    jobs = service.jobs
    # A process claimed this one, then died: once its lease has run out, it is run here.
    await jobs.record(JobKind.WORKBOOK, user_id=1, chat_id=1, language="fr")
    assert await jobs.claim_next("dead process") is not None
    await app.run_jobs()
    assert app.bot.files(person.user_id) == []  # its lease still runs: perhaps it lives
    clock.advance(seconds=61)
    await app.run_jobs()
    assert len(app.bot.files(person.user_id)) == 1

    # This one waited over an hour (every process was down): said, not sent late.
    await jobs.record(JobKind.PDF, user_id=1, chat_id=1, language="fr")
    clock.advance(minutes=61)
    await app.run_jobs()
    assert len(app.bot.files(person.user_id)) == 1
    assert app.bot.sent(person.user_id)[-1] == (
        "Désolé, le fichier demandé n’a pas pu être préparé. Veuillez le demander à nouveau."
    )
    # And one whose every try died with its process.
    await jobs.record(JobKind.UPLOAD, user_id=1, chat_id=1, language="fr")
    for _ in range(jobs.rules.max_attempts):
        assert await jobs.claim_next("dying process") is not None
        clock.advance(seconds=61)
    await app.run_jobs()
    assert app.bot.sent(person.user_id)[-1] == (
        "Désolé, le classeur que vous avez envoyé n’a pas pu être vérifié. "
        "Veuillez l’envoyer à nouveau."
    )
    assert app.bot.downloads == []
    assert timedelta(seconds=61) > jobs.rules.lease
