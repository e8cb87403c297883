"""The Office's paperwork in the chat: the workbook to fill in offline (sent, and read back with
a confirmation of what it changes), and the PDF of the answers. Each file, and the check of a
workbook sent back, is a job (dialogs/jobs.py): the person is told it is coming, and it
follows when the job runner has made it."""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING, Any

from aiogram import Bot
from aiogram.types import BufferedInputFile, CallbackQuery, Message, User
from aiogram.utils.i18n import I18n, ngettext
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import DialogManager, ShowMode, StartMode, Window
from aiogram_dialog.widgets.kbd import Button

from dialogs.jobs import (
    WINDOW,
    JobContext,
    JobPoster,
    Maker,
    file_coming,
    jobs_of,
    upload_coming,
)
from dialogs.markup import plain, render
from dialogs.messages import language, refusal_text
from dialogs.presses import answer_press
from dialogs.screen import screen
from dialogs.secretariat.common import off_the_loop
from dialogs.states import Survey
from dialogs.widgets import Html, T
from reports.numbers import format_number
from survey.answering import Answering
from survey.errors import Reason, Refused
from survey.jobs import JobKind

if TYPE_CHECKING:
    from reports.workbook_upload import Change, Upload
    from survey.questionnaire import Questionnaire
    from survey.views import OfficeAnswers

# The workbook and the PDF (reports.workbook, reports.workbook_upload, reports.pdf and the
# libraries behind them) are imported where they are used: nobody's start-up pays for them.

log = logging.getLogger(__name__)

# Widget ids: they travel in callback data, so they are short and never reused.
WORKBOOK = "wb"
PDF = "pdf"
APPLY = "apply"
CANCEL = "cancel"

CHANGES = "changes"  # start data of the confirmation: the changes shown, as dicts
DIFF = "diff"  # and the text that showed them
MESSAGE_LIMIT = 4096  # a Telegram message's text, in UTF-16 code units
FILE_ID = "file_id"  # an upload job's parameters: the document as Telegram keeps it
FILE_SIZE = "file_size"


def _refuse_if_submitted(paper: OfficeAnswers) -> None:
    """A submitted Office's answers are locked: no workbook to fill in."""
    if paper.submitted:
        assert paper.response is not None
        raise Refused(
            Reason.ALREADY_SUBMITTED,
            submitted_by=paper.response.submitted_by_name,
            submitted_at=paper.response.submitted_at,
        )


async def send_workbook(
    bot: Bot, chat_id: int, user_id: int, answering: Answering, lang: str
) -> None:
    """The Office's workbook, in ``lang``, as a document in the chat."""
    from reports.workbook import office_workbook, workbook_file_name

    paper = await answering.office_answers(user_id)
    _refuse_if_submitted(paper)
    questionnaire, version = answering.questionnaire, answering.version
    key = await answering.workbook_key()
    data = await off_the_loop(
        lambda: office_workbook(
            paper.office,
            paper.answers,
            questionnaire,
            lang,
            exported_at=paper.read_at,
            key=key,
            version=version,
        )
    )
    caption = _(
        "Fill in the level and comment columns (with colleagues if you like), then send the "
        "file back to me here. Nothing changes before you confirm."
    )
    await bot.send_document(
        chat_id,
        BufferedInputFile(data, filename=workbook_file_name(paper.office, paper.read_at, lang)),
        caption=caption,
    )


async def send_pdf(bot: Bot, chat_id: int, user_id: int, answering: Answering, lang: str) -> None:
    """The PDF of the Office's answers, in ``lang``, as a document in the chat."""
    paper = await answering.office_answers(user_id)
    questionnaire = answering.questionnaire

    def make() -> bytes:
        # fpdf and fontTools on first use, in the worker thread: imported with this module they
        # would cost the bot's start-up most of a second and some 40 MB.
        from reports.pdf import answers_pdf

        return answers_pdf(
            paper.office,
            paper.answers,
            questionnaire,
            lang,
            receipt=paper.receipt,
            generated_at=paper.read_at,
        )

    data = await off_the_loop(make)
    from reports.pdf import pdf_file_name

    name = pdf_file_name(paper.office, paper.read_at, lang)
    await bot.send_document(chat_id, BufferedInputFile(data, filename=name))


