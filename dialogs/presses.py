"""A button press is answered exactly once.

Telegram takes one answer per press; a second one fails ("query is too old") and fills the
log. aiogram-dialog answers every press it routes once the window is done, so a handler that
answers first (with an alert) would make it two. Both go through here: whichever answers
first wins, and the other is skipped.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

from aiogram import Bot
from aiogram.types import CallbackQuery
from aiogram_dialog.manager.message_manager import MessageManager

from dialogs.markup import plain

# The press answered last in this task. An update is handled within one task from the
# handler up to aiogram-dialog's own answer, so this is shared by both; ids are unique, so a
# value left over from an earlier update never matches.
_answered: ContextVar[str | None] = ContextVar("answered_press", default=None)


async def _once(callback_id: str, answer: Callable[[], Awaitable[Any]]) -> None:
    if _answered.get() == callback_id:
        return
    claim = _answered.set(callback_id)
    try:
        await answer()
    except BaseException:
        _answered.reset(claim)  # not answered after all: a later answer may still go out
        raise


async def answer_press(
    callback: CallbackQuery, text: str | None = None, *, alert: bool = True
) -> None:
    """Answer a press, with `text` (HTML, as everything the bot says) as an alert (or, not
    `alert`, a notice that goes away by itself)."""
    if text is None:
        await _once(callback.id, callback.answer)
    else:
        await _once(callback.id, lambda: callback.answer(plain(text), show_alert=alert))


class AnswerOnce:
    """Mixin for aiogram-dialog message managers: no second answer to a press."""

    async def answer_callback(self, bot: Bot, callback_query: CallbackQuery) -> None:
        answer = super().answer_callback  # type: ignore[misc]
        await _once(callback_query.id, lambda: answer(bot, callback_query))


class SurveyMessageManager(AnswerOnce, MessageManager):
    """aiogram-dialog's message manager, answering each press once."""
