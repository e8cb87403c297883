"""/questionnaire: the version in force, its template as a workbook, and a new version sent back
in the chat: checked in the bounded workers, previewed (what changes, and Recommendation 1 in
each language as a representative's window shows it), put in force after a confirmation.
Its words (the changes, the refusals, the representative's window) are in
dialogs/secretariat/questionnaire_preview.py.

The file is read twice, by two jobs: once for the preview, once again when it is put in
force, from the same Telegram file id, and only if its content is still the one previewed.
So nothing of the file lives in dialog state (a questionnaire is some hundred kilobytes), and
what goes in force is checked by the same rules at that moment, against the version then in
force (`QuestionnaireVersions.put_in_force` refuses another one put in force meanwhile)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from aiogram.types import (
    CallbackQuery,
    Message,
    User,
)
from aiogram.utils.i18n import I18n, ngettext
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import Dialog, DialogManager, ShowMode, StartMode
from aiogram_dialog.widgets.kbd import Button, Cancel, Row, SwitchTo

from dialogs.jobs import WINDOW, JobContext, Maker, file_coming, jobs_of
from dialogs.markup import Markup, render
from dialogs.messages import language, when
from dialogs.navigation import start_data
from dialogs.presses import answer_press
from dialogs.screen import screen
from dialogs.secretariat.common import send_file
from dialogs.secretariat.questionnaire_preview import (
    PREVIEW_PRESS,
    counts,
    language_name,
    preview_text,
    representative_window,
    who_put_it,
    wording_kind,
)
from dialogs.states import Questionnaires
from dialogs.widgets import Html, T
from reports.numbers import format_number
from survey.errors import Reason, Refused
from survey.jobs import JobKind
from survey.model import Actor
from survey.questionnaire import LANGUAGES, Questionnaire, questionnaire_from_data

if TYPE_CHECKING:
    from survey.questionnaire_versions import (
        QuestionnaireVersion,
        QuestionnaireVersions,
    )

# Widget ids: they travel in callback data, so they are short and never reused.
TEMPLATE = "tpl"
PUT = "put"
CONFIRM = "yes"
BACK = "bk"
CLOSE = "cl"

# Job parameters and start data of the preview.
FILE_ID = "file_id"
FILE_NAME = "file_name"
CHECKSUM = "checksum"
EXPECTED = "expected"  # the version in force the preview was made against
SUMMARY = "summary"  # the preview's text (HTML), as the job wrote it
NAME = "name"  # the member who confirmed, as the audit trail names them
NEXT = "next"  # the number the new version will have

# A questionnaire's file is some tens of kilobytes; the workers' caps stop anything heavier
# than its content suggests, this stops a download of what is plainly not one.
MAX_BYTES = 2 * 1024 * 1024
MESSAGE_LIMIT = 4096


def _in(context: JobContext) -> QuestionnaireVersions:
    versions = context.questionnaires
    assert versions is not None, "the job runner is given the questionnaire's versions"
    return versions


def _versions(manager: DialogManager) -> QuestionnaireVersions:
    versions: QuestionnaireVersions = manager.middleware_data["questionnaires"]
    return versions


# -- what is in force ---------------------------------------------------------------------------


async def in_force_getter(
    dialog_manager: DialogManager, event_from_user: User, **_: Any
) -> dict[str, Any]:
    version = await _versions(dialog_manager).in_force()
    questionnaire = version.questionnaire
    return {
        "id": questionnaire.id,
        "version": format_number(version.number, language()),
        "wording": wording_kind(questionnaire),
        "by": who_put_it(version, event_from_user.id),
        "at": when(version.at),
        "counts": counts(questionnaire),
    }


async def open_questionnaire(manager: DialogManager) -> None:
    await manager.start(Questionnaires.show, mode=StartMode.NORMAL)


async def on_template(callback: CallbackQuery, _b: Button, manager: DialogManager) -> None:
    i18n: I18n = manager.middleware_data["i18n"]
    user = callback.from_user
    await jobs_of(manager).post(
        JobKind.QUESTIONNAIRE_TEMPLATE,
        user_id=user.id,
        chat_id=user.id,
        language=i18n.current_locale,
        parameters={WINDOW: ShowMode.SEND.value},
    )
    await answer_press(callback, file_coming(), alert=False)
    manager.show_mode = ShowMode.NO_UPDATE


def template_file_name(version: QuestionnaireVersion) -> str:
    return f"questionnaire-{version.questionnaire.id}-v{version.number}.xlsx"


async def template_job(context: JobContext) -> None:
    from dialogs.secretariat.common import off_the_loop
    from reports.questionnaire_workbook import questionnaire_template

    job = context.job
    version = await _in(context).in_force()
    data = await off_the_loop(lambda: questionnaire_template(version.questionnaire))
    await send_file(context.bot, job.chat_id, template_file_name(version), data)
    await context.show_window_again()


# -- a new version sent in the chat ---------------------------------------------------------


async def takes_questionnaire(manager: DialogManager, user_id: int) -> bool:
    """Whether a Secretariat member's document is a questionnaire rather than their Office's
    workbook: always, unless they also answer for an Office; then only while the
    /questionnaire window is open (the window says so)."""
    if manager.has_context() and manager.current_context().state in Questionnaires:
        return True
    from survey.enrolment import Enrolment

    enrolment: Enrolment = manager.middleware_data["enrolment"]
    try:
        return await enrolment.whereabouts(user_id) is None
    except Refused:  # removed as a representative: not answering for an Office
        return True


async def upload_questionnaire(
    message: Message, dialog_manager: DialogManager, event_from_user: User, i18n: I18n
) -> None:
    """A questionnaire (workbook or YAML) sent by a Secretariat member: checked by a job, which
    then shows the preview; nothing changes before the confirmation."""
    document = message.document
    assert document is not None
    if document.file_size is not None and document.file_size > MAX_BYTES:
        await message.answer(
            render(
                _(
                    "This file is too large ({size} MB) for a questionnaire, which is at most "
                    "{limit} MB. Please send the template filled in, or a YAML file."
                ),
                size=format_number(document.file_size / 1024 / 1024, language(), places=1),
                limit=format_number(MAX_BYTES // 1024 // 1024, language()),
            )
        )
        return
    await jobs_of(dialog_manager).post(
        JobKind.QUESTIONNAIRE_UPLOAD,
        user_id=event_from_user.id,
        chat_id=message.chat.id,
        language=i18n.current_locale,
        parameters={FILE_ID: document.file_id, FILE_NAME: document.file_name or ""},
    )
    await message.answer(
        _("⏳ Checking the questionnaire you sent: the preview will follow in a moment.")
    )


async def _read(context: JobContext, file_id: str, name: str) -> Questionnaire | None:
    """The questionnaire in the file, checked in a bounded worker; None once its problems have
    been said, every one, in the person's language."""
    from bot.bounded_pool import JobAbortedError
    from bot.upload_checker import abort_reason
    from reports.questionnaire_problems import describe_problems
    from reports.questionnaire_workbook import check_questionnaire_file

    job, bot = context.job, context.bot
    downloaded = await bot.download(file_id)
    assert downloaded is not None
    try:
        result = await context.upload_checker.run(check_questionnaire_file, downloaded.read(), name)
    except JobAbortedError as aborted:
        reason = abort_reason(aborted.reason, job.language)
        await bot.send_message(
            job.chat_id,
            render(_("This file cannot be read as a questionnaire: {reason}."), reason=reason),
        )
        return None
    if isinstance(result, dict):
        return questionnaire_from_data(result, origin=name or "upload")
    lines = describe_problems(result, job.language)
    header = ngettext(
        "<b>The questionnaire you sent has {count} problem</b>; nothing was changed:",
        "<b>The questionnaire you sent has {count} problems</b>; nothing was changed:",
        len(lines),
    )
    head = render(header, count=format_number(len(lines), job.language))
    for text in _messages(head, [render("• {line}", line=line) for line in lines]):
        await bot.send_message(job.chat_id, text)
    await bot.send_message(
        job.chat_id, _("Correct them and send the file again; /questionnaire shows the template.")
    )
    return None


