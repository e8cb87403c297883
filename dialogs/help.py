"""/help: the steps and the Secretariat's address; closing it returns to where one was."""

from __future__ import annotations

from typing import Any

from aiogram_dialog import Dialog, DialogManager
from aiogram_dialog.widgets.kbd import Cancel

from dialogs.messages import help_text
from dialogs.screen import screen
from dialogs.states import Help
from dialogs.widgets import Html, T


async def help_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    return {"help": help_text(dialog_manager.middleware_data["settings"].contact_email)}


def build_dialog() -> Dialog:
    return Dialog(
        screen(
            Html("{help}"),
            Cancel(T("OK")),
            getter=help_getter,
            state=Help.show,
        )
    )