async def ask_workbook(
    jobs: JobPoster,
    chat_id: int,
    user_id: int,
    answering: Answering,
    lang: str,
    *,
    window: ShowMode | None = None,
) -> None:
    """The workbook as a job, once what would refuse it is ruled out (said now, in the
    update). `window`: how the window is shown again below the file."""
    paper = await answering.office_answers(user_id)
    _refuse_if_submitted(paper)
    await jobs.post(
        JobKind.WORKBOOK,
        user_id=user_id,
        chat_id=chat_id,
        language=lang,
        parameters={WINDOW: None if window is None else window.value},
    )


async def workbook_job(context: JobContext) -> None:
    job = context.job
    await send_workbook(context.bot, job.chat_id, job.user_id, context.answering, job.language)
    await context.show_window_again()


async def pdf_job(context: JobContext) -> None:
    job = context.job
    await send_pdf(context.bot, job.chat_id, job.user_id, context.answering, job.language)
    await context.show_window_again()


async def on_workbook(callback: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    data = manager.middleware_data
    i18n: I18n = data["i18n"]
    user = callback.from_user
    await ask_workbook(
        jobs_of(manager),
        user.id,
        user.id,
        data["answering"],
        i18n.current_locale,
        window=ShowMode.SEND,  # the window again, under the file
    )
    await answer_press(callback, file_coming(), alert=False)
    manager.show_mode = ShowMode.NO_UPDATE


async def on_pdf(callback: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    data = manager.middleware_data
    i18n: I18n = data["i18n"]
    user = callback.from_user
    await jobs_of(manager).post(
        JobKind.PDF,
        user_id=user.id,
        chat_id=user.id,
        language=i18n.current_locale,
        parameters={WINDOW: ShowMode.SEND.value},
    )
    await answer_press(callback, file_coming(), alert=False)
    manager.show_mode = ShowMode.NO_UPDATE


def workbook_button() -> Button:
    return Button(T("📊 Workbook (Excel)"), id=WORKBOOK, on_click=on_workbook, when="editable")


def pdf_button(widget_id: str = PDF) -> Button:
    return Button(T("📄 PDF"), id=widget_id, on_click=on_pdf)


# The workbook sent back ----------------------------------------------------------------------


async def _check_may_upload(answering: Answering, user_id: int) -> None:
    review = await answering.review(user_id)  # refuses a person not verified
    if review.response.submitted:
        raise Refused(
            Reason.ALREADY_SUBMITTED,
            submitted_by=review.response.submitted_by_name,
            submitted_at=review.response.submitted_at,
        )
    if review.read_only:
        raise Refused(Reason.DEADLINE_PASSED, deadline=review.deadline)


async def upload_document(
    message: Message,
    dialog_manager: DialogManager,
    answering: Answering,
    event_from_user: User,
    i18n: I18n,
) -> None:
    """A document in the private chat: a workbook sent back. Checked by a job, which then
    shows its changes for confirmation; nothing is applied before."""
    from reports.workbook_upload import MAX_BYTES

    document = message.document
    assert document is not None
    await _check_may_upload(answering, event_from_user.id)
    if document.file_size is not None and document.file_size > MAX_BYTES:
        await message.answer(
            render(
                _(
                    "This file is too large ({size} MB). A workbook of answers is at most "
                    "{limit} MB; please send the workbook you downloaded with /workbook."
                ),
                size=format_number(document.file_size / 1024 / 1024, language(), places=1),
                limit=format_number(MAX_BYTES // 1024 // 1024, language()),
            )
        )
        return
    await jobs_of(dialog_manager).post(
        JobKind.UPLOAD,
        user_id=event_from_user.id,
        chat_id=message.chat.id,
        language=i18n.current_locale,
        parameters={FILE_ID: document.file_id, FILE_SIZE: document.file_size},
    )
    await message.answer(upload_coming())


async def upload_job(context: JobContext) -> None:
    """The workbook downloaded and checked; its problems said, or its changes shown for
    confirmation (`on_apply` checks them again against the answers of that moment)."""
    from reports.workbook_upload import UploadProblems, diff_text, upload_diff

    job, bot, answering = context.job, context.bot, context.answering
    await _check_may_upload(answering, job.user_id)  # as it stands now
    downloaded = await bot.download(str(job.parameters[FILE_ID]))
    assert downloaded is not None
    data = downloaded.read()
    lang = job.language
    questionnaire = answering.questionnaire
    paper = await answering.office_answers(job.user_id)
    key = await answering.workbook_key()
    # In a worker process, bounded in time and memory: never openpyxl in the bot's own process.
    result = await context.upload_checker.check_office_workbook(
        data, questionnaire, lang, office=paper.office, key=key
    )
    if isinstance(result, UploadProblems):
        await bot.send_message(job.chat_id, render("{text}", text=result.text()))
        return
    earlier = _earlier_wording(answering, result, questionnaire)
    if earlier:
        await bot.send_message(job.chat_id, earlier)
    diff = upload_diff(result, paper.answers)
    if diff.empty:
        await bot.send_message(
            job.chat_id, _("This workbook changes nothing: the answers are already as it says.")
        )
        return
    async with context.dialogs.bg(bot, job.user_id, job.chat_id).fg() as manager:
        await manager.start(
            Survey.upload,
            data={
                CHANGES: [dataclasses.asdict(change) for change in diff.changes],
                DIFF: diff_text(diff, questionnaire, lang, budget=_diff_budget()),
            },
            mode=StartMode.RESET_STACK,
            show_mode=ShowMode.SEND,
        )


def _earlier_wording(answering: Answering, upload: Upload, questionnaire: Questionnaire) -> str:
    """What to tell of a workbook downloaded under an earlier wording: its rows are read by
    number all the same, and the person is told which texts changed since ("" if none)."""
    from reports.workbook import questionnaire_version

    if upload.questionnaire_number is None:  # from before versions were numbered
        if upload.questionnaire_version == questionnaire_version(questionnaire):
            return ""
        return _(
            "This workbook was downloaded under an earlier wording of the questionnaire. Its "
            "answers are read by Recommendation number; please check them against the texts "
            "in the chat."
        )
    if upload.questionnaire_number >= answering.version:
        return ""
    changed = answering.texts_changed_since(upload.questionnaire_number)
    if not changed:
        return ""
    return render(
        "{text}",
        text=_(
            "This workbook was downloaded under an earlier wording of the questionnaire "
            "(version {old}; now version {new}). The text of these Recommendations changed "
            "since: {numbers}. Its answers are read by Recommendation number; please check "
            "your answers to them."
        ).format(
            old=upload.questionnaire_number,
            new=answering.version,
            numbers=", ".join(f"R{number:02d}" for number in changed),
        ),
    )


def job_makers() -> dict[JobKind, Maker]:
    return {JobKind.WORKBOOK: workbook_job, JobKind.PDF: pdf_job, JobKind.UPLOAD: upload_job}


def _diff_budget() -> int:
    """What the diff may take of the confirmation window as Telegram counts it (in UTF-16 code
    units, once the HTML is read): the message's limit less the window's own lines."""
    from reports.workbook_upload import text_units

    frame = plain(
        _("<b>The workbook you sent</b>\n") + _("Apply these changes to your Office's answers?")
    )
    return MESSAGE_LIMIT - text_units(frame) - 4  # the line ends joining the window's texts


async def upload_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    start = dialog_manager.start_data
    diff = start.get(DIFF, "") if isinstance(start, dict) else ""
    return {"diff": diff}


def _changes(manager: DialogManager) -> list[Change]:
    from reports.workbook_upload import Change

    start = manager.start_data
    shown = start.get(CHANGES, []) if isinstance(start, dict) else []
    return [Change(**change) for change in shown]


async def on_apply(callback: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    answering: Answering = manager.middleware_data["answering"]
    changes = _changes(manager)
    try:
        await answering.apply_upload(callback.from_user.id, changes)
    except Refused as refusal:
        if refusal.reason is not Reason.ANSWERS_CHANGED:
            raise
        await answer_press(callback, refusal_text(refusal))
        await manager.switch_to(Survey.review)
        return
    await answer_press(
        callback,
        render(
            ngettext(
                "✅ The workbook's changes are saved ({count} Recommendation).",
                "✅ The workbook's changes are saved ({count} Recommendations).",
                len(changes),
            ),
            count=format_number(len(changes), language()),
        ),
    )
    await manager.switch_to(Survey.review)


async def on_cancel(callback: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    await answer_press(callback, _("Nothing was changed."))
    await manager.switch_to(Survey.review)


def windows() -> list[Window]:
    return [
        screen(
            T("<b>The workbook you sent</b>\n"),
            Html("{diff}\n"),
            T("Apply these changes to your Office's answers?"),
            Button(T("✅ Apply these changes"), id=APPLY, on_click=on_apply),
            Button(T("◀ Cancel"), id=CANCEL, on_click=on_cancel),
            getter=upload_getter,
            state=Survey.upload,
        )
    ]