def _messages(head: str, lines: list[str]) -> Iterable[str]:
    """Every line, in as few messages as Telegram takes (each under its length limit)."""
    current = head
    for line in lines:
        if len(current) + 1 + len(line) > MESSAGE_LIMIT - 100:
            yield current
            current = line
        else:
            current += "\n" + line
    yield current


async def upload_job(context: JobContext) -> None:
    job, bot = context.job, context.bot
    file_id, name = str(job.parameters[FILE_ID]), str(job.parameters.get(FILE_NAME) or "")
    new = await _read(context, file_id, name)
    if new is None:
        return
    change = await _in(context).preview(new)
    if change.identical:
        raise Refused(Reason.QUESTIONNAIRE_IDENTICAL, in_force=change.in_force.number)
    if change.refused:
        raise Refused(
            Reason.QUESTIONNAIRE_STRUCTURE_LOCKED, changes=change.refused, answers=change.answers
        )
    async with context.dialogs.bg(bot, job.user_id, job.chat_id).fg() as manager:
        i18n: I18n = manager.middleware_data["i18n"]
        # Recommendation 1 in each language, as a representative who has not answered yet
        # sees it: the window's own texts and buttons, drawn with the new questionnaire.
        for lang in LANGUAGES:
            with i18n.use_locale(lang):
                text, keyboard = await representative_window(new, new.numbers[0], lang, manager)
            with i18n.use_locale(job.language):
                title = render(
                    _("<i>Preview, {language}: what a representative sees</i>"),
                    language=language_name(lang),
                )
            await bot.send_message(job.chat_id, f"{title}\n\n{text}", reply_markup=keyboard)
        with i18n.use_locale(job.language):
            summary = preview_text(change)
        await manager.start(
            Questionnaires.preview,
            data={
                FILE_ID: file_id,
                FILE_NAME: name,
                CHECKSUM: new.checksum,
                EXPECTED: change.in_force.number,
                NEXT: change.in_force.number + 1,
                SUMMARY: summary,
            },
            mode=StartMode.RESET_STACK,
            show_mode=ShowMode.SEND,
        )


