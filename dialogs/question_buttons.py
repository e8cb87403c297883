"""The buttons of a Recommendation's window, built in one pass.

This window is drawn again after every answer. Laid out with aiogram-dialog's own widgets (a
Group of level buttons, Rows of Selects and SwitchTos) each button went through several
awaited layers (visibility, style, text, exception notes), and drawing the buttons cost the
bot more than storing the answer. `QuestionButtons` makes the same buttons with the same
callback data, and routes a press the way those widgets did: by the widget id in its callback
data, whether or not that button is on screen now (a press on an older message is handled as
the widget would have, and what no widget takes goes on to `StaleButtons`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, InlineKeyboardButton
from aiogram.utils.i18n import I18n
from aiogram_dialog import DialogManager
from aiogram_dialog.api.internal import ButtonVariant, RawKeyboard
from aiogram_dialog.api.protocols import DialogProtocol
from aiogram_dialog.utils import intent_callback_data
from aiogram_dialog.widgets.kbd import Keyboard

Press = Callable[[CallbackQuery, Any, DialogManager, str], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Choices:
    """Buttons of one widget id, one per item of the getter's `items` (a list of (item,
    label) pairs, or of items shown with the translated `label`); `cm:7` in callback data."""

    widget_id: str
    items: str
    on_click: Press
    label: str | None = None  # a msgid; None: the items carry their labels
    width: int = 0  # buttons per row, 0: on the row of the layout they are given in
    when: str | None = None


@dataclass(frozen=True, slots=True)
class Switch:
    """A button that opens another window of the dialog, shown while `when` is true."""

    widget_id: str
    label: str  # a msgid
    state: State
    when: str | None = None


Button = Choices | Switch


class QuestionButtons(Keyboard):
    def __init__(self, *rows: Sequence[Button]) -> None:
        super().__init__()
        self.rows = rows
        self._choices = {
            f"{button.widget_id}:": button
            for row in rows
            for button in row
            if isinstance(button, Choices)
        }
        self._switches = {
            button.widget_id: button for row in rows for button in row if isinstance(button, Switch)
        }

    async def _render_keyboard(self, data: dict[str, Any], manager: DialogManager) -> RawKeyboard:
        i18n: I18n = manager.middleware_data["i18n"]
        # The dialog's id in front, as aiogram-dialog would put it (see dialogs/screen.py).
        intent_id = manager.current_context().id
        keyboard: RawKeyboard = []
        for row in self.rows:
            line: list[ButtonVariant] = []
            for button in row:
                if isinstance(button, Switch):
                    if button.when is None or data[button.when]:
                        line.append(
                            _button(i18n.gettext(button.label), intent_id, button.widget_id)
                        )
                    continue
                items = data[button.items]
                if not items or (button.when is not None and not data[button.when]):
                    continue
                made: list[ButtonVariant] = [
                    _button(label, intent_id, f"{button.widget_id}:{item}")
                    for item, label in _labelled(items, button.label, i18n)
                ]
                if button.width:
                    keyboard += [
                        made[i : i + button.width] for i in range(0, len(made), button.width)
                    ]
                else:
                    line += made
            if line:
                keyboard.append(line)
        return keyboard

    async def process_callback(
        self, callback: CallbackQuery, dialog: DialogProtocol, manager: DialogManager
    ) -> bool:
        data = callback.data or ""
        switch = self._switches.get(data)
        if switch is not None:
            await manager.switch_to(switch.state)
            return True
        prefix, colon, item = data.partition(":")
        choices = self._choices.get(prefix + colon)
        if choices is None:
            return False
        await choices.on_click(callback, self.managed(manager), manager, item)
        return True


def _labelled(items: Sequence[Any], label: str | None, i18n: I18n) -> list[tuple[str, str]]:
    if label is None:
        return [(str(item), str(text)) for item, text in items]
    text = i18n.gettext(label)
    return [(str(item), text) for item in items]


_BLANK = InlineKeyboardButton(text="", callback_data="")


def _button(text: str, intent_id: str, data: str) -> InlineKeyboardButton:
    # A copy of a blank button with these two set: half the cost of a validated new one
    # (both values are strings this module made).
    callback_data = intent_callback_data(intent_id, data)
    return _BLANK.model_copy(update={"text": text, "callback_data": callback_data})
