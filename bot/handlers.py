"""Commands, guards and fallbacks: everything that is not a dialog window."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.filters import Command, CommandObject, CommandStart, ExceptionTypeFilter
from aiogram.types import CallbackQuery, ErrorEvent, InaccessibleMessage, Message
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import DialogManager, ShowMode, StartMode
from aiogram_dialog.api.exceptions import OutdatedIntent, UnknownIntent, UnknownState
from aiogram_dialog.utils import remove_intent_id
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from dialogs.answering import answer_older_level_press, level_press
from dialogs.context import ctx
from dialogs.messages import (
    button_hint,
    group_refusal,
    not_a_code,
    refusal_text,
    stale_button,
    unavailable,
    unexpected_error,
)
from dialogs.navigation import open_journey
from dialogs.onboarding import redeem_and_welcome
from dialogs.presses import answer_press
from dialogs.states import Help, Language, Onboarding, Survey
from survey.codes import looks_like_code, normalize_code
from survey.errors import Reason, Refused
from survey.service import SurveyService

log = logging.getLogger(__name__)

REPRESENTATIVE_COMMANDS = ("start", "continue", "review", "language", "help")
SECRETARIAT_COMMANDS = ("results", "export", "offices", "invite", "remind", "reopen")


def command_descriptions() -> dict[str, str]:
    """The command menu, in the current language."""
    return {
        "continue": _("Resume where you left off"),
        "review": _("See all answers and submit"),
        "language": _("Change the language"),
        "help": _("How the survey works"),
        "start": _("Start, or enter an invitation code"),
    }


def command_list() -> str:
    lines = [f"/{name}: {text}" for name, text in command_descriptions().items()]
    return _("I do not know this command. You can use:") + "\n" + "\n".join(lines)


# Outside private chats -----------------------------------------------------------------------


async def refuse_group_message(message: Message) -> None:
    # Stay quiet on chatter in a group; answer only what is addressed to the bot.
    if message.text and message.text.startswith("/"):
        await message.reply(group_refusal())


async def refuse_group_button(callback: CallbackQuery) -> None:
    await answer_press(callback, group_refusal())


async def refuse_channel(post: Message) -> None:
    if post.text and post.text.startswith("/"):
        await post.answer(group_refusal())


# Commands ----------------------------------------------------------------------------------


async def start(message: Message, command: CommandObject, dialog_manager: DialogManager) -> None:
    code = normalize_code(command.args or "")
    if not code:
        await open_journey(dialog_manager)
        return
    c = ctx(dialog_manager)
    verified = await _is_verified(c.service, c.user_id)
    if not looks_like_code(code):
        # Not a code at all (a mangled link, a word): no try is spent on it.
        if not verified:
            await message.answer(not_a_code())
        await open_journey(dialog_manager)
        return
    if not await redeem_and_welcome(message, dialog_manager, code):
        # A verified person stays in their own survey; the others get the code prompt.
        await open_journey(dialog_manager)


async def _is_verified(service: SurveyService, user_id: int) -> bool:
    try:
        return await service.membership(user_id) is not None
    except Refused:  # removed by the Secretariat: not verified any more
        return False


async def resume(message: Message, dialog_manager: DialogManager) -> None:
    await open_journey(dialog_manager)


async def review(message: Message, dialog_manager: DialogManager) -> None:
    c = ctx(dialog_manager)
    if await c.service.membership(c.user_id) is None:
        await message.answer(refusal_text(Refused(Reason.NOT_VERIFIED), c))
        await dialog_manager.start(Onboarding.code, mode=StartMode.RESET_STACK)
        return
    await dialog_manager.start(Survey.review, mode=StartMode.RESET_STACK)


async def language(message: Message, dialog_manager: DialogManager) -> None:
    await dialog_manager.start(Language.pick)


async def show_help(message: Message, dialog_manager: DialogManager) -> None:
    await dialog_manager.start(Help.show)


async def secretariat_only(message: Message, dialog_manager: DialogManager) -> None:
    c = ctx(dialog_manager)
    if not c.service.is_secretariat(c.user_id):
        await message.answer(refusal_text(Refused(Reason.NOT_SECRETARIAT), c))
        return
    await message.answer(
        _(
            "The Secretariat's commands are available from the command line for now: {command}"
        ).format(command="<code>python -m bot --help</code>")
    )


async def unknown_command(message: Message) -> None:
    await message.answer(command_list())


# After the dialogs: messages no window took --------------------------------------------------


async def loose_text(message: Message, dialog_manager: DialogManager) -> None:
    c = ctx(dialog_manager)
    text = normalize_code(message.text or "")
    if looks_like_code(text) and await c.service.membership(c.user_id) is None:
        # Someone pasted their code without /start first: take it.
        if not await redeem_and_welcome(message, dialog_manager, text):
            await dialog_manager.start(Onboarding.code, mode=StartMode.RESET_STACK)
        return
    await message.answer(_("Send /continue to go on with the survey, or /help."))


async def other_content(message: Message) -> None:
    await message.answer(button_hint())


async def orphan_button(callback: CallbackQuery, dialog_manager: DialogManager) -> None:
    # A button no dialog claims (e.g. from a message older than any stack): never stay silent.
    await answer_press(callback, stale_button())
    if callback.message is not None and not isinstance(callback.message, InaccessibleMessage):
        await open_journey(dialog_manager, show_mode=ShowMode.SEND)


# Errors ------------------------------------------------------------------------------------


async def stale_dialog(event: ErrorEvent, dialog_manager: DialogManager) -> None:
    """A button from an older message or from before a restart: say so, reopen from the DB."""
    log.info("Stale dialog button: %s", event.exception)
    press = event.update.callback_query
    if press is None:
        await open_journey(dialog_manager, show_mode=ShowMode.SEND)
        return
    message = press.message
    named = level_press(remove_intent_id(press.data or "")[1])
    if not isinstance(message, Message):  # an inline or inaccessible message: nowhere to show
        await answer_press(press, stale_button())
        return
    with contextlib.suppress(TelegramBadRequest):
        await message.edit_reply_markup(reply_markup=None)
    if named is not None:  # the button says which level for which Recommendation: keep it
        await answer_older_level_press(press, dialog_manager, named, show_mode=ShowMode.SEND)
        return
    await answer_press(press, stale_button())
    await open_journey(dialog_manager, show_mode=ShowMode.SEND)


async def refused(event: ErrorEvent, dialog_manager: DialogManager) -> Any:
    """A refusal no handler caught: still a clear answer, never silence."""
    exception = event.exception
    assert isinstance(exception, Refused)
    text = refusal_text(exception, ctx(dialog_manager))
    update = event.update
    if update.callback_query is not None:
        await answer_press(update.callback_query, text)
    elif update.message is not None and exception.reason is not Reason.REPRESENTATIVE_REMOVED:
        await update.message.answer(text)  # (the code prompt below says that one itself)
    await open_journey(dialog_manager, show_mode=ShowMode.SEND)


async def database_down(event: ErrorEvent) -> None:
    """The database is unreachable: say so plainly. Nothing was acknowledged that is not
    stored, and the next update tries again (the pool reconnects), so no restart is needed."""
    log.error("Database unavailable on update %s: %s", event.update.update_id, event.exception)
    await _tell(event, unavailable())


async def unexpected(event: ErrorEvent) -> None:
    """Anything else: log it for us, and tell the person their saved answers are safe."""
    log.exception("Unexpected error on update %s", event.update.update_id, exc_info=event.exception)
    await _tell(event, unexpected_error())


async def _tell(event: ErrorEvent, text: str) -> None:
    update = event.update
    try:
        if update.callback_query is not None:
            await answer_press(update.callback_query, text)
        elif update.message is not None:
            await update.message.answer(text)
    except TelegramAPIError as exc:  # Telegram is failing too: the log is all we have left
        log.warning("Could not tell the person about update %s: %s", update.update_id, exc)


def is_database_outage(exception: BaseException) -> bool:
    """The database cannot be reached (server down, network cut, file unreadable)."""
    if isinstance(exception, DBAPIError) and exception.connection_invalidated:
        return True
    return isinstance(exception, OperationalError | InterfaceError | PoolTimeout | OSError)


# Routers: built afresh for each dispatcher (a router can belong to one only) ------------


def guards_router() -> Router:
    """Outside private chats: a one-line refusal."""
    router = Router(name="guards")
    router.message.filter(F.chat.type != ChatType.PRIVATE)
    router.callback_query.filter(F.message.chat.type != ChatType.PRIVATE)
    router.message.register(refuse_group_message)
    router.callback_query.register(refuse_group_button)
    router.channel_post.register(refuse_channel)
    return router


def commands_router() -> Router:
    """Commands; included before the dialogs so that no window takes them as typed text."""
    router = Router(name="commands")
    router.message.filter(F.chat.type == ChatType.PRIVATE)
    router.message.register(start, CommandStart())
    router.message.register(resume, Command("continue"))
    router.message.register(review, Command("review"))
    router.message.register(language, Command("language"))
    router.message.register(show_help, Command("help"))
    router.message.register(secretariat_only, Command(*SECRETARIAT_COMMANDS))
    router.message.register(unknown_command, F.text.startswith("/"))
    return router


def fallback_router() -> Router:
    """After the dialogs: what no window took."""
    router = Router(name="fallback")
    router.message.filter(F.chat.type == ChatType.PRIVATE)
    router.message.register(loose_text, F.text)
    router.message.register(other_content)
    router.callback_query.register(orphan_button)
    return router


def errors_router() -> Router:
    """Errors: stale dialog buttons, refusals nobody caught, anything unexpected."""
    router = Router(name="errors")
    router.error.register(
        stale_dialog, ExceptionTypeFilter(UnknownIntent, OutdatedIntent, UnknownState)
    )
    router.error.register(refused, ExceptionTypeFilter(Refused))
    router.error.register(database_down, F.exception.func(is_database_outage))
    router.error.register(unexpected)
    return router