async def apply_job(context: JobContext) -> None:
    """Put in force what was previewed: the same file, read and checked again; refused if its
    content is not the one previewed, or another version went in force since."""
    job, bot = context.job, context.bot
    file_id, name = str(job.parameters[FILE_ID]), str(job.parameters.get(FILE_NAME) or "")
    new = await _read(context, file_id, name)
    if new is None:
        return
    if new.checksum != job.parameters[CHECKSUM]:  # cannot happen with Telegram's file ids
        await bot.send_message(job.chat_id, _("This file is not the one previewed: send it again."))
        return
    who = Actor.telegram(job.user_id, str(job.parameters.get(NAME) or ""))
    version = await _in(context).put_in_force(
        new, actor=who, expected_number=int(job.parameters[EXPECTED])
    )
    await bot.send_message(
        job.chat_id,
        render(
            _(
                "✅ Version {version} of the questionnaire is in force, for everyone from now on "
                "({counts}; {wording})."
            ),
            version=format_number(version.number, job.language),
            counts=counts(version.questionnaire),
            wording=wording_kind(version.questionnaire),
        ),
    )


async def is_preview_press(callback: CallbackQuery) -> bool:
    return callback.data == PREVIEW_PRESS


async def on_preview_press(callback: CallbackQuery) -> None:
    await answer_press(callback, _("This is a preview: nothing is recorded."), alert=False)


async def preview_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    data = start_data(dialog_manager)
    return {
        # HTML this module wrote with `render` (every value escaped), kept in the dialog's
        # own state: shown as it is.
        "summary": Markup(str(data.get(SUMMARY, ""))),
        "next": format_number(int(data.get(NEXT, 0)), language()),
    }


async def on_put(callback: CallbackQuery, _b: Button, manager: DialogManager) -> None:
    data = start_data(manager)
    i18n: I18n = manager.middleware_data["i18n"]
    await jobs_of(manager).post(
        JobKind.QUESTIONNAIRE_APPLY,
        user_id=callback.from_user.id,
        chat_id=callback.from_user.id,
        language=i18n.current_locale,
        parameters={
            **{key: data[key] for key in (FILE_ID, FILE_NAME, CHECKSUM, EXPECTED)},
            NAME: callback.from_user.full_name,
        },
    )
    await answer_press(callback, _("⏳ Putting it in force…"), alert=False)
    await manager.done()


def job_makers() -> dict[JobKind, Maker]:
    return {
        JobKind.QUESTIONNAIRE_TEMPLATE: template_job,
        JobKind.QUESTIONNAIRE_UPLOAD: upload_job,
        JobKind.QUESTIONNAIRE_APPLY: apply_job,
    }


def build_dialog() -> Dialog:
    return Dialog(
        screen(
            T("<b>The questionnaire in force</b>"),
            T("Questionnaire <b>{id}</b>, version <b>{version}</b>: {counts}."),
            T("Wording: {wording}."),
            T("Put in force by {by} on {at}."),
            T(
                "\nTo change it: download the template, fill it in with Excel or LibreOffice "
                "(one row per Recommendation, a column per text and language), and send the "
                "file back to me here. A YAML file works too. Every problem is listed at once; "
                "you see a preview before anything changes.\n\n"
                "If you also answer for an Office, send the file while this window is open: "
                "otherwise a workbook you send is taken as your Office's answers."
            ),
            Button(T("📥 Template (Excel)"), id=TEMPLATE, on_click=on_template),
            Cancel(T("OK"), id=CLOSE),
            getter=in_force_getter,
            state=Questionnaires.show,
        ),
        screen(
            T("<b>The questionnaire you sent</b>"),
            Html("{summary}"),
            T("\nThe previews above show Recommendation 1 as representatives will see it."),
            SwitchTo(T("✅ Put in force"), id=PUT, state=Questionnaires.confirm),
            Cancel(T("◀ Cancel"), id=CLOSE),
            getter=preview_getter,
            state=Questionnaires.preview,
        ),
        screen(
            T(
                "Put this questionnaire in force as version {next}? Every representative sees "
                "its texts from their next step; the answers given so far stay."
            ),
            Row(
                Button(T("✅ Yes, put it in force"), id=CONFIRM, on_click=on_put),
                SwitchTo(T("◀ Back"), id=BACK, state=Questionnaires.preview),
            ),
            getter=preview_getter,
            state=Questionnaires.confirm,
        ),
    )
