"""The representatives' commands, and what no window took (typed text, other content, buttons
no dialog claims). Routers are built afresh for each dispatcher: a router belongs to one."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import CallbackQuery, InaccessibleMessage, Message, User
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import DialogManager, ShowMode, StartMode

from bot import filters
from dialogs.jobs import file_coming, jobs_of
from dialogs.messages import button_hint, not_a_code, refusal_text, stale_button
from dialogs.navigation import open_journey
from dialogs.onboarding import redeem_and_welcome
from dialogs.paperwork import ask_workbook, upload_document
from dialogs.personal_data import forget_me, my_data
from dialogs.presses import answer_press
from dialogs.states import Help, Language, Notice, Onboarding, Survey
from survey.answering import Answering
from survey.codes import looks_like_code, normalize_code
from survey.enrolment import Enrolment
from survey.errors import Reason, Refused

REPRESENTATIVE_COMMANDS = (
    "start",
    "continue",
    "review",
    "workbook",
    "language",
    "privacy",
    "mydata",
    "forgetme",
    "help",
)


def command_descriptions() -> dict[str, str]:
    """The command menu, in the current language."""
    return {
        "continue": _("Resume where you left off"),
        "review": _("See all answers and submit"),
        "workbook": _("The answers as an Excel workbook to fill in offline"),
        "language": _("Change the language"),
        "privacy": _("What is stored about you, and why"),
        "mydata": _("See the data held about you"),
        "forgetme": _("Erase your data"),
        "help": _("How the survey works"),
        "start": _("Start, or enter an invitation code"),
    }


def command_list() -> str:
    lines = [f"/{name}: {text}" for name, text in command_descriptions().items()]
    return _("I do not know this command. You can use:") + "\n" + "\n".join(lines)


async def start(
    message: Message,
    command: CommandObject,
    dialog_manager: DialogManager,
    enrolment: Enrolment,
    event_from_user: User,
) -> None:
    code = normalize_code(command.args or "")
    if not code:
        await open_journey(dialog_manager)
        return
    verified = await _is_verified(enrolment, event_from_user.id)
    if not looks_like_code(code):
        # Not a code at all (a mangled link, a word): no try is spent on it.
        if not verified:
            await message.answer(not_a_code())
        await open_journey(dialog_manager)
        return
    # Refused: a verified person stays in their own survey; the others get the code prompt.
    await redeem_and_welcome(dialog_manager, code)


async def _is_verified(enrolment: Enrolment, user_id: int) -> bool:
    try:
        return await enrolment.whereabouts(user_id) is not None
    except Refused:  # removed by the Secretariat: not verified any more
        return False


async def resume(message: Message, dialog_manager: DialogManager) -> None:
    await open_journey(dialog_manager)


async def review(
    message: Message, dialog_manager: DialogManager, enrolment: Enrolment, event_from_user: User
) -> None:
    if await enrolment.whereabouts(event_from_user.id) is None:
        await message.answer(refusal_text(Refused(Reason.NOT_VERIFIED)))
        await dialog_manager.start(Onboarding.code, mode=StartMode.RESET_STACK)
        return
    await dialog_manager.start(Survey.review, mode=StartMode.RESET_STACK)


async def workbook(
    message: Message,
    dialog_manager: DialogManager,
    answering: Answering,
    enrolment: Enrolment,
    event_from_user: User,
    i18n: I18n,
) -> None:
    if await enrolment.whereabouts(event_from_user.id) is None:
        await message.answer(refusal_text(Refused(Reason.NOT_VERIFIED)))
        return
    await ask_workbook(
        jobs_of(dialog_manager),
        message.chat.id,
        event_from_user.id,
        answering,
        i18n.current_locale,
    )
    await message.answer(file_coming())


async def language(message: Message, dialog_manager: DialogManager) -> None:
    await dialog_manager.start(Language.pick)


async def show_privacy(message: Message, dialog_manager: DialogManager) -> None:
    await dialog_manager.start(Notice.show)


async def show_help(message: Message, dialog_manager: DialogManager) -> None:
    await dialog_manager.start(Help.show)


async def unknown_command(message: Message) -> None:
    await message.answer(command_list())


# After the dialogs: messages no window took --------------------------------------------------


async def loose_text(
    message: Message, dialog_manager: DialogManager, enrolment: Enrolment, event_from_user: User
) -> None:
    text = normalize_code(message.text or "")
    if looks_like_code(text) and await enrolment.whereabouts(event_from_user.id) is None:
        # Someone pasted their code without /start first: take it.
        await redeem_and_welcome(dialog_manager, text)
        return
    await message.answer(_("Send /continue to go on with the survey, or /help."))


async def other_content(message: Message) -> None:
    await message.answer(button_hint())


async def orphan_button(callback: CallbackQuery, dialog_manager: DialogManager) -> None:
    # A button no dialog claims (e.g. from a message older than any stack): never stay silent.
    await answer_press(callback, stale_button())
    if callback.message is not None and not isinstance(callback.message, InaccessibleMessage):
        await open_journey(dialog_manager, show_mode=ShowMode.SEND)


def commands_router() -> Router:
    """Commands; included before the dialogs so that no window takes them as typed text."""
    router = Router(name="commands")
    router.message.filter(filters.in_private_chat)
    router.message.register(start, CommandStart())
    router.message.register(resume, Command("continue"))
    router.message.register(review, Command("review"))
    router.message.register(workbook, Command("workbook"))
    router.message.register(language, Command("language"))
    router.message.register(show_privacy, Command("privacy"))
    router.message.register(show_help, Command("help"))
    router.message.register(my_data, Command("mydata"))
    router.message.register(forget_me, Command("forgetme"))
    router.message.register(unknown_command, filters.looks_like_a_command)
    # Before the dialogs: a document is a workbook sent back, whatever window is open.
    router.message.register(upload_document, filters.has_document)
    return router


def fallback_router() -> Router:
    """After the dialogs: what no window took."""
    router = Router(name="fallback")
    router.message.filter(filters.in_private_chat)
    router.message.register(loose_text, filters.has_text)
    router.message.register(other_content)
    router.callback_query.register(orphan_button)
    return router
