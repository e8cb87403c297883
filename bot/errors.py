"""Errors: every failure still ends in a clear answer to the person, never in silence."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from aiogram import Router
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import ErrorEvent, Message
from aiogram_dialog import DialogManager, ShowMode
from aiogram_dialog.api.exceptions import OutdatedIntent, UnknownIntent, UnknownState
from aiogram_dialog.utils import remove_intent_id

from bot.dialog_guard import CheckedDialogStorage, DialogStateResetError
from bot.holds import HOLD_OUTAGES, is_outage
from dialogs.answering import answer_older_level_press, level_press
from dialogs.messages import place_restored, stale_button, unavailable, unexpected_error
from dialogs.navigation import open_journey, show_refusal
from dialogs.presses import answer_press
from survey.errors import Refused

log = logging.getLogger(__name__)


async def stale_dialog(event: ErrorEvent, dialog_manager: DialogManager, **data: Any) -> None:
    """A button from an older message or from before a restart: say so, reopen from the DB.
    A stack that could not be used (renamed states, its windows lost, a record nobody could
    load, bot/dialog_guard.py): say the person's place was restored, and reopen likewise."""
    log.info("Stale dialog: %s", event.exception)
    press = event.update.callback_query
    restored = _restored(event, dialog_manager, data)
    if press is None:
        if restored and event.update.message is not None:
            await event.update.message.answer(place_restored())
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
        try:
            await answer_older_level_press(press, dialog_manager, named, show_mode=ShowMode.SEND)
        except Refused as refusal:  # already in the error handler: show it here
            await show_refusal(press, dialog_manager, refusal)
        return
    await answer_press(press, place_restored() if restored else stale_button())
    await open_journey(dialog_manager, show_mode=ShowMode.SEND)


def _restored(event: ErrorEvent, manager: DialogManager, data: dict[str, Any]) -> bool:
    """Whether the person's own place was lost (rather than a button being merely old)."""
    storage = data.get("fsm_storage")
    chat_id = event.update.callback_query.from_user.id if event.update.callback_query else None
    if event.update.message is not None:
        chat_id = event.update.message.chat.id
    was_reset = (
        isinstance(storage, CheckedDialogStorage)
        and chat_id is not None
        and storage.take_reset(chat_id)
    )
    if was_reset or isinstance(event.exception, UnknownState | DialogStateResetError):
        return True
    press = event.update.callback_query
    if press is None:
        return True  # a message meets a stale dialog only when the stack itself is broken
    # The window on screen (the stack's latest message) lost its state, so that the stack
    # had to be emptied: not an older button, nor a forged one naming someone else's window.
    stack = manager.current_stack()
    message = press.message
    return message is not None and message.message_id == stack.last_message_id and not stack.intents


async def refused(event: ErrorEvent, dialog_manager: DialogManager) -> Any:
    """A refusal no handler caught: still a clear answer, never silence."""
    exception = event.exception
    assert isinstance(exception, Refused)
    update = event.update
    event_object = update.callback_query or update.message
    if event_object is None:
        log.warning("Refusal on update %s with nobody to tell: %s", update.update_id, exception)
        return
    await show_refusal(event_object, dialog_manager, exception)


async def service_down(event: ErrorEvent, **data: Any) -> None:
    """The database or Redis is unreachable. Under a transport that holds updates (polling,
    webhook: bot/holds.py) the outage goes on to it, which tries the update again when the
    service is back, or tells the person it was not taken. Otherwise say so plainly: nothing
    was acknowledged that is not stored, and the next update tries again."""
    if data.get(HOLD_OUTAGES):
        raise event.exception
    log.error("Service unavailable on update %s: %s", event.update.update_id, event.exception)
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


async def _outage(event: ErrorEvent) -> bool:
    # A coroutine: aiogram would run a plain function in a worker thread (bot/filters.py).
    return is_outage(event.exception)


def errors_router() -> Router:
    """Errors: stale dialog buttons, refusals nobody caught, anything unexpected."""
    router = Router(name="errors")
    router.error.register(
        stale_dialog,
        ExceptionTypeFilter(UnknownIntent, OutdatedIntent, UnknownState, DialogStateResetError),
    )
    router.error.register(refused, ExceptionTypeFilter(Refused))
    router.error.register(service_down, _outage)
    router.error.register(unexpected)
    return router
