"""Commands, guards and fallbacks: everything that is not a dialog window."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject, CommandStart, ExceptionTypeFilter
from aiogram.types import CallbackQuery, ErrorEvent, Message
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import DialogManager, ShowMode, StartMode
from aiogram_dialog.api.exceptions import OutdatedIntent, UnknownIntent, UnknownState

from dialogs.context import ctx
from dialogs.messages import button_hint, group_refusal, refusal_text
from dialogs.navigation import open_journey
from dialogs.onboarding import redeem_and_welcome
from dialogs.states import Help, Language, Onboarding, Survey
from survey.codes import looks_like_code, normalize_code
from survey.errors import Reason, Refused

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

guards = Router(name="guards")
guards.message.filter(F.chat.type != ChatType.PRIVATE)
guards.callback_query.filter(F.message.chat.type != ChatType.PRIVATE)


@guards.message()
async def refuse_group_message(message: Message) -> None:
    # Stay quiet on chatter in a group; answer only what is addressed to the bot.
    if message.text and message.text.startswith("/"):
        await message.reply(group_refusal())


@guards.callback_query()
async def refuse_group_button(callback: CallbackQuery) -> None:
    await callback.answer(group_refusal(), show_alert=True)


@guards.channel_post()
async def refuse_channel(post: Message) -> None:
    if post.text and post.text.startswith("/"):
        await post.answer(group_refusal())


# Commands ----------------------------------------------------------------------------------

commands = Router(name="commands")
commands.message.filter(F.chat.type == ChatType.PRIVATE)


@commands.message(CommandStart())
async def start(message: Message, command: CommandObject, dialog_manager: DialogManager) -> None:
    code = normalize_code(command.args or "")
    if code:
        if not await redeem_and_welcome(message, dialog_manager, code):
            await dialog_manager.start(Onboarding.code, mode=StartMode.RESET_STACK)
        return
    await open_journey(dialog_manager)


@commands.message(Command("continue"))
async def resume(message: Message, dialog_manager: DialogManager) -> None:
    await open_journey(dialog_manager)


@commands.message(Command("review"))
async def review(message: Message, dialog_manager: DialogManager) -> None:
    c = ctx(dialog_manager)
    if await c.service.membership(c.user_id) is None:
        await message.answer(refusal_text(Refused(Reason.NOT_VERIFIED), c))
        await dialog_manager.start(Onboarding.code, mode=StartMode.RESET_STACK)
        return
    await dialog_manager.start(Survey.review, mode=StartMode.RESET_STACK)


@commands.message(Command("language"))
async def language(message: Message, dialog_manager: DialogManager) -> None:
    await dialog_manager.start(Language.pick)


@commands.message(Command("help"))
async def show_help(message: Message, dialog_manager: DialogManager) -> None:
    await dialog_manager.start(Help.show)


@commands.message(Command(*SECRETARIAT_COMMANDS))
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


@commands.message(F.text.startswith("/"))
async def unknown_command(message: Message) -> None:
    await message.answer(command_list())


# After the dialogs: messages no window took --------------------------------------------------

fallback = Router(name="fallback")
fallback.message.filter(F.chat.type == ChatType.PRIVATE)


@fallback.message(F.text)
async def loose_text(message: Message, dialog_manager: DialogManager) -> None:
    c = ctx(dialog_manager)
    text = normalize_code(message.text or "")
    if looks_like_code(text) and await c.service.membership(c.user_id) is None:
        # Someone pasted their code without /start first: take it.
        if not await redeem_and_welcome(message, dialog_manager, text):
            await dialog_manager.start(Onboarding.code, mode=StartMode.RESET_STACK)
        return
    await message.answer(_("Send /continue to go on with the survey, or /help."))


@fallback.message()
async def other_content(message: Message) -> None:
    await message.answer(button_hint())


@fallback.callback_query()
async def orphan_button(callback: CallbackQuery, dialog_manager: DialogManager) -> None:
    # A button no dialog claims (e.g. from a message older than any stack): never stay silent.
    await callback.answer(_("This button is no longer active. Here is where you are now."))
    await open_journey(dialog_manager, show_mode=ShowMode.SEND)


# Errors ------------------------------------------------------------------------------------

errors = Router(name="errors")


@errors.error(ExceptionTypeFilter(UnknownIntent, OutdatedIntent, UnknownState))
async def stale_dialog(event: ErrorEvent, dialog_manager: DialogManager) -> None:
    """A button from an older message or from before a restart: say so, reopen from the DB."""
    log.info("Stale dialog button: %s", event.exception)
    update = event.update
    if update.callback_query is not None:
        await update.callback_query.answer(
            _("This button belongs to an older message. Here is where you are now.")
        )
        message = update.callback_query.message
        if isinstance(message, Message):
            with contextlib.suppress(TelegramBadRequest):
                await message.edit_reply_markup(reply_markup=None)
    await open_journey(dialog_manager, show_mode=ShowMode.SEND)


@errors.error(ExceptionTypeFilter(Refused))
async def refused(event: ErrorEvent, dialog_manager: DialogManager) -> Any:
    """A refusal no handler caught: still a clear answer, never silence."""
    exception = event.exception
    assert isinstance(exception, Refused)
    text = refusal_text(exception, ctx(dialog_manager))
    update = event.update
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    elif update.message is not None:
        await update.message.answer(text)
    await open_journey(dialog_manager, show_mode=ShowMode.SEND)
