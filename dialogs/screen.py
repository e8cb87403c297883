"""`screen(...)`: a Window that also answers what its own widgets do not expect."""

from __future__ import annotations

from typing import Any

from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram_dialog import DialogManager, Window
from aiogram_dialog.api.entities import MarkupVariant
from aiogram_dialog.api.internal import RawKeyboard
from aiogram_dialog.api.protocols import DialogProtocol
from aiogram_dialog.utils import intent_callback_data
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Keyboard
from aiogram_dialog.widgets.markup.inline_keyboard import InlineKeyboardFactory

from dialogs.answering import answer_older_level_press, level_press
from dialogs.messages import button_hint, refusal_text, stale_button
from dialogs.presses import answer_press
from survey.answering import Answering
from survey.errors import Reason, Refused


class StaleButtons(Keyboard):
    """Last widget of every window: takes a press that no widget of the current window knows,
    which is a button from an older message. Answers it instead of ignoring it."""

    async def _render_keyboard(self, data: dict[str, Any], manager: DialogManager) -> RawKeyboard:
        return []

    async def _process_other_callback(
        self, callback: CallbackQuery, dialog: DialogProtocol, manager: DialogManager
    ) -> bool:
        named = level_press(callback.data or "")
        if named is not None:
            await answer_older_level_press(callback, manager, named)
            return True
        answering: Answering = manager.middleware_data["answering"]
        text = stale_button()
        try:
            review = await answering.review(callback.from_user.id)
        except Refused:  # not (or no longer) a representative: nothing submitted to mention
            review = None
        if review is not None and review.response.submitted:
            refusal = Refused(
                Reason.ALREADY_SUBMITTED,
                submitted_by=review.response.submitted_by_name,
                submitted_at=review.response.submitted_at,
            )
            text = refusal_text(refusal)
        await answer_press(callback, text)
        return True  # the current window is shown again


async def on_unexpected_message(message: Message, _widget: MessageInput, _m: DialogManager) -> None:
    await message.answer(button_hint())


class InlineKeyboard(InlineKeyboardFactory):
    """aiogram-dialog's inline keyboard, without assigning again the callback data of a button
    that already carries the dialog's id (`dialogs/question_buttons.py` builds them so):
    pydantic validates every assignment."""

    async def render_markup(
        self, data: dict[str, Any], manager: DialogManager, keyboard: RawKeyboard
    ) -> MarkupVariant:
        intent_id = manager.current_context().id
        for row in keyboard:
            for button in row:
                if isinstance(button, InlineKeyboardButton):
                    callback_data = intent_callback_data(intent_id, button.callback_data)
                    if callback_data != button.callback_data:
                        button.callback_data = callback_data
        return InlineKeyboardMarkup(inline_keyboard=keyboard)  # type: ignore[arg-type]


INLINE_KEYBOARD = InlineKeyboard()


def screen(*widgets: Any, **options: Any) -> Window:
    options.setdefault("markup_factory", INLINE_KEYBOARD)
    return Window(*widgets, StaleButtons(), MessageInput(on_unexpected_message), **options)
